// CSV reader: header, pre-pass, parallel block tokenizing and column conversion, schema
// unification (across blocks and ranks), bad-row policy. See csv.h for the contract.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "ember/base/datetime.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/csv.h"
#include "ember/io/internal/block_reader.h"
#include "ember/io/internal/csv_tokenizer.h"
#include "ember/io/internal/text_parse.h"

namespace ember {

using namespace io::internal;

namespace {

// The inference lattice: null < bool < string, null < int64 < float64 < string.
enum class Kind : uint8_t { kNull = 0, kBool, kInt64, kFloat64, kString };

Kind Join(Kind a, Kind b) {
  if (a == b || b == Kind::kNull) return a;
  if (a == Kind::kNull) return b;
  if ((a == Kind::kInt64 && b == Kind::kFloat64) || (a == Kind::kFloat64 && b == Kind::kInt64)) {
    return Kind::kFloat64;
  }
  return Kind::kString;
}

TypePtr KindType(Kind k) {
  switch (k) {
    case Kind::kBool:
      return BoolType();
    case Kind::kInt64:
      return Int64Type();
    case Kind::kFloat64:
      return Float64Type();
    default:
      return StringType();
  }
}

class NullMatcher {
 public:
  explicit NullMatcher(const std::vector<std::string>& tokens) {
    for (const auto& t : tokens) {
      if (t.empty())
        has_empty_ = true;
      else
        others_.push_back(t);
    }
  }
  bool IsNull(const TokenizedBlock& tb, const CsvField& f) const {
    if (f.len_flags & (CsvField::kNull | CsvField::kQuoted)) return f.null();
    if (f.len() == 0) return has_empty_;
    if (others_.empty()) return false;
    std::string_view v = tb.Text(f);
    for (const auto& t : others_) {
      if (t == v) return true;
    }
    return false;
  }

