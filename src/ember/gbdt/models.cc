// The fitted GBDT models: the booster wrapper, scoring, save and load.
#include <algorithm>
#include <cmath>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/gbdt/internal/common.h"
#include "ember/gbdt/tree_evaluator.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace gbdt::internal {

using gbdt::TreeEvaluator;
using gbdt::XgbBooster;
using gbdt::XgbMatrix;
using gbdt::XgbPrediction;

namespace {

// XGBoost's JSON writes non-finite numbers as bare NaN, Infinity and -Infinity (categorical
// splits have a NaN threshold), which standard JSON does not allow: they become null.
std::string StandardJson(std::string text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    for (const std::string_view token :
         {std::string_view("-Infinity"), std::string_view("Infinity"), std::string_view("NaN")}) {
      if (text.compare(i, token.size(), token) == 0) {
        out += "null";
        i += token.size();
        break;
      }
    }
    if (i < text.size()) out += text[i];
  }
  return out;
}

// Margins from the compiled trees: each row as a float vector (NaN for missing: sparse
// entries not stored, as XGBoost reads CSR).
std::vector<float> CompiledMargins(const TreeEvaluator& e, const Column& f, int64_t n) {
  const int64_t d = e.num_features();
  const int k = e.num_outputs();
  std::vector<float> out(static_cast<size_t>(n * k));
  thread_local std::vector<float> row;
  row.assign(static_cast<size_t>(d), f.type()->sparse() ? NAN : 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    if (f.IsNull(r)) {  // scored on zeros (sparse: all missing); the row's outputs are null
      if (!f.type()->sparse()) std::fill(row.begin(), row.end(), 0.0f);
      e.Predict(row.data(), out.data() + r * k);
      continue;
    }
    if (f.type()->sparse()) {
      auto idx = f.SparseIndices(r);
      auto val = f.SparseValues(r);
      for (size_t i = 0; i < idx.size(); ++i) row[idx[i]] = static_cast<float>(val[i]);
      e.Predict(row.data(), out.data() + r * k);
      for (int32_t j : idx) row[j] = NAN;
    } else {
      const double* x = f.DenseRow(r).data();
      for (int64_t j = 0; j < d; ++j) row[j] = static_cast<float>(x[j]);
      e.Predict(row.data(), out.data() + r * k);
    }
  }
  return out;
}

// An XGBoost matrix of a batch's feature column: sparse vectors as CSR (absent entries
// missing, as in training), dense as a dense matrix; null rows as empty rows.
Result<XgbMatrix> FeatureMatrix(const GbdtBooster& booster, const Column& f, int64_t n) {
  const int64_t d = booster.num_features();
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
    return XgbMatrix::FromCsr(indptr, indices, values, d);
  }
  std::vector<float> dense(static_cast<size_t>(n * d), 0.0f);
  for (int64_t r = 0; r < n; ++r) {
    if (f.IsNull(r)) continue;
    auto v = f.DenseRow(r);
    for (int64_t j = 0; j < d; ++j) dense[r * d + j] = static_cast<float>(v[j]);
  }
  return XgbMatrix::FromDense(dense.data(), n, d, 1);
}

// The objective's link from margin to prediction (regression objectives with a log link).
double RegressionPrediction(const std::string& objective, float margin) {
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") {
    return std::exp(static_cast<double>(margin));
  }
  return margin;
}

Result<SchemaPtr> ClassificationSchema(const Schema& in, const GBDTClassificationModelParams& p,
                                       int k, const std::string& owner,
                                       const std::vector<std::string>& labels) {
  EMBER_RETURN_IF_ERROR(CheckNewColumns(
      in, {p.raw_prediction_col, p.probability_col, p.model.prediction_col}, owner));
  std::vector<Field> fields = in.fields();
  if (!p.raw_prediction_col.empty())
    fields.push_back(MakeField(p.raw_prediction_col, DenseVectorType(k)));
  if (!p.probability_col.empty())
    fields.push_back(MakeField(p.probability_col, DenseVectorType(k)));
  fields.push_back(MakeField(p.model.prediction_col, Float64Type()));
  if (!labels.empty()) SetNominalValues(&fields.back(), labels);
  return Schema::Make(std::move(fields), in.metadata());
}

}  // namespace

