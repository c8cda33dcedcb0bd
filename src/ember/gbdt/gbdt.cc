// The GBDT estimators: each collects its rows, chooses XGBoost's objective and boosts.
#include "ember/gbdt/gbdt.h"

#include <algorithm>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/gbdt/forest.h"
#include "ember/gbdt/internal/common.h"
#include "ember/gbdt/xgboost_api.h"

namespace ember {

using namespace gbdt::internal;  // NOLINT: the estimators are built on these helpers

Status gbdt::internal::CheckClassLabel(double y) {
  if (y < 0 || std::floor(y) != y || y > 1e6) {
    return InvalidArgument("label " + Json(y).Dump() + " is not a class index (0, 1, 2, ...)");
  }
  return Status::OK();
}

Result<int> gbdt::internal::CountClasses(const DataFrame& in, const TrainingData& data,
                                         const std::string& label_col) {
  double k[1] = {2};
  if (auto labels = NominalValues(in.schema()->field(in.schema()->FindField(label_col))); labels) {
    k[0] = std::max<double>(k[0], static_cast<double>(labels->size()));
  }
  for (const Rows* rows : {&data.train, &data.valid}) {
    for (float y : rows->labels) k[0] = std::max<double>(k[0], y + 1.0);
  }
  EMBER_RETURN_IF_ERROR(gbdt::XgboostCollectiveMax(k));
  return static_cast<int>(k[0]);
}

namespace {

Status CheckInitScores(const TrainingData& data, int outputs, const GbdtCommonParams& p,
                       const std::string& owner) {
  if (p.init_score_col.empty() || data.init_score_width == outputs) return Status::OK();
  return InvalidArgument(
      owner + ": column '" + p.init_score_col + "' has " + std::to_string(data.init_score_width) +
      " initial scores per row; the model has " + std::to_string(outputs) + " outputs");
}

// What the fitted model will add to `in`: `outputs`, then the prediction, then the leaf
// indices (numIterations x outputs trees: fewer when early stopping cuts them) and SHAP
// values (outputs x (features + 1)), when asked for.
Result<SchemaPtr> FittedSchema(const Schema& in, const GbdtCommonParams& p,
                               std::vector<Field> outputs, int model_outputs,
                               const std::string& owner) {
  std::vector<std::string> names;
  for (const Field& f : outputs) names.push_back(f.name);
  names.insert(names.end(), {p.prediction_col, p.leaf_prediction_col, p.features_shap_col});
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, names, owner));
  std::vector<Field> fields = in.fields();
  for (Field& f : outputs) fields.push_back(std::move(f));
  fields.push_back(MakeField(p.prediction_col, Float64Type()));
  if (!p.leaf_prediction_col.empty()) {
    fields.push_back(MakeField(p.leaf_prediction_col,
                               DenseVectorType(int64_t{p.num_iterations} * model_outputs)));
  }
  if (!p.features_shap_col.empty()) {
    const int64_t d = in.field(in.FindField(p.features_col)).type->vector_size();
    fields.push_back(MakeField(p.features_shap_col, DenseVectorType(model_outputs * (d + 1))));
  }
  return Schema::Make(std::move(fields), in.metadata());
}

std::vector<std::string> Metrics(const GbdtCommonParams& p) {
  if (p.metric == GbdtMetric::kDefault) return {};
  return {XgbMetric(p.metric)};
}

}  // namespace

// GBDTClassifier ----------------------------------------------------------------------------

Result<SchemaPtr> GBDTClassifier::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(CheckTrainingColumns(in, params_.common, "GBDTClassifier"));
  // The class count is known after fitting; 2 unless the label's nominal attribute says.
  int k = 2;
  const auto labels = NominalValues(in.field(in.FindField(params_.common.label_col)));
  if (labels && labels->size() > 2) k = static_cast<int>(labels->size());
  std::vector<Field> outputs;
  if (!params_.raw_prediction_col.empty())
    outputs.push_back(MakeField(params_.raw_prediction_col, DenseVectorType(k)));
  if (!params_.probability_col.empty())
    outputs.push_back(MakeField(params_.probability_col, DenseVectorType(k)));
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out, FittedSchema(in, params_.common, outputs, k > 2 ? k : 1, "GBDTClassifier"));
  if (!labels) return out;
  // The prediction carries the label's values, as the fitted model's will.
  std::vector<Field> fields = out->fields();
  SetNominalValues(&fields[out->FindField(params_.common.prediction_col)], *labels);
  return Schema::Make(std::move(fields), out->metadata());
}

