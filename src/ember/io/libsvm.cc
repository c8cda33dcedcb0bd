#include "ember/io/libsvm.h"

#include <cstring>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/io/internal/block_reader.h"
#include "ember/io/internal/csv_tokenizer.h"
#include "ember/io/internal/text_parse.h"

namespace ember {

using namespace io::internal;

namespace {

struct Row {
  double label;
  std::vector<std::pair<int32_t, double>> entries;
};

struct Block {
  int64_t begin = 0, end = 0, newlines = 0, line = 0;
  std::vector<Row> rows;
  std::vector<std::pair<int64_t, std::string>> bad;  // (byte offset, problem)
  int64_t max_index = 0;
};

// Parses one line; returns a problem or "". Comments (#...) are ignored.
std::string ParseLine(std::string_view line, Row* row) {
  size_t hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  size_t pos = 0;
  auto next = [&]() -> std::string_view {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    return line.substr(start, pos - start);
  };
  std::string_view label = next();
  if (!ParseFloat(label, &row->label)) return "invalid label '" + std::string(label) + "'";
  row->entries.clear();
  for (std::string_view tok = next(); !tok.empty(); tok = next()) {
    if (tok.rfind("qid:", 0) == 0) continue;  // ranking query ids are not features
    size_t colon = tok.find(':');
    int64_t idx;
    double v;
    if (colon == std::string_view::npos || !ParseInt(tok.substr(0, colon), &idx) ||
        !ParseFloat(tok.substr(colon + 1), &v)) {
      return "invalid feature '" + std::string(tok) + "' (expected index:value)";
    }
    if (idx < 1 || idx > INT32_MAX)
      return "feature index " + std::to_string(idx) + " out of range (indices start at 1)";
    if (!row->entries.empty() && idx - 1 <= row->entries.back().first) {
      return "feature indices must increase, got " + std::to_string(row->entries.back().first + 1) +
             " then " + std::to_string(idx);
    }
    row->entries.emplace_back(static_cast<int32_t>(idx - 1), v);
  }
  return "";
}

}  // namespace

Result<DataFrame> ParseLibSvm(const ExecContext& ctx, std::string_view data,
                              const std::string& name, const LibSvmReadOptions& opt,
                              CsvReadStats* stats) {
  if (opt.num_features < 0) return InvalidArgument("LibSVM num_features must be >= 0");
  Communicator* comm = ctx.comm;
  const int rank = comm ? comm->rank() : 0, nranks = comm ? comm->size() : 1;
  const Deadline deadline = Deadline::In(std::chrono::milliseconds(opt.collective_timeout_ms));
  const int64_t size = static_cast<int64_t>(data.size());
  std::vector<Block> blocks;
  for (auto [begin, end] : RankBlocks(0, size, ctx, opt.block_size)) {
    Block b;
    b.begin = begin;
    b.end = end;
    blocks.push_back(std::move(b));
  }
  auto work = [&](int64_t i) -> Status {
    Block& b = blocks[i];
    int64_t q;
    CountQuotesAndNewlines(data.data() + b.begin, b.end - b.begin, '\0', &q, &b.newlines);
    int64_t pos = b.begin;
    if (pos > 0 && data[pos - 1] != '\n') {
      const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
      pos = nl ? static_cast<const char*>(nl) - data.data() + 1 : size;
    }
    Row row;
    while (pos < b.end) {
      const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
      int64_t stop = nl ? static_cast<const char*>(nl) - data.data() : size;
      std::string_view line = data.substr(pos, stop - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!TrimSpaces(line).empty() && TrimSpaces(line)[0] != '#') {
        std::string problem = ParseLine(line, &row);
        if (problem.empty()) {
          if (!row.entries.empty())
            b.max_index = std::max<int64_t>(b.max_index, row.entries.back().first + 1);
          b.rows.push_back(row);
        } else {
          b.bad.emplace_back(pos, std::move(problem));
        }
      }
      pos = stop + 1;
    }
    return Status::OK();
  };
  Status parsed = ForEachBlock(ctx, static_cast<int64_t>(blocks.size()), work);
  int64_t counts[2] = {0, 0};  // newlines, max index
  for (const Block& b : blocks) {
    counts[0] += b.newlines;
    counts[1] = std::max(counts[1], b.max_index);
  }
  int64_t line = 0, max_index = counts[1];
  if (nranks > 1) {
    Bytes mine(reinterpret_cast<const char*>(counts), sizeof(counts));
    EMBER_ASSIGN_OR_RETURN(auto all, ExchangeWithStatus(comm, parsed, mine, deadline));
    for (int r = 0; r < nranks; ++r) {
      int64_t c[2];
      std::memcpy(c, all[r].data(), sizeof(c));
      if (r < rank) line += c[0];
      max_index = std::max(max_index, c[1]);
    }
  }
  EMBER_RETURN_IF_ERROR(parsed);
  const int64_t n = opt.num_features > 0 ? opt.num_features : max_index;
  SchemaPtr schema = *Schema::Make(
      {MakeField("label", Float64Type()), MakeField("features", SparseVectorType(n))});
  std::vector<Batch> parts;
  std::string first_error;
  Status local;
  CsvReadStats local_stats;
  for (Block& b : blocks) {
    LineCounter lines(data, b.begin, line);
    std::vector<BadRow> bad;
    for (const auto& [off, problem] : b.bad) {
      bad.push_back({0, name + ":" + std::to_string(lines.LineOf(off)) + ": " + problem, {}});
    }
    AddBadRows(bad, &local_stats, &first_error);
    line += b.newlines;
    Float64Builder labels(Float64Type());
    SparseVectorBuilder features(n);
    for (const Row& r : b.rows) {
      std::vector<int32_t> idx;
      std::vector<double> val;
      for (const auto& [i, v] : r.entries) {
        idx.push_back(i);
        val.push_back(v);
      }
      Status s = features.Append(idx, val);
      if (!s.ok() && local.ok())
        local = InvalidArgument(name + ": " + s.message() + " (num_features is " +
                                std::to_string(n) + ")");
      if (!s.ok()) features.AppendNull();
      labels.Append(r.label);
    }
    if (!b.rows.empty())
      parts.push_back(*Batch::Make(schema, {labels.Finish(), features.Finish()}));
  }
  if (local.ok() && opt.bad_rows == BadRowPolicy::kError && !first_error.empty())
    local = InvalidArgument(first_error);
  if (nranks > 1) EMBER_RETURN_IF_ERROR(ExchangeWithStatus(comm, local, "", deadline).status());
  EMBER_RETURN_IF_ERROR(local);
  if (local_stats.bad_rows > 0 && ctx.log) {
    ctx.log->Warning(name + ": skipped " + std::to_string(local_stats.bad_rows) +
                     " malformed line(s); first: " + first_error);
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, DataFrame::Make(schema, std::move(parts)));
  local_stats.rows = frame.num_rows();
  if (stats) *stats = std::move(local_stats);
  return frame;
}

Result<DataFrame> ReadLibSvm(const ExecContext& ctx, const std::string& path,
                             const LibSvmReadOptions& options) {
  EMBER_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return ParseLibSvm(ctx, file->data(), path, options);
}

}  // namespace ember
