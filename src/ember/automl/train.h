// TrainClassifier and TrainRegressor (Estimators), as SynapseML's: featurize the input
// columns (Featurize; all columns but the label when inputCols is empty), index the label
// (classifier, reindexLabel: labels of any type become class indices by frequency), and fit
// any registered classifier or regressor given as a nested spec in `model`
// ({"type": "LogisticRegression", "params": {...}}; its featuresCol and labelCol are set
// here). Fitting gives a PipelineModel: the featurizer, the fitted model and, for a
// re-indexed label, IndexToString from `prediction` to `predictedLabel` with the original
// labels. The label column is not needed to score. The nested spec is resolved, when the
// stage is made, with the registry given to Make (or the one it is loaded with). Immutable
// and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct TrainParams {
  Json model;  // null: LogisticRegression (classifier) / LinearRegression (regressor)
  std::string label_col = "label";
  std::vector<std::string> input_cols;
  std::string features_col = "features";
  int32_t num_features = 1 << 18;
  bool reindex_label = true;  // classifier only
};

struct TrainClassifierParams : TrainParams {
  static const ParamSpec<TrainClassifierParams>& Spec();
};
struct TrainRegressorParams : TrainParams {
  static const ParamSpec<TrainRegressorParams>& Spec();
};

class TrainClassifier final : public StageBase<TrainClassifier, Estimator, TrainClassifierParams> {
 public:
  static constexpr std::string_view kTypeName = "TrainClassifier";
  // `registry` resolves the nested model spec; it is not kept.
  static Result<std::shared_ptr<const TrainClassifier>> Make(Params params,
                                                             const StageRegistry& registry,
                                                             std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  TrainClassifier(Params p, std::shared_ptr<const Estimator> model, std::string uid)
      : StageBase(std::move(p), std::move(uid)), model_(std::move(model)) {}
  std::shared_ptr<const Estimator> model_;
};

class TrainRegressor final : public StageBase<TrainRegressor, Estimator, TrainRegressorParams> {
 public:
  static constexpr std::string_view kTypeName = "TrainRegressor";
  // `registry` resolves the nested model spec; it is not kept.
  static Result<std::shared_ptr<const TrainRegressor>> Make(Params params,
                                                            const StageRegistry& registry,
                                                            std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  TrainRegressor(Params p, std::shared_ptr<const Estimator> model, std::string uid)
      : StageBase(std::move(p), std::move(uid)), model_(std::move(model)) {}
  std::shared_ptr<const Estimator> model_;
};

// Registers Featurize, TrainClassifier, TrainRegressor and the model-selection stages
// (tune.h, best_model.h).
Status RegisterTrainStages(StageRegistry* registry);

}  // namespace ember
