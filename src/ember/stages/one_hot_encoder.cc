#include "ember/stages/one_hot_encoder.h"

#include <cmath>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/internal/column_pairs.h"

namespace ember {

namespace {

using stages::internal::ColumnPair;

Result<std::vector<ColumnPair>> Pairs(const OneHotEncoderParams& p) {
  return stages::internal::ResolveColumnPairs("OneHotEncoder", p.input_col, p.output_col,
                                              p.input_cols, p.output_cols);
}

// The category of row r, or -1 when the value is null, negative, fractional or too large.
// The category index in `v`, or -1 when it is not a whole number in [0, 2^31 - 1).
int64_t CategoryOf(double v) {
  if (!(v >= 0 && v < 2147483647.0) || std::floor(v) != v) return -1;
  return static_cast<int64_t>(v);
}

int64_t Category(const Column& c, int64_t r) {
  return c.IsNull(r) ? -1 : CategoryOf(NumericValue(c, r));
}

// Input indices, checked to be numeric, and outputs that do not clash.
Result<std::vector<int>> BindInputs(const Schema& in, const std::vector<ColumnPair>& pairs) {
  std::vector<int> idx;
  for (const auto& p : pairs) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                      p.in, [](const DataType& t) { return t.is_numeric(); },
                                      "a numeric column of category indices"));
    if (in.FindField(p.out) >= 0)
      return AlreadyExists("output column '" + p.out + "' already exists");
    idx.push_back(i);
  }
  return idx;
}

int64_t VectorSize(int64_t categories, const OneHotEncoderParams& p) {
  return categories + (p.handle_invalid == HandleInvalid::kKeep ? 1 : 0) - (p.drop_last ? 1 : 0);
}

}  // namespace

const ParamSpec<OneHotEncoderParams>& OneHotEncoderParams::Spec() {
  using P = OneHotEncoderParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("OneHotEncoder")
          .Add("inputCol", &P::input_col, "The column of category indices.")
          .Add("outputCol", &P::output_col, "The sparse vector column to add.")
          .Add("inputCols", &P::input_cols, "Several columns to encode (instead of inputCol).")
          .Add("outputCols", &P::output_cols, "The vector columns, one per inputCols entry.")
          .Add("dropLast", &P::drop_last, "Drop the last category (its vector is all zeros).")
          .AddEnum("handleInvalid", &P::handle_invalid,
                   {{"error", HandleInvalid::kError}, {"keep", HandleInvalid::kKeep}},
                   "Invalid indices: fail, or give them one extra category."));
  return spec;
}

Status OneHotEncoder::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(Pairs(p).status());
  return Status::OK();
}

Result<SchemaPtr> OneHotEncoder::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  EMBER_ASSIGN_OR_RETURN(auto inputs, BindInputs(in, pairs));
  // Sizes known from ML attributes give the exact schema; others are known after fitting,
  // so the schema here has them only where attributes exist (0 otherwise).
  std::vector<Field> fields = in.fields();
  for (size_t k = 0; k < pairs.size(); ++k) {
    auto labels = NominalValues(in.field(inputs[k]));
    fields.push_back(MakeField(pairs[k].out,
                               SparseVectorType(labels ? VectorSize(labels->size(), params_) : 0)));
  }
  return Schema::Make(std::move(fields), in.metadata());
}

