#include "ember/gbdt/gbdt.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/gbdt/xgboost_api.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

using gbdt::XgbBooster;
using gbdt::XgbMatrix;
using gbdt::XgbPrediction;

// Params ------------------------------------------------------------------------------------

Validator<double> Fraction() {
  return {[](const double& v) {
            return v > 0 && v <= 1 ? Status::OK() : InvalidArgument("must be in (0, 1], got " + Json(v).Dump());
          },
          "in (0, 1]"};
}

template <typename P>
void AddCommon(ParamSpec<P>& s) {
  using C = GbdtCommonParams;
  // Members of the common base, named through P (a base member pointer converts to P's).
  s.template Add<std::string>("featuresCol", &C::features_col, "The feature vector column (dense or sparse).",
                              NonEmpty<std::string>())
      .template Add<std::string>("labelCol", &C::label_col, "The numeric label column.", NonEmpty<std::string>())
      .template Add<std::string>("weightCol", &C::weight_col, "Instance weights (empty: every row weighs 1).")
      .template Add<std::string>("predictionCol", &C::prediction_col, "The prediction column to add.",
                                 NonEmpty<std::string>())
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
void AddModelCommon(ParamSpec<P>& s) {
  using C = GbdtModelParams;
  s.template Add<std::string>("featuresCol", &C::features_col, "The feature vector column.", NonEmpty<std::string>())
      .template Add<std::string>("predictionCol", &C::prediction_col, "The prediction column to add.",
                                 NonEmpty<std::string>());
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

// Training data ----------------------------------------------------------------------------

struct TrainingData {
  int64_t rows = 0;
  int64_t features = 0;
  bool sparse = false;
  std::vector<float> dense;  // rows x features
  std::vector<size_t> indptr;
  std::vector<uint32_t> indices;
  std::vector<float> values;
  std::vector<float> labels;
  std::vector<float> weights;  // empty: unweighted
};

struct BoundColumns {
  int features = -1, label = -1, weight = -1;
  int64_t d = 0;
  bool sparse = false;
};

Result<BoundColumns> BindColumns(const Schema& in, const std::string& owner, const GbdtCommonParams& p) {
  auto find = [&](const std::string& col, bool vector) -> Result<int> {
    Result<int> i =
        vector ? in.GetFieldIndexOfType(
                     col, [](const DataType& t) { return t.id() == TypeId::kVector; }, "a vector column")
               : in.GetFieldIndexOfType(col, [](const DataType& t) { return t.is_numeric(); }, "a numeric column");
    if (!i.ok()) return i.status().WithContext(owner);
    return i;
  };
  BoundColumns b;
  EMBER_ASSIGN_OR_RETURN(b.features, find(p.features_col, true));
  EMBER_ASSIGN_OR_RETURN(b.label, find(p.label_col, false));
  if (!p.weight_col.empty()) {
    EMBER_ASSIGN_OR_RETURN(b.weight, find(p.weight_col, false));
  }
  b.d = in.field(b.features).type->vector_size();
  b.sparse = in.field(b.features).type->sparse();
  return b;
}

double NumericAt(const Column& c, int64_t r) {
  switch (c.type_id()) {
    case TypeId::kFloat64: return c.Values<double>()[r];
    case TypeId::kFloat32: return c.Values<float>()[r];
    case TypeId::kInt32: return c.Values<int32_t>()[r];
    case TypeId::kInt64: return static_cast<double>(c.Values<int64_t>()[r]);
    default: return NAN;
  }
}

// Every partition's rows in order, as XGBoost takes them. Errors name the owner, the column
// and the row (counted over the whole frame).
Result<TrainingData> Collect(const DataFrame& in, const BoundColumns& cols, const std::string& owner,
                             const GbdtCommonParams& p) {
  TrainingData t;
  t.features = cols.d;
  t.sparse = cols.sparse;
  if (t.sparse) t.indptr.push_back(0);
  int64_t row = 0;
  for (const Batch& b : in.partitions()) {
    const Column& f = *b.column(cols.features);
    const Column& y = *b.column(cols.label);
    const Column* w = cols.weight >= 0 ? b.column(cols.weight).get() : nullptr;
    for (int64_t r = 0; r < b.num_rows(); ++r, ++row) {
      auto where = [&](const std::string& col) {
        return owner + ": column '" + col + "' row " + std::to_string(row) + ": ";
      };
      if (f.IsNull(r)) return InvalidArgument(where(p.features_col) + "null feature vector");
      if (y.IsNull(r)) return InvalidArgument(where(p.label_col) + "null label");
      const double label = NumericAt(y, r);
      if (!std::isfinite(label)) return InvalidArgument(where(p.label_col) + "NaN or infinite label");
      t.labels.push_back(static_cast<float>(label));
      if (w) {
        const double weight = w->IsNull(r) ? NAN : NumericAt(*w, r);
        if (!(weight >= 0) || !std::isfinite(weight)) {
          return InvalidArgument(where(p.weight_col) + "weight must be a finite number >= 0");
        }
        t.weights.push_back(static_cast<float>(weight));
      }
      if (t.sparse) {
        auto idx = f.SparseIndices(r);
        auto val = f.SparseValues(r);
        for (size_t e = 0; e < idx.size(); ++e) {
          t.indices.push_back(static_cast<uint32_t>(idx[e]));
          t.values.push_back(static_cast<float>(val[e]));
        }
        t.indptr.push_back(t.values.size());
      } else {
        auto v = f.DenseRow(r);
        for (double x : v) t.dense.push_back(static_cast<float>(x));
      }
    }
  }
  t.rows = row;
  if (t.rows == 0) return InvalidArgument(owner + ": no rows to fit on");
  return t;
}

Result<XgbMatrix> MakeMatrix(const TrainingData& t, int threads) {
  if (t.sparse) return XgbMatrix::FromCsr(t.indptr, t.indices, t.values, t.features);
  return XgbMatrix::FromDense(t.dense.data(), t.rows, t.features, threads);
}

// XGBoost params from the common ones; `objective_params` are the kind's own.
Result<std::vector<std::pair<std::string, std::string>>> XgbParams(
    const GbdtCommonParams& p, const ExecContext& ctx, const std::string& owner,
    std::vector<std::pair<std::string, std::string>> objective_params) {
  auto num = [](double v) {
    std::ostringstream o;
    o.precision(17);
    o << v;
    return o.str();
  };
  const int threads = p.num_threads > 0 ? p.num_threads : (ctx.pool ? ctx.pool->num_threads() : 1);
  std::vector<std::pair<std::string, std::string>> x = {
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
      {"verbosity", "0"},
  };
  for (auto& kv : objective_params) x.push_back(std::move(kv));
  if (!p.metric.empty()) x.emplace_back("eval_metric", XgbMetric(p.metric));
  EMBER_ASSIGN_OR_RETURN(auto extra, ParsePassThrough(p.pass_through_args, owner));
  for (auto& [k, v] : extra) {
    auto it = std::find_if(x.begin(), x.end(), [&](const auto& kv) { return kv.first == k; });
    if (it != x.end()) {
      it->second = v;
    } else {
      x.emplace_back(k, v);
    }
  }
  return x;
}

// A loss given to XGBoost as gradients and hessians: from each row's margin, label and
// weight (1 when unweighted), writes grad and hess.
using CustomObjective = std::function<void(float margin, float label, float weight, float* grad, float* hess)>;

// Trains `rounds` rounds (with `custom`, from its gradients); logs the metric every tenth
// round (and the last) when one is set.
Result<std::shared_ptr<const GbdtBooster>> Train(const TrainingData& t, const GbdtCommonParams& p,
                                                 const std::vector<std::pair<std::string, std::string>>& params,
                                                 const ExecContext& ctx, const std::string& owner,
                                                 const CustomObjective& custom = {}) {
  if (ctx.comm && ctx.comm->size() > 1) {
    return FailedPrecondition(owner + ": fitting on " + std::to_string(ctx.comm->size()) +
                         " ranks is not supported yet (XGBoost's collective comes with multi-process training); "
                         "fit on one rank");
  }
  int threads = 1;
  for (const auto& [k, v] : params) {
    if (k == "nthread") threads = std::max(1, std::atoi(v.c_str()));
  }
  EMBER_ASSIGN_OR_RETURN(XgbMatrix train, MakeMatrix(t, threads));
  EMBER_RETURN_IF_ERROR(train.SetFloatInfo("label", t.labels));
  if (!t.weights.empty()) EMBER_RETURN_IF_ERROR(train.SetFloatInfo("weight", t.weights));
  const XgbMatrix* cache[] = {&train};
  EMBER_ASSIGN_OR_RETURN(XgbBooster booster, XgbBooster::Create(cache));
  for (const auto& [k, v] : params) {
    Status s = booster.SetParam(k, v);
    if (!s.ok()) return s.WithContext(owner);
  }
  const std::vector<std::string> names = {"train"};
  std::vector<float> grad, hess;
  for (int i = 0; i < p.num_iterations; ++i) {
    if (ctx.cancel.IsCancelled()) return Cancelled(owner + ": cancelled after " + std::to_string(i) + " rounds");
    Status s;
    if (custom) {
      EMBER_ASSIGN_OR_RETURN(XgbPrediction m, booster.Predict(train, 1, 0, 0, /*training=*/true));
      if (static_cast<int64_t>(m.values.size()) != t.rows) return Internal(owner + ": margins do not match the rows");
      grad.resize(m.values.size());
      hess.resize(m.values.size());
      for (size_t r = 0; r < m.values.size(); ++r) {
        custom(m.values[r], t.labels[r], t.weights.empty() ? 1.0f : t.weights[r], &grad[r], &hess[r]);
      }
      s = booster.Boost(train, grad, hess);
    } else {
      s = booster.Update(i, train);
    }
    if (!s.ok()) return s.WithContext(owner + " round " + std::to_string(i));
    if (ctx.log && !p.metric.empty() && ((i + 1) % 10 == 0 || i + 1 == p.num_iterations)) {
      EMBER_ASSIGN_OR_RETURN(std::string eval, booster.Eval(i, cache, names));
      ctx.log->Info(owner + ": " + eval);
    }
  }
  EMBER_ASSIGN_OR_RETURN(std::string bytes, booster.Save("ubj"));
  return GbdtBooster::FromBytes(std::move(bytes), owner);
}

// Scoring ----------------------------------------------------------------------------------

// The booster's raw outputs (margins, rows x outputs) for a batch's feature column. Sparse
// vectors are scored as XGBoost sparse rows (absent entries missing), as they were trained.
Result<std::vector<float>> Margins(const GbdtBooster& booster, const Column& f, int64_t n) {
  const int64_t d = booster.num_features();
  const XgbBooster& x = booster.xgb();
  XgbPrediction pred;
  if (f.type()->sparse()) {
    std::vector<size_t> indptr = {0};
    std::vector<uint32_t> indices;
    std::vector<float> values;
    for (int64_t r = 0; r < n; ++r) {
      if (!f.IsNull(r)) {
        auto idx = f.SparseIndices(r);
        auto val = f.SparseValues(r);
        for (size_t e = 0; e < idx.size(); ++e) {
          indices.push_back(static_cast<uint32_t>(idx[e]));
          values.push_back(static_cast<float>(val[e]));
        }
      }
      indptr.push_back(values.size());
    }
    EMBER_ASSIGN_OR_RETURN(XgbMatrix m, XgbMatrix::FromCsr(indptr, indices, values, d));
    EMBER_ASSIGN_OR_RETURN(pred, x.Predict(m, 1, 0, 0));
  } else {
    std::vector<float> dense(static_cast<size_t>(n * d));
    for (int64_t r = 0; r < n; ++r) {
      if (f.IsNull(r)) continue;  // scored on zeros; the row's outputs are null
      auto v = f.DenseRow(r);
      for (int64_t j = 0; j < d; ++j) dense[r * d + j] = static_cast<float>(v[j]);
    }
    EMBER_ASSIGN_OR_RETURN(pred, x.PredictDense(dense.data(), n, d, 1, 0));
  }
  const int k = booster.num_outputs();
  if (static_cast<int64_t>(pred.values.size()) != n * k) {
    return Internal("XGBoost returned " + std::to_string(pred.values.size()) + " margins for " + std::to_string(n) +
                    " rows of " + std::to_string(k) + " outputs");
  }
  return std::move(pred.values);
}

Result<int> FeaturesIndex(const Schema& in, const std::string& col, int64_t d, const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                    col, [](const DataType& t) { return t.id() == TypeId::kVector; },
                                    "a vector column"));
  const int64_t have = in.field(i).type->vector_size();
  if (have != d) {
    return InvalidArgument(owner + ": column '" + col + "' has " + std::to_string(have) +
                           " features but the model was fitted on " + std::to_string(d));
  }
  return i;
}

