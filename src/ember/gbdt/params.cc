// The GBDT stages' params: their specs and the XGBoost params they become.
#include <algorithm>
#include <cstdio>

#include "ember/base/status_macros.h"
#include "ember/gbdt/internal/common.h"

namespace ember {

namespace gbdt_internal {

namespace {

Validator<double> Fraction() {
  return {[](const double& v) {
            return v > 0 && v <= 1 ? Status::OK() : InvalidArgument("must be in (0, 1], got " + Json(v).Dump());
          },
          "in (0, 1]"};
}

template <typename P>
void AddCommonParams(ParamSpec<P>& s) {
  using C = GbdtCommonParams;
  // Members of the common base, named through P (a base member pointer converts to P's).
  s.template Add<std::string>("featuresCol", &C::features_col, "The feature vector column (dense or sparse).",
                              NonEmpty<std::string>())
      .template Add<std::string>("labelCol", &C::label_col, "The numeric label column.", NonEmpty<std::string>())
      .template Add<std::string>("weightCol", &C::weight_col, "Instance weights (empty: every row weighs 1).")
      .template Add<std::string>("predictionCol", &C::prediction_col, "The prediction column to add.",
                                 NonEmpty<std::string>())
      .template Add<std::string>("validationIndicatorCol", &C::validation_indicator_col,
                                 "A boolean column: true marks validation rows, which are not trained on but "
                                 "scored every round (empty: none).")
      .template Add<int32_t>("earlyStoppingRound", &C::early_stopping_round,
                             "Stop when the validation metric has not improved for this many rounds and keep the "
                             "rounds up to the best (0: off; needs validation rows).",
                             AtLeast<int32_t>(0))
      .template Add<std::string>("initScoreCol", &C::init_score_col,
                                 "Per-row initial margins to boost from (a number, or a vector of the class count "
                                 "for multiclass; XGBoost base_margin). Training only.")
      .template Add<std::string>("leafPredictionCol", &C::leaf_prediction_col,
                                 "Model output: the leaf index of every tree, as a vector (empty: left out).")
      .template Add<std::string>("featuresShapCol", &C::features_shap_col,
                                 "Model output: SHAP values of every feature plus the bias last, as a vector; for "
                                 "multiclass, one such block per class (empty: left out).")
      .template Add<std::vector<int32_t>>("categoricalSlotIndexes", &C::categorical_slot_indexes,
                                          "Feature slots holding category codes (whole numbers >= 0), split by "
                                          "category sets (XGBoost feature type \"c\").")
      .template Add<std::vector<std::string>>("categoricalSlotNames", &C::categorical_slot_names,
                                              "As categoricalSlotIndexes, by the features column's slot names "
                                              "(VectorAssembler records them).")
      .template Add<int32_t>("maxCatToOnehot", &C::max_cat_to_onehot,
                             "Categorical features with at most this many categories split one category against "
                             "the rest (XGBoost max_cat_to_onehot).",
                             AtLeast<int32_t>(1))
      .template Add<int32_t>("numIterations", &C::num_iterations, "Boosting rounds (XGBoost num_boost_round).",
                             AtLeast<int32_t>(1))
      .template Add<double>("learningRate", &C::learning_rate, "Shrinkage of each tree (XGBoost eta).",
                            Validator<double>{[](const double& v) {
                                                return v > 0 ? Status::OK()
                                                             : InvalidArgument("must be > 0, got " + Json(v).Dump());
                                              },
                                              "> 0"})
      .template Add<int32_t>("numLeaves", &C::num_leaves, "Most leaves per tree (XGBoost max_leaves, leaf-wise growth).",
                             AtLeast<int32_t>(2))
      .template Add<int32_t>("maxDepth", &C::max_depth, "Most tree depth; -1 or 0: no limit (XGBoost max_depth 0).",
                             AtLeast<int32_t>(-1))
      .template Add<double>("minSumHessianInLeaf", &C::min_sum_hessian_in_leaf,
                            "Least hessian sum in a leaf (XGBoost min_child_weight).", AtLeast(0.0))
      .template Add<double>("minGainToSplit", &C::min_gain_to_split, "Least loss reduction to split (XGBoost gamma).",
                            AtLeast(0.0))
      .template Add<double>("lambdaL1", &C::lambda_l1, "L1 regularisation of leaf weights (XGBoost alpha).",
                            AtLeast(0.0))
      .template Add<double>("lambdaL2", &C::lambda_l2, "L2 regularisation of leaf weights (XGBoost lambda).",
                            AtLeast(0.0))
      .template Add<double>("featureFraction", &C::feature_fraction,
                            "Share of features sampled per tree (XGBoost colsample_bytree).", Fraction())
      .template Add<double>("featureFractionByNode", &C::feature_fraction_by_node,
                            "Share of features sampled per split (XGBoost colsample_bynode).", Fraction())
      .template Add<double>("baggingFraction", &C::bagging_fraction,
                            "Share of rows sampled per tree (XGBoost subsample).", Fraction())
      .template Add<int32_t>("baggingSeed", &C::bagging_seed,
                             "Seed of the row and feature sampling when seed is not set (XGBoost seed).")
      .template Add<int32_t>("maxBin", &C::max_bin, "Most histogram bins per feature (XGBoost max_bin).",
                             AtLeast<int32_t>(2))
      .template Add<double>("maxDeltaStep", &C::max_delta_step,
                            "Cap on each leaf's output; 0: none (XGBoost max_delta_step).", AtLeast(0.0))
      .template Add<std::string>("metric", &C::metric,
                                 "Metric logged while training (LightGBM or XGBoost name; empty: the objective's).")
      .template Add<std::optional<int32_t>>("seed", &C::seed, "Seed of all randomness (overrides baggingSeed).")
      .template Add<int32_t>("numThreads", &C::num_threads, "Training threads; 0: the context's pool size.",
                             AtLeast<int32_t>(0))
      .template Add<std::string>(
          "boostingType", &C::boosting_type, "\"gbdt\" or \"dart\" (XGBoost booster gbtree or dart).",
          Validator<std::string>{[](const std::string& v) {
                                   return v == "gbdt" || v == "dart"
                                              ? Status::OK()
                                              : InvalidArgument("must be \"gbdt\" or \"dart\", got \"" + v +
                                                                "\" (goss and rf have no XGBoost counterpart here)");
                                 },
                                 "gbdt or dart"})
      .template Add<std::string>("passThroughArgs", &C::pass_through_args,
                                 "Extra XGBoost params as \"key=value\" pairs separated by spaces or commas; they win "
                                 "over the params above.");
}

Validator<std::string> OneOf(std::vector<std::string> names) {
  std::string d;
  for (const auto& n : names) d += (d.empty() ? "" : ", ") + n;
  return {[names, d](const std::string& v) {
            return std::find(names.begin(), names.end(), v) != names.end()
                       ? Status::OK()
                       : InvalidArgument("must be one of " + d + ", got \"" + v + "\"");
          },
          "one of " + d};
}

template <typename P>
void AddModelParams(ParamSpec<P>& s) {
  using C = GbdtModelParams;
  s.template Add<std::string>("featuresCol", &C::features_col, "The feature vector column.", NonEmpty<std::string>())
      .template Add<std::string>("predictionCol", &C::prediction_col, "The prediction column to add.",
                                 NonEmpty<std::string>())
      .template Add<std::string>("leafPredictionCol", &C::leaf_prediction_col,
                                 "The leaf index of every tree, as a vector (empty: left out).")
      .template Add<std::string>("featuresShapCol", &C::features_shap_col,
                                 "SHAP values of every feature plus the bias last (per class for multiclass), as a "
                                 "vector (empty: left out).");
}

// "k=v k2=v2" or "k=v,k2=v2" into pairs; errors name the bad piece.
Result<std::vector<std::pair<std::string, std::string>>> ParsePassThrough(const std::string& text,
                                                                        const std::string& owner) {
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

// LightGBM metric names to XGBoost's; unknown names pass through (XGBoost's own names).
std::string XgbMetric(const std::string& m) {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"binary_logloss", "logloss"}, {"binary_error", "error"}, {"multi_logloss", "mlogloss"},
      {"multi_error", "merror"},     {"l2", "rmse"},             {"rmse", "rmse"},
      {"l1", "mae"},                 {"mae", "mae"},             {"auc", "auc"},
      {"poisson", "poisson-nloglik"}, {"gamma", "gamma-nloglik"}, {"ndcg", "ndcg"},
      {"map", "map"}};
  for (const auto& [lgb, xgb] : names) {
    if (m == lgb) return xgb;
  }
  return m;
}

}  // namespace

std::string XgbNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

Result<XgbParamList> XgbParams(const GbdtCommonParams& p, const ExecContext& ctx, const std::string& owner,
                               XgbParamList objective, const std::vector<std::string>& metrics) {
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
      {"booster", p.boosting_type == "dart" ? "dart" : "gbtree"},
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
    const char* zero = name == "binary:logistic"                                                        ? "0.5"
                       : name == "count:poisson" || name == "reg:gamma" || name == "reg:tweedie" ? "1"
                                                                                                 : "0";
    x.erase(std::remove_if(x.begin(), x.end(), [](const auto& kv) { return kv.first == "base_score"; }), x.end());
    x.emplace_back("base_score", zero);
  }
  for (const std::string& m : metrics) x.emplace_back("eval_metric", XgbMetric(m));
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

}  // namespace gbdt_internal