Status CheckThresholds(const std::vector<double>& t, int k, const std::string& owner) {
  if (t.empty()) return Status::OK();
  if (static_cast<int>(t.size()) != k) {
    return InvalidArgument(owner + " param 'thresholds': has " + std::to_string(t.size()) +
                           " values for " + std::to_string(k) + " classes");
  }
  int zeros = 0;
  for (double v : t) {
    if (!(v >= 0)) return InvalidArgument(owner + " param 'thresholds': values must be >= 0");
    zeros += v == 0;
  }
  if (zeros > 1) return InvalidArgument(owner + " param 'thresholds': at most one may be 0");
  return Status::OK();
}

// The booster's raw outputs (margins, rows x outputs) for a batch's feature column. Sparse
// vectors are scored as XGBoost sparse rows (absent entries missing), as they were trained.
Result<std::vector<float>> Margins(const GbdtBooster& booster, const Column& f, int64_t n) {
  if (booster.evaluator()) return CompiledMargins(*booster.evaluator(), f, n);
  const int64_t d = booster.num_features();
  const XgbBooster& x = booster.xgb();
  XgbPrediction pred;
  if (f.type()->sparse()) {
    EMBER_ASSIGN_OR_RETURN(XgbMatrix m, FeatureMatrix(booster, f, n));
    EMBER_ASSIGN_OR_RETURN(pred, x.Predict(m, 1, 0, 0));
  } else {
    std::vector<float> dense(static_cast<size_t>(n * d), 0.0f);
    for (int64_t r = 0; r < n; ++r) {
      if (f.IsNull(r)) continue;  // scored on zeros; the row's outputs are null
      auto v = f.DenseRow(r);
      for (int64_t j = 0; j < d; ++j) dense[r * d + j] = static_cast<float>(v[j]);
    }
    EMBER_ASSIGN_OR_RETURN(pred, x.PredictDense(dense.data(), n, d, 1, 0));
  }
  const int k = booster.num_outputs();
  if (static_cast<int64_t>(pred.values.size()) != n * k) {
    return Internal("XGBoost returned " + std::to_string(pred.values.size()) + " margins for " +
                    std::to_string(n) + " rows of " + std::to_string(k) + " outputs");
  }
  return std::move(pred.values);
}

Result<int> FeaturesIndex(const Schema& in, const std::string& col, int64_t d,
                          const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(
      int i,
      in.GetFieldIndexOfType(
          col, [](const DataType& t) { return t.id() == TypeId::kVector; }, "a vector column"));
  const int64_t have = in.field(i).type->vector_size();
  if (have != d) {
    return InvalidArgument(owner + ": column '" + col + "' has " + std::to_string(have) +
                           " features but the model was fitted on " + std::to_string(d));
  }
  return i;
}

Status CheckNewColumns(const Schema& in, const std::vector<std::string>& cols,
                       const std::string& owner) {
  for (const auto& c : cols) {
    if (!c.empty() && in.FindField(c) >= 0) {
      return AlreadyExists(owner + ": output column '" + c + "' already exists");
    }
  }
  return Status::OK();
}

namespace {

StateSpec<BoosterState>& BoosterFields(StateSpec<BoosterState>& spec) {
  return spec.Field("format", &BoosterState::format)
      .Field("xgboostVersion", &BoosterState::xgboost_version)
      .Blob("model.ubj", &BoosterState::bytes);
}

}  // namespace

// Format version 1 had no labels; version 2 keeps the label column's nominal values.
StateSpec<BoosterState> ClassificationState(const std::string& type_name) {
  StateSpec<BoosterState> s(type_name, "model.json", 2);
  BoosterFields(s.Field("numClasses", &BoosterState::num_classes, InRange<int32_t>(2, 1000000))
                    .Field("labels", &BoosterState::labels));
  s.Upgrade([](int from, Json* fields) {
    if (from == 1) fields->Set("labels", Json::MakeArray());  // saved before labels were kept
    return Status::OK();
  });
  return s;
}