 private:
  bool has_empty_ = false;
  std::vector<std::string> others_;
};

struct ConvError {
  int64_t row;
  std::string message;
};

std::string Quoted(std::string_view v) {
  std::string s(v.substr(0, 60));
  if (v.size() > 60) s += "...";
  return "'" + s + "'";
}

// Appends a dense vector written as "[1, 2, 3]" (as WriteCsv writes it).
bool ParseDenseVector(std::string_view s, int64_t size, std::vector<double>* out) {
  s = TrimSpaces(s);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  s = s.substr(1, s.size() - 2);
  out->clear();
  while (!TrimSpaces(s).empty()) {
    size_t comma = s.find(',');
    double v;
    if (!ParseFloat(s.substr(0, comma), &v)) return false;
    out->push_back(v);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return static_cast<int64_t>(out->size()) == size;
}

// Column `c` of `tb` converted to `type`; unparsable values become null plus a ConvError.
ColumnPtr ConvertTyped(const TokenizedBlock& tb, int c, int ncols, const TypePtr& type,
                       const NullMatcher& nulls, std::vector<ConvError>* errors) {
  auto builder = MakeBuilder(type);
  builder->Reserve(tb.num_rows);
  const std::vector<CsvField>& fields = tb.cols[c];
  if (type->is_binary_like()) {
    int64_t bytes = 0;
    for (const CsvField& f : fields) bytes += f.len();
    static_cast<StringBuilder*>(builder.get())->ReserveBytes(bytes);
  }
  std::vector<double> vec;
  for (int64_t r = 0; r < tb.num_rows; ++r) {
    const CsvField& f = fields[r];
    if (nulls.IsNull(tb, f)) {
      builder->AppendNull();
      continue;
    }
    std::string_view v = tb.Text(f);
    bool ok = true;
    switch (type->id()) {
      case TypeId::kBool: {
        bool b;
        ok = ParseBool(v, &b);
        if (ok) static_cast<BoolBuilder*>(builder.get())->Append(b);
        break;
      }
      case TypeId::kInt32: {
        int32_t x;
        ok = ParseInt(v, &x);
        if (ok) static_cast<Int32Builder*>(builder.get())->Append(x);
        break;
      }
      case TypeId::kInt64: {
        int64_t x;
        ok = ParseInt(v, &x);
        if (ok) static_cast<Int64Builder*>(builder.get())->Append(x);
        break;
      }
      case TypeId::kFloat32: {
        float x;
        ok = ParseFloat(v, &x);
        if (ok) static_cast<Float32Builder*>(builder.get())->Append(x);
        break;
      }
      case TypeId::kFloat64: {
        double x;
        ok = ParseFloat(v, &x);
        if (ok) static_cast<Float64Builder*>(builder.get())->Append(x);
        break;
      }
      case TypeId::kString:
        ok = IsAscii(v.data(), v.size()) || IsValidUtf8(v);
        if (ok) static_cast<StringBuilder*>(builder.get())->Append(v);
        break;
      case TypeId::kBinary:
        static_cast<StringBuilder*>(builder.get())->Append(v);
        break;
      case TypeId::kDate: {
        int32_t days = 0;
        ok = datetime::ParseDate(v, &days);
        if (ok) static_cast<Int32Builder*>(builder.get())->Append(days);
        break;
      }
      case TypeId::kTimestamp: {
        int64_t micros = 0;
        ok = datetime::ParseTimestamp(v, &micros);
        if (ok) static_cast<Int64Builder*>(builder.get())->Append(micros);
        break;
      }
      case TypeId::kVector:
        ok = ParseDenseVector(v, type->vector_size(), &vec) &&
             static_cast<DenseVectorBuilder*>(builder.get())->Append(vec).ok();
        break;
      default:
        ok = false;
    }
    if (!ok) {
      builder->AppendNull();
      errors->push_back({r, type->id() == TypeId::kString
                                ? std::string("invalid UTF-8")
                                : "expected " + type->ToString() + ", got " + Quoted(v)});
    }
  }
  return builder->Finish();
}

// Column `c` inferred: the narrowest kind that holds every value, and the column.
std::pair<Kind, ColumnPtr> ConvertInfer(const TokenizedBlock& tb, int c, int ncols,
                                        const NullMatcher& nulls, std::vector<ConvError>* errors) {
  Kind kind = Kind::kNull;
  Int64Builder ints(Int64Type());
  Float64Builder dbls(Float64Type());
  BoolBuilder bools;
  ints.Reserve(tb.num_rows);
  int64_t leading_nulls = 0;
  int64_t r = 0;
  const std::vector<CsvField>& fields = tb.cols[c];
  for (; r < tb.num_rows; ++r) {
    const CsvField& f = fields[r];
    if (nulls.IsNull(tb, f)) {
      switch (kind) {
        case Kind::kNull:
          ++leading_nulls;
          break;
        case Kind::kBool:
          bools.AppendNull();
          break;
        case Kind::kInt64:
          ints.AppendNull();
          break;
        default:
          dbls.AppendNull();
          break;
      }
      continue;
    }
    std::string_view v = tb.Text(f);
    if (kind == Kind::kNull) {
      bool b;
      int64_t i;
      double d;
      ColumnBuilder* chosen;
      if (ParseBool(v, &b)) {
        kind = Kind::kBool;
        chosen = &bools;
      } else if (ParseInt(v, &i)) {
        kind = Kind::kInt64;
        chosen = &ints;
      } else if (ParseFloat(v, &d)) {
        kind = Kind::kFloat64;
        chosen = &dbls;
        dbls.Reserve(tb.num_rows);
      } else
        break;  // string
      for (int64_t k = 0; k < leading_nulls; ++k) chosen->AppendNull();
    }
    if (kind == Kind::kBool) {
      bool b;
      if (!ParseBool(v, &b)) break;
      bools.Append(b);
    } else if (kind == Kind::kInt64) {
      int64_t i;
      if (ParseInt(v, &i)) {
        ints.Append(i);
        continue;
      }
      double d;
      if (!ParseFloat(v, &d)) break;
      // Widen: the integers so far become doubles.
      ColumnPtr done = ints.Finish();
      dbls.Reserve(tb.num_rows);
      for (int64_t k = 0; k < done->length(); ++k) {
        if (done->IsNull(k))
          dbls.AppendNull();
        else
          dbls.Append(static_cast<double>(done->Values<int64_t>()[k]));
      }
      kind = Kind::kFloat64;
      dbls.Append(d);
    } else {
      double d;
      if (!ParseFloat(v, &d)) break;
      dbls.Append(d);
    }
  }
  if (r < tb.num_rows) {
    return {Kind::kString, ConvertTyped(tb, c, ncols, StringType(), nulls, errors)};
  }
  switch (kind) {
    case Kind::kBool:
      return {kind, bools.Finish()};
    case Kind::kInt64:
      return {kind, ints.Finish()};
    case Kind::kFloat64:
      return {kind, dbls.Finish()};
    default:
      return {Kind::kNull, Column::MakeNull(StringType(), tb.num_rows)};
  }
}

// Casts an int64 column to float64 (widening after unification).
ColumnPtr IntToDouble(const Column& c) {
  Float64Builder b(Float64Type());
  b.Reserve(c.length());
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i))
      b.AppendNull();
    else
      b.Append(static_cast<double>(c.Values<int64_t>()[i]));
  }
  return b.Finish();
}