using gbdt_internal::AddCommonParams;
using gbdt_internal::AddModelParams;
using gbdt_internal::OneOf;

const ParamSpec<GBDTClassifierParams>& GBDTClassifierParams::Spec() {
  using P = GBDTClassifierParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTClassifier");
    AddCommonParams(*s);
    s->Add("objective", &P::objective,
           "\"binary\" (XGBoost binary:logistic) or \"multiclass\" (multi:softprob); binary with more than two "
           "label values switches to multiclass.",
           OneOf({"binary", "multiclass"}))
        .Add("rawPredictionCol", &P::raw_prediction_col, "The margins vector column (empty: left out).")
        .Add("probabilityCol", &P::probability_col, "The class probabilities column (empty: left out).")
        .Add("isUnbalance", &P::is_unbalance,
             "Binary only: weigh positives by negatives / positives (XGBoost scale_pos_weight).")
        .Add("thresholds", &P::thresholds,
             "Per-class thresholds: the prediction is the class maximising probability / threshold (empty: the "
             "most probable class).");
    return s;
  }();
  return *spec;
}

const ParamSpec<GBDTRegressorParams>& GBDTRegressorParams::Spec() {
  using P = GBDTRegressorParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTRegressor");
    AddCommonParams(*s);
    s->Add("objective", &P::objective,
           "regression (XGBoost reg:squarederror), regression_l1 (reg:absoluteerror), huber (LightGBM's: clipped "
           "residual gradient, as a custom objective), quantile (pinball loss of quantile alpha, a custom "
           "objective), poisson (count:poisson), tweedie (reg:tweedie), gamma (reg:gamma), custom (a C++ "
           "objective given to GBDTRegressor::Make).",
           OneOf({"regression", "regression_l1", "huber", "quantile", "poisson", "tweedie", "gamma", "custom"}))
        .Add("alpha", &P::alpha, "huber: where the loss turns linear; quantile: the quantile, in (0, 1).",
             Validator<double>{[](const double& v) {
                                 return v > 0 ? Status::OK() : InvalidArgument("must be > 0, got " + Json(v).Dump());
                               },
                               "> 0"})
        .Add("tweedieVariancePower", &P::tweedie_variance_power, "Tweedie variance power (tweedie).",
             InRange(1.0, 2.0));
    return s;
  }();
  return *spec;
}

