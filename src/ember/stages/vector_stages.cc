#include "ember/stages/vector_stages.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/stages/internal/vector_columns.h"

namespace ember {

using stages::internal::BindVector;
using stages::internal::VectorInput;

namespace {

// A kernel appending f(row) for every row of vector column `col` (a null row stays null):
// `f` gets the row's stored (index, value) pairs and appends the output row's.
template <typename F>
std::unique_ptr<BoundTransform> RowKernel(SchemaPtr out, int col, F f) {
  return std::make_unique<FunctionBoundTransform>(
      out, [out, col, f](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        const TypePtr& type = out->field(out->num_fields() - 1).type;
        std::unique_ptr<ColumnBuilder> builder = MakeBuilder(type);
        builder->Reserve(b.num_rows());
        std::vector<int32_t> idx, out_idx;
        std::vector<double> val, out_val;
        std::vector<double> dense(static_cast<size_t>(type->vector_size()));
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            builder->AppendNull();
            continue;
          }
          idx.clear();
          val.clear();
          ForEachVectorEntry(c, r, [&](int64_t k, double v) {
            idx.push_back(static_cast<int32_t>(k));
            val.push_back(v);
          });
          out_idx.clear();
          out_val.clear();
          f(idx, val, &out_idx, &out_val);
          if (type->sparse()) {
            EMBER_RETURN_IF_ERROR(
                static_cast<SparseVectorBuilder*>(builder.get())->Append(out_idx, out_val));
          } else {
            std::fill(dense.begin(), dense.end(), 0.0);
            for (size_t k = 0; k < out_idx.size(); ++k) dense[out_idx[k]] = out_val[k];
            EMBER_RETURN_IF_ERROR(static_cast<DenseVectorBuilder*>(builder.get())->Append(dense));
          }
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(builder->Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      });
}

}  // namespace

// Normalizer ------------------------------------------------------------------------------

const ParamSpec<NormalizerParams>& NormalizerParams::Spec() {
  using P = NormalizerParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("Normalizer")
                    .Add("inputCol", &P::input_col, "The vector column to normalize.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &P::output_col, "The normalized vector column to add.",
                         NonEmpty<std::string>())
                    .Add("p", &P::p,
                         "The norm: each row is divided by its p-norm (a zero row stays zero); "
                         "\"Infinity\" divides by the largest absolute value.",
                         AtLeast(1.0)));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> Normalizer::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto bound, BindVector(in, params_.input_col, params_.output_col, true));
  const auto [col, out] = bound;
  const double p = params_.p;
  return RowKernel(out, col,
                   [p](const std::vector<int32_t>& idx, const std::vector<double>& val,
                       std::vector<int32_t>* out_idx, std::vector<double>* out_val) {
                     double norm = 0;
                     if (p == 1) {
                       for (double v : val) norm += std::fabs(v);
                     } else if (std::isinf(p)) {
                       for (double v : val) norm = std::max(norm, std::fabs(v));
                     } else if (p == 2) {
                       for (double v : val) norm += v * v;
                       norm = std::sqrt(norm);
                     } else {
                       for (double v : val) norm += std::pow(std::fabs(v), p);
                       norm = std::pow(norm, 1.0 / p);
                     }
                     *out_idx = idx;
                     out_val->resize(val.size());
                     for (size_t k = 0; k < val.size(); ++k)
                       (*out_val)[k] = norm == 0 ? val[k] : val[k] / norm;
                   });
}

// VectorSlicer ----------------------------------------------------------------------------

const ParamSpec<VectorSlicerParams>& VectorSlicerParams::Spec() {
  using P = VectorSlicerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("VectorSlicer")
          .Add("inputCol", &P::input_col, "The vector column to take slots from.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The vector column of the chosen slots to add.",
               NonEmpty<std::string>())
          .Add("indices", &P::indices, "Slots to keep, by index (0-based), in this order.",
               Each(AtLeast<int64_t>(0)))
          .Add("names", &P::names,
               "Slots to keep, by slot name (the column's ML attributes), after the indices."));
  return spec;
}