Status CheckNewColumns(const Schema& in, const std::vector<std::string>& cols, const std::string& owner) {
  for (const auto& c : cols) {
    if (!c.empty() && in.FindField(c) >= 0) {
      return AlreadyExists(owner + ": output column '" + c + "' already exists");
    }
  }
  return Status::OK();
}

Result<SchemaPtr> ClassificationSchema(const Schema& in, const GbdtModelParams& p, int k, const std::string& owner) {
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {p.raw_prediction_col, p.probability_col, p.prediction_col}, owner));
  std::vector<Field> fields = in.fields();
  if (!p.raw_prediction_col.empty()) fields.push_back(MakeField(p.raw_prediction_col, DenseVectorType(k)));
  if (!p.probability_col.empty()) fields.push_back(MakeField(p.probability_col, DenseVectorType(k)));
  fields.push_back(MakeField(p.prediction_col, Float64Type()));
  return Schema::Make(std::move(fields), in.metadata());
}

Result<SchemaPtr> RegressionSchema(const Schema& in, const GbdtModelParams& p, const std::string& owner) {
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {p.prediction_col}, owner));
  return in.AddField(MakeField(p.prediction_col, Float64Type()));
}

// The objective's link from margin to prediction (regression objectives with a log link).
double RegressionPrediction(const std::string& objective, float margin) {
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") {
    return std::exp(static_cast<double>(margin));
  }
  return margin;
}

}  // namespace

