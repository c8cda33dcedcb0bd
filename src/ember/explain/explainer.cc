#include "ember/explain/explainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/explain/internal/kernel_shap.h"
#include "ember/explain/internal/solvers.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"

namespace ember::explain {

using internal::Design;

Validator<double> Positive() {
  return {[](const double& v) { return v > 0 ? Status::OK() : InvalidArgument("must be > 0"); },
          "> 0"};
}

Validator<double> OpenFraction() {
  return {[](const double& v) {
            return v > 0 && v < 1 ? Status::OK() : InvalidArgument("must be in (0, 1)");
          },
          "in (0, 1)"};
}

const ParamSpec<ExplainParams>& ExplainParams::Spec() {
  using P = ExplainParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Explainer")
          .Add("model", &P::model,
               "The fitted model to explain: the directory it was saved to (saved again inside "
               "the explainer's directory).")
          .Add("targetCol", &P::target_col,
               "The model output to explain: a number, a vector or a list of numbers.",
               NonEmpty<std::string>())
          .Add("targetClasses", &P::target_classes,
               "The elements of a vector or list target to explain; empty: every element.",
               Each(AtLeast<int32_t>(0)))
          .Add("targetClassesCol", &P::target_classes_col,
               "A list<int> column of per-row classes, overriding targetClasses.")
          .Add("outputCol", &P::output_col, "One explanation per class, in class order.",
               NonEmpty<std::string>())
          .Add("metricsCol", &P::metrics_col,
               "The R^2 of each class's surrogate regression (list<float64>).",
               NonEmpty<std::string>())
          .Add("errorCol", &P::error_col,
               "Why a row could not be explained (its outputs are then null).",
               NonEmpty<std::string>())
          .Add("numSamples", &P::num_samples, "Perturbed samples per row; 0: the method's default.",
               AtLeast<int32_t>(0))
          .Add("seed", &P::seed,
               "Seeds every row's generator together with a hash of the row's explained "
               "values."));
  return spec;
}

const ParamSpec<LimeParams>& LimeParams::Spec() {
  using P = LimeParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("LIME")
                    .Add("regularization", &P::regularization,
                         "The Lasso's alpha of the surrogate; 0: weighted least squares.",
                         AtLeast<double>(0.0))
                    .Add("kernelWidth", &P::kernel_width,
                         "Sample weight = sqrt(exp(-(distance / kernelWidth)^2)).", Positive()));
  return spec;
}

namespace {

bool IsNumeric(TypeId t) {
  return t == TypeId::kFloat64 || t == TypeId::kFloat32 || t == TypeId::kInt32 ||
         t == TypeId::kInt64 || t == TypeId::kBool;
}

// Element `k` of row `r` of a target column; false when the row is null or has no such
// element.
bool TargetValue(const Column& c, TypeId type, int64_t r, int k, double* out) {
  if (c.IsNull(r)) return false;
  switch (type) {
    case TypeId::kVector: {
      if (c.type()->sparse()) {
        if (k >= c.type()->vector_size()) return false;
        auto idx = c.SparseIndices(r);
        auto it = std::lower_bound(idx.begin(), idx.end(), k);
        *out = it != idx.end() && *it == k ? c.SparseValues(r)[it - idx.begin()] : 0.0;
        return true;
      }
      auto row = c.DenseRow(r);
      if (k >= static_cast<int>(row.size())) return false;
      *out = row[k];
      return true;
    }
    case TypeId::kList: {
      const int32_t* o = c.Offsets();
      if (k >= o[r + 1] - o[r]) return false;
      const Column& values = *c.child(0);
      if (values.IsNull(o[r] + k)) return false;
      *out = NumericValue(values, o[r] + k);
      return true;
    }
    default:
      if (k != 0) return false;
      *out = NumericValue(c, r);
      return true;
  }
}

int TargetLength(const Column& c, TypeId type, int64_t r) {
  if (c.IsNull(r)) return 0;
  if (type == TypeId::kVector) return static_cast<int>(c.type()->vector_size());
  if (type == TypeId::kList) return c.Offsets()[r + 1] - c.Offsets()[r];
  return 1;
}

}  // namespace