Status VectorSlicer::Check(const Params& p) {
  if (p.indices.empty() && p.names.empty()) {
    return InvalidArgument("VectorSlicer: choose slots with 'indices' or 'names'");
  }
  std::set<int64_t> seen_idx;
  for (int64_t i : p.indices) {
    if (!seen_idx.insert(i).second)
      return InvalidArgument("VectorSlicer param 'indices': " + std::to_string(i) +
                             " is listed twice");
  }
  std::set<std::string> seen_names;
  for (const std::string& n : p.names) {
    if (!seen_names.insert(n).second)
      return InvalidArgument("VectorSlicer param 'names': '" + n + "' is listed twice");
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> VectorSlicer::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, VectorInput(in, params_.input_col, params_.output_col));
  const DataType& t = *in.field(col).type;
  const int64_t n = t.vector_size();
  std::vector<int64_t> chosen = params_.indices;
  for (int64_t i : chosen) {
    if (i >= n) {
      return OutOfRange("VectorSlicer param 'indices': " + std::to_string(i) +
                        " is beyond column '" + params_.input_col + "' of " + std::to_string(n) +
                        " slots");
    }
  }
  const std::optional<std::vector<std::string>> slots = SlotNames(in.field(col));
  for (const std::string& name : params_.names) {
    if (!slots) {
      return InvalidArgument("VectorSlicer param 'names': column '" + params_.input_col +
                             "' has no slot names (only indices can choose its slots)");
    }
    auto it = std::find(slots->begin(), slots->end(), name);
    if (it == slots->end()) {
      std::string msg = "VectorSlicer param 'names': column '" + params_.input_col +
                        "' has no slot '" + name + "'";
      const std::string close = ClosestName(name, *slots);
      if (!close.empty()) msg += "; did you mean '" + close + "'?";
      return NotFound(msg);
    }
    const int64_t i = it - slots->begin();
    if (std::find(chosen.begin(), chosen.end(), i) != chosen.end()) {
      return InvalidArgument("VectorSlicer: slot '" + name + "' is also chosen by index " +
                             std::to_string(i));
    }
    chosen.push_back(i);
  }
  const auto width = static_cast<int64_t>(chosen.size());
  Field f =
      MakeField(params_.output_col, t.sparse() ? SparseVectorType(width) : DenseVectorType(width));
  if (slots) {
    std::vector<std::string> names;
    for (int64_t i : chosen) names.push_back((*slots)[static_cast<size_t>(i)]);
    SetSlotNames(&f, names);
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(f)));
  // Input slot -> output slot.
  std::unordered_map<int32_t, int32_t> where;
  for (int64_t k = 0; k < width; ++k)
    where[static_cast<int32_t>(chosen[k])] = static_cast<int32_t>(k);
  return RowKernel(out, col,
                   [where](const std::vector<int32_t>& idx, const std::vector<double>& val,
                           std::vector<int32_t>* out_idx, std::vector<double>* out_val) {
                     std::vector<std::pair<int32_t, double>> picked;
                     for (size_t k = 0; k < idx.size(); ++k) {
                       auto it = where.find(idx[k]);
                       if (it != where.end()) picked.emplace_back(it->second, val[k]);
                     }
                     std::sort(picked.begin(), picked.end());
                     for (const auto& [i, v] : picked) {
                       out_idx->push_back(i);
                       out_val->push_back(v);
                     }
                   });
}

// PolynomialExpansion ---------------------------------------------------------------------

namespace {

// C(n + degree, degree): the monomials of at most `degree` factors over n variables, the
// constant included; -1 past int32 slots.
int64_t PolySize(int64_t n, int degree) {
  double size = 1;
  for (int k = 1; k <= degree; ++k) size = size * static_cast<double>(n + k) / k;
  return size > 2147483647.0 ? -1 : static_cast<int64_t>(std::llround(size));
}

// Spark's order of the products: the monomials of the stored entries at positions
// <= last (features <= last_feature) with at most `degree` factors, times `multiplier`,
// written from slot `slot` on (slot -1: the constant, left out). Returns the slot after
// them.
int64_t Expand(const std::vector<int32_t>& idx, const std::vector<double>& val, int last,
               int64_t last_feature, int degree, double multiplier, int64_t slot,
               std::vector<int32_t>* out_idx, std::vector<double>* out_val) {
  if (multiplier == 0.0) {
    // no products
  } else if (degree == 0 || last < 0) {
    if (slot >= 0) {
      out_idx->push_back(static_cast<int32_t>(slot));
      out_val->push_back(multiplier);
    }
  } else {
    const double v = val[last];
    double alpha = multiplier;
    int64_t at = slot;
    for (int i = 0; i <= degree && alpha != 0.0; ++i, alpha *= v) {
      at = Expand(idx, val, last - 1, idx[last] - 1, degree - i, alpha, at, out_idx, out_val);
    }
  }
  return slot + PolySize(last_feature + 1, degree);
}

}  // namespace

