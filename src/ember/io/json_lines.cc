// JSON Lines reader (inference pass, then a building pass, both per block in parallel) and
// writer.
#include "ember/io/json_lines.h"

#include <simdjson.h>

#include <cstdio>
#include <cstring>

#include "ember/base/base64.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/internal/block_reader.h"
#include "ember/io/internal/csv_tokenizer.h"
#include "ember/io/json_values.h"

namespace ember {

namespace dom = simdjson::dom;

namespace {

// --- Inferred types ----------------------------------------------------------------------

struct JType {
  enum Kind { kNull, kBool, kInt, kDouble, kString, kList, kStruct } kind = kNull;
  std::vector<JType> elem;         // list: one element type
  std::vector<std::string> names;  // struct field names, in first-seen order
  std::vector<JType> fields;       // struct field types, parallel to names

  // The index of field `name`, adding it (as null) if new.
  size_t FieldIndex(std::string_view name) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return i;
    }
    names.emplace_back(name);
    fields.emplace_back();
    return names.size() - 1;
  }
};

void Merge(JType* a, const JType& b) {
  if (b.kind == JType::kNull) return;
  if (a->kind == JType::kNull) {
    *a = b;
    return;
  }
  if (a->kind == b.kind) {
    if (a->kind == JType::kList) Merge(&a->elem[0], b.elem[0]);
    if (a->kind == JType::kStruct) {
      for (size_t i = 0; i < b.names.size(); ++i)
        Merge(&a->fields[a->FieldIndex(b.names[i])], b.fields[i]);
    }
    return;
  }
  if ((a->kind == JType::kInt && b.kind == JType::kDouble) ||
      (a->kind == JType::kDouble && b.kind == JType::kInt)) {
    a->kind = JType::kDouble;
    return;
  }
  *a = JType{JType::kString, {}, {}, {}};
}

void Infer(dom::element e, JType* t, int depth) {
  JType v;
  switch (e.type()) {
    case dom::element_type::NULL_VALUE:
      return;
    case dom::element_type::BOOL:
      v.kind = JType::kBool;
      break;
    case dom::element_type::INT64:
      v.kind = JType::kInt;
      break;
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      v.kind = JType::kDouble;
      break;
    case dom::element_type::STRING:
      v.kind = JType::kString;
      break;
    case dom::element_type::ARRAY: {
      if (depth > 64) {
        v.kind = JType::kString;
        break;
      }
      v.kind = JType::kList;
      v.elem.resize(1);
      dom::array arr = e.get_array().value();
      for (dom::element x : arr) Infer(x, &v.elem[0], depth + 1);
      break;
    }
    case dom::element_type::OBJECT: {
      if (depth > 64) {
        v.kind = JType::kString;
        break;
      }
      v.kind = JType::kStruct;
      dom::object obj = e.get_object().value();
      for (dom::key_value_pair kv : obj) {
        const size_t i = v.FieldIndex(kv.key);
        Infer(kv.value, &v.fields[i], depth + 1);
      }
      break;
    }
  }
  Merge(t, v);
}

TypePtr ToDataType(const JType& t) {
  switch (t.kind) {
    case JType::kBool:
      return BoolType();
    case JType::kInt:
      return Int64Type();
    case JType::kDouble:
      return Float64Type();
    case JType::kList:
      return ListType(ToDataType(t.elem[0]));
    case JType::kStruct: {
      std::vector<Field> fields;
      for (size_t i = 0; i < t.names.size(); ++i)
        fields.push_back(MakeField(t.names[i], ToDataType(t.fields[i])));
      return StructType(std::move(fields));
    }
    default:
      return StringType();
  }
}

// JType <-> Json, to agree on types across ranks.
Json ToJson(const JType& t) {
  Json o = Json::MakeObject();
  o.Set("k", static_cast<int64_t>(t.kind));
  if (t.kind == JType::kList) o.Set("e", ToJson(t.elem[0]));
  if (t.kind == JType::kStruct) {
    Json f = Json::MakeArray();
    for (size_t i = 0; i < t.names.size(); ++i)
      f.Append(Json(Json::Array{Json(t.names[i]), ToJson(t.fields[i])}));
    o.Set("f", std::move(f));
  }
  return o;
}
JType FromJson(const Json& j) {
  JType t;
  t.kind = static_cast<JType::Kind>(j.Find("k")->as_int());
  if (t.kind == JType::kList) t.elem.push_back(FromJson(*j.Find("e")));
  if (t.kind == JType::kStruct) {
    for (const Json& p : j.Find("f")->as_array()) {
      t.names.push_back(p.as_array()[0].as_string());
      t.fields.push_back(FromJson(p.as_array()[1]));
    }
  }
  return t;
}

// --- Blocks ------------------------------------------------------------------------------

