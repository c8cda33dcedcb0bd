// The CSV tokenizer: splits records into field spans without copying (quoted fields with
// doubled quotes are unescaped into a side arena). Every quote toggles the quoted state,
// exactly as the parallel pre-pass counts them, so a block parsed from its middle agrees
// with a serial parse. Internal to io/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::io_internal {

struct CsvField {
  const char* ptr;
  uint32_t len;
  uint8_t quoted;  // 1 if the field was quoted (never null then)
  uint8_t null;    // 1 if forced null (a padded field of a bad row)
};

struct CsvBadRow {
  int64_t row;          // index of the row within its block
  int64_t byte_offset;  // where the record starts in the file
  int field;            // 0-based field index, or -1 for the whole row
  std::string message;
};

struct TokenizedBlock {
  std::vector<CsvField> fields;  // num_rows * num_cols, row-major
  std::vector<int64_t> row_offsets;  // byte offset of each record's start
  int64_t num_rows = 0;
  std::vector<CsvBadRow> bad;
  std::string arena;  // unescaped quoted fields live here
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

}  // namespace ember::io_internal
