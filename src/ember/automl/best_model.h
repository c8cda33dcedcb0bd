// FindBestModel, as SynapseML's: scores fitted models on the same data and keeps the best
// by `evaluationMetric`; the fitted result (a SelectedModel of type "BestModel") transforms
// as the winner does and records every model's metrics. In a JSON spec the models are saved
// model directories (`models`); from C++ any fitted transformers. Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct FindBestModelParams {
  std::vector<std::string> models;  // saved model directories
  std::string evaluation_metric = "auto";
  std::string label_col = "label";
  static const ParamSpec<FindBestModelParams>& Spec();
};

class FindBestModel final : public StageBase<FindBestModel, Estimator, FindBestModelParams> {
 public:
  static constexpr std::string_view kTypeName = "FindBestModel";
  // Loads the models in params.models with `registry`; errors name the directory.
  static Result<std::shared_ptr<const FindBestModel>> Make(Params params,
                                                           const StageRegistry& registry,
                                                           std::string uid = {});
  // Compares `models` (params.models is then only what the record names them by, or empty).
  static Result<std::shared_ptr<const FindBestModel>> FromModels(
      Params params, std::vector<std::shared_ptr<const Transformer>> models, std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  // The models, under DIR/models/NN/ (so a FindBestModel made from C++ models saves and
  // loads whole).
  Status SaveContents(const std::string& stage_dir) const override;
  Json ExtraMetadata() const override;
  // From a saved directory (its models/), or from params (a JSON spec: the directories).
  static Result<std::shared_ptr<const Stage>> Load(const LoadContext& ctx);
  // Scores every model on `in`; ties keep the first.
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  FindBestModel(Params p, std::vector<std::shared_ptr<const Transformer>> m, std::string uid)
      : StageBase(std::move(p), std::move(uid)), models_(std::move(m)) {}
  std::vector<std::shared_ptr<const Transformer>> models_;
};

Status RegisterFindBestModel(StageRegistry* registry);

}  // namespace ember