// `data` with each line's runs of spaces and tabs outside quotes as one tab, and its leading
// and trailing ones removed (CsvReadOptions::whitespace_delimited). Newlines stay, so line
// numbers in messages are the file's.
std::string CollapseWhitespace(std::string_view data, char quote) {
  std::string out;
  out.reserve(data.size());
  bool in_quotes = false, pending = false, line_start = true;
  for (const char c : data) {
    if (in_quotes) {
      out.push_back(c);
      in_quotes = c != quote;
      continue;
    }
    if (c == ' ' || c == '\t') {
      pending = !line_start;
      continue;
    }
    if (c == '\n' || c == '\r') {
      pending = false;
      line_start = true;
      out.push_back(c);
      continue;
    }
    if (pending) out.push_back('\t');
    pending = line_start = false;
    in_quotes = c == quote;
    out.push_back(c);
  }
  return out;
}

// One block: the records starting in [begin, end).
struct Block {
  int64_t begin = 0, end = 0;
  int64_t quotes = 0, newlines = 0;  // counted in [begin, end)
  bool in_quotes = false;            // state at `begin`
  int64_t line = 0;                  // newlines before `begin`
  // Results.
  int64_t record_begin = 0;
  int64_t num_rows = 0;
  std::vector<ColumnPtr> columns;
  std::vector<Kind> kinds;
  std::vector<CsvBadRow> bad;  // structural and conversion problems, in row order
};

struct Reader {
  const ExecContext& ctx;
  std::string_view data;
  const std::string& name;
  const CsvReadOptions& opt;
  CsvDialect dialect;
  std::vector<std::string> names;
  std::vector<TypePtr> types;  // explicit schema, or empty when inferring
  int ncols = 0;
  int64_t body_begin = 0;
  int64_t body_line = 0;

  std::string Where(int64_t line, int field) const {
    std::string s = name + ":" + std::to_string(line + 1);
    if (field >= 0 && field < ncols) {
      s += ": column " + std::to_string(field + 1) + " ('" + names[field] + "')";
    }
    return s;
  }

  Status ReadHeader();
  void ParseBlock(Block* b, bool infer) const;
  Status Run(CsvReadResult* result);
  Status Finish(std::vector<Block>& blocks, const std::vector<TypePtr>& final_types,
                CsvReadResult* result) const;
};