struct Line {
  int64_t offset;
  int64_t length;
};

struct Block {
  int64_t begin = 0, end = 0, newlines = 0, line = 0;
  std::vector<Line> lines;
  JType inferred;
  int64_t num_rows = 0;
  std::vector<ColumnPtr> columns;
  std::vector<std::pair<int64_t, std::string>> bad;  // (row, message without location)
};

// The lines (records) that start in [begin, end); a line starts after a newline.
void SplitLines(std::string_view data, Block* b) {
  int64_t pos = b->begin;
  if (pos > 0 && data[pos - 1] != '\n') {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    pos = nl ? static_cast<const char*>(nl) - data.data() + 1 : static_cast<int64_t>(data.size());
  }
  while (pos < b->end) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    int64_t stop =
        nl ? static_cast<const char*>(nl) - data.data() : static_cast<int64_t>(data.size());
    int64_t len = stop - pos;
    if (len > 0 && data[pos + len - 1] == '\r') --len;
    bool blank = true;
    for (int64_t i = pos; i < pos + len && blank; ++i) blank = data[i] == ' ' || data[i] == '\t';
    if (!blank) b->lines.push_back({pos, len});
    pos = stop + 1;
  }
}

}  // namespace

Result<JsonReadResult> ParseJsonLines(const ExecContext& ctx, std::string_view data,
                                      const std::string& name, const JsonReadOptions& opt) {
  Communicator* comm = ctx.comm;
  const int rank = comm ? comm->rank() : 0, nranks = comm ? comm->size() : 1;
  const Deadline deadline = Deadline::In(std::chrono::milliseconds(opt.collective_timeout_ms));
  std::vector<Block> blocks;
  for (auto [begin, end] :
       io::internal::RankBlocks(0, static_cast<int64_t>(data.size()), ctx, opt.block_size)) {
    Block b;
    b.begin = begin;
    b.end = end;
    blocks.push_back(std::move(b));
  }
  auto parallel = [&](const std::function<Status(int64_t)>& fn) {
    return io::internal::ForEachBlock(ctx, static_cast<int64_t>(blocks.size()), fn);
  };
  const bool infer = !opt.schema;
  // Pass 1: split lines, count newlines, infer types; invalid lines become bad rows.
  Status pass1 = parallel([&](int64_t i) {
    Block& b = blocks[i];
    int64_t q;
    io::internal::CountQuotesAndNewlines(data.data() + b.begin, b.end - b.begin, '\0', &q,
                                         &b.newlines);
    SplitLines(data, &b);
    if (!infer) return Status::OK();
    thread_local dom::parser parser;
    for (const Line& l : b.lines) {
      dom::element doc;
      if (parser.parse(data.data() + l.offset, l.length).get(doc) == simdjson::SUCCESS &&
          doc.is_object()) {
        Infer(doc, &b.inferred, 0);
      }
    }
    return Status::OK();
  });
  int64_t my_newlines = 0;
  JType merged;
  merged.kind = JType::kStruct;
  for (const Block& b : blocks) {
    my_newlines += b.newlines;
    Merge(&merged, b.inferred);
  }
  int64_t line = 0;
  if (nranks > 1) {
    Json mine = Json::MakeObject();
    mine.Set("newlines", my_newlines);
    mine.Set("type", ToJson(merged));
    EMBER_ASSIGN_OR_RETURN(auto all,
                           io::internal::ExchangeWithStatus(comm, pass1, mine.Dump(), deadline));
    for (int r = 0; r < nranks; ++r) {
      Json j = *Json::Parse(all[r]);
      if (r < rank) line += j.Find("newlines")->as_int();
      Merge(&merged, FromJson(*j.Find("type")));
    }
  }
  EMBER_RETURN_IF_ERROR(pass1);
  for (Block& b : blocks) {
    b.line = line;
    line += b.newlines;
  }
  SchemaPtr data_schema = opt.schema;
  if (infer) {
    std::vector<Field> fields;
    for (size_t i = 0; i < merged.names.size(); ++i)
      fields.push_back(MakeField(merged.names[i], ToDataType(merged.fields[i])));
    EMBER_ASSIGN_OR_RETURN(data_schema, Schema::Make(std::move(fields)));
  }
  TypePtr row_type = StructType(data_schema->fields());
  // Pass 2: build the columns.
  Status pass2 = parallel([&](int64_t i) {
    Block& b = blocks[i];
    thread_local dom::parser parser;
    StructBuilder rows(row_type);
    for (size_t k = 0; k < b.lines.size(); ++k) {
      const Line& l = b.lines[k];
      dom::element doc;
      auto err = parser.parse(data.data() + l.offset, l.length).get(doc);
      std::string problem;
      if (err)
        problem = std::string("invalid JSON: ") + simdjson::error_message(err);
      else if (!doc.is_object())
        problem = "expected a JSON object, got " + JsonKind(doc);
      else
        problem = CheckJsonValue(doc, *row_type, "").message();
      if (!problem.empty()) {
        // A bad row is a struct of nulls (not a null struct): its columns are null.
        rows.Append();
        for (int f = 0; f < rows.num_fields(); ++f) rows.field_builder(f)->AppendNull();
        b.bad.emplace_back(static_cast<int64_t>(k), std::move(problem));
        continue;
      }
      AppendJsonValue(doc, &rows);
    }
    ColumnPtr all = rows.Finish();
    b.num_rows = all->length();
    b.columns.assign(all->children().begin(), all->children().end());
    return Status::OK();
  });
  // Finish: line numbers, policy, partitions.
  JsonReadResult result;
  auto finish = [&]() -> Status {
    EMBER_RETURN_IF_ERROR(pass2);
    std::vector<Field> fields = data_schema->fields();
    const bool keep = opt.bad_rows == BadRowPolicy::kKeep;
    if (keep) {
      if (data_schema->FindField(opt.error_column) >= 0) {
        return InvalidArgument(name + ": error column '" + opt.error_column +
                               "' clashes with a field");
      }
      fields.push_back(MakeField(opt.error_column, StringType()));
    }
    EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(std::move(fields)));
    std::vector<Batch> parts;
    std::string first_error;
    for (Block& b : blocks) {
      io::internal::LineCounter lines(data, b.begin, b.line);
      std::vector<io::internal::BadRow> bad;
      for (const auto& [row, msg] : b.bad) {
        const int64_t off = b.lines[row].offset;
        bad.push_back({row, name + ":" + std::to_string(lines.LineOf(off)) + ": " + msg,
                       io::internal::RecordText(data, off)});
      }
      io::internal::AddBadRows(bad, &result.stats, &first_error);
      if (b.num_rows == 0) continue;
      EMBER_ASSIGN_OR_RETURN(
          Batch batch, io::internal::ApplyBadRowPolicy(schema, std::move(b.columns), b.num_rows,
                                                       bad, opt.bad_rows));
      parts.push_back(std::move(batch));
    }
    if (opt.bad_rows == BadRowPolicy::kError && !first_error.empty())
      return InvalidArgument(first_error);
    EMBER_ASSIGN_OR_RETURN(result.frame, DataFrame::Make(schema, std::move(parts)));
    result.stats.rows = result.frame.num_rows();
    return Status::OK();
  };
  Status local = finish();
  if (nranks > 1)
    EMBER_RETURN_IF_ERROR(io::internal::ExchangeWithStatus(comm, local, "", deadline).status());
  EMBER_RETURN_IF_ERROR(local);
  return result;
}