Result<std::unique_ptr<ModelScorer>> ModelScorer::Bind(std::shared_ptr<const Transformer> model,
                                                       const Schema& in, const ExplainParams& p,
                                                       const std::string& who) {
  std::unique_ptr<ModelScorer> s(new ModelScorer());
  s->who_ = who;
  s->target_name_ = p.target_col;
  Result<SchemaPtr> made = model->TransformSchema(in);
  if (!made.ok()) return made.status().WithContext(who + ": the model does not bind to its input");
  if ((*made)->FindField(p.target_col) < 0) {
    return InvalidArgument(who + ": param 'targetCol': the model has no output '" + p.target_col +
                           "' (its columns: " + (*made)->ToString() + ")");
  }
  // Bound for the target alone: a pipeline then computes only what leads to it, fused into
  // one loop per row where it can (pipeline/fusion.h), and materializes nothing else.
  EMBER_ASSIGN_OR_RETURN(s->pipeline_, PipelineModel::Make({model}));
  // Only the columns the target needs reach the model: a label that only training read (a
  // StringIndexer of it) would otherwise fail on rows without one.
  s->required_ = RequiredColumns(*s->pipeline_, in, p.target_col);
  std::vector<Field> kept;
  for (int c : s->required_) kept.push_back(in.field(c));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr needed, Schema::Make(std::move(kept), in.metadata()));
  const std::string targets[] = {p.target_col};
  Result<std::unique_ptr<BoundTransform>> bound = s->pipeline_->BindSelect(*needed, targets);
  if (!bound.ok()) {
    return bound.status().WithContext(who + ": the model does not bind to its input");
  }
  s->bound_ = std::move(*bound);
  s->needed_schema_ = needed;
  s->target_ = s->bound_->output_schema()->FindField(p.target_col);
  const DataType& t = *s->bound_->output_schema()->field(s->target_).type;
  s->target_type_ = t.id();
  const bool list_of_numbers = t.id() == TypeId::kList && IsNumeric(t.value_type()->id());
  if (!IsNumeric(t.id()) && t.id() != TypeId::kVector && !list_of_numbers) {
    return InvalidArgument(who + ": param 'targetCol': '" + p.target_col + "' is " + t.ToString() +
                           "; explainers explain a number, a vector or a list of numbers");
  }
  if (IsNumeric(t.id())) {
    for (int32_t k : p.target_classes) {
      if (k != 0) {
        return InvalidArgument(who + ": param 'targetClasses': class " + std::to_string(k) +
                               " of '" + p.target_col + "', which is a number (only class 0)");
      }
    }
  } else if (t.id() == TypeId::kVector) {
    for (int32_t k : p.target_classes) {
      if (k >= t.vector_size()) {
        return InvalidArgument(who + ": param 'targetClasses': class " + std::to_string(k) +
                               " is out of range: '" + p.target_col + "' is " + t.ToString());
      }
    }
  }
  s->fixed_classes_.assign(p.target_classes.begin(), p.target_classes.end());
  if (!p.target_classes_col.empty()) {
    s->classes_col_ = in.FindField(p.target_classes_col);
    if (s->classes_col_ < 0) {
      return InvalidArgument(who + ": param 'targetClassesCol': no column '" +
                             p.target_classes_col + "'");
    }
    const DataType& ct = *in.field(s->classes_col_).type;
    if (ct.id() != TypeId::kList ||
        (ct.value_type()->id() != TypeId::kInt32 && ct.value_type()->id() != TypeId::kInt64)) {
      return InvalidArgument(who + ": param 'targetClassesCol': '" + p.target_classes_col +
                             "' is " + ct.ToString() + ", not a list of ints");
    }
  }
  return s;
}

std::vector<int> RequiredColumns(const PipelineModel& model, const Schema& in,
                                 const std::string& target) {
  std::vector<int> out;
  const std::string targets[] = {target};
  for (int i = 0; i < in.num_fields(); ++i) {
    std::vector<Field> others = in.fields();
    others.erase(others.begin() + i);
    Result<SchemaPtr> without = Schema::Make(std::move(others), in.metadata());
    if (!without.ok() || !model.BindSelect(**without, targets, {.fuse = false}).ok()) {
      out.push_back(i);
    }
  }
  return out;
}

