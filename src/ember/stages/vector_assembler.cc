#include "ember/stages/vector_assembler.h"

#include <cmath>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {

const ParamSpec<VectorAssemblerParams>& VectorAssemblerParams::Spec() {
  using P = VectorAssemblerParams;
  static const auto* spec = &(*new ParamSpec<P>("VectorAssembler"))
      .Add("inputCols", &P::input_cols, "Numeric, boolean or vector columns, in slot order.",
           NonEmpty<std::vector<std::string>>())
      .Add("outputCol", &P::output_col, "The vector column to add.", NonEmpty<std::string>())
      .AddEnum("handleInvalid", &P::handle_invalid,
               {{"error", HandleInvalid::kError}, {"skip", HandleInvalid::kSkip}, {"keep", HandleInvalid::kKeep}},
               "Nulls and NaNs: fail, drop the row, or keep them as NaN.");
  return *spec;
}

Result<std::shared_ptr<const VectorAssembler>> VectorAssembler::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  std::set<std::string> seen;
  for (const auto& c : p.input_cols) {
    if (!seen.insert(c).second) {
      return InvalidArgument("VectorAssembler param 'inputCols': column '" + c + "' is listed twice");
    }
  }
  return std::shared_ptr<const VectorAssembler>(new VectorAssembler(std::move(p), std::move(uid)));
}

namespace {

struct Input {
  int index;
  int64_t offset;  // first output slot
  int64_t width;
};

// Writes row r of input `in` into `out` (dense, zero-initialised) at in.offset; returns
// false for an invalid value (null, NaN) after writing NaN for it.
bool WriteSlots(const Column& c, int64_t r, const Input& in, double* out) {
  if (c.IsNull(r)) {
    for (int64_t k = 0; k < in.width; ++k) out[in.offset + k] = NAN;
    return false;
  }
  switch (c.type_id()) {
    case TypeId::kBool: out[in.offset] = c.BoolValue(r) ? 1.0 : 0.0; return true;
    case TypeId::kInt32: out[in.offset] = c.Values<int32_t>()[r]; return true;
    case TypeId::kInt64: out[in.offset] = static_cast<double>(c.Values<int64_t>()[r]); return true;
    case TypeId::kFloat32: out[in.offset] = c.Values<float>()[r]; return !std::isnan(out[in.offset]);
    case TypeId::kFloat64: out[in.offset] = c.Values<double>()[r]; return !std::isnan(out[in.offset]);
    default: break;
  }
  bool ok = true;
  if (c.type()->sparse()) {
    auto idx = c.SparseIndices(r);
    auto val = c.SparseValues(r);
    for (size_t k = 0; k < idx.size(); ++k) {
      out[in.offset + idx[k]] = val[k];
      ok = ok && !std::isnan(val[k]);
    }
  } else {
    auto row = c.DenseRow(r);
    for (size_t k = 0; k < row.size(); ++k) {
      out[in.offset + k] = row[k];
      ok = ok && !std::isnan(row[k]);
    }
  }
  return ok;
}

// As WriteSlots, for sparse output: appends the non-zero slots of row r of input `in`
// (increasing indices) to idx/val.
bool AppendSlots(const Column& c, int64_t r, const Input& in, std::vector<int32_t>* idx,
                 std::vector<double>* val) {
  auto add = [&](int64_t slot, double v) {
    if (v != 0.0) {  // NaN != 0, so NaNs are kept
      idx->push_back(static_cast<int32_t>(in.offset + slot));
      val->push_back(v);
    }
  };
  if (c.IsNull(r)) {
    for (int64_t k = 0; k < in.width; ++k) add(k, NAN);
    return false;
  }
  if (c.type_id() != TypeId::kVector) {
    double v = 0;
    const bool ok = WriteSlots(c, r, {0, 0, 1}, &v);
    add(0, v);
    return ok;
  }
  bool ok = true;
  if (c.type()->sparse()) {
    auto ix = c.SparseIndices(r);
    auto vs = c.SparseValues(r);
    for (size_t k = 0; k < ix.size(); ++k) {
      add(ix[k], vs[k]);
      ok = ok && !std::isnan(vs[k]);
    }
  } else {
    auto row = c.DenseRow(r);
    for (size_t k = 0; k < row.size(); ++k) {
      add(static_cast<int64_t>(k), row[k]);
      ok = ok && !std::isnan(row[k]);
    }
  }
  return ok;
}

}  // namespace