Result<JsonReadResult> ReadJsonLinesWithStats(const ExecContext& ctx, const std::string& path,
                                              const JsonReadOptions& options) {
  EMBER_ASSIGN_OR_RETURN(auto file, TableBytes::Open(path, options.compression));
  return ParseJsonLines(ctx, file->data(), path, options);
}

Result<DataFrame> ReadJsonLines(const ExecContext& ctx, const std::string& path,
                                const JsonReadOptions& options) {
  EMBER_ASSIGN_OR_RETURN(JsonReadResult r, ReadJsonLinesWithStats(ctx, path, options));
  if (r.stats.bad_rows > 0 && ctx.log) {
    ctx.log->Warning(path + ": " + std::to_string(r.stats.bad_rows) +
                     " malformed line(s); first: " + r.stats.first_errors.front());
  }
  return std::move(r.frame);
}

Status WriteJsonLines(const ExecContext& ctx, const DataFrame& frame, const std::string& path) {
  if (!frame.schema()) return InvalidArgument("WriteJsonLines: frame has no schema");
  std::vector<std::string> chunks(frame.num_partitions());
  std::vector<std::string> keys;
  for (const Field& f : frame.schema()->fields()) {
    std::string k;
    AppendJsonString(f.name, &k);
    keys.push_back(k + ":");
  }
  auto format = [&](int64_t p) -> Status {
    const Batch& b = frame.partition(static_cast<int>(p));
    std::string& out = chunks[p];
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      out.push_back('{');
      for (int c = 0; c < b.num_columns(); ++c) {
        if (c) out.push_back(',');
        out += keys[c];
        AppendValueJson(*b.column(c), r, &out);
      }
      out += "}\n";
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(frame.num_partitions(), format, ctx.cancel));
  } else {
    for (int p = 0; p < frame.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(format(p));
  }
  std::string all;
  for (auto& c : chunks) all += c;
  return WriteStringToFile(path, all);
}

}  // namespace ember