Batch ModelScorer::Needed(const Batch& rows) const {
  std::vector<ColumnPtr> cols;
  for (int c : required_) cols.push_back(rows.column(c));
  return *Batch::Make(needed_schema_, std::move(cols), rows.num_rows());
}

Status ModelScorer::Score(const Batch& rows, int64_t group, std::span<const int> classes,
                          KernelScratch& scratch, std::vector<double>* out) const {
  EMBER_ASSIGN_OR_RETURN(Batch scored, bound_->Apply(Needed(rows), scratch));
  if (scored.num_rows() != rows.num_rows()) {
    return FailedPrecondition(who_ + ": the model gave " + std::to_string(scored.num_rows()) +
                              " rows for " + std::to_string(rows.num_rows()) +
                              " samples; a model that drops or adds rows cannot be explained");
  }
  const Column& c = *scored.column(target_);
  const int64_t groups = rows.num_rows() / group;
  for (int64_t g = 0; g < groups; ++g) {
    for (int k : classes) {
      double sum = 0;
      for (int64_t r = g * group; r < (g + 1) * group; ++r) {
        double v;
        if (!TargetValue(c, target_type_, r, k, &v)) {
          return InvalidArgument(who_ + ": the model's '" + target_name_ + "' is null or has no " +
                                 "element " + std::to_string(k) + " for a perturbed sample");
        }
        sum += v;
      }
      out->push_back(sum / static_cast<double>(group));
    }
  }
  return Status::OK();
}

Result<std::vector<int>> ModelScorer::Classes(const Batch& in, int64_t r,
                                              KernelScratch& scratch) const {
  std::vector<int> classes;
  if (classes_col_ >= 0) {
    const Column& c = *in.column(classes_col_);
    if (c.IsNull(r)) return InvalidArgument("targetClassesCol is null in this row");
    const int32_t* o = c.Offsets();
    for (int64_t i = o[r]; i < o[r + 1]; ++i) {
      classes.push_back(static_cast<int>(NumericValue(*c.child(0), i)));
    }
  } else {
    classes = fixed_classes_;
  }
  EMBER_ASSIGN_OR_RETURN(Batch scored, bound_->Apply(Needed(in.Slice(r, 1)), scratch));
  const Column& t = *scored.column(target_);
  const int length = TargetLength(t, target_type_, 0);
  if (length == 0) {
    return InvalidArgument("the model's '" + target_name_ + "' is null for this row");
  }
  if (classes.empty()) {
    for (int k = 0; k < length; ++k) classes.push_back(k);
  }
  for (int k : classes) {
    if (k < 0 || k >= length) {
      return InvalidArgument("class " + std::to_string(k) + " is out of range: the model's '" +
                             target_name_ + "' has " + std::to_string(length) +
                             " element(s) for this row");
    }
  }
  return classes;
}

Result<std::vector<double>> ScoreSamples(const ModelScorer& scorer, KernelScratch& scratch,
                                         int64_t count, int64_t group, const SampleRows& build,
                                         std::span<const int> classes) {
  constexpr int64_t kBlockRows = 4096;
  const int64_t per_block = std::max<int64_t>(1, kBlockRows / std::max<int64_t>(1, group));
  std::vector<double> values;
  values.reserve(static_cast<size_t>(count) * classes.size());
  for (int64_t from = 0; from < count; from += per_block) {
    const int64_t to = std::min(count, from + per_block);
    EMBER_ASSIGN_OR_RETURN(Batch rows, build(from, to));
    EMBER_RETURN_IF_ERROR(scorer.Score(rows, group, classes, scratch, &values));
  }
  return values;
}