// GbdtBooster ------------------------------------------------------------------------------

GbdtBooster::~GbdtBooster() = default;

Result<std::shared_ptr<const GbdtBooster>> GbdtBooster::FromBytes(std::string bytes, const std::string& source) {
  Result<XgbBooster> x = XgbBooster::Load(bytes);
  if (!x.ok()) return x.status().WithContext(source);
  auto b = std::shared_ptr<GbdtBooster>(new GbdtBooster());
  b->booster_ = std::make_unique<XgbBooster>(std::move(*x));
  // Scoring runs one XGBoost thread per call: Ember already scores partitions in parallel
  // (and one-row requests gain nothing from a thread team).
  EMBER_RETURN_IF_ERROR(b->booster_->SetParam("nthread", "1"));
  EMBER_ASSIGN_OR_RETURN(b->num_features_, b->booster_->NumFeatures());
  EMBER_ASSIGN_OR_RETURN(b->rounds_, b->booster_->Rounds());
  // The objective and class count from the model's own JSON config.
  EMBER_ASSIGN_OR_RETURN(std::string json, b->booster_->Save("json"));
  Result<Json> model = Json::Parse(json);
  if (!model.ok()) return DataLoss(source + ": the XGBoost model's JSON does not parse");
  const Json* learner = model->Find("learner");
  const Json* objective = learner ? learner->Find("objective") : nullptr;
  const Json* name = objective ? objective->Find("name") : nullptr;
  const Json* lmp = learner ? learner->Find("learner_model_param") : nullptr;
  const Json* classes = lmp ? lmp->Find("num_class") : nullptr;
  if (!name || !name->is_string() || !classes || !classes->is_string()) {
    return DataLoss(source + ": the XGBoost model has no objective or class count");
  }
  b->objective_ = name->as_string();
  const int num_class = std::atoi(classes->as_string().c_str());
  b->num_outputs_ = num_class > 1 ? num_class : 1;
  // Keep the UBJSON form whatever was given.
  EMBER_ASSIGN_OR_RETURN(b->bytes_, b->booster_->Save("ubj"));
  return std::shared_ptr<const GbdtBooster>(std::move(b));
}