Result<std::shared_ptr<const Transformer>> GBDTClassifier::Fit(const DataFrame& in,
                                                               const ExecContext& ctx) const {
  const std::string owner = Describe();
  EMBER_ASSIGN_OR_RETURN(auto collective,
                         RankCollective::JoinIfNeeded(ctx, owner));  // several ranks
  const Params& p = params_;
  const GbdtCommonParams& c = p.common;
  EMBER_ASSIGN_OR_RETURN(
      TrainingData data,
      CollectTrainingData(in, c, owner, {.check_label = CheckClassLabel, .borrow_dense = true}));
  EMBER_ASSIGN_OR_RETURN(const int k, CountClasses(in, data, c.label_col));
  XgbParamList objective;
  const int outputs = k > 2 || p.objective == GbdtClassifierObjective::kMulticlass ? k : 1;
  if (outputs > 1) {
    if (p.objective == GbdtClassifierObjective::kBinary && ctx.log) {
      ctx.log->Info(owner + ": " + std::to_string(k) + " classes; training multiclass");
    }
    if (p.is_unbalance)
      return InvalidArgument(owner + " param 'isUnbalance': only for binary classification");
    objective = {{"objective", XgbObjective(GbdtClassifierObjective::kMulticlass)},
                 {"num_class", std::to_string(k)}};
  } else {
    // Boost from the average (LightGBM's boost_from_average): the weighted positive rate.
    EMBER_ASSIGN_OR_RETURN(const double rate, WeightedMean(data.train, owner));
    objective = {{"objective", XgbObjective(GbdtClassifierObjective::kBinary)},
                 {"base_score", XgbNumber(std::clamp(rate, 1e-6, 1 - 1e-6))}};
    if (p.is_unbalance && rate > 0)
      objective.emplace_back("scale_pos_weight", XgbNumber((1 - rate) / rate));
  }
  EMBER_RETURN_IF_ERROR(CheckInitScores(data, outputs, c, owner));
  if (!p.thresholds.empty() && static_cast<int>(p.thresholds.size()) != k) {
    return InvalidArgument(owner + " param 'thresholds': has " +
                           std::to_string(p.thresholds.size()) + " values for " +
                           std::to_string(k) + " classes");
  }
  EMBER_ASSIGN_OR_RETURN(auto params, XgbParams(c, ctx, owner, std::move(objective), Metrics(c)));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(std::move(data), c, params, outputs, ctx, owner));
  GBDTClassificationModel::Params mp;
  CopyModelParams(c, &mp.model);
  mp.raw_prediction_col = p.raw_prediction_col;
  mp.probability_col = p.probability_col;
  mp.thresholds = p.thresholds;
  EMBER_ASSIGN_OR_RETURN(
      auto model, GBDTClassificationModel::Make(
                      std::move(mp), std::move(booster), k, uid(),
                      NominalValues(in.schema()->field(in.schema()->FindField(p.common.label_col)))
                          .value_or(std::vector<std::string>{})));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// GBDTRegressor -----------------------------------------------------------------------------

Result<std::shared_ptr<const GBDTRegressor>> GBDTRegressor::Make(Params p, std::string uid) {
  return Make(std::move(p), GbdtObjective(), std::move(uid));
}

Result<std::shared_ptr<const GBDTRegressor>> GBDTRegressor::Make(Params p, GbdtObjective objective,
                                                                 std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (objective && p.objective != GbdtRegressorObjective::kCustom) {
    return InvalidArgument(
        std::string("GBDTRegressor: a C++ objective needs param 'objective' \"custom\", got \"") +
        ObjectiveName(p.objective) + "\"");
  }
  return std::shared_ptr<const GBDTRegressor>(
      new GBDTRegressor(std::move(p), std::move(objective), std::move(uid)));
}

Result<SchemaPtr> GBDTRegressor::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(CheckTrainingColumns(in, params_.common, "GBDTRegressor"));
  return FittedSchema(in, params_.common, {}, 1, "GBDTRegressor");
}

