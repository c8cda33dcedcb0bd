// CSV writer: partitions are formatted in parallel, then written in order to a temporary
// file that is renamed into place.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "ember/base/base64.h"
#include "ember/base/datetime.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/io/csv.h"

namespace ember {

namespace {

// Strings that would read back as something else (null tokens, surrounding spaces) are
// quoted as well as those holding the delimiter, a quote or a line break.
bool NeedsQuotes(std::string_view s, char delim) {
  if (s.empty() || s == "NA" || s == "N/A" || s == "null" || s == "NULL") return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  for (char c : s) {
    if (c == delim || c == '"' || c == '\n' || c == '\r') return true;
  }
  return false;
}

void AppendField(std::string_view s, char delim, std::string* out) {
  if (!NeedsQuotes(s, delim)) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendCell(const Column& c, int64_t row, const CsvWriteOptions& o, std::string* out) {
  if (c.IsNull(row)) {
    out->append(o.null_value);
    return;
  }
  switch (c.type_id()) {
    case TypeId::kBool:
      out->append(c.BoolValue(row) ? "true" : "false");
      return;
    case TypeId::kInt32:
      AppendNumber(c.Values<int32_t>()[row], out);
      return;
    case TypeId::kInt64:
      AppendNumber(c.Values<int64_t>()[row], out);
      return;
    case TypeId::kFloat32:
      AppendNumber(c.Values<float>()[row], out);
      return;
    case TypeId::kFloat64:
      AppendNumber(c.Values<double>()[row], out);
      return;
    case TypeId::kDate:
      out->append(datetime::FormatDate(c.Values<int32_t>()[row]));
      return;
    case TypeId::kTimestamp:
      out->append(datetime::FormatTimestampIso(c.Values<int64_t>()[row]));
      return;
    case TypeId::kString:
      AppendField(c.StringValue(row), o.delimiter, out);
      return;
    case TypeId::kBinary: {
      std::string b64;
      AppendBase64(c.StringValue(row), &b64);
      AppendField(b64, o.delimiter, out);
      return;
    }
    default: {
      std::string json;
      AppendValueJson(c, row, &json);
      AppendField(json, o.delimiter, out);
      return;
    }
  }
}

}  // namespace

Status WriteCsv(const ExecContext& ctx, const DataFrame& frame, const std::string& path,
                const CsvWriteOptions& options) {
  if (!frame.schema()) return InvalidArgument("WriteCsv: frame has no schema");
  std::vector<std::string> chunks(frame.num_partitions());
  auto format = [&](int64_t p) -> Status {
    const Batch& b = frame.partition(static_cast<int>(p));
    std::string& out = chunks[p];
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      for (int c = 0; c < b.num_columns(); ++c) {
        if (c) out.push_back(options.delimiter);
        AppendCell(*b.column(c), r, options, &out);
      }
      out.push_back('\n');
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(frame.num_partitions(), format, ctx.cancel));
  } else {
    for (int p = 0; p < frame.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(format(p));
  }
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return IoError("cannot write '" + path + "'");
  bool ok = true;
  if (options.header) {
    std::string head;
    for (int c = 0; c < frame.schema()->num_fields(); ++c) {
      if (c) head.push_back(options.delimiter);
      AppendField(frame.schema()->field(c).name, options.delimiter, &head);
    }
    head.push_back('\n');
    ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  }
  for (const auto& chunk : chunks) {
    if (!ok) break;
    ok = std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size();
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IoError("error writing '" + path + "'");
  }
  return Status::OK();
}

}  // namespace ember