Result<std::vector<double>> GbdtBooster::FeatureImportances(const std::string& type) const {
  std::string xgb_type;
  if (type == "gain") {
    xgb_type = "total_gain";
  } else if (type == "split") {
    xgb_type = "weight";
  } else {
    return InvalidArgument("feature importance type must be \"gain\" or \"split\", got \"" + type + "\"");
  }
  EMBER_ASSIGN_OR_RETURN(auto scores, booster_->FeatureScore(xgb_type));
  std::vector<double> out(static_cast<size_t>(num_features_), 0.0);
  for (const auto& [j, s] : scores) {
    if (j >= 0 && j < num_features_) out[j] = s;
  }
  return out;
}

// Specs -------------------------------------------------------------------------------------

const ParamSpec<GBDTClassifierParams>& GBDTClassifierParams::Spec() {
  using P = GBDTClassifierParams;
  static const auto* spec = [] {
    auto* s = new ParamSpec<P>("GBDTClassifier");
    AddCommon(*s);
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
    AddCommon(*s);
    s->Add("objective", &P::objective,
           "regression (XGBoost reg:squarederror), regression_l1 (reg:absoluteerror), huber (LightGBM's: clipped "
           "residual gradient, as a custom objective), quantile (pinball loss of quantile alpha, a custom "
           "objective), poisson (count:poisson), tweedie (reg:tweedie), gamma (reg:gamma).",
           OneOf({"regression", "regression_l1", "huber", "quantile", "poisson", "tweedie", "gamma"}))
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
    AddModelCommon(*s);
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
    AddModelCommon(*s);
    return s;
  }();
  return *spec;
}