Result<std::unique_ptr<BoundTransform>> VectorAssembler::Bind(const Schema& in) const {
  std::vector<Input> inputs;
  std::vector<std::string> slots;
  int64_t width = 0;
  bool sparse = false;
  for (const auto& name : params_.input_cols) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
        name, [](const DataType& t) { return t.is_numeric() || t.id() == TypeId::kBool || t.id() == TypeId::kVector; },
        "a numeric, boolean or vector column"));
    const DataType& t = *in.field(i).type;
    const int64_t w = t.id() == TypeId::kVector ? t.vector_size() : 1;
    sparse = sparse || (t.id() == TypeId::kVector && t.sparse());
    if (t.id() == TypeId::kVector) {
      auto names = SlotNames(in.field(i));
      for (int64_t k = 0; k < w; ++k) {
        const bool named = names && static_cast<int64_t>(names->size()) == w && !(*names)[k].empty();
        slots.push_back(name + "_" + (named ? (*names)[k] : std::to_string(k)));
      }
    } else {
      slots.push_back(name);
    }
    inputs.push_back({i, width, w});
    width += w;
  }
  if (in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("VectorAssembler: output column '" + params_.output_col + "' already exists");
  }
  Field f = MakeField(params_.output_col, sparse ? SparseVectorType(width) : DenseVectorType(width));
  SetSlotNames(&f, slots);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(f)));
  const HandleInvalid mode = params_.handle_invalid;
  const std::vector<std::string> names = params_.input_cols;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, inputs, width, sparse, mode, names](const Batch& b, KernelScratch& scratch) -> Result<Batch> {
        std::vector<double>& row = scratch.Get<std::vector<double>>(out.get());
        row.assign(sparse ? 0 : static_cast<size_t>(width), 0.0);
        DenseVectorBuilder dense(width);
        SparseVectorBuilder sparse_out(width);
        if (!sparse) dense.Reserve(b.num_rows());
        if (sparse) {  // about one stored entry per scalar or one-hot input; more grow as needed
          sparse_out.Reserve(b.num_rows());
          sparse_out.ReserveEntries(b.num_rows() * static_cast<int64_t>(inputs.size()));
        }
        std::vector<int32_t> idx;
        std::vector<double> val;
        std::vector<int64_t> keep_rows;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (!sparse) std::fill(row.begin(), row.end(), 0.0);
          idx.clear();
          val.clear();
          bool valid = true;
          for (size_t j = 0; j < inputs.size(); ++j) {
            const Column& c = *b.column(inputs[j].index);
            const bool ok = sparse ? AppendSlots(c, r, inputs[j], &idx, &val) : WriteSlots(c, r, inputs[j], row.data());
            if (!ok) {
              valid = false;
              if (mode == HandleInvalid::kError) {
                return InvalidArgument("VectorAssembler: null or NaN in column '" + names[j] +
                                       "'; set handleInvalid to 'skip' or 'keep'");
              }
            }
          }
          if (!valid && mode == HandleInvalid::kSkip) continue;
          keep_rows.push_back(r);
          if (sparse) {
            EMBER_RETURN_IF_ERROR(sparse_out.Append(idx, val));
          } else {
            EMBER_RETURN_IF_ERROR(dense.Append(row));
          }
        }
        ColumnPtr vec = sparse ? sparse_out.Finish() : dense.Finish();
        Batch kept = b;
        if (static_cast<int64_t>(keep_rows.size()) != b.num_rows()) {
          EMBER_ASSIGN_OR_RETURN(kept, TakeRows(b, keep_rows));
        }
        std::vector<ColumnPtr> cols = kept.columns();
        cols.push_back(std::move(vec));
        return Batch::Make(out, std::move(cols), kept.num_rows());
      }));
}

}  // namespace ember
