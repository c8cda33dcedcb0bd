// The GBDT stages' params: their specs and the XGBoost params they become.
#include <algorithm>
#include <cstdio>

#include "ember/base/status_macros.h"
#include "ember/gbdt/internal/common.h"

namespace ember {

namespace gbdt::internal {

Validator<double> Fraction() {
  return {[](const double& v) {
            return v > 0 && v <= 1 ? Status::OK()
                                   : InvalidArgument("must be in (0, 1], got " + Json(v).Dump());
          },
          "in (0, 1]"};
}

// The closed sets' tables: JSON names (LightGBM's, then XGBoost's aliases) and what XGBoost
// calls each. The only place either name appears.
namespace {

struct MetricName {
  GbdtMetric metric;
  const char* lightgbm;
  const char* xgboost;
};
constexpr MetricName kMetrics[] = {
    {GbdtMetric::kBinaryLogloss, "binary_logloss", "logloss"},
    {GbdtMetric::kBinaryError, "binary_error", "error"},
    {GbdtMetric::kMultiLogloss, "multi_logloss", "mlogloss"},
    {GbdtMetric::kMultiError, "multi_error", "merror"},
    {GbdtMetric::kL2, "l2", "rmse"},
    {GbdtMetric::kRmse, "rmse", "rmse"},
    {GbdtMetric::kL1, "l1", "mae"},
    {GbdtMetric::kAuc, "auc", "auc"},
    {GbdtMetric::kPoisson, "poisson", "poisson-nloglik"},
    {GbdtMetric::kGamma, "gamma", "gamma-nloglik"},
    {GbdtMetric::kNdcg, "ndcg", "ndcg"},
    {GbdtMetric::kMap, "map", "map"},
};

std::vector<std::pair<std::string, GbdtMetric>> MetricNames() {
  std::vector<std::pair<std::string, GbdtMetric>> names = {{"", GbdtMetric::kDefault}};
  for (const MetricName& m : kMetrics) names.emplace_back(m.lightgbm, m.metric);
  for (const MetricName& m : kMetrics) {  // XGBoost's names, where LightGBM's differ
    bool taken = false;
    for (const auto& [n, v] : names) taken = taken || n == m.xgboost;
    if (!taken) names.emplace_back(m.xgboost, m.metric);
  }
  return names;
}

template <typename E>
struct ObjectiveName {
  E objective;
  const char* lightgbm;
  const char* xgboost;
};
constexpr ObjectiveName<GbdtClassifierObjective> kClassifierObjectives[] = {
    {GbdtClassifierObjective::kBinary, "binary", "binary:logistic"},
    {GbdtClassifierObjective::kMulticlass, "multiclass", "multi:softprob"},
};
// huber, quantile and custom boost their own gradients over squared error's machinery.
constexpr ObjectiveName<GbdtRegressorObjective> kRegressorObjectives[] = {
    {GbdtRegressorObjective::kRegression, "regression", "reg:squarederror"},
    {GbdtRegressorObjective::kRegressionL1, "regression_l1", "reg:absoluteerror"},
    {GbdtRegressorObjective::kHuber, "huber", "reg:squarederror"},
    {GbdtRegressorObjective::kQuantile, "quantile", "reg:squarederror"},
    {GbdtRegressorObjective::kPoisson, "poisson", "count:poisson"},
    {GbdtRegressorObjective::kTweedie, "tweedie", "reg:tweedie"},
    {GbdtRegressorObjective::kGamma, "gamma", "reg:gamma"},
    {GbdtRegressorObjective::kCustom, "custom", "reg:squarederror"},
};
constexpr ObjectiveName<GbdtRankerObjective> kRankerObjectives[] = {
    {GbdtRankerObjective::kLambdarank, "lambdarank", "rank:ndcg"},
};
constexpr ObjectiveName<GbdtBoosting> kBoostings[] = {
    {GbdtBoosting::kGbdt, "gbdt", "gbtree"},
    {GbdtBoosting::kDart, "dart", "dart"},
};

template <typename E, size_t N>
std::vector<std::pair<std::string, E>> Names(const ObjectiveName<E> (&table)[N]) {
  std::vector<std::pair<std::string, E>> names;
  for (const auto& o : table) names.emplace_back(o.lightgbm, o.objective);
  return names;
}

template <typename E, size_t N>
const ObjectiveName<E>& Find(const ObjectiveName<E> (&table)[N], E e) {
  for (const auto& o : table) {
    if (o.objective == e) return o;
  }
  return table[0];  // unreachable: every value has a row (tests check each name)
}

}  // namespace

namespace {

// "k=v k2=v2" or "k=v,k2=v2" into pairs; errors name the bad piece.
Result<std::vector<std::pair<std::string, std::string>>> ParsePassThrough(
    const std::string& text, const std::string& owner) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string piece;
  std::string normalized = text;
  std::replace(normalized.begin(), normalized.end(), ',', ' ');
  std::istringstream in(normalized);
  while (in >> piece) {
    const size_t eq = piece.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == piece.size()) {
      return InvalidArgument(owner + " param 'passThroughArgs': '" + piece + "' is not key=value");
    }
    out.emplace_back(piece.substr(0, eq), piece.substr(eq + 1));
  }
  return out;
}

}  // namespace