// Models ------------------------------------------------------------------------------------

namespace {

Status SaveBooster(const GbdtBooster& b, const std::string& dir, Json info) {
  info.Set("format", "ubj");
  info.Set("xgboostVersion", gbdt::XgboostVersion());
  EMBER_RETURN_IF_ERROR(WriteStageData(dir, "model.json", info));
  return WriteStringToFile(dir + "/data/model.ubj", b.bytes());
}

Result<std::shared_ptr<const GbdtBooster>> LoadBooster(const LoadContext& ctx, Json* info) {
  EMBER_ASSIGN_OR_RETURN(*info, ReadStageData(ctx, "model.json"));
  const std::string path = ctx.dir + "/data/model.ubj";
  Result<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return DataLoss(path + ": " + bytes.status().message());
  return GbdtBooster::FromBytes(std::move(*bytes), path);
}

Status CheckThresholds(const std::vector<double>& t, int k, const std::string& owner) {
  if (t.empty()) return Status::OK();
  if (static_cast<int>(t.size()) != k) {
    return InvalidArgument(owner + " param 'thresholds': has " + std::to_string(t.size()) + " values for " +
                           std::to_string(k) + " classes");
  }
  int zeros = 0;
  for (double v : t) {
    if (!(v >= 0)) return InvalidArgument(owner + " param 'thresholds': values must be >= 0");
    zeros += v == 0;
  }
  if (zeros > 1) return InvalidArgument(owner + " param 'thresholds': at most one may be 0");
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const GBDTClassificationModel>> GBDTClassificationModel::Make(
    Params p, std::shared_ptr<const GbdtBooster> booster, int num_classes, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("GBDTClassificationModel: no booster");
  const int outputs = num_classes > 2 ? num_classes : 1;
  if (num_classes < 2 || booster->num_outputs() != outputs) {
    return InvalidArgument("GBDTClassificationModel: the booster has " + std::to_string(booster->num_outputs()) +
                           " outputs, which does not fit " + std::to_string(num_classes) + " classes");
  }
  EMBER_RETURN_IF_ERROR(CheckThresholds(p.thresholds, num_classes, "GBDTClassificationModel"));
  return std::shared_ptr<const GBDTClassificationModel>(
      new GBDTClassificationModel(std::move(p), std::move(booster), num_classes, std::move(uid)));
}

Status GBDTClassificationModel::SaveContents(const std::string& dir) const {
  Json info = Json::MakeObject();
  info.Set("numClasses", num_classes_);
  return SaveBooster(*booster_, dir, std::move(info));
}

Result<std::shared_ptr<const GBDTClassificationModel>> GBDTClassificationModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  Json info;
  EMBER_ASSIGN_OR_RETURN(auto booster, LoadBooster(ctx, &info));
  const Json* k = info.Find("numClasses");
  if (!k || !k->is_number()) return DataLoss(ctx.dir + "/data/model.json: missing number \"numClasses\"");
  return Make(std::move(p), std::move(booster), static_cast<int>(k->as_double()), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> GBDTClassificationModel::Bind(const Schema& in) const {
  const std::string owner = "GBDTClassificationModel";
  EMBER_ASSIGN_OR_RETURN(int fcol, FeaturesIndex(in, params_.features_col, booster_->num_features(), owner));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, ClassificationSchema(in, params_, num_classes_, owner));
  const int k = num_classes_;
  const Params p = params_;
  const auto booster = booster_;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, fcol, k, p, booster](const Batch& b, KernelScratch&) -> Result<Batch> {
        const Column& f = *b.column(fcol);
        const int64_t n = b.num_rows();
        EMBER_ASSIGN_OR_RETURN(std::vector<float> m, Margins(*booster, f, n));
        ClassifierOutputs outputs(n, k);
        const int margins = k == 2 ? 1 : k;
        std::vector<double> row(static_cast<size_t>(margins));
        for (int64_t r = 0; r < n; ++r) {
          for (int c = 0; c < margins; ++c) row[c] = m[r * margins + c];
          outputs.prediction(r) = LogisticOutputs(row.data(), margins, 0.5, outputs.raw(r), outputs.prob(r));
          if (!p.thresholds.empty()) outputs.prediction(r) = ThresholdedPrediction(outputs.prob(r), p.thresholds);
        }
        std::vector<ColumnPtr> cols = b.columns();
        outputs.AppendColumns(p.raw_prediction_col, p.probability_col, p.prediction_col, f, &cols);
        return Batch::Make(out, std::move(cols), n);
      }));
}