StateSpec<BoosterState> RegressionState(const std::string& type_name) {
  StateSpec<BoosterState> s(type_name, "model.json", 1);
  BoosterFields(s);
  return s;
}

Status SaveBooster(const StateSpec<BoosterState>& spec, const GbdtBooster& b, int num_classes,
                   const std::string& dir, std::vector<std::string> labels) {
  return spec.Save({.num_classes = num_classes,
                    .labels = std::move(labels),
                    .xgboost_version = gbdt::XgboostVersion(),
                    .bytes = b.bytes()},
                   dir);
}

Result<std::shared_ptr<const GbdtBooster>> LoadBooster(const StateSpec<BoosterState>& spec,
                                                       const LoadContext& ctx, int* num_classes,
                                                       std::vector<std::string>* labels) {
  EMBER_ASSIGN_OR_RETURN(BoosterState s, spec.Load(ctx));
  if (num_classes != nullptr) *num_classes = s.num_classes;
  if (labels != nullptr) *labels = std::move(s.labels);
  return GbdtBooster::FromBytes(std::move(s.bytes), ctx.dir + "/data/model.ubj");
}

Result<SchemaPtr> AddExtraOutputs(const Schema& in, const GbdtModelParams& p,
                                  const GbdtBooster& booster, const std::string& owner) {
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {p.leaf_prediction_col, p.features_shap_col}, owner));
  std::vector<Field> fields = in.fields();
  if (!p.leaf_prediction_col.empty()) {
    fields.push_back(MakeField(p.leaf_prediction_col, DenseVectorType(booster.num_trees())));
  }
  if (!p.features_shap_col.empty()) {
    fields.push_back(MakeField(p.features_shap_col, DenseVectorType(booster.num_outputs() *
                                                                    (booster.num_features() + 1))));
  }
  return Schema::Make(std::move(fields), in.metadata());
}

Status AppendExtraOutputs(const GbdtModelParams& p, const GbdtBooster& booster,
                          const Column& features, int64_t n, std::vector<ColumnPtr>* cols) {
  if (p.leaf_prediction_col.empty() && p.features_shap_col.empty()) return Status::OK();
  EMBER_ASSIGN_OR_RETURN(XgbMatrix m, FeatureMatrix(booster, features, n));
  auto add = [&](int type, int64_t width) -> Status {
    EMBER_ASSIGN_OR_RETURN(XgbPrediction pred, booster.xgb().Predict(m, type, 0, 0));
    if (static_cast<int64_t>(pred.values.size()) != n * width) {
      return Internal("XGBoost returned " + std::to_string(pred.values.size()) + " values for " +
                      std::to_string(n) + " rows of " + std::to_string(width));
    }
    BufferBuilder values;
    values.ResizeUninitialized(n * width * 8);
    double* v = values.mutable_data_as<double>();
    for (int64_t i = 0; i < n * width; ++i) v[i] = pred.values[i];
    cols->push_back(DenseVectorColumnFromBuffers(width, n, values.Finish(), CopyValidity(features),
                                                 features.null_count()));
    return Status::OK();
  };
  if (!p.leaf_prediction_col.empty()) EMBER_RETURN_IF_ERROR(add(6, booster.num_trees()));
  if (!p.features_shap_col.empty()) {
    EMBER_RETURN_IF_ERROR(add(2, booster.num_outputs() * (booster.num_features() + 1)));
  }
  return Status::OK();
}

// The trees as a row-level lowering (pipeline/row_lowering.h), without the outputs;
// FailedPrecondition when the fused loop cannot give what the stage does.
Result<RowLowering> TreesLowering(const GbdtModelParams& p, const GbdtBooster& booster,
                                  const std::string& owner) {
  if (!booster.evaluator()) {
    return FailedPrecondition(owner + "'s trees are not compiled (" + booster.compile_problem() +
                              ")");
  }
  if (!p.leaf_prediction_col.empty() || !p.features_shap_col.empty()) {
    return FailedPrecondition(owner + " adds leaf predictions or SHAP values");
  }
  return RowLowering{.kind = RowLowering::Kind::kTrees,
                     .input = p.features_col,
                     .num_classes = 0,
                     .prediction_col = p.prediction_col,
                     .scorer = booster.evaluator()};
}