const char* XgbMetric(GbdtMetric m) {
  for (const MetricName& n : kMetrics) {
    if (n.metric == m) return n.xgboost;
  }
  return "";  // kDefault: the objective's
}

const char* XgbObjective(GbdtClassifierObjective o) {
  return Find(kClassifierObjectives, o).xgboost;
}
const char* XgbObjective(GbdtRegressorObjective o) { return Find(kRegressorObjectives, o).xgboost; }
const char* XgbObjective(GbdtRankerObjective o) { return Find(kRankerObjectives, o).xgboost; }
const char* ObjectiveName(GbdtClassifierObjective o) {
  return Find(kClassifierObjectives, o).lightgbm;
}
const char* ObjectiveName(GbdtRegressorObjective o) {
  return Find(kRegressorObjectives, o).lightgbm;
}
const char* ObjectiveName(GbdtRankerObjective o) { return Find(kRankerObjectives, o).lightgbm; }

std::string XgbNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

Result<XgbParamList> XgbParams(const GbdtCommonParams& p, const ExecContext& ctx,
                               const std::string& owner, XgbParamList objective,
                               const std::vector<std::string>& metrics) {
  auto num = XgbNumber;
  const int threads = p.num_threads > 0 ? p.num_threads : (ctx.pool ? ctx.pool->num_threads() : 1);
  XgbParamList x = {
      {"tree_method", "hist"},
      {"grow_policy", "lossguide"},
      {"max_leaves", std::to_string(p.num_leaves)},
      {"max_depth", std::to_string(p.max_depth > 0 ? p.max_depth : 0)},
      {"eta", num(p.learning_rate)},
      {"min_child_weight", num(p.min_sum_hessian_in_leaf)},
      {"gamma", num(p.min_gain_to_split)},
      {"alpha", num(p.lambda_l1)},
      {"lambda", num(p.lambda_l2)},
      {"colsample_bytree", num(p.feature_fraction)},
      {"colsample_bynode", num(p.feature_fraction_by_node)},
      {"subsample", num(p.bagging_fraction)},
      {"seed", std::to_string(p.seed ? *p.seed : p.bagging_seed)},
      {"max_bin", std::to_string(p.max_bin)},
      {"max_delta_step", num(p.max_delta_step)},
      {"nthread", std::to_string(threads)},
      {"booster", Find(kBoostings, p.boosting_type).xgboost},
      {"max_cat_to_onehot", std::to_string(p.max_cat_to_onehot)},
      {"verbosity", "0"},
  };
  for (auto& kv : objective) x.push_back(std::move(kv));
  if (!p.init_score_col.empty()) {
    // Boosting starts from the initial scores, not from the average (as LightGBM): the
    // base score is a zero margin in the objective's own terms.
    std::string name;
    for (const auto& [k, v] : x) {
      if (k == "objective") name = v;
    }
    const char* zero = name == "binary:logistic" ? "0.5"
                       : name == "count:poisson" || name == "reg:gamma" || name == "reg:tweedie"
                           ? "1"
                           : "0";
    x.erase(
        std::remove_if(x.begin(), x.end(), [](const auto& kv) { return kv.first == "base_score"; }),
        x.end());
    x.emplace_back("base_score", zero);
  }
  for (const std::string& m : metrics) x.emplace_back("eval_metric", m);
  EMBER_ASSIGN_OR_RETURN(auto extra, ParsePassThrough(p.pass_through_args, owner));
  for (auto& entry : extra) {
    const std::string& k = entry.first;
    std::string& v = entry.second;
    // A passed-through eval_metric replaces the metrics; any other key its own value.
    auto same = [&k](const auto& kv) { return kv.first == k; };
    if (k == "eval_metric") x.erase(std::remove_if(x.begin(), x.end(), same), x.end());
    auto it = std::find_if(x.begin(), x.end(), same);
    if (it != x.end()) {
      it->second = v;
    } else {
      x.emplace_back(k, v);
    }
  }
  return x;
}

