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

// Calls fn(r, value) for every row of a scalar column (nulls as NaN).
template <typename Fn>
void ForEachScalar(const Column& c, int64_t n, Fn&& fn) {
  const bool nulls = c.null_count() > 0;
  auto run = [&](auto get) {
    if (!nulls) {
      for (int64_t r = 0; r < n; ++r) fn(r, get(r));
      return;
    }
    for (int64_t r = 0; r < n; ++r) fn(r, c.IsNull(r) ? NAN : get(r));
  };
  switch (c.type_id()) {
    case TypeId::kBool: run([&](int64_t r) { return c.BoolValue(r) ? 1.0 : 0.0; }); break;
    case TypeId::kInt32: run([v = c.Values<int32_t>()](int64_t r) { return static_cast<double>(v[r]); }); break;
    case TypeId::kInt64: run([v = c.Values<int64_t>()](int64_t r) { return static_cast<double>(v[r]); }); break;
    case TypeId::kFloat32: run([v = c.Values<float>()](int64_t r) { return static_cast<double>(v[r]); }); break;
    default: run([v = c.Values<double>()](int64_t r) { return v[r]; }); break;
  }
}

// Calls fn(r, slot, value) for the entries of every row of input `in` that a sparse output
// stores (non-zero or NaN; a null row is NaN in every slot), row by row, slots increasing.
template <typename Fn>
void ForEachEntry(const Column& c, const Input& in, int64_t n, Fn&& fn) {
  if (c.type_id() != TypeId::kVector) {
    ForEachScalar(c, n, [&](int64_t r, double v) {
      if (v != 0.0) fn(r, in.offset, v);
    });
    return;
  }
  const bool nulls = c.null_count() > 0;
  if (c.type()->sparse()) {  // walk the CSR arrays directly
    const int32_t* off = c.Offsets();
    const int32_t* idx = c.child(0)->Values<int32_t>();
    const double* val = c.child(1)->Values<double>();
    for (int64_t r = 0; r < n; ++r) {
      if (nulls && c.IsNull(r)) {
        for (int64_t k = 0; k < in.width; ++k) fn(r, in.offset + k, NAN);
        continue;
      }
      for (int32_t e = off[r]; e < off[r + 1]; ++e) {
        if (val[e] != 0.0) fn(r, in.offset + idx[e], val[e]);
      }
    }
    return;
  }
  for (int64_t r = 0; r < n; ++r) {
    if (nulls && c.IsNull(r)) {
      for (int64_t k = 0; k < in.width; ++k) fn(r, in.offset + k, NAN);
      continue;
    }
    const double* row = c.DenseRow(r).data();
    for (int64_t k = 0; k < in.width; ++k) {
      if (row[k] != 0.0) fn(r, in.offset + k, row[k]);
    }
  }
}

// The sparse output column of a batch, built input by input (one type dispatch per input,
// not per value): a pass counting each row's entries, then one writing them. `bad[r]` is
// set for rows with a null or NaN input, and `first_bad` to the first such input.
Result<ColumnPtr> AssembleSparse(const Batch& b, const std::vector<Input>& inputs, int64_t width,
                                 std::vector<uint8_t>* bad, int* first_bad) {
  const int64_t n = b.num_rows();
  std::vector<int64_t> count(static_cast<size_t>(n) + 1, 0);
  bad->assign(static_cast<size_t>(n), 0);
  *first_bad = -1;
  for (size_t j = 0; j < inputs.size(); ++j) {
    ForEachEntry(*b.column(inputs[j].index), inputs[j], n, [&](int64_t r, int64_t, double v) {
      ++count[r];
      if (std::isnan(v)) {
        (*bad)[r] = 1;
        if (*first_bad < 0) *first_bad = static_cast<int>(j);
      }
    });
  }
  BufferBuilder offsets;
  offsets.ResizeUninitialized((n + 1) * 4);
  int32_t* off = offsets.mutable_data_as<int32_t>();
  int64_t total = 0;
  for (int64_t r = 0; r < n; ++r) {
    off[r] = static_cast<int32_t>(total);
    total += count[r];
    if (total > INT32_MAX) return InvalidArgument("VectorAssembler: more than 2^31 vector entries in one batch");
  }
  off[n] = static_cast<int32_t>(total);
  BufferBuilder indices, values;
  indices.ResizeUninitialized(total * 4);
  values.ResizeUninitialized(total * 8);
  int32_t* ix = indices.mutable_data_as<int32_t>();
  double* vx = values.mutable_data_as<double>();
  for (int64_t r = 0; r < n; ++r) count[r] = off[r];  // now each row's write cursor
  for (const Input& in : inputs) {
    ForEachEntry(*b.column(in.index), in, n, [&](int64_t r, int64_t slot, double v) {
      const int64_t at = count[r]++;
      ix[at] = static_cast<int32_t>(slot);
      vx[at] = v;
    });
  }
  return SparseVectorColumnFromBuffers(width, n, offsets.Finish(), indices.Finish(), values.Finish());
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
        if (sparse) {
          std::vector<uint8_t> bad;
          int first_bad = -1;
          EMBER_ASSIGN_OR_RETURN(ColumnPtr vec, AssembleSparse(b, inputs, width, &bad, &first_bad));
          if (first_bad >= 0 && mode == HandleInvalid::kError) {
            return InvalidArgument("VectorAssembler: null or NaN in column '" + names[first_bad] +
                                   "'; set handleInvalid to 'skip' or 'keep'");
          }
          std::vector<ColumnPtr> cols = b.columns();
          cols.push_back(std::move(vec));
          EMBER_ASSIGN_OR_RETURN(Batch all, Batch::Make(out, std::move(cols), b.num_rows()));
          if (first_bad < 0 || mode == HandleInvalid::kKeep) return all;
          std::vector<int64_t> keep_rows;
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            if (!bad[r]) keep_rows.push_back(r);
          }
          return TakeRows(all, keep_rows);
        }
        std::vector<double>& row = scratch.Get<std::vector<double>>(out.get());
        row.assign(static_cast<size_t>(width), 0.0);
        DenseVectorBuilder dense(width);
        dense.Reserve(b.num_rows());
        std::vector<int64_t> keep_rows;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          std::fill(row.begin(), row.end(), 0.0);
          bool valid = true;
          for (size_t j = 0; j < inputs.size(); ++j) {
            if (!WriteSlots(*b.column(inputs[j].index), r, inputs[j], row.data())) {
              valid = false;
              if (mode == HandleInvalid::kError) {
                return InvalidArgument("VectorAssembler: null or NaN in column '" + names[j] +
                                       "'; set handleInvalid to 'skip' or 'keep'");
              }
            }
          }
          if (!valid && mode == HandleInvalid::kSkip) continue;
          keep_rows.push_back(r);
          EMBER_RETURN_IF_ERROR(dense.Append(row));
        }
        ColumnPtr vec = dense.Finish();
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
