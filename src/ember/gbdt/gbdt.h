// Gradient-boosted trees: XGBoost (tree_method "hist", grow_policy "lossguide", so trees
// grow leaf-wise like LightGBM's) under SynapseML's LightGBM stage API.
//
//   GBDTClassifier -> GBDTClassificationModel   binary and multiclass; adds rawPrediction,
//                                                probability and prediction
//   GBDTRegressor  -> GBDTRegressionModel       regression objectives (and a C++ custom
//                                                objective); adds prediction
//   GBDTRanker     -> GBDTRankerModel           lambdarank over groups of rows; adds prediction
//
// Every model can also add leaf indices (leafPredictionCol) and SHAP values
// (featuresShapCol). Validation rows (validationIndicatorCol) give early stopping
// (earlyStoppingRound): the model keeps the rounds up to the best validation score.
//
// Params carry SynapseML's LightGBM names; docs/gbdt.md gives the XGBoost key each maps to,
// and the LightGBM params that have no XGBoost counterpart (left out rather than faked).
// The fitted model keeps XGBoost's own model bytes (saved as data/model.ubj, loadable by any
// XGBoost 1.7+), so predictions are XGBoost's. Immutable and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

namespace gbdt {
class XgbBooster;
class TreeEvaluator;
}  // namespace gbdt

// Closed sets of the GBDT params, by their LightGBM names in JSON; params.cc holds the one
// table from each to XGBoost's names.
enum class GbdtBoosting { kGbdt, kDart };  // XGBoost booster gbtree, dart
enum class GbdtClassifierObjective { kBinary, kMulticlass };
enum class GbdtRegressorObjective {
  kRegression,
  kRegressionL1,
  kHuber,
  kQuantile,
  kPoisson,
  kTweedie,
  kGamma,
  kCustom
};
enum class GbdtRankerObjective { kLambdarank };
// The metric logged while training (and early stopping's): LightGBM's names, XGBoost's
// accepted as aliases; kDefault is the objective's own.
enum class GbdtMetric {
  kDefault,
  kBinaryLogloss,
  kBinaryError,
  kMultiLogloss,
  kMultiError,
  kL2,
  kRmse,
  kL1,
  kAuc,
  kPoisson,
  kGamma,
  kNdcg,
  kMap
};

// The params every GBDT estimator has (LightGBM names and defaults): a param group, the
// member `common` of each estimator's params ({.common = {.num_leaves = 63}}).
struct GbdtCommonParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  std::string validation_indicator_col;
  int32_t early_stopping_round = 0;
  std::string init_score_col;
  std::string leaf_prediction_col;
  std::string features_shap_col;
  std::vector<int32_t> categorical_slot_indexes;
  std::vector<std::string> categorical_slot_names;
  int32_t max_cat_to_onehot = 4;
  int32_t num_iterations = 100;
  double learning_rate = 0.1;
  int32_t num_leaves = 31;
  int32_t max_depth = -1;
  double min_sum_hessian_in_leaf = 1e-3;
  double min_gain_to_split = 0.0;
  double lambda_l1 = 0.0;
  double lambda_l2 = 0.0;
  double feature_fraction = 1.0;
  double feature_fraction_by_node = 1.0;
  double bagging_fraction = 1.0;
  int32_t bagging_seed = 3;
  int32_t max_bin = 255;
  double max_delta_step = 0.0;
  GbdtMetric metric = GbdtMetric::kDefault;
  std::optional<int32_t> seed;
  int32_t num_threads = 0;
  GbdtBoosting boosting_type = GbdtBoosting::kGbdt;
  std::string pass_through_args;
  static const ParamSpec<GbdtCommonParams>& Spec();
};

struct GBDTClassifierParams {
  GbdtCommonParams common;
  GbdtClassifierObjective objective = GbdtClassifierObjective::kBinary;
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  bool is_unbalance = false;
  std::vector<double> thresholds;
  static const ParamSpec<GBDTClassifierParams>& Spec();
};