void CopyModelParams(const GbdtCommonParams& from, GbdtModelParams* to) {
  to->features_col = from.features_col;
  to->prediction_col = from.prediction_col;
  to->leaf_prediction_col = from.leaf_prediction_col;
  to->features_shap_col = from.features_shap_col;
}

}  // namespace gbdt::internal

using gbdt::internal::Fraction;
using gbdt::internal::kBoostings;
using gbdt::internal::kClassifierObjectives;
using gbdt::internal::kRankerObjectives;
using gbdt::internal::kRegressorObjectives;
using gbdt::internal::MetricNames;
using gbdt::internal::Names;

const ParamSpec<GbdtCommonParams>& GbdtCommonParams::Spec() {
  using C = GbdtCommonParams;
  static const ParamSpec<C> spec = std::move(
      ParamSpec<C>("GBDT")
          .template Add<std::string>("featuresCol", &C::features_col,
                                     "The feature vector column (dense or sparse).",
                                     NonEmpty<std::string>())
          .template Add<std::string>("labelCol", &C::label_col, "The numeric label column.",
                                     NonEmpty<std::string>())
          .template Add<std::string>("weightCol", &C::weight_col,
                                     "Instance weights (empty: every row weighs 1).")
          .template Add<std::string>("predictionCol", &C::prediction_col,
                                     "The prediction column to add.", NonEmpty<std::string>())
          .template Add<std::string>(
              "validationIndicatorCol", &C::validation_indicator_col,
              "A boolean column: true marks validation rows, which are not trained on but "
              "scored every round (empty: none).")
          .template Add<int32_t>(
              "earlyStoppingRound", &C::early_stopping_round,
              "Stop when the validation metric has not improved for this many rounds and keep the "
              "rounds up to the best (0: off; needs validation rows).",
              AtLeast<int32_t>(0))
          .template Add<std::string>(
              "initScoreCol", &C::init_score_col,
              "Per-row initial margins to boost from (a number, or a vector of the class count "
              "for multiclass; XGBoost base_margin). Training only.")
          .template Add<std::string>(
              "leafPredictionCol", &C::leaf_prediction_col,
              "Model output: the leaf index of every tree, as a vector (empty: left out).")
          .template Add<std::string>(
              "featuresShapCol", &C::features_shap_col,
              "Model output: SHAP values of every feature plus the bias last, as a vector; for "
              "multiclass, one such block per class (empty: left out).")
          .template Add<std::vector<int32_t>>(
              "categoricalSlotIndexes", &C::categorical_slot_indexes,
              "Feature slots holding category codes (whole numbers >= 0), split by "
              "category sets (XGBoost feature type \"c\").")
          .template Add<std::vector<std::string>>(
              "categoricalSlotNames", &C::categorical_slot_names,
              "As categoricalSlotIndexes, by the features column's slot names "
              "(VectorAssembler records them).")
          .template Add<int32_t>(
              "maxCatToOnehot", &C::max_cat_to_onehot,
              "Categorical features with at most this many categories split one category against "
              "the rest (XGBoost max_cat_to_onehot).",
              AtLeast<int32_t>(1))
          .template Add<int32_t>("numIterations", &C::num_iterations,
                                 "Boosting rounds (XGBoost num_boost_round).", AtLeast<int32_t>(1))
          .template Add<double>(
              "learningRate", &C::learning_rate, "Shrinkage of each tree (XGBoost eta).",
              Validator<double>{[](const double& v) {
                                  return v > 0 ? Status::OK()
                                               : InvalidArgument("must be > 0, got " +
                                                                 Json(v).Dump());
                                },
                                "> 0"})
          .template Add<int32_t>("numLeaves", &C::num_leaves,
                                 "Most leaves per tree (XGBoost max_leaves, leaf-wise growth).",
                                 AtLeast<int32_t>(2))
          .template Add<int32_t>("maxDepth", &C::max_depth,
                                 "Most tree depth; -1 or 0: no limit (XGBoost max_depth 0).",
                                 AtLeast<int32_t>(-1))
          .template Add<double>("minSumHessianInLeaf", &C::min_sum_hessian_in_leaf,
                                "Least hessian sum in a leaf (XGBoost min_child_weight).",
                                AtLeast(0.0))
          .template Add<double>("minGainToSplit", &C::min_gain_to_split,
                                "Least loss reduction to split (XGBoost gamma).", AtLeast(0.0))
          .template Add<double>("lambdaL1", &C::lambda_l1,
                                "L1 regularisation of leaf weights (XGBoost alpha).", AtLeast(0.0))
          .template Add<double>("lambdaL2", &C::lambda_l2,
                                "L2 regularisation of leaf weights (XGBoost lambda).", AtLeast(0.0))
          .template Add<double>("featureFraction", &C::feature_fraction,
                                "Share of features sampled per tree (XGBoost colsample_bytree).",
                                Fraction())
          .template Add<double>("featureFractionByNode", &C::feature_fraction_by_node,
                                "Share of features sampled per split (XGBoost colsample_bynode).",
                                Fraction())
          .template Add<double>("baggingFraction", &C::bagging_fraction,
                                "Share of rows sampled per tree (XGBoost subsample).", Fraction())
          .template Add<int32_t>(
              "baggingSeed", &C::bagging_seed,
              "Seed of the row and feature sampling when seed is not set (XGBoost seed).")
          .template Add<int32_t>("maxBin", &C::max_bin,
                                 "Most histogram bins per feature (XGBoost max_bin).",
                                 AtLeast<int32_t>(2))
          .template Add<double>("maxDeltaStep", &C::max_delta_step,
                                "Cap on each leaf's output; 0: none (XGBoost max_delta_step).",
                                AtLeast(0.0))
          .AddEnum("metric", &C::metric, MetricNames(),
                   "Metric logged while training and watched by early stopping (LightGBM's name, "
                   "or XGBoost's; empty: "
                   "the objective's). Parametric XGBoost metrics (ndcg@3, error@0.7) go in "
                   "passThroughArgs as "
                   "eval_metric=...")
          .template Add<std::optional<int32_t>>("seed", &C::seed,
                                                "Seed of all randomness (overrides baggingSeed).")
          .template Add<int32_t>("numThreads", &C::num_threads,
                                 "Training threads; 0: the context's pool size.",
                                 AtLeast<int32_t>(0))
          .AddEnum("boostingType", &C::boosting_type, Names(kBoostings),
                   "\"gbdt\" or \"dart\" (XGBoost booster gbtree or dart; LightGBM's goss and rf "
                   "have no XGBoost "
                   "counterpart here).")
          .template Add<std::string>("passThroughArgs", &C::pass_through_args,
                                     "Extra XGBoost params as \"key=value\" pairs separated by "
                                     "spaces or commas; they win "
                                     "over the params above."));
  return spec;
}