Result<std::shared_ptr<const GBDTRegressionModel>> GBDTRegressionModel::Make(Params p,
                                                                            std::shared_ptr<const GbdtBooster> booster,
                                                                            std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("GBDTRegressionModel: no booster");
  if (booster->num_outputs() != 1) {
    return InvalidArgument("GBDTRegressionModel: the booster has " + std::to_string(booster->num_outputs()) +
                           " outputs; a regression model has one");
  }
  return std::shared_ptr<const GBDTRegressionModel>(
      new GBDTRegressionModel(std::move(p), std::move(booster), std::move(uid)));
}

Status GBDTRegressionModel::SaveContents(const std::string& dir) const {
  return SaveBooster(*booster_, dir, Json::MakeObject());
}

Result<std::shared_ptr<const GBDTRegressionModel>> GBDTRegressionModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  Json info;
  EMBER_ASSIGN_OR_RETURN(auto booster, LoadBooster(ctx, &info));
  return Make(std::move(p), std::move(booster), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> GBDTRegressionModel::Bind(const Schema& in) const {
  const std::string owner = "GBDTRegressionModel";
  EMBER_ASSIGN_OR_RETURN(int fcol, FeaturesIndex(in, params_.features_col, booster_->num_features(), owner));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, RegressionSchema(in, params_, owner));
  const auto booster = booster_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, fcol, booster](const Batch& b, KernelScratch&) -> Result<Batch> {
        const Column& f = *b.column(fcol);
        const int64_t n = b.num_rows();
        EMBER_ASSIGN_OR_RETURN(std::vector<float> m, Margins(*booster, f, n));
        BufferBuilder pred_buf;
        pred_buf.ResizeUninitialized(n * 8);
        double* pred = pred_buf.mutable_data_as<double>();
        for (int64_t r = 0; r < n; ++r) pred[r] = RegressionPrediction(booster->objective(), m[r]);
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(NumericColumnFromBuffers(Float64Type(), n, pred_buf.Finish(), CopyValidity(f), f.null_count()));
        return Batch::Make(out, std::move(cols), n);
      }));
}

// Estimators --------------------------------------------------------------------------------

Result<std::shared_ptr<const GBDTClassifier>> GBDTClassifier::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const GBDTClassifier>(new GBDTClassifier(std::move(p), std::move(uid)));
}

Result<SchemaPtr> GBDTClassifier::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(BindColumns(in, "GBDTClassifier", params_).status());
  // The class count is known after fitting; 2 unless the label's nominal attribute says.
  GBDTClassificationModelParams mp;
  mp.features_col = params_.features_col;
  mp.prediction_col = params_.prediction_col;
  mp.raw_prediction_col = params_.raw_prediction_col;
  mp.probability_col = params_.probability_col;
  int k = 2;
  if (auto labels = NominalValues(in.field(in.FindField(params_.label_col))); labels && labels->size() > 2) {
    k = static_cast<int>(labels->size());
  }
  return ClassificationSchema(in, mp, k, "GBDTClassifier");
}