const ParamSpec<PolynomialExpansionParams>& PolynomialExpansionParams::Spec() {
  using P = PolynomialExpansionParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("PolynomialExpansion")
          .Add("inputCol", &P::input_col, "The vector column to expand.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The expanded vector column to add.",
               NonEmpty<std::string>())
          .Add("degree", &P::degree, "The most factors in a product.", AtLeast<int32_t>(1)));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> PolynomialExpansion::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, VectorInput(in, params_.input_col, params_.output_col));
  const TypePtr& type = in.field(col).type;
  const int64_t n = type->vector_size();
  const int degree = params_.degree;
  const int64_t width = PolySize(n, degree);
  if (width < 0) {
    return InvalidArgument("PolynomialExpansion: degree " + std::to_string(degree) + " over the " +
                           std::to_string(n) + " slots of column '" + params_.input_col +
                           "' makes more than 2^31 slots");
  }
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out,
      in.AddField(MakeField(params_.output_col, type->sparse() ? SparseVectorType(width - 1)
                                                               : DenseVectorType(width - 1))));
  return RowKernel(out, col,
                   [n, degree](const std::vector<int32_t>& idx, const std::vector<double>& val,
                               std::vector<int32_t>* out_idx, std::vector<double>* out_val) {
                     Expand(idx, val, static_cast<int>(idx.size()) - 1, n - 1, degree, 1.0, -1,
                            out_idx, out_val);
                   });
}

// CountSelector ---------------------------------------------------------------------------

const ParamSpec<CountSelectorParams>& CountSelectorParams::Spec() {
  using P = CountSelectorParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("CountSelector")
          .Add("inputCol", &P::input_col, "The vector column.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The vector column of the non-zero slots to add.",
               NonEmpty<std::string>()));
  return spec;
}

Result<SchemaPtr> CountSelector::TransformSchema(const Schema& in) const {
  // The width is known after fitting: a vector of unknown width until then.
  EMBER_RETURN_IF_ERROR(VectorInput(in, params_.input_col, params_.output_col).status());
  return in.AddField(MakeField(params_.output_col, DenseVectorType(0)));
}

Result<std::shared_ptr<const Transformer>> CountSelector::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, VectorInput(*in.schema(), params_.input_col, params_.output_col));
  const int64_t d = in.schema()->field(col).type->vector_size();
  std::vector<double> seen;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, static_cast<size_t>(d), ReduceOp::kMax, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) continue;
          ForEachVectorEntry(c, r, [&](int64_t j, double v) {
            if (v != 0) acc[j] = 1;  // NaN counts as non-zero
          });
        }
        return Status::OK();
      },
      &seen));
  VectorSlicerParams slicer{.input_col = params_.input_col, .output_col = params_.output_col};
  for (int64_t j = 0; j < d; ++j) {
    if (seen[j] != 0) slicer.indices.push_back(j);
  }
  if (slicer.indices.empty()) {
    return InvalidArgument("CountSelector: no slot of column '" + params_.input_col +
                           "' is non-zero in any row");
  }
  EMBER_ASSIGN_OR_RETURN(auto model, VectorSlicer::Make(std::move(slicer), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Status RegisterVectorStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<Normalizer>(
      r, "Scales each row of a vector column to unit p-norm (Spark's Normalizer)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<VectorSlicer>(
      r, "A vector column of chosen slots of another, by index and by slot name."));
  EMBER_RETURN_IF_ERROR(RegisterStage<PolynomialExpansion>(
      r, "Every product of a vector's slots up to a degree (Spark's PolynomialExpansion)."));
  return RegisterStage<CountSelector>(
      r,
      "Keeps the vector slots that are non-zero in some row (SynapseML's; fits a VectorSlicer).");
}

}  // namespace ember
