#include "ember/stages/scalers.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/internal/vector_columns.h"

namespace ember {

using stages::internal::BindVector;

// Params -----------------------------------------------------------------------------------

const ParamSpec<StandardScalerParams>& StandardScalerParams::Spec() {
  using P = StandardScalerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("StandardScaler")
          .Add("inputCol", &P::input_col, "The vector column to scale.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The scaled vector column to add.",
               NonEmpty<std::string>())
          .Add("withMean", &P::with_mean, "Subtract each slot's mean (makes sparse vectors dense).")
          .Add("withStd", &P::with_std, "Divide each slot by its sample standard deviation."));
  return spec;
}

const ParamSpec<MinMaxScalerParams>& MinMaxScalerParams::Spec() {
  using P = MinMaxScalerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("MinMaxScaler")
          .Add("inputCol", &P::input_col, "The vector column to scale.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The scaled vector column to add.",
               NonEmpty<std::string>())
          .Add("min", &P::min, "Lower bound of the output range.")
          .Add("max", &P::max, "Upper bound of the output range (greater than min)."));
  return spec;
}

const ParamSpec<ScalerModel::Params>& ScalerModel::Params::Spec() {
  using P = ScalerModel::Params;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ScalerModel")
          .Add("inputCol", &P::input_col, "The vector column to scale.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The scaled vector column to add.",
               NonEmpty<std::string>())
          .Add("keepSparse", &P::keep_sparse, "Sparse input gives sparse output (no shift)."));
  return spec;
}

// StandardScaler ---------------------------------------------------------------------------

Result<SchemaPtr> StandardScaler::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto b,
                         BindVector(in, params_.input_col, params_.output_col, !params_.with_mean));
  return b.second;
}

Result<std::shared_ptr<const Transformer>> StandardScaler::Fit(const DataFrame& in,
                                                               const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto bound,
                         BindVector(*in.schema(), params_.input_col, params_.output_col, false));
  const int col = bound.first;
  const size_t n = static_cast<size_t>(in.schema()->field(col).type->vector_size());
  // Pass 1: count and sum per slot (the count in the last entry).
  std::vector<double> sums;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, n + 1, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) continue;
          acc[n] += 1;
          ForEachVectorEntry(c, r, [&](int64_t k, double v) { acc[k] += v; });
        }
        return Status::OK();
      },
      &sums));
  const double count = sums[n];
  std::vector<double> mean(n);
  for (size_t k = 0; k < n; ++k) mean[k] = count > 0 ? sums[k] / count : 0.0;
  // Pass 2: squared deviations from the global mean (exact, no cancellation).
  std::vector<double> sq;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, n, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) continue;
          if (c.type()->sparse()) {
            // Slots not stored are zeros: start from n * mean^2 per row, then correct.
            for (size_t k = 0; k < n; ++k) acc[k] += mean[k] * mean[k];
            ForEachVectorEntry(c, r, [&](int64_t k, double v) {
              acc[k] += (v - mean[k]) * (v - mean[k]) - mean[k] * mean[k];
            });
          } else {
            ForEachVectorEntry(
                c, r, [&](int64_t k, double v) { acc[k] += (v - mean[k]) * (v - mean[k]); });
          }
        }
        return Status::OK();
      },
      &sq));
  std::vector<double> shift(n, 0.0), scale(n, 1.0);
  for (size_t k = 0; k < n; ++k) {
    if (params_.with_mean) shift[k] = mean[k];
    if (params_.with_std) {
      const double sd = count > 1 ? std::sqrt(sq[k] / (count - 1)) : 0.0;
      scale[k] = sd > 0 ? 1.0 / sd : 0.0;
    }
  }
  ScalerModel::Params mp{params_.input_col, params_.output_col, !params_.with_mean};
  EMBER_ASSIGN_OR_RETURN(auto model, ScalerModel::Make(mp, std::move(shift), std::move(scale),
                                                       std::vector<double>(n, 0.0), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// MinMaxScaler -----------------------------------------------------------------------------

Status MinMaxScaler::Check(const Params& p) {
  if (!(p.min < p.max)) {
    return InvalidArgument("MinMaxScaler param 'max': must be greater than min (" +
                           std::to_string(p.min) + ")");
  }
  return Status::OK();
}

Result<SchemaPtr> MinMaxScaler::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto b, BindVector(in, params_.input_col, params_.output_col, false));
  return b.second;
}