Status Reader::ReadHeader() {
  int64_t pos = 0;
  if (data.size() >= 3 && std::memcmp(data.data(), "\xEF\xBB\xBF", 3) == 0) pos = 3;  // BOM
  for (int64_t i = 0; i < opt.skip_lines && pos < static_cast<int64_t>(data.size()); ++i) {
    const void* nl = std::memchr(data.data() + pos, '\n', data.size() - pos);
    pos = nl ? static_cast<const char*>(nl) - data.data() + 1 : static_cast<int64_t>(data.size());
  }
  if (opt.schema && !opt.column_names.empty())
    return InvalidArgument(name + ": give the columns' names or a schema, not both");
  std::vector<std::string> first;
  const int64_t header_begin = pos;
  if (opt.header || !opt.schema) {
    int64_t p = pos;
    if (p >= static_cast<int64_t>(data.size())) {
      if (!opt.schema) return InvalidArgument(name + ": the file is empty; expected a header row");
    } else {
      std::string problem = ReadRecord(data, &p, dialect, &first);
      if (!problem.empty() && opt.header) return InvalidArgument(name + ": header row: " + problem);
      if (opt.header) pos = p;
    }
  }
  body_begin = pos;
  int64_t q;
  CountQuotesAndNewlines(data.data(), static_cast<size_t>(pos), dialect.quote, &q, &body_line);
  if (opt.header) {
    int64_t header_line = 0;
    CountQuotesAndNewlines(data.data(), static_cast<size_t>(header_begin), dialect.quote, &q,
                           &header_line);
    bool numeric = !first.empty();
    for (size_t i = 0; i < first.size(); ++i) {
      if (!IsValidUtf8(first[i])) {
        return InvalidArgument(name + ":" + std::to_string(header_line + 1) + ": column " +
                               std::to_string(i + 1) +
                               ": the header is not valid UTF-8 (is the file in another "
                               "encoding? convert it, e.g. iconv -f latin1 -t utf-8)");
      }
      double v;
      numeric = numeric && ParseFloat(std::string_view(first[i]), &v);
    }
    if (numeric && ctx.log) {
      ctx.log->Warning(name + ":" + std::to_string(header_line + 1) +
                       ": the header row is all numbers; if the file has no header, read it "
                       "with header off (ember: --no-header), or skip a counts line "
                       "(--skip-lines 1)");
    }
  }
  if (!opt.column_names.empty() && !opt.schema) {
    if (opt.column_names.size() != first.size()) {
      return InvalidArgument(name + ": " + std::to_string(opt.column_names.size()) +
                             " column names given but the file has " +
                             std::to_string(first.size()) + " columns");
    }
    first = opt.column_names;
  }
  if (opt.schema) {
    ncols = opt.schema->num_fields();
    names = opt.schema->field_names();
    for (const Field& f : opt.schema->fields()) {
      const TypeId id = f.type->id();
      if (id == TypeId::kList || id == TypeId::kStruct ||
          (id == TypeId::kVector && f.type->sparse())) {
        return TypeError(name + ": column '" + f.name + "' has type " + f.type->ToString() +
                         ", which CSV cannot hold");
      }
      types.push_back(f.type);
    }
    if (opt.header) {
      if (static_cast<int>(first.size()) != ncols) {
        return InvalidArgument(name + ": the header has " + std::to_string(first.size()) +
                               " columns but the schema has " + std::to_string(ncols));
      }
      for (int i = 0; i < ncols; ++i) {
        if (first[i] != names[i]) {
          return InvalidArgument(name + ": header column " + std::to_string(i + 1) + " is '" +
                                 first[i] + "' but the schema says '" + names[i] + "'");
        }
      }
    }
  } else {
    ncols = static_cast<int>(first.size());
    for (int i = 0; i < ncols; ++i) {
      std::string n = opt.header || !opt.column_names.empty() ? first[i] : "";
      if (n.empty()) n = "_c" + std::to_string(i);
      // Repeated names get a suffix, as pandas does: a, a.1, a.2.
      std::string unique = n;
      for (int k = 1; std::find(names.begin(), names.end(), unique) != names.end(); ++k) {
        unique = n + "." + std::to_string(k);
      }
      if (unique != n && ctx.log)
        ctx.log->Warning(name + ": repeated column name '" + n + "' renamed '" + unique + "'");
      names.push_back(unique);
    }
  }
  if (!opt.error_column.empty() && opt.bad_rows == BadRowPolicy::kKeep &&
      std::find(names.begin(), names.end(), opt.error_column) != names.end()) {
    return InvalidArgument(name + ": error column '" + opt.error_column +
                           "' clashes with a column of the file");
  }
  return Status::OK();
}