const ParamSpec<GbdtModelParams>& GbdtModelParams::Spec() {
  using C = GbdtModelParams;
  static const ParamSpec<C> spec = std::move(
      ParamSpec<C>("GBDT model")
          .Add("featuresCol", &C::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("predictionCol", &C::prediction_col, "The prediction column to add.",
               NonEmpty<std::string>())
          .Add("leafPredictionCol", &C::leaf_prediction_col,
               "The leaf index of every tree, as a vector (empty: left out).")
          .Add("featuresShapCol", &C::features_shap_col,
               "SHAP values of every feature plus the bias last (per class for multiclass), as a "
               "vector (empty: left "
               "out)."));
  return spec;
}

const ParamSpec<GBDTClassifierParams>& GBDTClassifierParams::Spec() {
  using P = GBDTClassifierParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("GBDTClassifier")
          .AddGroup(&P::common, GbdtCommonParams::Spec())
          .AddEnum("objective", &P::objective, Names(kClassifierObjectives),
                   "\"binary\" (XGBoost binary:logistic) or \"multiclass\" (multi:softprob); "
                   "binary with more than two "
                   "label values switches to multiclass.")
          .Add("rawPredictionCol", &P::raw_prediction_col,
               "The margins vector column (empty: left out).")
          .Add("probabilityCol", &P::probability_col,
               "The class probabilities column (empty: left out).")
          .Add("isUnbalance", &P::is_unbalance,
               "Binary only: weigh positives by negatives / positives (XGBoost scale_pos_weight).")
          .Add("thresholds", &P::thresholds,
               "Per-class thresholds: the prediction is the class maximising probability / "
               "threshold (empty: the "
               "most probable class)."));
  return spec;
}

