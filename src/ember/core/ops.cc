#include "ember/core/ops.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ember/base/base64.h"
#include "ember/base/datetime.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"

namespace ember {

Result<ColumnPtr> Concat(std::span<const ColumnPtr> columns) {
  if (columns.empty()) return InvalidArgument("Concat needs at least one column");
  if (columns.size() == 1) return columns[0];
  const TypePtr& type = columns[0]->type();
  int64_t total = 0;
  for (const auto& c : columns) {
    if (!c->type()->Equals(*type)) {
      return TypeError("cannot concatenate " + type->ToString() + " with " + c->type()->ToString());
    }
    total += c->length();
  }
  auto builder = MakeBuilder(type);
  builder->Reserve(total);
  for (const auto& c : columns) builder->AppendRange(*c, 0, c->length());
  return builder->Finish();
}

Result<Batch> ConcatBatches(std::span<const Batch> batches) {
  if (batches.empty()) return InvalidArgument("ConcatBatches needs at least one batch");
  const SchemaPtr& schema = batches[0].schema();
  for (const Batch& b : batches) {
    if (!b.schema()->Equals(*schema)) {
      return TypeError("cannot concatenate batches with different schemas");
    }
  }
  std::vector<ColumnPtr> out;
  int64_t rows = 0;
  for (const Batch& b : batches) rows += b.num_rows();
  for (int c = 0; c < schema->num_fields(); ++c) {
    std::vector<ColumnPtr> parts;
    for (const Batch& b : batches) parts.push_back(b.column(c));
    EMBER_ASSIGN_OR_RETURN(ColumnPtr col, Concat(parts));
    out.push_back(std::move(col));
  }
  return Batch::Make(schema, std::move(out), rows);
}

namespace {

BufferPtr Malloced(int64_t bytes, uint8_t** data) {
  *data = static_cast<uint8_t*>(std::malloc(static_cast<size_t>(std::max<int64_t>(bytes, 1))));
  return std::make_shared<const Buffer>(*data, bytes, Buffer::TakeMalloced{});
}

template <typename T>
ColumnPtr GatherValues(const Column& column, std::span<const int64_t> indices) {
  const int64_t n = static_cast<int64_t>(indices.size());
  uint8_t* data = nullptr;
  BufferPtr values = Malloced(n * static_cast<int64_t>(sizeof(T)), &data);
  const T* in = column.Values<T>();
  T* out = reinterpret_cast<T*>(data);
  for (int64_t i = 0; i < n; ++i) out[i] = in[indices[i]];
  return Column::MakeUnchecked(column.type(), n, {nullptr, values}, {}, 0);
}

// `bytes`: the total length of the rows taken.
ColumnPtr GatherStrings(const Column& column, std::span<const int64_t> indices, int64_t bytes) {
  const int64_t n = static_cast<int64_t>(indices.size());
  const int32_t* off = column.Offsets();
  uint8_t* offsets_data = nullptr;
  uint8_t* bytes_data = nullptr;
  BufferPtr offsets = Malloced((n + 1) * 4, &offsets_data);
  BufferPtr chars = Malloced(bytes, &bytes_data);
  auto* out_off = reinterpret_cast<int32_t*>(offsets_data);
  const char* in = column.StringData();
  int32_t at = 0;
  for (int64_t k = 0; k < n; ++k) {
    out_off[k] = at;
    const int32_t len = off[indices[k] + 1] - off[indices[k]];
    std::memcpy(bytes_data + at, in + off[indices[k]], static_cast<size_t>(len));
    at += len;
  }
  out_off[n] = at;
  return Column::MakeUnchecked(column.type(), n, {nullptr, offsets, chars}, {}, 0);
}

}  // namespace

Result<ColumnPtr> Take(const Column& column, std::span<const int64_t> indices) {
  for (int64_t i : indices) {
    if (i < 0 || i >= column.length()) {
      return OutOfRange("row index " + std::to_string(i) + " out of range for a column of " +
                        std::to_string(column.length()) + " rows");
    }
  }
  // Columns without nulls of the common types: a straight gather.
  if (column.null_count() == 0) {
    switch (column.type_id()) {
      case TypeId::kInt32:
      case TypeId::kDate:
        return GatherValues<int32_t>(column, indices);
      case TypeId::kInt64:
      case TypeId::kTimestamp:
        return GatherValues<int64_t>(column, indices);
      case TypeId::kFloat32:
        return GatherValues<float>(column, indices);
      case TypeId::kFloat64:
        return GatherValues<double>(column, indices);
      case TypeId::kString:
      case TypeId::kBinary: {
        const int32_t* off = column.Offsets();
        int64_t bytes = 0;
        for (int64_t i : indices) bytes += off[i + 1] - off[i];
        if (bytes <= INT32_MAX) return GatherStrings(column, indices, bytes);
        break;
      }
      default:
        break;
    }
  }
  auto builder = MakeBuilder(column.type());
  builder->Reserve(static_cast<int64_t>(indices.size()));
  for (int64_t i : indices) builder->AppendFrom(column, i);
  return builder->Finish();
}

Result<Batch> TakeRows(const Batch& batch, std::span<const int64_t> indices) {
  std::vector<ColumnPtr> out;
  for (const auto& c : batch.columns()) {
    EMBER_ASSIGN_OR_RETURN(ColumnPtr col, Take(*c, indices));
    out.push_back(std::move(col));
  }
  return Batch::Make(batch.schema(), std::move(out), static_cast<int64_t>(indices.size()));
}

namespace {
Result<std::vector<int64_t>> MaskToIndices(const Column& mask, int64_t length) {
  if (mask.type_id() != TypeId::kBool) {
    return TypeError("filter mask must be bool, got " + mask.type()->ToString());
  }
  if (mask.length() != length) {
    return InvalidArgument("filter mask has " + std::to_string(mask.length()) + " rows, expected " +
                           std::to_string(length));
  }
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < length; ++i) {
    if (mask.IsValid(i) && mask.BoolValue(i)) idx.push_back(i);
  }
  return idx;
}
}  // namespace