void Reader::ParseBlock(Block* b, bool infer) const {
  const bool at_start = b->begin == body_begin || data[b->begin - 1] == '\n';
  b->record_begin = FirstRecordStart(data, b->begin, b->in_quotes, at_start, dialect.quote);
  // Reused across the blocks a thread parses, so its memory is touched once.
  thread_local TokenizedBlock tb;
  TokenizeBlock(data, b->record_begin, b->end, ncols, dialect, &tb);
  b->num_rows = tb.num_rows;
  NullMatcher nulls(opt.null_values);
  std::vector<std::vector<ConvError>> errors(ncols);
  b->columns.resize(ncols);
  b->kinds.assign(ncols, Kind::kString);
  for (int c = 0; c < ncols; ++c) {
    if (infer) {
      auto [kind, col] = ConvertInfer(tb, c, ncols, nulls, &errors[c]);
      b->kinds[c] = kind;
      b->columns[c] = std::move(col);
    } else {
      b->columns[c] = ConvertTyped(tb, c, ncols, types[c], nulls, &errors[c]);
      if (!opt.schema->field(c).nullable && b->columns[c]->null_count() > 0) {
        // A null in a non-nullable column is a bad row (unless it already is one).
        const Column& col = *b->columns[c];
        std::vector<bool> flagged(tb.num_rows, false);
        for (const CsvBadRow& bad : tb.bad) flagged[bad.row] = true;
        for (const ConvError& e : errors[c]) flagged[e.row] = true;
        for (int64_t r = 0; r < tb.num_rows; ++r) {
          if (col.IsNull(r) && !flagged[r])
            errors[c].push_back({r, "null in a non-nullable column"});
        }
      }
    }
  }
  b->bad = std::move(tb.bad);
  for (int c = 0; c < ncols; ++c) {
    for (auto& e : errors[c])
      b->bad.push_back({e.row, tb.row_offsets[e.row], c, std::move(e.message)});
  }
  std::stable_sort(b->bad.begin(), b->bad.end(),
                   [](const CsvBadRow& x, const CsvBadRow& y) { return x.row < y.row; });
  // Keep one problem per row: the first column's.
  b->bad.erase(std::unique(b->bad.begin(), b->bad.end(),
                           [](const CsvBadRow& x, const CsvBadRow& y) { return x.row == y.row; }),
               b->bad.end());
}