Result<std::shared_ptr<const Transformer>> GBDTClassifier::Fit(const DataFrame& in, const ExecContext& ctx) const {
  const std::string owner = Describe();
  const Params& p = params_;
  EMBER_ASSIGN_OR_RETURN(BoundColumns cols, BindColumns(*in.schema(), owner, p));
  EMBER_ASSIGN_OR_RETURN(TrainingData t, Collect(in, cols, owner, p));
  // Classes 0..k-1 as SparkML numbers them; k from the label's nominal attribute or data.
  int k = 2;
  if (auto labels = NominalValues(in.schema()->field(cols.label)); labels) {
    k = std::max<int>(k, static_cast<int>(labels->size()));
  }
  for (size_t i = 0; i < t.labels.size(); ++i) {
    const float y = t.labels[i];
    if (y < 0 || std::floor(y) != y || y > 1e6) {
      return InvalidArgument(owner + ": column '" + p.label_col + "' row " + std::to_string(i) + ": label " +
                             Json(static_cast<double>(y)).Dump() + " is not a class index (0, 1, 2, ...)");
    }
    k = std::max(k, static_cast<int>(y) + 1);
  }
  std::vector<std::pair<std::string, std::string>> objective;
  if (k > 2 || p.objective == "multiclass") {
    if (p.objective == "binary" && ctx.log) {
      ctx.log->Info(owner + ": " + std::to_string(k) + " classes; training multiclass");
    }
    if (p.is_unbalance) return InvalidArgument(owner + " param 'isUnbalance': only for binary classification");
    objective = {{"objective", "multi:softprob"}, {"num_class", std::to_string(k)}};
  } else {
    // Boost from the average (LightGBM's boost_from_average): base score = weighted positive rate.
    double pos = 0, all = 0;
    for (size_t i = 0; i < t.labels.size(); ++i) {
      const double w = t.weights.empty() ? 1.0 : t.weights[i];
      pos += w * t.labels[i];
      all += w;
    }
    if (all <= 0) return InvalidArgument(owner + ": the weights sum to 0");
    const double rate = std::clamp(pos / all, 1e-6, 1 - 1e-6);
    objective = {{"objective", "binary:logistic"}, {"base_score", std::to_string(rate)}};
    if (p.is_unbalance && pos > 0) objective.emplace_back("scale_pos_weight", std::to_string((all - pos) / pos));
  }
  if (!p.thresholds.empty()) EMBER_RETURN_IF_ERROR(CheckThresholds(p.thresholds, k, owner));
  EMBER_ASSIGN_OR_RETURN(auto params, XgbParams(p, ctx, owner, std::move(objective)));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(t, p, params, ctx, owner));
  GBDTClassificationModel::Params mp;
  mp.features_col = p.features_col;
  mp.prediction_col = p.prediction_col;
  mp.raw_prediction_col = p.raw_prediction_col;
  mp.probability_col = p.probability_col;
  mp.thresholds = p.thresholds;
  EMBER_ASSIGN_OR_RETURN(auto model, GBDTClassificationModel::Make(std::move(mp), std::move(booster), k, uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const GBDTRegressor>> GBDTRegressor::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const GBDTRegressor>(new GBDTRegressor(std::move(p), std::move(uid)));
}

Result<SchemaPtr> GBDTRegressor::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(BindColumns(in, "GBDTRegressor", params_).status());
  GBDTRegressionModelParams mp;
  mp.prediction_col = params_.prediction_col;
  return RegressionSchema(in, mp, "GBDTRegressor");
}