const ParamSpec<GBDTClassificationModelParams>& GBDTClassificationModelParams::Spec() {
  using P = GBDTClassificationModelParams;
  using C = GbdtModelParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTClassificationModel");
    AddModelParams(*s);
    s->template Add<std::string>("rawPredictionCol", &C::raw_prediction_col, "The margins column (empty: left out).")
        .template Add<std::string>("probabilityCol", &C::probability_col,
                                   "The probabilities column (empty: left out).")
        .template Add<std::vector<double>>("thresholds", &C::thresholds,
                                           "Per-class thresholds (empty: the most probable class).");
    return s;
  }();
  return *spec;
}

const ParamSpec<GBDTRegressionModelParams>& GBDTRegressionModelParams::Spec() {
  using P = GBDTRegressionModelParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTRegressionModel");
    AddModelParams(*s);
    return s;
  }();
  return *spec;
}


const ParamSpec<GBDTRankerParams>& GBDTRankerParams::Spec() {
  using P = GBDTRankerParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTRanker");
    AddCommonParams(*s);
    s->Add("objective", &P::objective, "\"lambdarank\" (XGBoost rank:ndcg, LambdaMART on NDCG).",
           OneOf({"lambdarank"}))
        .Add("groupCol", &P::group_col,
             "The query or group of each row (int, long or string); rows are ranked within their group.",
             NonEmpty<std::string>())
        .Add("evalAt", &P::eval_at, "NDCG cut-offs logged and used for early stopping (XGBoost ndcg@k).",
             Validator<std::vector<int32_t>>{[](const std::vector<int32_t>& v) {
                                              for (int32_t k : v) {
                                                if (k < 1) return InvalidArgument("every cut-off must be >= 1");
                                              }
                                              return Status::OK();
                                            },
                                            "each >= 1"});
    return s;
  }();
  return *spec;
}

const ParamSpec<GBDTRankerModelParams>& GBDTRankerModelParams::Spec() {
  using P = GBDTRankerModelParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTRankerModel");
    AddModelParams(*s);
    return s;
  }();
  return *spec;
}

}  // namespace ember