// Regression and ranking: the prediction is the margin through the objective's link.
Result<std::unique_ptr<BoundTransform>> BindScores(const Schema& in, const GbdtModelParams& params,
                                                   std::shared_ptr<const GbdtBooster> booster,
                                                   const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(int fcol,
                         FeaturesIndex(in, params.features_col, booster->num_features(), owner));
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {params.prediction_col}, owner));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr base,
                         in.AddField(MakeField(params.prediction_col, Float64Type())));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, AddExtraOutputs(*base, params, *booster, owner));
  const GbdtModelParams p = params;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, fcol, p, booster](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(fcol);
        const int64_t n = b.num_rows();
        EMBER_ASSIGN_OR_RETURN(std::vector<float> m, Margins(*booster, f, n));
        BufferBuilder pred_buf;
        pred_buf.ResizeUninitialized(n * 8);
        double* pred = pred_buf.mutable_data_as<double>();
        for (int64_t r = 0; r < n; ++r) pred[r] = RegressionPrediction(booster->objective(), m[r]);
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(NumericColumnFromBuffers(Float64Type(), n, pred_buf.Finish(),
                                                CopyValidity(f), f.null_count()));
        EMBER_RETURN_IF_ERROR(AppendExtraOutputs(p, *booster, f, n, &cols));
        return Batch::Make(out, std::move(cols), n);
      }));
}

Result<RowLowering> ScoresLowering(const GbdtModelParams& params, const GbdtBooster& booster,
                                   const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(RowLowering low, TreesLowering(params, booster, owner));
  low.exp_link = RegressionPrediction(booster.objective(), 0.0f) != 0.0;  // exp(0) = 1
  return low;
}

Result<std::unique_ptr<BoundTransform>> BindClassification(
    const Schema& in, const GBDTClassificationModelParams& params,
    std::shared_ptr<const GbdtBooster> booster, int k, const std::vector<std::string>& labels,
    std::optional<VoteLink> votes, const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(
      int fcol, FeaturesIndex(in, params.model.features_col, booster->num_features(), owner));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr base, ClassificationSchema(in, params, k, owner, labels));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, AddExtraOutputs(*base, params.model, *booster, owner));
  const GBDTClassificationModelParams p = params;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, fcol, k, p, booster, votes](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(fcol);
        const int64_t n = b.num_rows();
        EMBER_ASSIGN_OR_RETURN(std::vector<float> m, Margins(*booster, f, n));
        ClassifierOutputs outputs(n, k);
        const int margins = k == 2 ? 1 : k;
        std::vector<double> row(static_cast<size_t>(margins));
        for (int64_t r = 0; r < n; ++r) {
          for (int c = 0; c < margins; ++c) row[c] = m[r * margins + c];
          outputs.prediction(r) =
              votes ? VoteOutputs(row.data(), margins, *votes, 0.5, outputs.raw(r), outputs.prob(r))
                    : LogisticOutputs(row.data(), margins, 0.5, outputs.raw(r), outputs.prob(r));
          if (!p.thresholds.empty())
            outputs.prediction(r) = ThresholdedPrediction(outputs.prob(r), p.thresholds);
        }
        std::vector<ColumnPtr> cols = b.columns();
        outputs.AppendColumns(p.raw_prediction_col, p.probability_col, p.model.prediction_col, f,
                              &cols);
        EMBER_RETURN_IF_ERROR(AppendExtraOutputs(p.model, *booster, f, n, &cols));
        return Batch::Make(out, std::move(cols), n);
      }));
}

Result<RowLowering> ClassificationLowering(const GBDTClassificationModelParams& params,
                                           const GbdtBooster& booster, int k, const VoteLink* votes,
                                           const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(RowLowering low, TreesLowering(params.model, booster, owner));
  low.num_classes = k;
  low.thresholds = &params.thresholds;
  low.raw_prediction_col = params.raw_prediction_col;
  low.probability_col = params.probability_col;
  low.votes = votes;
  return low;
}

}  // namespace gbdt::internal