Status CheckShapSamples(int64_t num_samples, int m) {
  if (num_samples > 0 && num_samples < internal::MinShapSamples(m)) {
    return InvalidArgument("param 'numSamples': " + std::to_string(num_samples) +
                           " is below Kernel SHAP's minimum of " +
                           std::to_string(internal::MinShapSamples(m)) + " for " +
                           std::to_string(m) + " features (m + 2)");
  }
  return Status::OK();
}

Result<RowExplanation> ExplainShap(
    const ModelScorer& scorer, KernelScratch& scratch, int m, int64_t num_samples,
    double inf_weight, int64_t group, std::mt19937_64& rng,
    const std::function<Result<Batch>(const uint8_t* masks, int64_t count)>& build,
    std::span<const int> classes) {
  EMBER_RETURN_IF_ERROR(CheckShapSamples(num_samples, m));
  const int64_t budget = internal::ClampShapSamples(
      m, num_samples > 0 ? num_samples : internal::DefaultShapSamples(m));
  const internal::Coalitions c = internal::SampleCoalitions(m, budget, inf_weight, rng);
  EMBER_ASSIGN_OR_RETURN(
      std::vector<double> values,
      ScoreSamples(
          scorer, scratch, c.count, group,
          [&](int64_t from, int64_t to) { return build(c.mask(from), to - from); }, classes));
  RowExplanation e;
  const size_t k = classes.size();
  std::vector<double> y(static_cast<size_t>(c.count));
  for (size_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < c.count; ++i) y[i] = values[i * k + j];
    double r2 = 0;
    e.per_class.push_back(internal::SolveShap(c, y.data(), &r2));
    e.r2.push_back(r2);
  }
  return e;
}

Result<RowExplanation> FitLime(const ModelScorer& scorer, KernelScratch& scratch,
                               const LimeParams& lime, int m, int64_t count,
                               const std::vector<double>& states,
                               const std::vector<double>& distances, const SampleRows& build,
                               std::span<const int> classes) {
  if (count < 2) {
    return InvalidArgument("param 'numSamples': " + std::to_string(count) +
                           " is below LIME's minimum of 2 (the row and one sample)");
  }
  EMBER_ASSIGN_OR_RETURN(std::vector<double> values,
                         ScoreSamples(scorer, scratch, count, 1, build, classes));
  Design d;
  d.n = count;
  d.p = m;
  d.x = states;
  d.w.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const double z = distances[i] / lime.kernel_width;
    d.w[i] = std::sqrt(std::exp(-z * z));
  }
  RowExplanation e;
  const size_t k = classes.size();
  std::vector<double> y(static_cast<size_t>(count));
  for (size_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < count; ++i) y[i] = values[i * k + j];
    internal::LinearFit f = internal::WeightedLasso(d, y.data(), lime.regularization);
    e.per_class.push_back(std::move(f.coef));
    e.r2.push_back(f.r2);
  }
  return e;
}

Result<std::vector<ColumnPtr>> RepeatRow(const Batch& in, int64_t r, int64_t n, int skip) {
  const std::vector<int64_t> zeros(static_cast<size_t>(n), 0);
  std::vector<ColumnPtr> out;
  for (int c = 0; c < in.num_columns(); ++c) {
    if (c == skip) {
      out.emplace_back();
      continue;
    }
    EMBER_ASSIGN_OR_RETURN(ColumnPtr col, Take(*in.column(c)->Slice(r, 1), zeros));
    out.push_back(std::move(col));
  }
  return out;
}

void LimeMasks(int m, int64_t count, double on, std::mt19937_64& rng, std::vector<double>* states,
               std::vector<double>* distances) {
  std::bernoulli_distribution keep(on);
  states->assign(static_cast<size_t>(count * m), 1.0);
  distances->assign(static_cast<size_t>(count), 0.0);
  for (int64_t s = 1; s < count; ++s) {
    int off = 0;
    for (int j = 0; j < m; ++j) {
      const bool k = keep(rng);
      (*states)[s * m + j] = k ? 1.0 : 0.0;
      off += !k;
    }
    (*distances)[s] = std::sqrt(static_cast<double>(off) / m);
  }
}

