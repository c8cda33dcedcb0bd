#include "ember/io/internal/csv_tokenizer.h"

#include <cstring>

namespace ember::io::internal {

namespace {

// Number of bytes equal to `c` in the 8 bytes of `w` (exact; no false positives).
inline int CountByte(uint64_t w, char c) {
  const uint64_t x = w ^ (0x0101010101010101ULL * static_cast<uint8_t>(c));
  const uint64_t lo7 = 0x7F7F7F7F7F7F7F7FULL;
  const uint64_t zero_bytes = ~(((x & lo7) + lo7) | x | lo7);
  // Each matching byte has its top bit set: sum the bits with a multiply (no popcnt needed).
  return static_cast<int>(((zero_bytes >> 7) * 0x0101010101010101ULL) >> 56);
}

}  // namespace

void CountQuotesAndNewlines(const char* p, size_t n, char quote, int64_t* quotes,
                            int64_t* newlines) {
  int64_t q = 0, nl = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    q += CountByte(w, quote);
    nl += CountByte(w, '\n');
  }
  for (; i < n; ++i) {
    q += p[i] == quote;
    nl += p[i] == '\n';
  }
  *quotes = q;
  *newlines = nl;
}

int64_t FirstRecordStart(std::string_view data, int64_t pos, bool in_quotes, bool at_record_start,
                         char quote) {
  if (at_record_start && !in_quotes) return pos;
  const int64_t size = static_cast<int64_t>(data.size());
  bool q = in_quotes;
  while (pos < size) {
    char c = data[pos++];
    if (c == quote) {
      q = !q;
    } else if (c == '\n' && !q) {
      break;
    }
  }
  return pos;
}

namespace {

// Scans one field starting at `pos` with the generic rule (every quote toggles); returns
// its end (at a delimiter, a newline outside quotes, or the end of data).
int64_t ScanGeneric(std::string_view data, int64_t pos, bool in_quotes, const CsvDialect& d) {
  const int64_t size = static_cast<int64_t>(data.size());
  bool q = in_quotes;
  for (; pos < size; ++pos) {
    char c = data[pos];
    if (c == d.quote) {
      q = !q;
    } else if (!q && (c == d.delimiter || c == '\n')) {
      break;
    }
  }
  return pos;
}

// Parses one field at *pos. Sets *start/*len to its raw content (without surrounding
// quotes), *escaped if it holds doubled quotes, and returns a problem or nullptr.
const char* ParseField(std::string_view data, int64_t* pos, const CsvDialect& d, int64_t* start,
                       int64_t* len, bool* quoted, bool* escaped) {
  const int64_t size = static_cast<int64_t>(data.size());
  const char* base = data.data();
  int64_t p = *pos;
  *escaped = false;
  if (p < size && base[p] == d.quote) {
    *quoted = true;
    ++p;
    *start = p;
    for (;;) {
      const void* hit = std::memchr(base + p, d.quote, static_cast<size_t>(size - p));
      if (hit == nullptr) {
        *len = size - *start;
        *pos = size;
        return "a quoted field is not closed before the end of the file";
      }
      p = static_cast<const char*>(hit) - base;
      if (p + 1 < size && base[p + 1] == d.quote) {
        *escaped = true;
        p += 2;
        continue;
      }
      break;
    }
    *len = p - *start;
    ++p;  // closing quote
    if (p < size && base[p] != d.delimiter && base[p] != '\n' &&
        !(base[p] == '\r' && (p + 1 == size || base[p + 1] == '\n'))) {
      *pos = ScanGeneric(data, p, false, d);
      *len = *pos - *start;
      return "unexpected text after a closing quote";
    }
    *pos = p;
    return nullptr;
  }
  *quoted = false;
  *start = p;
  while (p < size) {
    char c = base[p];
    if (c == d.delimiter || c == '\n') break;
    if (c == d.quote) {
      *pos = ScanGeneric(data, p, false, d);
      *len = *pos - *start;
      return "a quote inside an unquoted field (quote the whole field and double the quote)";
    }
    ++p;
  }
  int64_t end = p;
  if (end > *start && base[end - 1] == '\r' && (p == size || base[p] == '\n')) --end;
  *len = end - *start;
  *pos = p;
  return nullptr;
}

void Unescape(const char* p, int64_t n, char quote, std::string* out) {
  for (int64_t i = 0; i < n; ++i) {
    out->push_back(p[i]);
    if (p[i] == quote && i + 1 < n && p[i + 1] == quote) ++i;
  }
}

// Skips the record terminator at `*pos` (after the last field): "\n", "\r\n" or end of data.
void SkipTerminator(std::string_view data, int64_t* pos) {
  const int64_t size = static_cast<int64_t>(data.size());
  if (*pos < size && data[*pos] == '\r') ++*pos;
  if (*pos < size && data[*pos] == '\n') ++*pos;
}

}  // namespace