Result<std::shared_ptr<const Transformer>> GBDTRegressor::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  const std::string owner = Describe();
  EMBER_ASSIGN_OR_RETURN(auto collective,
                         RankCollective::JoinIfNeeded(ctx, owner));  // several ranks
  const Params& p = params_;
  const GbdtCommonParams& c = p.common;
  using O = GbdtRegressorObjective;
  auto check = [&p](double y) {
    if ((p.objective == O::kPoisson || p.objective == O::kTweedie) && y < 0) {
      return InvalidArgument(std::string("objective '") + ObjectiveName(p.objective) +
                             "' needs labels >= 0, got " + Json(y).Dump());
    }
    if (p.objective == O::kGamma && y <= 0)
      return InvalidArgument("objective 'gamma' needs labels > 0, got " + Json(y).Dump());
    return Status::OK();
  };
  const bool custom_loss =
      p.objective == O::kHuber || p.objective == O::kQuantile || p.objective == O::kCustom;
  EMBER_ASSIGN_OR_RETURN(
      TrainingData data,
      CollectTrainingData(in, c, owner, {.check_label = check, .borrow_dense = !custom_loss}));
  EMBER_ASSIGN_OR_RETURN(const double mean_label, WeightedMean(data.train, owner));
  const std::string mean = XgbNumber(mean_label);
  // The labels' q-quantile (unweighted, over every worker): where absolute and pinball
  // losses start.
  auto quantile = [&](double q) -> Result<std::string> {
    EMBER_ASSIGN_OR_RETURN(double v, LabelQuantile(data.train, q));
    return XgbNumber(v);
  };
  // XGBoost's objective (params.cc's table) and where boosting starts, by objective.
  const std::string xgb = XgbObjective(p.objective);
  XgbParamList objective = {{"objective", xgb}, {"base_score", mean}};
  GbdtObjective custom;
  switch (p.objective) {
    case O::kRegression:
      break;
    case O::kRegressionL1: {
      EMBER_ASSIGN_OR_RETURN(std::string median, quantile(0.5));
      objective = {{"objective", xgb}, {"base_score", median}};
      break;
    }
    case O::kHuber: {
      // LightGBM's Huber loss: the residual clipped at alpha as gradient, hessian 1 (XGBoost's
      // pseudo-Huber objective has vanishing hessians and diverges without L2).
      const float a = static_cast<float>(p.alpha);
      custom = [a](float margin, float label, float w, float* g, float* h) {
        *g = w * std::clamp(margin - label, -a, a);
        *h = w;
      };
      break;
    }
    case O::kQuantile: {
      // The pinball loss of quantile alpha: gradient -alpha where the margin is below the
      // label, 1 - alpha where it is not, hessian 1 (as LightGBM); boosting starts from the
      // labels' alpha-quantile.
      if (!(p.alpha > 0 && p.alpha < 1)) {
        return InvalidArgument(owner + " param 'alpha': the quantile must be in (0, 1), got " +
                               Json(p.alpha).Dump());
      }
      const float a = static_cast<float>(p.alpha);
      custom = [a](float margin, float label, float w, float* g, float* h) {
        *g = w * (margin >= label ? 1.0f - a : -a);
        *h = w;
      };
      EMBER_ASSIGN_OR_RETURN(std::string start, quantile(p.alpha));
      objective = {{"objective", xgb}, {"base_score", start}};
      break;
    }
    case O::kPoisson:
      objective = {{"objective", xgb}, {"base_score", XgbNumber(std::max(mean_label, 1e-6))}};
      break;
    case O::kTweedie:
      objective = {{"objective", xgb},
                   {"tweedie_variance_power", XgbNumber(p.tweedie_variance_power)},
                   {"base_score", XgbNumber(std::max(mean_label, 1e-6))}};
      break;
    case O::kGamma:
      break;
    case O::kCustom:
      if (!objective_) {
        return FailedPrecondition(owner +
                                  " param 'objective': \"custom\" needs the C++ objective given to "
                                  "GBDTRegressor::Make (it is not saved with the estimator)");
      }
      custom = objective_;
      break;
  }
  EMBER_RETURN_IF_ERROR(CheckInitScores(data, 1, c, owner));
  EMBER_ASSIGN_OR_RETURN(auto params, XgbParams(c, ctx, owner, std::move(objective), Metrics(c)));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(std::move(data), c, params, 1, ctx, owner, custom));
  GBDTRegressionModel::Params mp;
  CopyModelParams(c, &mp.model);
  EMBER_ASSIGN_OR_RETURN(auto model,
                         GBDTRegressionModel::Make(std::move(mp), std::move(booster), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// GBDTRanker --------------------------------------------------------------------------------

Result<SchemaPtr> GBDTRanker::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(CheckTrainingColumns(in, params_.common, "GBDTRanker", params_.group_col));
  return FittedSchema(in, params_.common, {}, 1, "GBDTRanker");
}

Result<std::shared_ptr<const Transformer>> GBDTRanker::Fit(const DataFrame& in,
                                                           const ExecContext& ctx) const {
  const std::string owner = Describe();
  EMBER_ASSIGN_OR_RETURN(auto collective,
                         RankCollective::JoinIfNeeded(ctx, owner));  // several ranks
  const Params& p = params_;
  const GbdtCommonParams& c = p.common;
  EMBER_ASSIGN_OR_RETURN(TrainingData data,
                         CollectTrainingData(in, c, owner, {.group_col = p.group_col}));
  GroupRows(&data.train);
  GroupRows(&data.valid);
  EMBER_RETURN_IF_ERROR(CheckInitScores(data, 1, c, owner));
  std::vector<std::string> metrics;
  for (int32_t k : p.eval_at) metrics.push_back("ndcg@" + std::to_string(k));
  if (c.metric != GbdtMetric::kDefault) metrics = Metrics(c);
  EMBER_ASSIGN_OR_RETURN(
      auto params, XgbParams(c, ctx, owner, {{"objective", XgbObjective(p.objective)}}, metrics));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(std::move(data), c, params, 1, ctx, owner));
  GBDTRankerModel::Params mp;
  CopyModelParams(c, &mp.model);
  EMBER_ASSIGN_OR_RETURN(auto model,
                         GBDTRankerModel::Make(std::move(mp), std::move(booster), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Status RegisterGbdtStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTClassifier>(
      r, "Gradient-boosted trees for classification (XGBoost, LightGBM-style params)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTClassificationModel>(r, "A fitted GBDTClassifier."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTRegressor>(
      r, "Gradient-boosted trees for regression (XGBoost, LightGBM-style params)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTRegressionModel>(r, "A fitted GBDTRegressor."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTRanker>(
      r, "Gradient-boosted trees for ranking (lambdarank over groups of rows)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTRankerModel>(r, "A fitted GBDTRanker."));
  return RegisterForestStages(r);
}

}  // namespace ember