Result<ColumnPtr> Filter(const Column& column, const Column& mask) {
  EMBER_ASSIGN_OR_RETURN(auto idx, MaskToIndices(mask, column.length()));
  return Take(column, idx);
}

Result<Batch> FilterRows(const Batch& batch, const Column& mask) {
  EMBER_ASSIGN_OR_RETURN(auto idx, MaskToIndices(mask, batch.num_rows()));
  return TakeRows(batch, idx);
}

namespace {

bool DoubleEq(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool RowEqual(const Column& a, int64_t i, const Column& b, int64_t j) {
  bool va = a.IsValid(i), vb = b.IsValid(j);
  if (va != vb) return false;
  if (!va) return true;
  switch (a.type_id()) {
    case TypeId::kBool:
      return a.BoolValue(i) == b.BoolValue(j);
    case TypeId::kInt32:
    case TypeId::kDate:
      return a.Values<int32_t>()[i] == b.Values<int32_t>()[j];
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return a.Values<int64_t>()[i] == b.Values<int64_t>()[j];
    case TypeId::kFloat32:
      return DoubleEq(a.Values<float>()[i], b.Values<float>()[j]);
    case TypeId::kFloat64:
      return DoubleEq(a.Values<double>()[i], b.Values<double>()[j]);
    case TypeId::kString:
    case TypeId::kBinary:
      return a.StringValue(i) == b.StringValue(j);
    case TypeId::kList: {
      const int32_t *oa = a.Offsets(), *ob = b.Offsets();
      int64_t n = oa[i + 1] - oa[i];
      if (n != ob[j + 1] - ob[j]) return false;
      for (int64_t k = 0; k < n; ++k) {
        if (!RowEqual(*a.child(0), oa[i] + k, *b.child(0), ob[j] + k)) return false;
      }
      return true;
    }
    case TypeId::kStruct:
      for (size_t f = 0; f < a.children().size(); ++f) {
        if (!RowEqual(*a.child(f), a.offset() + i, *b.child(f), b.offset() + j)) return false;
      }
      return true;
    case TypeId::kVector:
      if (!a.type()->sparse()) {
        auto ra = a.DenseRow(i), rb = b.DenseRow(j);
        for (size_t k = 0; k < ra.size(); ++k) {
          if (!DoubleEq(ra[k], rb[k])) return false;
        }
        return true;
      } else {
        auto ia = a.SparseIndices(i), ib = b.SparseIndices(j);
        auto xa = a.SparseValues(i), xb = b.SparseValues(j);
        if (ia.size() != ib.size()) return false;
        for (size_t k = 0; k < ia.size(); ++k) {
          if (ia[k] != ib[k] || !DoubleEq(xa[k], xb[k])) return false;
        }
        return true;
      }
  }
  return false;
}

void AppendNumber(double v, std::string* out) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendFloat(float v, std::string* out) {
  if (!std::isfinite(v)) {
    AppendNumber(v, out);
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

// Writes one value; `json` selects JSON output (quoted strings, null for NaN) over display.
void AppendValue(const Column& c, int64_t row, bool json, bool nested, std::string* out) {
  if (c.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (c.type_id()) {
    case TypeId::kBool:
      out->append(c.BoolValue(row) ? "true" : "false");
      return;
    case TypeId::kInt32:
      out->append(std::to_string(c.Values<int32_t>()[row]));
      return;
    case TypeId::kInt64:
      out->append(std::to_string(c.Values<int64_t>()[row]));
      return;
    case TypeId::kDate:
    case TypeId::kTimestamp: {
      // Display: "2024-03-01", "2024-03-01 10:00:00"; JSON: quoted, timestamps in ISO 8601.
      const std::string text = c.type_id() == TypeId::kDate
                                   ? datetime::FormatDate(c.Values<int32_t>()[row])
                                   : (json ? datetime::FormatTimestampIso(c.Values<int64_t>()[row])
                                           : datetime::FormatTimestamp(c.Values<int64_t>()[row]));
      if (json) out->push_back('"');
      out->append(text);
      if (json) out->push_back('"');
      return;
    }
    case TypeId::kFloat32:
      if (json && !std::isfinite(c.Values<float>()[row]))
        out->append("null");
      else
        AppendFloat(c.Values<float>()[row], out);
      return;
    case TypeId::kFloat64:
      if (json && !std::isfinite(c.Values<double>()[row]))
        out->append("null");
      else
        AppendNumber(c.Values<double>()[row], out);
      return;
    case TypeId::kString:
      if (json || nested)
        AppendJsonString(c.StringValue(row), out);
      else
        out->append(c.StringValue(row));
      return;
    case TypeId::kBinary:
      if (json) {
        out->push_back('"');
        AppendBase64(c.StringValue(row), out);
        out->push_back('"');
      } else {
        out->append("<" + std::to_string(c.StringValue(row).size()) + " bytes>");
      }
      return;
    case TypeId::kList: {
      const int32_t* o = c.Offsets();
      out->push_back('[');
      for (int64_t k = o[row]; k < o[row + 1]; ++k) {
        if (k > o[row]) out->push_back(',');
        AppendValue(*c.child(0), k, json, true, out);
      }
      out->push_back(']');
      return;
    }
    case TypeId::kStruct: {
      out->push_back('{');
      const auto& fields = c.type()->fields();
      for (size_t f = 0; f < fields.size(); ++f) {
        if (f) out->push_back(',');
        AppendJsonString(fields[f].name, out);
        out->push_back(':');
        AppendValue(*c.child(f), c.offset() + row, json, true, out);
      }
      out->push_back('}');
      return;
    }
    case TypeId::kVector: {
      auto num = [&](double v) {
        if (json && !std::isfinite(v))
          out->append("null");
        else
          AppendNumber(v, out);
      };
      if (!c.type()->sparse()) {
        out->push_back('[');
        auto r = c.DenseRow(row);
        for (size_t k = 0; k < r.size(); ++k) {
          if (k) out->push_back(',');
          num(r[k]);
        }
        out->push_back(']');
      } else {
        // SparkML's JSON form of a sparse vector.
        out->append("{\"size\":" + std::to_string(c.type()->vector_size()) + ",\"indices\":[");
        auto idx = c.SparseIndices(row);
        auto val = c.SparseValues(row);
        for (size_t k = 0; k < idx.size(); ++k) {
          if (k) out->push_back(',');
          out->append(std::to_string(idx[k]));
        }
        out->append("],\"values\":[");
        for (size_t k = 0; k < val.size(); ++k) {
          if (k) out->push_back(',');
          num(val[k]);
        }
        out->append("]}");
      }
      return;
    }
  }
}

}  // namespace

bool ColumnsEqual(const Column& a, const Column& b) {
  if (!a.type()->Equals(*b.type()) || a.length() != b.length()) return false;
  for (int64_t i = 0; i < a.length(); ++i) {
    if (!RowEqual(a, i, b, i)) return false;
  }
  return true;
}

bool BatchesEqual(const Batch& a, const Batch& b) {
  if (!a.schema() || !b.schema()) return a.schema() == b.schema();
  if (!a.schema()->Equals(*b.schema()) || a.num_rows() != b.num_rows()) return false;
  for (int c = 0; c < a.num_columns(); ++c) {
    if (!ColumnsEqual(*a.column(c), *b.column(c))) return false;
  }
  return true;
}

bool FramesEqual(const DataFrame& a, const DataFrame& b) {
  return DescribeDifference(a, b).empty();
}

std::string DescribeDifference(const DataFrame& a, const DataFrame& b) {
  if (!a.schema() || !b.schema()) {
    return a.schema() == b.schema() ? "" : "one frame has no schema";
  }
  if (!a.schema()->Equals(*b.schema())) {
    return "schemas differ:\n" + a.schema()->ToString() + "vs\n" + b.schema()->ToString();
  }
  if (a.num_rows() != b.num_rows()) {
    return "row counts differ: " + std::to_string(a.num_rows()) + " vs " +
           std::to_string(b.num_rows());
  }
  Result<Batch> ba = a.Collect(), bb = b.Collect();
  if (!ba.ok()) return ba.status().ToString();
  if (!bb.ok()) return bb.status().ToString();
  for (int c = 0; c < ba->num_columns(); ++c) {
    for (int64_t r = 0; r < ba->num_rows(); ++r) {
      if (!RowEqual(*ba->column(c), r, *bb->column(c), r)) {
        return "column '" + a.schema()->field(c).name + "' row " + std::to_string(r) + ": " +
               FormatValue(*ba->column(c), r) + " vs " + FormatValue(*bb->column(c), r);
      }
    }
  }
  return "";
}

std::string FormatValue(const Column& column, int64_t row) {
  std::string out;
  AppendValue(column, row, /*json=*/false, /*nested=*/false, &out);
  return out;
}

void AppendValueJson(const Column& column, int64_t row, std::string* out) {
  AppendValue(column, row, /*json=*/true, /*nested=*/true, out);
}

}  // namespace ember