const ParamSpec<GBDTRegressorParams>& GBDTRegressorParams::Spec() {
  using P = GBDTRegressorParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("GBDTRegressor")
          .AddGroup(&P::common, GbdtCommonParams::Spec())
          .AddEnum("objective", &P::objective, Names(kRegressorObjectives),
                   "regression (XGBoost reg:squarederror), regression_l1 (reg:absoluteerror), "
                   "huber (LightGBM's: clipped "
                   "residual gradient, as a custom objective), quantile (pinball loss of quantile "
                   "alpha, a custom "
                   "objective), poisson (count:poisson), tweedie (reg:tweedie), gamma "
                   "(reg:gamma), custom (a C++ "
                   "objective given to GBDTRegressor::Make).")
          .Add("alpha", &P::alpha,
               "huber: where the loss turns linear; quantile: the quantile, in (0, 1).",
               Validator<double>{[](const double& v) {
                                   return v > 0 ? Status::OK()
                                                : InvalidArgument("must be > 0, got " +
                                                                  Json(v).Dump());
                                 },
                                 "> 0"})
          .Add("tweedieVariancePower", &P::tweedie_variance_power,
               "Tweedie variance power (tweedie).", InRange(1.0, 2.0)));
  return spec;
}

const ParamSpec<GBDTRankerParams>& GBDTRankerParams::Spec() {
  using P = GBDTRankerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("GBDTRanker")
          .AddGroup(&P::common, GbdtCommonParams::Spec())
          .AddEnum("objective", &P::objective, Names(kRankerObjectives),
                   "\"lambdarank\" (XGBoost rank:ndcg, LambdaMART on NDCG).")
          .Add("groupCol", &P::group_col,
               "The query or group of each row (int, long or string); rows are ranked within "
               "their group.",
               NonEmpty<std::string>())
          .Add("evalAt", &P::eval_at,
               "NDCG cut-offs logged and used for early stopping (XGBoost ndcg@k).",
               Each(AtLeast<int32_t>(1))));
  return spec;
}

const ParamSpec<GBDTClassificationModelParams>& GBDTClassificationModelParams::Spec() {
  using P = GBDTClassificationModelParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("GBDTClassificationModel")
          .AddGroup(&P::model, GbdtModelParams::Spec())
          .Add("rawPredictionCol", &P::raw_prediction_col, "The margins column (empty: left out).")
          .Add("probabilityCol", &P::probability_col, "The probabilities column (empty: left out).")
          .Add("thresholds", &P::thresholds,
               "Per-class thresholds (empty: the most probable class)."));
  return spec;
}

const ParamSpec<GBDTRegressionModelParams>& GBDTRegressionModelParams::Spec() {
  using P = GBDTRegressionModelParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("GBDTRegressionModel").AddGroup(&P::model, GbdtModelParams::Spec()));
  return spec;
}

const ParamSpec<GBDTRankerModelParams>& GBDTRankerModelParams::Spec() {
  using P = GBDTRankerModelParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("GBDTRankerModel").AddGroup(&P::model, GbdtModelParams::Spec()));
  return spec;
}

}  // namespace ember