Status Reader::Run(CsvReadResult* result) {
  Communicator* comm = ctx.comm;
  const int rank = comm ? comm->rank() : 0, nranks = comm ? comm->size() : 1;
  const Deadline deadline = Deadline::In(std::chrono::milliseconds(opt.collective_timeout_ms));
  Status header = ReadHeader();
  if (nranks > 1) {
    EMBER_RETURN_IF_ERROR(ExchangeWithStatus(comm, header, "", deadline).status());
  }
  EMBER_RETURN_IF_ERROR(header);
  const bool infer = !opt.schema;
  // This rank's byte range of the body, cut into blocks.
  std::vector<Block> blocks;
  for (auto [begin, end] :
       RankBlocks(body_begin, static_cast<int64_t>(data.size()), ctx, opt.block_size)) {
    Block b;
    b.begin = begin;
    b.end = end;
    blocks.push_back(std::move(b));
  }
  auto parallel = [&](const std::function<Status(int64_t)>& fn) {
    return ForEachBlock(ctx, static_cast<int64_t>(blocks.size()), fn);
  };
  // Pass 1: quotes and newlines per block, so each block knows its quote state and line.
  Status pass1 = parallel([&](int64_t i) {
    Block& b = blocks[i];
    CountQuotesAndNewlines(data.data() + b.begin, static_cast<size_t>(b.end - b.begin),
                           dialect.quote, &b.quotes, &b.newlines);
    return Status::OK();
  });
  if (nranks == 1) EMBER_RETURN_IF_ERROR(pass1);
  int64_t my_counts[2] = {0, 0};
  for (const Block& b : blocks) {
    my_counts[0] += b.quotes;
    my_counts[1] += b.newlines;
  }
  int64_t quotes = 0, lines = body_line;
  if (nranks > 1) {
    std::string mine(reinterpret_cast<const char*>(my_counts), sizeof(my_counts));
    EMBER_ASSIGN_OR_RETURN(auto all, ExchangeWithStatus(comm, pass1, mine, deadline));
    for (int r = 0; r < rank; ++r) {
      int64_t c[2];
      std::memcpy(c, all[r].data(), sizeof(c));
      quotes += c[0];
      lines += c[1];
    }
  }
  for (Block& b : blocks) {
    b.in_quotes = quotes % 2 == 1;
    b.line = lines;
    quotes += b.quotes;
    lines += b.newlines;
  }
  // Pass 2: tokenize and convert each block.
  Status pass2 = parallel([&](int64_t i) {
    ParseBlock(&blocks[i], infer);
    return Status::OK();
  });
  if (nranks == 1) EMBER_RETURN_IF_ERROR(pass2);
  // Unify inferred types over blocks and ranks.
  std::vector<TypePtr> final_types = types;
  Status fix = pass2;  // on several ranks a failure travels to the next exchange
  if (infer) {
    std::string kinds(ncols, static_cast<char>(Kind::kNull));
    for (const Block& b : blocks) {
      for (int c = 0; c < ncols; ++c)
        kinds[c] = static_cast<char>(Join(Kind(kinds[c]), b.kinds[c]));
    }
    if (nranks > 1) {
      EMBER_ASSIGN_OR_RETURN(auto all, ExchangeWithStatus(comm, pass2, kinds, deadline));
      for (const auto& k : all) {
        for (int c = 0; c < ncols; ++c)
          kinds[c] = static_cast<char>(Join(Kind(kinds[c]), Kind(k[c])));
      }
    }
    for (int c = 0; c < ncols; ++c) final_types.push_back(KindType(Kind(kinds[c])));
    fix = parallel([&](int64_t i) {
      Block& b = blocks[i];
      std::unique_ptr<TokenizedBlock> tb;
      for (int c = 0; c < ncols; ++c) {
        const Kind want = Kind(kinds[c]);
        if (b.kinds[c] == want) continue;
        if (b.kinds[c] == Kind::kNull) {
          b.columns[c] = Column::MakeNull(final_types[c], b.num_rows);
        } else if (b.kinds[c] == Kind::kInt64 && want == Kind::kFloat64) {
          b.columns[c] = IntToDouble(*b.columns[c]);
        } else {
          // Needs the text again: re-tokenize this block (rare: a column that is numeric
          // in this block but not in another).
          if (!tb) {
            tb = std::make_unique<TokenizedBlock>();
            TokenizeBlock(data, b.record_begin, b.end, ncols, dialect, tb.get());
          }
          std::vector<ConvError> ignored;  // UTF-8 problems were found in the first pass
          b.columns[c] =
              ConvertTyped(*tb, c, ncols, StringType(), NullMatcher(opt.null_values), &ignored);
        }
      }
      return Status::OK();
    });
  }
  Status local = fix.ok() ? Finish(blocks, final_types, result) : fix;
  if (nranks > 1) EMBER_RETURN_IF_ERROR(ExchangeWithStatus(comm, local, "", deadline).status());
  return local;
}