Result<std::shared_ptr<const Transformer>> MinMaxScaler::Fit(const DataFrame& in,
                                                             const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto bound,
                         BindVector(*in.schema(), params_.input_col, params_.output_col, false));
  const int col = bound.first;
  const size_t n = static_cast<size_t>(in.schema()->field(col).type->vector_size());
  const double inf = std::numeric_limits<double>::infinity();
  // Minimum of v and of -v per slot (so one AllReduce(min) gives min and max).
  std::vector<double> mins;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, 2 * n, ReduceOp::kMin, inf,
      [&](const Batch& b, std::span<double> acc) {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) continue;
          if (c.type()->sparse()) {
            for (size_t k = 0; k < n; ++k) {  // unstored slots are zeros
              acc[k] = std::min(acc[k], 0.0);
              acc[n + k] = std::min(acc[n + k], 0.0);
            }
          }
          ForEachVectorEntry(c, r, [&](int64_t k, double v) {
            acc[k] = std::min(acc[k], v);
            acc[n + k] = std::min(acc[n + k], -v);
          });
        }
        return Status::OK();
      },
      &mins));
  std::vector<double> shift(n, 0.0), scale(n, 0.0), offset(n, (params_.min + params_.max) / 2);
  for (size_t k = 0; k < n; ++k) {
    const double lo = mins[k], hi = -mins[n + k];
    if (std::isfinite(lo) && std::isfinite(hi) && hi > lo) {
      shift[k] = lo;
      scale[k] = (params_.max - params_.min) / (hi - lo);
      offset[k] = params_.min;
    }  // else a constant (or empty) slot: (min + max) / 2, as SparkML
  }
  ScalerModel::Params mp{params_.input_col, params_.output_col, false};
  EMBER_ASSIGN_OR_RETURN(auto model, ScalerModel::Make(mp, std::move(shift), std::move(scale),
                                                       std::move(offset), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// ScalerModel ------------------------------------------------------------------------------

Result<std::shared_ptr<const ScalerModel>> ScalerModel::Make(Params p, std::vector<double> shift,
                                                             std::vector<double> scale,
                                                             std::vector<double> offset,
                                                             std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (shift.size() != scale.size() || offset.size() != scale.size()) {
    return InvalidArgument("ScalerModel: shift, scale and offset differ in length");
  }
  auto nonzero = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return x != 0.0; });
  };
  if (p.keep_sparse && (nonzero(shift) || nonzero(offset))) {
    return InvalidArgument("ScalerModel param 'keepSparse': needs no shift and no offset");
  }
  return std::shared_ptr<const ScalerModel>(new ScalerModel(
      std::move(p), std::move(shift), std::move(scale), std::move(offset), std::move(uid)));
}

namespace {

// ScalerModel's learned state (format version 1).
struct ScalerState {
  std::vector<double> shift, scale, offset;
  static const StateSpec<ScalerState>& Spec() {
    static const StateSpec<ScalerState> spec =
        std::move(StateSpec<ScalerState>("ScalerModel", "model.json", 1)
                      .Field("shift", &ScalerState::shift)
                      .Field("scale", &ScalerState::scale)
                      .Field("offset", &ScalerState::offset));
    return spec;
  }
};

}  // namespace

Status ScalerModel::SaveContents(const std::string& dir) const {
  return ScalerState::Spec().Save({shift_, scale_, offset_}, dir);
}

Result<std::shared_ptr<const ScalerModel>> ScalerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(ScalerState s, ScalerState::Spec().Load(ctx));
  Result<std::shared_ptr<const ScalerModel>> m =
      Make(std::move(p), std::move(s.shift), std::move(s.scale), std::move(s.offset), ctx.uid);
  if (!m.ok()) return m.status().WithContext(ctx.dir + "/data/model.json");
  return m;
}

Result<RowLowering> ScalerModel::Lower(const Schema&) const {
  if (!params_.keep_sparse) return FailedPrecondition("the scaler shifts (makes the vector dense)");
  return RowLowering{.kind = RowLowering::Kind::kScale,
                     .input = params_.input_col,
                     .output = params_.output_col,
                     .scale = &scale_};
}