Result<std::shared_ptr<const Transformer>> GBDTRegressor::Fit(const DataFrame& in, const ExecContext& ctx) const {
  const std::string owner = Describe();
  const Params& p = params_;
  EMBER_ASSIGN_OR_RETURN(BoundColumns cols, BindColumns(*in.schema(), owner, p));
  EMBER_ASSIGN_OR_RETURN(TrainingData t, Collect(in, cols, owner, p));
  double sum = 0, all = 0;
  for (size_t i = 0; i < t.labels.size(); ++i) {
    const double w = t.weights.empty() ? 1.0 : t.weights[i];
    const double y = t.labels[i];
    if ((p.objective == "poisson" || p.objective == "tweedie") && y < 0) {
      return InvalidArgument(owner + ": column '" + p.label_col + "' row " + std::to_string(i) +
                             ": objective '" + p.objective + "' needs labels >= 0");
    }
    if (p.objective == "gamma" && y <= 0) {
      return InvalidArgument(owner + ": column '" + p.label_col + "' row " + std::to_string(i) +
                             ": objective 'gamma' needs labels > 0");
    }
    sum += w * y;
    all += w;
  }
  if (all <= 0) return InvalidArgument(owner + ": the weights sum to 0");
  std::vector<std::pair<std::string, std::string>> objective;
  CustomObjective custom;
  const std::string mean = std::to_string(sum / all);
  if (p.objective == "regression") {
    objective = {{"objective", "reg:squarederror"}, {"base_score", mean}};
  } else if (p.objective == "regression_l1") {
    // Boost from the median (the absolute loss's best constant).
    std::vector<float> sorted = t.labels;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    objective = {{"objective", "reg:absoluteerror"}, {"base_score", std::to_string(sorted[sorted.size() / 2])}};
  } else if (p.objective == "huber") {
    // LightGBM's Huber loss: the residual clipped at alpha as gradient, hessian 1 (XGBoost's
    // pseudo-Huber objective has vanishing hessians and diverges without L2).
    const float a = static_cast<float>(p.alpha);
    custom = [a](float margin, float label, float w, float* g, float* h) {
      *g = w * std::clamp(margin - label, -a, a);
      *h = w;
    };
    objective = {{"objective", "reg:squarederror"}, {"base_score", mean}};
  } else if (p.objective == "quantile") {
    // The pinball loss of quantile alpha: gradient -alpha where the margin is below the
    // label, 1 - alpha where it is not, hessian 1 (as LightGBM); boosting starts from the
    // labels' alpha-quantile.
    if (!(p.alpha > 0 && p.alpha < 1)) {
      return InvalidArgument(owner + " param 'alpha': the quantile must be in (0, 1), got " + Json(p.alpha).Dump());
    }
    const float a = static_cast<float>(p.alpha);
    custom = [a](float margin, float label, float w, float* g, float* h) {
      *g = w * (margin >= label ? 1.0f - a : -a);
      *h = w;
    };
    std::vector<float> sorted = t.labels;
    const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(p.alpha * static_cast<double>(sorted.size())));
    std::nth_element(sorted.begin(), sorted.begin() + at, sorted.end());
    objective = {{"objective", "reg:squarederror"}, {"base_score", std::to_string(sorted[at])}};
  } else if (p.objective == "poisson") {
    objective = {{"objective", "count:poisson"}, {"base_score", std::to_string(std::max(sum / all, 1e-6))}};
  } else if (p.objective == "tweedie") {
    objective = {{"objective", "reg:tweedie"},
                 {"tweedie_variance_power", std::to_string(p.tweedie_variance_power)},
                 {"base_score", std::to_string(std::max(sum / all, 1e-6))}};
  } else {
    objective = {{"objective", "reg:gamma"}, {"base_score", mean}};
  }
  EMBER_ASSIGN_OR_RETURN(auto params, XgbParams(p, ctx, owner, std::move(objective)));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(t, p, params, ctx, owner, custom));
  GBDTRegressionModel::Params mp;
  mp.features_col = p.features_col;
  mp.prediction_col = p.prediction_col;
  EMBER_ASSIGN_OR_RETURN(auto model, GBDTRegressionModel::Make(std::move(mp), std::move(booster), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Status RegisterGbdtStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<GBDTClassifier>(r, "Gradient-boosted trees for classification (XGBoost, LightGBM-style params)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<GBDTClassificationModel>(r, "A fitted GBDTClassifier."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<GBDTRegressor>(r, "Gradient-boosted trees for regression (XGBoost, LightGBM-style params)."));
  return RegisterStage<GBDTRegressionModel>(r, "A fitted GBDTRegressor.");
}

}  // namespace ember
