#include "ember/stages/vector_assembler.h"

#include <cmath>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/row_lowering.h"

namespace ember {

const ParamSpec<VectorAssemblerParams>& VectorAssemblerParams::Spec() {
  using P = VectorAssemblerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("VectorAssembler")
          .Add("inputCols", &P::input_cols, "Numeric, boolean or vector columns, in slot order.",
               NonEmpty<std::vector<std::string>>())
          .Add("outputCol", &P::output_col, "The vector column to add.", NonEmpty<std::string>())
          .AddEnum("handleInvalid", &P::handle_invalid,
                   {{"error", HandleInvalid::kError},
                    {"skip", HandleInvalid::kSkip},
                    {"keep", HandleInvalid::kKeep}},
                   "Nulls and NaNs: fail, drop the row, or keep them as NaN."));
  return spec;
}

Result<std::shared_ptr<const VectorAssembler>> VectorAssembler::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  std::set<std::string> seen;
  for (const auto& c : p.input_cols) {
    if (!seen.insert(c).second) {
      return InvalidArgument("VectorAssembler param 'inputCols': column '" + c +
                             "' is listed twice");
    }
  }
  return std::shared_ptr<const VectorAssembler>(new VectorAssembler(std::move(p), std::move(uid)));
}

namespace {

// One dense row being assembled; a thread reuses it for every batch (serving: every request).
struct RowBuffer final : KernelState {
  std::vector<double> row;
};

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
    case TypeId::kBool:
      out[in.offset] = c.BoolValue(r) ? 1.0 : 0.0;
      return true;
    case TypeId::kInt32:
      out[in.offset] = c.Values<int32_t>()[r];
      return true;
    case TypeId::kInt64:
      out[in.offset] = static_cast<double>(c.Values<int64_t>()[r]);
      return true;
    case TypeId::kFloat32:
      out[in.offset] = c.Values<float>()[r];
      return !std::isnan(out[in.offset]);
    case TypeId::kFloat64:
      out[in.offset] = c.Values<double>()[r];
      return !std::isnan(out[in.offset]);
    default:
      break;
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

// One input of a sparse assembly, resolved to its arrays once per batch.
struct Source {
  enum Kind : uint8_t { kFloat64, kFloat32, kInt32, kInt64, kBool, kSparse, kDense };
  Kind kind;
  const Column* column;
  const void* values;      // scalar values, or a vector's value array
  const int32_t* offsets;  // sparse vectors
  const int32_t* indices;  // sparse vectors
  bool nulls;
  int64_t offset;  // first output slot
  int64_t width;
};

Source ResolveSource(const Column& c, const Input& in) {
  Source s{Source::kFloat64,   &c,        nullptr, nullptr, nullptr,
           c.null_count() > 0, in.offset, in.width};
  switch (c.type_id()) {
    case TypeId::kBool:
      s.kind = Source::kBool;
      break;
    case TypeId::kInt32:
      s.kind = Source::kInt32;
      s.values = c.Values<int32_t>();
      break;
    case TypeId::kInt64:
      s.kind = Source::kInt64;
      s.values = c.Values<int64_t>();
      break;
    case TypeId::kFloat32:
      s.kind = Source::kFloat32;
      s.values = c.Values<float>();
      break;
    case TypeId::kVector:
      if (c.type()->sparse()) {
        s.kind = Source::kSparse;
        s.offsets = c.Offsets();
        s.indices = c.child(0)->Values<int32_t>();
        s.values = c.child(1)->Values<double>();
      } else {
        s.kind = Source::kDense;
        s.values = c.child(0)->Values<double>() + c.offset() * in.width;
      }
      break;
    default:
      s.values = c.Values<double>();
      break;
  }
  return s;
}

// The most entries `s` can add for n rows: one per scalar row, a sparse row's stored
// entries, a dense row's width, and a null row's width (NaN in every slot).
int64_t MaxEntries(const Source& s, int64_t n) {
  const int64_t nulls = s.nulls ? s.column->null_count() * s.width : 0;
  switch (s.kind) {
    case Source::kSparse:
      return s.offsets[n] - s.offsets[0] + nulls;
    case Source::kDense:
      return n * s.width;
    default:
      return n;
  }
}

// The sparse output column of a batch in one row-major pass: each row's entries are the
// inputs' non-zero (or NaN) values in slot order, written sequentially into arrays sized
// for the most entries the inputs can give. `bad[r]` is set for rows with a null or NaN
// input, and `first_bad` to the first such input.
Result<ColumnPtr> AssembleSparse(const Batch& b, const std::vector<Input>& inputs, int64_t width,
                                 std::vector<uint8_t>* bad, int* first_bad) {
  const int64_t n = b.num_rows();
  bad->assign(static_cast<size_t>(n), 0);
  *first_bad = -1;
  std::vector<Source> sources;
  int64_t bound = 0;
  for (const Input& in : inputs) {
    sources.push_back(ResolveSource(*b.column(in.index), in));
    bound += MaxEntries(sources.back(), n);
  }
  if (bound > INT32_MAX)
    return InvalidArgument("VectorAssembler: more than 2^31 vector entries in one batch");
  SparseVectorWriter w(n, bound);
  int32_t* off = w.off;
  int32_t* ix = w.ix;
  double* vx = w.vx;
  int32_t at = 0;
  auto mark = [&](int64_t r, size_t j) {
    (*bad)[r] = 1;
    if (*first_bad < 0 || static_cast<int>(j) < *first_bad) *first_bad = static_cast<int>(j);
  };
  // Stores a scalar entry unless it is zero; NaN is stored and marks the row.
  auto scalar = [&](int64_t r, size_t j, int64_t slot, double v) {
    if (v != 0.0) {
      ix[at] = static_cast<int32_t>(slot);
      vx[at++] = v;
      if (std::isnan(v)) mark(r, j);
    }
  };
  for (int64_t r = 0; r < n; ++r) {
    off[r] = at;
    for (size_t j = 0; j < sources.size(); ++j) {
      const Source& s = sources[j];
      if (s.nulls && s.column->IsNull(r)) {
        for (int64_t k = 0; k < s.width; ++k) {
          ix[at] = static_cast<int32_t>(s.offset + k);
          vx[at++] = NAN;
        }
        mark(r, j);
        continue;
      }
      switch (s.kind) {
        case Source::kFloat64:
          scalar(r, j, s.offset, static_cast<const double*>(s.values)[r]);
          break;
        case Source::kFloat32:
          scalar(r, j, s.offset, static_cast<const float*>(s.values)[r]);
          break;
        case Source::kInt32:
          scalar(r, j, s.offset, static_cast<const int32_t*>(s.values)[r]);
          break;
        case Source::kInt64:
          scalar(r, j, s.offset, static_cast<double>(static_cast<const int64_t*>(s.values)[r]));
          break;
        case Source::kBool:
          scalar(r, j, s.offset, s.column->BoolValue(r) ? 1.0 : 0.0);
          break;
        case Source::kSparse: {
          const double* val = static_cast<const double*>(s.values);
          for (int32_t e = s.offsets[r]; e < s.offsets[r + 1]; ++e)
            scalar(r, j, s.offset + s.indices[e], val[e]);
          break;
        }
        case Source::kDense: {
          const double* row = static_cast<const double*>(s.values) + r * s.width;
          for (int64_t k = 0; k < s.width; ++k) scalar(r, j, s.offset + k, row[k]);
          break;
        }
      }
    }
  }
  return w.Finish(width, at);
}

}  // namespace