using namespace gbdt::internal;  // NOLINT: this file implements the models on these helpers

GbdtBooster::~GbdtBooster() = default;

Result<std::shared_ptr<const GbdtBooster>> GbdtBooster::FromBytes(std::string bytes,
                                                                  const std::string& source) {
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
  Result<Json> model = Json::Parse(StandardJson(std::move(json)));
  if (!model.ok())
    return DataLoss(source +
                    ": the XGBoost model's JSON does not parse: " + model.status().message());
  const Json* learner = model->Find("learner");
  const Json* objective = learner ? learner->Find("objective") : nullptr;
  const Json* name = objective ? objective->Find("name") : nullptr;
  const Json* lmp = learner ? learner->Find("learner_model_param") : nullptr;
  const Json* classes = lmp ? lmp->Find("num_class") : nullptr;
  if (!name || !name->is_string() || !classes || !classes->is_string()) {
    return DataLoss(source + ": the XGBoost model has no objective or class count");
  }
  b->objective_ = name->as_string();
  const Json* gb = learner->Find("gradient_booster");
  if (gb && gb->Find("gbtree")) gb = gb->Find("gbtree");  // dart wraps a gbtree
  const Json* gb_model = gb ? gb->Find("model") : nullptr;
  const Json* trees = gb_model ? gb_model->Find("trees") : nullptr;
  if (!trees || !trees->is_array())
    return DataLoss(source + ": the XGBoost model has no trees array");
  b->num_trees_ = static_cast<int>(trees->as_array().size());
  Result<TreeEvaluator> evaluator = TreeEvaluator::FromModelJson(*model);
  if (evaluator.ok()) {
    b->evaluator_ = std::make_unique<TreeEvaluator>(std::move(*evaluator));
  } else {
    b->compile_problem_ = evaluator.status().message();
  }
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
    return InvalidArgument("feature importance type must be \"gain\" or \"split\", got \"" + type +
                           "\"");
  }
  EMBER_ASSIGN_OR_RETURN(auto scores, booster_->FeatureScore(xgb_type));
  std::vector<double> out(static_cast<size_t>(num_features_), 0.0);
  for (const auto& [j, s] : scores) {
    if (j >= 0 && j < num_features_) out[j] = s;
  }
  return out;
}

Result<std::shared_ptr<const GBDTClassificationModel>> GBDTClassificationModel::Make(
    Params p, std::shared_ptr<const GbdtBooster> booster, int num_classes, std::string uid,
    std::vector<std::string> labels) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("GBDTClassificationModel: no booster");
  const int outputs = num_classes > 2 ? num_classes : 1;
  if (num_classes < 2 || booster->num_outputs() != outputs) {
    return InvalidArgument(
        "GBDTClassificationModel: the booster has " + std::to_string(booster->num_outputs()) +
        " outputs, which does not fit " + std::to_string(num_classes) + " classes");
  }
  EMBER_RETURN_IF_ERROR(CheckThresholds(p.thresholds, num_classes, "GBDTClassificationModel"));
  return std::shared_ptr<const GBDTClassificationModel>(new GBDTClassificationModel(
      std::move(p), std::move(booster), num_classes, std::move(uid), std::move(labels)));
}

Status GBDTClassificationModel::SaveContents(const std::string& dir) const {
  return SaveBooster(ClassificationState("GBDTClassificationModel"), *booster_, num_classes_, dir,
                     labels_);
}

Result<std::shared_ptr<const GBDTClassificationModel>> GBDTClassificationModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  int k = 0;
  std::vector<std::string> labels;
  EMBER_ASSIGN_OR_RETURN(
      auto booster, LoadBooster(ClassificationState("GBDTClassificationModel"), ctx, &k, &labels));
  return Make(std::move(p), std::move(booster), k, ctx.uid, std::move(labels));
}

Result<std::unique_ptr<BoundTransform>> GBDTClassificationModel::Bind(const Schema& in) const {
  return BindClassification(in, params_, booster_, num_classes_, labels_, std::nullopt,
                            "GBDTClassificationModel");
}