Result<std::unique_ptr<BoundTransform>> ScalerModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(
      auto bound, BindVector(in, params_.input_col, params_.output_col, params_.keep_sparse));
  const int col = bound.first;
  const SchemaPtr out = bound.second;
  const int64_t n = in.field(col).type->vector_size();
  if (n != static_cast<int64_t>(scale_.size())) {
    return InvalidArgument("ScalerModel: column '" + params_.input_col + "' has " +
                           std::to_string(n) + " slots but the model was fitted on " +
                           std::to_string(scale_.size()));
  }
  const bool sparse_out = out->field(out->num_fields() - 1).type->sparse();
  const auto shift = shift_, scale = scale_, offset = offset_;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, col, n, sparse_out, shift, scale, offset](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        if (sparse_out && c.null_count() == 0 && b.num_rows() > 0) {
          // No nulls: same offsets and indices as the input, values scaled; built directly.
          const int64_t rows = b.num_rows();
          const int32_t* in_off = c.Offsets();
          const int64_t base = in_off[0], total = in_off[rows] - base;
          const int32_t* in_idx = c.SparseIndices(0).data();
          const double* in_val = c.SparseValues(0).data();
          BufferBuilder values;
          values.ResizeUninitialized(total * 8);
          double* v = values.mutable_data_as<double>();
          for (int64_t e = 0; e < total; ++e) v[e] = in_val[e] * scale[in_idx[e]];
          std::vector<ColumnPtr> cols = b.columns();
          if (base == 0 && c.offset() == 0 && c.child(0)->offset() == 0) {
            // The input's offsets and indices are shared, not copied.
            ColumnPtr vals =
                Column::MakeUnchecked(Float64Type(), total, {nullptr, values.Finish()}, {}, 0);
            cols.push_back(Column::MakeUnchecked(SparseVectorType(n), rows,
                                                 {nullptr, c.buffers()[1]},
                                                 {c.child(0), std::move(vals)}, 0));
          } else {
            BufferBuilder offsets, indices;
            offsets.ResizeUninitialized((rows + 1) * 4);
            indices.ResizeUninitialized(total * 4);
            int32_t* off = offsets.mutable_data_as<int32_t>();
            for (int64_t r = 0; r <= rows; ++r) off[r] = static_cast<int32_t>(in_off[r] - base);
            if (total > 0)
              std::memcpy(indices.mutable_data(), in_idx, static_cast<size_t>(total) * 4);
            cols.push_back(SparseVectorColumnFromBuffers(n, rows, offsets.Finish(),
                                                         indices.Finish(), values.Finish()));
          }
          return Batch::Make(out, std::move(cols), b.num_rows());
        }
        std::unique_ptr<ColumnBuilder> builder =
            MakeBuilder(out->field(out->num_fields() - 1).type);
        builder->Reserve(b.num_rows());
        if (sparse_out && b.num_rows() > 0) {
          const auto first = c.SparseIndices(0), last = c.SparseIndices(b.num_rows() - 1);
          static_cast<SparseVectorBuilder*>(builder.get())
              ->ReserveEntries(last.data() + last.size() - first.data());
        }
        std::vector<double> row(static_cast<size_t>(n));
        std::vector<int32_t> idx;
        std::vector<double> val;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            builder->AppendNull();
            continue;
          }
          if (sparse_out) {
            auto ix = c.SparseIndices(r);
            auto vs = c.SparseValues(r);
            idx.assign(ix.begin(), ix.end());
            val.resize(idx.size());
            for (size_t k = 0; k < idx.size(); ++k) val[k] = vs[k] * scale[idx[k]];
            EMBER_RETURN_IF_ERROR(
                static_cast<SparseVectorBuilder*>(builder.get())->Append(idx, val));
            continue;
          }
          std::fill(row.begin(), row.end(), 0.0);
          ForEachVectorEntry(c, r, [&](int64_t k, double v) { row[k] = v; });
          for (int64_t k = 0; k < n; ++k) row[k] = (row[k] - shift[k]) * scale[k] + offset[k];
          EMBER_RETURN_IF_ERROR(static_cast<DenseVectorBuilder*>(builder.get())->Append(row));
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(builder->Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterScalerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<StandardScaler>(
      r, "Scales vector slots to unit standard deviation (and zero mean)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<MinMaxScaler>(r, "Rescales vector slots to [min, max]."));
  return RegisterStage<ScalerModel>(r, "A fitted scaler: per-slot shift and scale.");
}

}  // namespace ember
