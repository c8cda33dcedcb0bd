// The CSV tokenizer: splits records into field spans without copying (quoted fields with
// doubled quotes are unescaped into a side arena). Every quote toggles the quoted state,
// exactly as the parallel pre-pass counts them, so a block parsed from its middle agrees
// with a serial parse. Internal to io/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::io::internal {

// One field: 8 bytes, stored column by column so that conversion reads memory in order.
struct CsvField {
  static constexpr uint32_t kQuoted = 1u << 29;  // was quoted (so never null)
  static constexpr uint32_t kNull = 1u << 30;    // forced null (a padded field of a bad row)
  static constexpr uint32_t kArena = 1u << 31;   // offset is into the arena (unescaped)
  static constexpr uint32_t kMaxLen = (1u << 29) - 1;
  uint32_t offset;
  uint32_t len_flags;
  uint32_t len() const { return len_flags & kMaxLen; }
  bool quoted() const { return len_flags & kQuoted; }
  bool null() const { return len_flags & kNull; }
};

struct CsvBadRow {
  int64_t row;          // index of the row within its block
  int64_t byte_offset;  // where the record starts in the file
  int field;            // 0-based field index, or -1 for the whole row
  std::string message;
};

// The records of one block. Reusable: Clear() keeps the memory for the next block.
struct TokenizedBlock {
  const char* base = nullptr;               // field offsets are from here
  std::vector<std::vector<CsvField>> cols;  // one vector per column, num_rows each
  std::vector<int64_t> row_offsets;         // byte offset of each record's start
  int64_t num_rows = 0;
  std::vector<CsvBadRow> bad;
  std::string arena;  // unescaped quoted fields live here

  std::string_view Text(const CsvField& f) const {
    const char* p = (f.len_flags & CsvField::kArena) ? arena.data() + f.offset : base + f.offset;
    return {p, f.len()};
  }
  void Clear(int num_cols);
};

struct CsvDialect {
  char delimiter = ',';
  char quote = '"';
};

// Counts quote bytes and newline bytes in [p, p + n).
void CountQuotesAndNewlines(const char* p, size_t n, char quote, int64_t* quotes,
                            int64_t* newlines);

// Skips to the start of the first record that begins at or after `pos`, given whether
// `pos` is inside a quoted field and whether a record starts exactly at `pos`.
int64_t FirstRecordStart(std::string_view data, int64_t pos, bool in_quotes, bool at_record_start,
                         char quote);

// Tokenizes the records that start in [begin, end) of `data` (`begin` is a record start).
// A record with a problem or with other than `num_cols` fields becomes a row of nulls and an
// entry in `bad`. Blank lines are skipped.
void TokenizeBlock(std::string_view data, int64_t begin, int64_t end, int num_cols,
                   const CsvDialect& dialect, TokenizedBlock* out);

// Reads one record at `*pos` into `fields` (strings, unescaped) and advances `*pos` past it.
// Returns a problem description, or "" if the record is well formed.
std::string ReadRecord(std::string_view data, int64_t* pos, const CsvDialect& dialect,
                       std::vector<std::string>* fields);

}  // namespace ember::io::internal