namespace {

// FNV-1a over the bytes of value `r` of `c`: strings and binary (an image's pixels) as they
// are, nested values by their parts, numbers by their text (so 1 and 1.0 agree across types).
void HashValue(const Column& c, int64_t r, uint64_t* h) {
  auto mix = [&](std::string_view bytes) {
    for (unsigned char ch : bytes) {
      *h ^= ch;
      *h *= 1099511628211ULL;
    }
    *h ^= 0xff;  // a separator, so that ("ab", "c") and ("a", "bc") differ
    *h *= 1099511628211ULL;
  };
  if (c.IsNull(r)) return mix("\x01null");
  switch (c.type_id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      return mix(c.StringValue(r));
    case TypeId::kStruct:  // children are not sliced with their struct
      for (const ColumnPtr& child : c.children()) HashValue(*child, c.offset() + r, h);
      return;
    case TypeId::kList:
      for (int32_t i = c.Offsets()[r]; i < c.Offsets()[r + 1]; ++i) HashValue(*c.child(0), i, h);
      return mix("\x02");
    default:
      return mix(FormatValue(c, r));
  }
}

}  // namespace

std::mt19937_64 RowGenerator(int64_t seed, const Batch& in, int64_t r,
                             std::span<const int> columns) {
  uint64_t h = 1469598103934665603ULL;
  const std::string s = std::to_string(seed);
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  for (int c : columns) HashValue(*in.column(c), r, &h);
  std::seed_seq seq{static_cast<uint32_t>(h), static_cast<uint32_t>(h >> 32)};
  return std::mt19937_64(seq);
}

namespace {

class ExplainKernel final : public BoundTransform {
 public:
  ExplainKernel(SchemaPtr out, int width, std::unique_ptr<ModelScorer> scorer,
                ExplainRowFn explain_row, bool parts)
      : out_(std::move(out)),
        width_(width),
        scorer_(std::move(scorer)),
        explain_row_(std::move(explain_row)),
        parts_(parts) {}
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return true; }  // thousands of model rows per row

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const int n_in = in.schema()->num_fields() + (parts_ ? 1 : 0);
    std::unique_ptr<ListBuilder> parts;
    if (parts_) parts = std::make_unique<ListBuilder>(out_->field(n_in - 1).type);
    ListBuilder explanations(out_->field(n_in).type);
    ListBuilder metrics(out_->field(n_in + 1).type);
    StringBuilder errors;
    for (int64_t r = 0; r < in.num_rows(); ++r) {
      Result<RowExplanation> e = explain_row_(in, r, *scorer_, scratch);
      if (parts) {
        if (!e.ok()) {
          parts->AppendNull();
        } else {
          parts->Append();
          ColumnBuilder* values = parts->value_builder();
          for (const std::string& t : e->tokens) static_cast<StringBuilder*>(values)->Append(t);
          for (int32_t l : e->superpixels) static_cast<Int32Builder*>(values)->Append(l);
        }
      }
      if (!e.ok()) {
        explanations.AppendNull();
        metrics.AppendNull();
        errors.Append(e.status().message());
        continue;
      }
      explanations.Append();
      for (const std::vector<double>& v : e->per_class) {
        if (width_ > 0) {
          EMBER_RETURN_IF_ERROR(
              static_cast<DenseVectorBuilder*>(explanations.value_builder())->Append(v));
        } else {
          auto* inner = static_cast<ListBuilder*>(explanations.value_builder());
          inner->Append();
          auto* values = static_cast<Float64Builder*>(inner->value_builder());
          for (double x : v) values->Append(x);
        }
      }
      metrics.Append();
      for (double x : e->r2) static_cast<Float64Builder*>(metrics.value_builder())->Append(x);
      errors.AppendNull();
    }
    std::vector<ColumnPtr> cols = in.columns();
    if (parts) cols.push_back(parts->Finish());
    cols.push_back(explanations.Finish());
    cols.push_back(metrics.Finish());
    cols.push_back(errors.Finish());
    return Batch::Make(out_, std::move(cols), in.num_rows());
  }

 private:
  SchemaPtr out_;
  int width_;
  std::unique_ptr<ModelScorer> scorer_;
  ExplainRowFn explain_row_;
  bool parts_;
};

}  // namespace