struct GBDTRegressorParams {
  GbdtCommonParams common;
  GbdtRegressorObjective objective = GbdtRegressorObjective::kRegression;
  double alpha = 0.9;
  double tweedie_variance_power = 1.5;
  static const ParamSpec<GBDTRegressorParams>& Spec();
};

struct GBDTRankerParams {
  GbdtCommonParams common;
  GbdtRankerObjective objective = GbdtRankerObjective::kLambdarank;
  std::string group_col = "group";
  std::vector<int32_t> eval_at = {1, 2, 3, 4, 5};
  static const ParamSpec<GBDTRankerParams>& Spec();
};

// A custom loss for GBDTRegressor: from a row's margin, label and weight (1 when
// unweighted), its gradient and hessian. The prediction is the margin.
using GbdtObjective =
    std::function<void(float margin, float label, float weight, float* grad, float* hess)>;

// The output columns every fitted GBDT model has: a param group, the member `model` of each
// model's params.
struct GbdtModelParams {
  std::string features_col = "features";
  std::string prediction_col = "prediction";
  std::string leaf_prediction_col;  // leaf index per tree (empty: left out)
  std::string features_shap_col;    // SHAP values per feature plus the bias (empty: left out)
  static const ParamSpec<GbdtModelParams>& Spec();
};

struct GBDTClassificationModelParams {
  GbdtModelParams model;
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  std::vector<double> thresholds;
  static const ParamSpec<GBDTClassificationModelParams>& Spec();
};

struct GBDTRegressionModelParams {
  GbdtModelParams model;
  static const ParamSpec<GBDTRegressionModelParams>& Spec();
};

struct GBDTRankerModelParams {
  GbdtModelParams model;
  static const ParamSpec<GBDTRankerModelParams>& Spec();
};

// A fitted booster with what scoring needs to know about it.
class GbdtBooster {
 public:
  // `bytes`: an XGBoost model (UBJSON or JSON). Errors name `source`.
  static Result<std::shared_ptr<const GbdtBooster>> FromBytes(std::string bytes,
                                                              const std::string& source);
  ~GbdtBooster();
  const gbdt::XgbBooster& xgb() const { return *booster_; }
  // The trees compiled for fast scoring (tree_evaluator.h), or null when the model has
  // something the evaluator does not cover (then XGBoost scores; see compile_problem()).
  const gbdt::TreeEvaluator* evaluator() const { return evaluator_.get(); }
  const std::string& compile_problem() const { return compile_problem_; }
  // The UBJSON bytes the model was made from (what save writes).
  const std::string& bytes() const { return bytes_; }
  int64_t num_features() const { return num_features_; }
  int rounds() const { return rounds_; }
  // Trees in all (rounds x outputs for the usual one tree per round and class).
  int num_trees() const { return num_trees_; }
  // Outputs per row: 1 for regression and binary classification, the class count for
  // multiclass.
  int num_outputs() const { return num_outputs_; }
  const std::string& objective() const { return objective_; }
  // Feature importances, one per feature (0 for features no tree uses): "gain" (total
  // gain of the splits on it) or "split" (how many splits use it).
  Result<std::vector<double>> FeatureImportances(const std::string& type) const;

 private:
  GbdtBooster() = default;
  std::unique_ptr<gbdt::XgbBooster> booster_;
  std::unique_ptr<gbdt::TreeEvaluator> evaluator_;
  std::string compile_problem_;
  std::string bytes_;
  int64_t num_features_ = 0;
  int rounds_ = 0;
  int num_trees_ = 0;
  int num_outputs_ = 1;
  std::string objective_;
};