Result<std::shared_ptr<const Transformer>> OneHotEncoder::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  EMBER_ASSIGN_OR_RETURN(auto inputs, BindInputs(*in.schema(), pairs));
  std::vector<int64_t> sizes(pairs.size(), 0);
  for (size_t k = 0; k < pairs.size(); ++k) {
    auto labels = NominalValues(in.schema()->field(inputs[k]));
    if (labels) {
      sizes[k] = static_cast<int64_t>(labels->size());
      continue;
    }
    // No attribute: the largest valid index in the data, over all partitions and ranks.
    int64_t max_index = -1;
    for (const Batch& b : in.partitions()) {
      const Column& c = *b.column(inputs[k]);
      for (int64_t r = 0; r < b.num_rows(); ++r) max_index = std::max(max_index, Category(c, r));
    }
    if (ctx.comm && ctx.comm->size() > 1) {
      std::vector<int64_t> v = {max_index};
      EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<int64_t>(v), ReduceOp::kMax,
                                                Deadline::In(std::chrono::minutes(10))));
      max_index = v[0];
    }
    sizes[k] = max_index + 1;
  }
  EMBER_ASSIGN_OR_RETURN(auto model, OneHotEncoderModel::Make(params_, std::move(sizes), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const OneHotEncoderModel>> OneHotEncoderModel::Make(
    Params p, std::vector<int64_t> sizes, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(p));
  if (sizes.size() != pairs.size())
    return InvalidArgument("OneHotEncoderModel: one category size per column needed");
  for (int64_t s : sizes) {
    if (s < 0 || s > INT32_MAX)
      return InvalidArgument("OneHotEncoderModel: bad category size " + std::to_string(s));
  }
  return std::shared_ptr<const OneHotEncoderModel>(
      new OneHotEncoderModel(std::move(p), std::move(sizes), std::move(uid)));
}

namespace {

// OneHotEncoderModel's learned state (format version 1): each input's category count.
struct OneHotState {
  std::vector<int64_t> sizes;
  static const StateSpec<OneHotState>& Spec() {
    static const StateSpec<OneHotState> spec =
        std::move(StateSpec<OneHotState>("OneHotEncoderModel", "model.json", 1)
                      .Field("categorySizes", &OneHotState::sizes, Each(AtLeast<int64_t>(0))));
    return spec;
  }
};

}  // namespace

Status OneHotEncoderModel::SaveContents(const std::string& dir) const {
  return OneHotState::Spec().Save({sizes_}, dir);
}

Result<std::shared_ptr<const OneHotEncoderModel>> OneHotEncoderModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(OneHotState s, OneHotState::Spec().Load(ctx));
  Result<std::shared_ptr<const OneHotEncoderModel>> m =
      Make(std::move(p), std::move(s.sizes), ctx.uid);
  if (!m.ok()) return m.status().WithContext(ctx.dir + "/data/model.json");
  return m;
}

Result<RowLowering> OneHotEncoderModel::Lower(const Schema&) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  RowLowering l{.kind = RowLowering::Kind::kOneHot,
                .categories = sizes_,
                .keep_invalid = params_.handle_invalid == HandleInvalid::kKeep};
  for (const auto& p : pairs) l.columns.emplace_back(p.in, p.out);
  return l;
}

Result<std::unique_ptr<BoundTransform>> OneHotEncoderModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  EMBER_ASSIGN_OR_RETURN(auto inputs, BindInputs(in, pairs));
  std::vector<Field> fields = in.fields();
  std::vector<int64_t> widths;
  for (size_t k = 0; k < pairs.size(); ++k) {
    const int64_t w = VectorSize(sizes_[k], params_);
    Field f = MakeField(pairs[k].out, SparseVectorType(w));
    auto labels = NominalValues(in.field(inputs[k]));
    std::vector<std::string> slots;
    for (int64_t i = 0; i < w; ++i) {
      const bool named = labels && i < static_cast<int64_t>(labels->size());
      slots.push_back(pairs[k].in + "_" +
                      (named           ? (*labels)[i]
                       : i < sizes_[k] ? std::to_string(i)
                                       : "__unknown"));
    }
    SetSlotNames(&f, slots);
    fields.push_back(std::move(f));
    widths.push_back(w);
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  const auto sizes = sizes_;
  const bool keep = params_.handle_invalid == HandleInvalid::kKeep;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, inputs, widths, sizes, keep, pairs](const Batch& b) -> Result<Batch> {
        std::vector<ColumnPtr> cols = b.columns();
        for (size_t k = 0; k < inputs.size(); ++k) {
          const Column& c = *b.column(inputs[k]);
          // At most one entry per row: build the buffers directly.
          const int64_t n = b.num_rows();
          SparseVectorWriter w(n, n);
          // Float64 without nulls (StringIndexer's output) reads the values directly.
          const double* f64 =
              c.type_id() == TypeId::kFloat64 && c.null_count() == 0 ? c.Values<double>() : nullptr;
          int32_t stored = 0;
          for (int64_t r = 0; r < n; ++r) {
            w.off[r] = stored;
            int64_t cat = f64 ? CategoryOf(f64[r]) : Category(c, r);
            if (cat < 0 || cat >= sizes[k]) {
              if (!keep) {
                return InvalidArgument(
                    "OneHotEncoder: " + (c.IsNull(r) ? std::string("null") : FormatValue(c, r)) +
                    " in column '" + pairs[k].in + "' is not a category index (0 to " +
                    std::to_string(sizes[k] - 1) + "); set handleInvalid to 'keep'");
              }
              cat = sizes[k];  // the extra category
            }
            if (cat < widths[k]) {  // else the dropped last category: no entry
              w.ix[stored] = static_cast<int32_t>(cat);
              w.vx[stored++] = 1.0;
            }
          }
          cols.push_back(w.Finish(widths[k], stored));
        }
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterOneHotEncoderStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<OneHotEncoder>(r, "Encodes category indices as sparse one-hot vectors."));
  return RegisterStage<OneHotEncoderModel>(
      r, "A fitted OneHotEncoder: the number of categories per column.");
}

}  // namespace ember