Result<std::unique_ptr<BoundTransform>> MakeExplainKernel(
    const Schema& in, const ExplainParams& p, int width, std::unique_ptr<ModelScorer> scorer,
    ExplainRowFn explain_row, const std::string& who, PartsColumn parts) {
  const TypePtr explanation =
      ListType(width > 0 ? DenseVectorType(width) : ListType(Float64Type()));
  SchemaPtr out = std::make_shared<const Schema>(in);
  std::vector<std::pair<std::string, TypePtr>> added;
  if (!parts.name.empty()) added.emplace_back(parts.name, parts.type);
  added.emplace_back(p.output_col, explanation);
  added.emplace_back(p.metrics_col, ListType(Float64Type()));
  added.emplace_back(p.error_col, StringType());
  for (const auto& [name, type] : added) {
    Result<SchemaPtr> next = out->AddField(MakeField(name, type));
    if (!next.ok()) return next.status().WithContext(who);
    out = *next;
  }
  return std::unique_ptr<BoundTransform>(new ExplainKernel(
      std::move(out), width, std::move(scorer), std::move(explain_row), !parts.name.empty()));
}

Result<std::shared_ptr<const Transformer>> LoadExplainedModel(const LoadContext& ctx,
                                                              const std::string& model_path,
                                                              const std::string& who) {
  if (ctx.registry == nullptr) return Internal(who + ": loaded without a stage registry");
  const std::string dir = ctx.dir.empty() ? model_path : ctx.dir + "/model";
  if (dir.empty()) {
    return InvalidArgument(who + ": param 'model' must name the directory of a saved model");
  }
  Result<std::shared_ptr<const Stage>> stage = LoadStage(dir, *ctx.registry, ctx.depth + 1);
  if (!stage.ok()) return stage.status().WithContext(who + " param 'model'");
  if ((*stage)->kind() != StageKind::kTransformer) {
    return InvalidArgument(who + ": param 'model': '" + dir +
                           "' is an estimator; explain a fitted model (`ember fit` saves one)");
  }
  return std::static_pointer_cast<const Transformer>(*stage);
}

Status SaveExplainedModel(const Transformer& model, const std::string& stage_dir) {
  std::error_code ec;
  std::filesystem::create_directories(stage_dir + "/model", ec);
  if (ec) return IoError("cannot create '" + stage_dir + "/model': " + ec.message());
  return SaveStageInto(model, stage_dir + "/model");
}

Result<Batch> LoadTableParam(const LoadContext& ctx, const std::string& path,
                             const std::string& name, const std::string& who) {
  const ExecContext& exec = ExecContext::Default();
  Result<DataFrame> frame = [&]() -> Result<DataFrame> {
    if (ctx.dir.empty()) {
      if (path.empty()) {
        return InvalidArgument("param '" + name + "' must name a table file (CSV or JSON Lines)");
      }
      return ReadTable(exec, path);
    }
    const std::string base = ctx.dir + "/data/" + name;
    EMBER_ASSIGN_OR_RETURN(std::string schema_text, ReadFileToString(base + ".schema.json"));
    EMBER_ASSIGN_OR_RETURN(Json schema_json, Json::Parse(schema_text));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, SchemaFromJson(schema_json, base + ".schema.json"));
    TableReadOptions o;
    o.json.schema = schema;
    return ReadTable(exec, base + ".jsonl", o);
  }();
  if (!frame.ok()) return frame.status().WithContext(who + " param '" + name + "'");
  return frame->Collect();
}

Status SaveTableParam(const Batch& table, const std::string& stage_dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(stage_dir + "/data", ec);
  if (ec) return IoError("cannot create '" + stage_dir + "/data': " + ec.message());
  const std::string base = stage_dir + "/data/" + name;
  EMBER_RETURN_IF_ERROR(
      WriteStringToFile(base + ".schema.json", SchemaToJson(*table.schema()).Dump(2) + "\n"));
  return WriteTable(ExecContext::Default(), DataFrame::FromBatch(table), base + ".jsonl");
}

}  // namespace ember::explain