void TokenizedBlock::Clear(int num_cols) {
  cols.resize(static_cast<size_t>(num_cols));
  for (auto& c : cols) c.clear();
  row_offsets.clear();
  num_rows = 0;
  bad.clear();
  arena.clear();
}

void TokenizeBlock(std::string_view data, int64_t begin, int64_t end, int num_cols,
                   const CsvDialect& d, TokenizedBlock* out) {
  const int64_t size = static_cast<int64_t>(data.size());
  const char* base = data.data();
  out->Clear(num_cols);
  out->base = base + begin;
  std::vector<CsvField> rec;
  rec.reserve(static_cast<size_t>(num_cols) + 1);
  int64_t pos = begin;
  while (pos < end && pos < size) {
    // Blank lines are not records.
    if (base[pos] == '\n') {
      ++pos;
      continue;
    }
    if (base[pos] == '\r' && pos + 1 < size && base[pos + 1] == '\n') {
      pos += 2;
      continue;
    }
    const int64_t rec_start = pos;
    rec.clear();
    const char* problem = nullptr;
    int problem_field = -1;
    for (;;) {
      int64_t start, len;
      bool quoted, escaped;
      const char* p = ParseField(data, &pos, d, &start, &len, &quoted, &escaped);
      if (p == nullptr && (len > CsvField::kMaxLen || pos - begin > UINT32_MAX)) {
        p = "record too long (fields are limited to 512 MiB, records to 4 GiB)";
      }
      if (p != nullptr && problem == nullptr) {
        problem = p;
        problem_field = static_cast<int>(rec.size());
      }
      uint32_t flags = quoted ? CsvField::kQuoted : 0;
      uint32_t offset = static_cast<uint32_t>(start - begin);
      if (escaped && problem == nullptr) {
        offset = static_cast<uint32_t>(out->arena.size());
        Unescape(base + start, len, d.quote, &out->arena);
        len = static_cast<int64_t>(out->arena.size()) - offset;
        flags |= CsvField::kArena;
      }
      rec.push_back(
          {offset, static_cast<uint32_t>(std::min<int64_t>(len, CsvField::kMaxLen)) | flags});
      if (pos < size && base[pos] == d.delimiter) {
        ++pos;
        continue;
      }
      SkipTerminator(data, &pos);
      break;
    }
    std::string message;
    if (problem != nullptr) {
      message = problem;
    } else if (static_cast<int>(rec.size()) != num_cols) {
      message =
          "expected " + std::to_string(num_cols) + " fields, got " + std::to_string(rec.size());
    }
    if (message.empty()) {
      for (int c = 0; c < num_cols; ++c) out->cols[c].push_back(rec[c]);
    } else {
      // Keep the table rectangular: the bad row becomes num_cols nulls.
      for (int c = 0; c < num_cols; ++c) out->cols[c].push_back({0, CsvField::kNull});
      out->bad.push_back({out->num_rows, rec_start, problem_field, std::move(message)});
    }
    out->row_offsets.push_back(rec_start);
    ++out->num_rows;
  }
}

std::string ReadRecord(std::string_view data, int64_t* pos, const CsvDialect& d,
                       std::vector<std::string>* fields) {
  const int64_t size = static_cast<int64_t>(data.size());
  fields->clear();
  std::string problem;
  for (;;) {
    int64_t start, len;
    bool quoted, escaped;
    const char* p = ParseField(data, pos, d, &start, &len, &quoted, &escaped);
    if (p != nullptr && problem.empty()) problem = p;
    std::string f;
    if (escaped)
      Unescape(data.data() + start, len, d.quote, &f);
    else
      f.assign(data.data() + start, len);
    fields->push_back(std::move(f));
    if (*pos < size && data[*pos] == d.delimiter) {
      ++*pos;
      continue;
    }
    SkipTerminator(data, pos);
    break;
  }
  return problem;
}

}  // namespace ember::io::internal