Status Reader::Finish(std::vector<Block>& blocks, const std::vector<TypePtr>& final_types,
                      CsvReadResult* result) const {
  // Bad rows: line numbers, then the policy.
  std::vector<Field> fields;
  for (int c = 0; c < ncols; ++c) {
    Field f = MakeField(names[c], final_types[c]);
    if (opt.schema) f = opt.schema->field(c);
    fields.push_back(std::move(f));
  }
  const bool keep = opt.bad_rows == BadRowPolicy::kKeep;
  if (keep) fields.push_back(MakeField(opt.error_column, StringType()));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(std::move(fields)));
  std::string first_error;
  std::vector<Batch> parts;
  for (Block& b : blocks) {
    LineCounter lines(data, b.begin, b.line);
    std::vector<BadRow> bad;
    for (const CsvBadRow& r : b.bad) {
      bad.push_back({r.row, Where(lines.LineOf(r.byte_offset) - 1, r.field) + ": " + r.message,
                     RecordText(data, r.byte_offset)});
    }
    AddBadRows(bad, &result->stats, &first_error);
    if (b.num_rows == 0) continue;
    EMBER_ASSIGN_OR_RETURN(Batch batch, ApplyBadRowPolicy(schema, std::move(b.columns), b.num_rows,
                                                          bad, opt.bad_rows));
    parts.push_back(std::move(batch));
  }
  if (opt.bad_rows == BadRowPolicy::kError && !first_error.empty())
    return InvalidArgument(first_error);
  EMBER_ASSIGN_OR_RETURN(result->frame, DataFrame::Make(schema, std::move(parts)));
  result->stats.rows = result->frame.num_rows();
  return Status::OK();
}

}  // namespace

Result<CsvReadResult> ParseCsv(const ExecContext& ctx, std::string_view data,
                               const std::string& name, const CsvReadOptions& options) {
  if (options.delimiter == options.quote || options.delimiter == '\n' || options.quote == '\n') {
    return InvalidArgument("CSV delimiter and quote must differ and not be a newline");
  }
  std::string collapsed;
  CsvDialect dialect{options.delimiter, options.quote};
  if (options.whitespace_delimited) {
    collapsed = CollapseWhitespace(data, options.quote);
    data = collapsed;
    dialect.delimiter = '\t';
  }
  Reader reader{ctx, data, name, options, dialect, {}, {}, 0, 0, 0};
  CsvReadResult result;
  EMBER_RETURN_IF_ERROR(reader.Run(&result));
  return result;
}

Result<CsvReadResult> ReadCsvWithStats(const ExecContext& ctx, const std::string& path,
                                       const CsvReadOptions& options) {
  EMBER_ASSIGN_OR_RETURN(auto file, TableBytes::Open(path, options.compression));
  return ParseCsv(ctx, file->data(), path, options);
}

Result<DataFrame> ReadCsv(const ExecContext& ctx, const std::string& path,
                          const CsvReadOptions& options) {
  EMBER_ASSIGN_OR_RETURN(CsvReadResult r, ReadCsvWithStats(ctx, path, options));
  if (r.stats.bad_rows > 0 && ctx.log) {
    std::string msg = path + ": " + std::to_string(r.stats.bad_rows) + " malformed row(s) " +
                      (options.bad_rows == BadRowPolicy::kSkip
                           ? "skipped"
                           : "kept in column '" + options.error_column + "'") +
                      "; first: " + r.stats.first_errors.front();
    ctx.log->Warning(msg);
  }
  return std::move(r.frame);
}

}  // namespace ember