Result<RowLowering> VectorAssembler::Lower(const Schema&) const {
  return RowLowering{.kind = RowLowering::Kind::kAssemble,
                     .inputs = params_.input_cols,
                     .output = params_.output_col};
}

Result<std::unique_ptr<BoundTransform>> VectorAssembler::Bind(const Schema& in) const {
  std::vector<Input> inputs;
  std::vector<std::string> slots;
  int64_t width = 0;
  bool sparse = false;
  for (const auto& name : params_.input_cols) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                      name,
                                      [](const DataType& t) {
                                        return t.is_numeric() || t.id() == TypeId::kBool ||
                                               t.id() == TypeId::kVector;
                                      },
                                      "a numeric, boolean or vector column"));
    const DataType& t = *in.field(i).type;
    const int64_t w = t.id() == TypeId::kVector ? t.vector_size() : 1;
    sparse = sparse || (t.id() == TypeId::kVector && t.sparse());
    if (t.id() == TypeId::kVector) {
      auto names = SlotNames(in.field(i));
      for (int64_t k = 0; k < w; ++k) {
        const bool named =
            names && static_cast<int64_t>(names->size()) == w && !(*names)[k].empty();
        slots.push_back(name + "_" + (named ? (*names)[k] : std::to_string(k)));
      }
    } else {
      slots.push_back(name);
    }
    inputs.push_back({i, width, w});
    width += w;
  }
  if (in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("VectorAssembler: output column '" + params_.output_col +
                         "' already exists");
  }
  Field f =
      MakeField(params_.output_col, sparse ? SparseVectorType(width) : DenseVectorType(width));
  SetSlotNames(&f, slots);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(f)));
  const HandleInvalid mode = params_.handle_invalid;
  const std::vector<std::string> names = params_.input_cols;
  return std::unique_ptr<BoundTransform>(new FunctionStatefulKernel<RowBuffer>(
      out,
      [out, inputs, width, sparse, mode, names](const Batch& b,
                                                RowBuffer& buffer) -> Result<Batch> {
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
        std::vector<double>& row = buffer.row;  // this thread's, kept across batches
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