Result<RowLowering> GBDTClassificationModel::Lower(const Schema&) const {
  return ClassificationLowering(params_, *booster_, num_classes_, nullptr,
                                "GBDTClassificationModel");
}

Result<std::shared_ptr<const GBDTRegressionModel>> GBDTRegressionModel::Make(
    Params p, std::shared_ptr<const GbdtBooster> booster, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("GBDTRegressionModel: no booster");
  if (booster->num_outputs() != 1) {
    return InvalidArgument("GBDTRegressionModel: the booster has " +
                           std::to_string(booster->num_outputs()) +
                           " outputs; a regression model has one");
  }
  return std::shared_ptr<const GBDTRegressionModel>(
      new GBDTRegressionModel(std::move(p), std::move(booster), std::move(uid)));
}

Status GBDTRegressionModel::SaveContents(const std::string& dir) const {
  return SaveBooster(RegressionState("GBDTRegressionModel"), *booster_, 0, dir);
}

Result<std::shared_ptr<const GBDTRegressionModel>> GBDTRegressionModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(auto booster, LoadBooster(RegressionState("GBDTRegressionModel"), ctx));
  return Make(std::move(p), std::move(booster), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> GBDTRegressionModel::Bind(const Schema& in) const {
  return BindScores(in, params_.model, booster_, "GBDTRegressionModel");
}

Result<RowLowering> GBDTRegressionModel::Lower(const Schema&) const {
  return ScoresLowering(params_.model, *booster_, "GBDTRegressionModel");
}

Result<std::shared_ptr<const GBDTRankerModel>> GBDTRankerModel::Make(
    Params p, std::shared_ptr<const GbdtBooster> booster, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("GBDTRankerModel: no booster");
  if (booster->num_outputs() != 1) {
    return InvalidArgument("GBDTRankerModel: the booster has " +
                           std::to_string(booster->num_outputs()) + " outputs; a ranker has one");
  }
  return std::shared_ptr<const GBDTRankerModel>(
      new GBDTRankerModel(std::move(p), std::move(booster), std::move(uid)));
}

Status GBDTRankerModel::SaveContents(const std::string& dir) const {
  return SaveBooster(RegressionState("GBDTRankerModel"), *booster_, 0, dir);
}

Result<std::shared_ptr<const GBDTRankerModel>> GBDTRankerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(auto booster, LoadBooster(RegressionState("GBDTRankerModel"), ctx));
  return Make(std::move(p), std::move(booster), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> GBDTRankerModel::Bind(const Schema& in) const {
  return BindScores(in, params_.model, booster_, "GBDTRankerModel");
}

Result<RowLowering> GBDTRankerModel::Lower(const Schema&) const {
  return ScoresLowering(params_.model, *booster_, "GBDTRankerModel");
}

Result<std::shared_ptr<const Transformer>> ImportXgboostModel(const std::string& path,
                                                              const GbdtModelParams& params) {
  Result<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  EMBER_ASSIGN_OR_RETURN(auto booster, GbdtBooster::FromBytes(std::move(*bytes), path));
  const std::string& objective = booster->objective();
  auto named = [&](auto model) -> Result<std::shared_ptr<const Transformer>> {
    if (!model.ok()) return model.status().WithContext(path);
    return std::shared_ptr<const Transformer>(std::move(*model));
  };
  if (objective.rfind("binary:", 0) == 0 || objective.rfind("multi:", 0) == 0) {
    GBDTClassificationModel::Params p{.model = params};
    const int classes = booster->num_outputs() > 1 ? booster->num_outputs() : 2;
    return named(GBDTClassificationModel::Make(std::move(p), std::move(booster), classes));
  }
  if (objective.rfind("rank:", 0) == 0) {
    GBDTRankerModel::Params p{.model = params};
    return named(GBDTRankerModel::Make(std::move(p), std::move(booster)));
  }
  GBDTRegressionModel::Params p{.model = params};
  return named(GBDTRegressionModel::Make(std::move(p), std::move(booster)));
}

}  // namespace ember