class GBDTClassificationModel final
    : public StageBase<GBDTClassificationModel, Transformer, GBDTClassificationModelParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTClassificationModel";
  static Result<std::shared_ptr<const GBDTClassificationModel>> Make(
      Params params, std::shared_ptr<const GbdtBooster> booster, int num_classes,
      std::string uid = {}, std::vector<std::string> labels = {});
  static Result<std::shared_ptr<const GBDTClassificationModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<RowLowering> Lower(const Schema& in) const override;
  const GbdtBooster& booster() const { return *booster_; }
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override {
    return booster_->FeatureImportances(type);
  }
  int num_classes() const { return num_classes_; }
  // The label column's nominal values in fitting (a StringIndexer's labels), carried by the
  // prediction column so that IndexToString needs no labels; empty when it had none.
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  GBDTClassificationModel(Params p, std::shared_ptr<const GbdtBooster> b, int k, std::string uid,
                          std::vector<std::string> labels)
      : StageBase(std::move(p), std::move(uid)),
        booster_(std::move(b)),
        num_classes_(k),
        labels_(std::move(labels)) {}
  std::shared_ptr<const GbdtBooster> booster_;
  int num_classes_;
  std::vector<std::string> labels_;
};

class GBDTRegressionModel final
    : public StageBase<GBDTRegressionModel, Transformer, GBDTRegressionModelParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTRegressionModel";
  static Result<std::shared_ptr<const GBDTRegressionModel>> Make(
      Params params, std::shared_ptr<const GbdtBooster> booster, std::string uid = {});
  static Result<std::shared_ptr<const GBDTRegressionModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<RowLowering> Lower(const Schema& in) const override;
  const GbdtBooster& booster() const { return *booster_; }
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override {
    return booster_->FeatureImportances(type);
  }

 private:
  GBDTRegressionModel(Params p, std::shared_ptr<const GbdtBooster> b, std::string uid)
      : StageBase(std::move(p), std::move(uid)), booster_(std::move(b)) {}
  std::shared_ptr<const GbdtBooster> booster_;
};

class GBDTRankerModel final
    : public StageBase<GBDTRankerModel, Transformer, GBDTRankerModelParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTRankerModel";
  static Result<std::shared_ptr<const GBDTRankerModel>> Make(
      Params params, std::shared_ptr<const GbdtBooster> booster, std::string uid = {});
  static Result<std::shared_ptr<const GBDTRankerModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<RowLowering> Lower(const Schema& in) const override;
  const GbdtBooster& booster() const { return *booster_; }
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override {
    return booster_->FeatureImportances(type);
  }

 private:
  GBDTRankerModel(Params p, std::shared_ptr<const GbdtBooster> b, std::string uid)
      : StageBase(std::move(p), std::move(uid)), booster_(std::move(b)) {}
  std::shared_ptr<const GbdtBooster> booster_;
};

class GBDTClassifier final : public StageBase<GBDTClassifier, Estimator, GBDTClassifierParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTClassifier";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class GBDTRegressor final : public StageBase<GBDTRegressor, Estimator, GBDTRegressorParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTRegressor";
  static Result<std::shared_ptr<const GBDTRegressor>> Make(Params params, std::string uid = {});
  // With objective "custom": the loss to boost (not saved; a loaded estimator with
  // objective "custom" cannot fit).
  static Result<std::shared_ptr<const GBDTRegressor>> Make(Params params, GbdtObjective objective,
                                                           std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  GBDTRegressor(Params p, GbdtObjective o, std::string uid)
      : StageBase(std::move(p), std::move(uid)), objective_(std::move(o)) {}
  GbdtObjective objective_;
};

class GBDTRanker final : public StageBase<GBDTRanker, Estimator, GBDTRankerParams> {
 public:
  static constexpr std::string_view kTypeName = "GBDTRanker";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// An XGBoost model file (JSON, UBJSON or XGBoost's older binary format, as any XGBoost
// saves it) as a model stage: GBDTClassificationModel for binary:* and multi:* objectives,
// GBDTRankerModel for rank:*, GBDTRegressionModel otherwise. `params` names the columns.
// Errors name the file.
Result<std::shared_ptr<const Transformer>> ImportXgboostModel(const std::string& path,
                                                              const GbdtModelParams& params = {});

// The booster of a GBDT model stage, or null for any other stage.
const GbdtBooster* BoosterOf(const Transformer& model);

Status RegisterGbdtStages(StageRegistry* registry);

}  // namespace ember
