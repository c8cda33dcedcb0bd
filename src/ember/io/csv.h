// CSV reading and writing. The reader splits the file into byte blocks parsed in parallel
// (correct across quoted newlines: a first pass counts quotes per block, so every block
// knows whether it starts inside a quoted field), infers or checks the schema, and turns
// each block into one partition. On several ranks each rank reads only its share of the
// bytes. A malformed row is an error naming the file, line and column by default; by
// option it is skipped and counted, or kept with its problem in an error column. Never
// silently dropped.
#pragma once

#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/io/compression.h"

namespace ember {

enum class BadRowPolicy {
  kError,  // fail the read, naming file, line and column (default)
  kSkip,   // drop the row, count it, log the first few problems
  kKeep,   // keep the row (bad values null) and describe the problem in an error column
};

struct CsvReadOptions {
  char delimiter = ',';
  char quote = '"';
  // Fields are separated by runs of spaces and tabs, and a line's leading and trailing ones
  // are ignored (scikit-learn's space-separated .csv.gz files, R's write.table, aligned
  // text); `delimiter` is then unused. Quoted fields keep their spaces.
  bool whitespace_delimited = false;
  bool header = true;
  // Lines to skip before the header (e.g. scikit-learn's CSVs start with a counts line).
  int64_t skip_lines = 0;
  // The columns' names, in order: with a header they replace its names, without one they
  // replace _c0, _c1, ...; their number must match the file's columns. Empty: the header's.
  std::vector<std::string> column_names;
  // Read through gzip by the name (".gz") or as told (compression.h).
  Compression compression = Compression::kAuto;
  // The schema to read with; null means infer each column (bool, int64, float64 or string;
  // an all-null column is string). With a header, its names must match the schema's.
  SchemaPtr schema;
  // Unquoted fields equal to one of these are null. The default is the empty field only, as
  // Spark, DuckDB and Polars read CSV: "NA" is Namibia's country code and "null" may be a
  // word. PandasNullValues() is pandas' list, for files written by R or pandas.
  std::vector<std::string> null_values = {""};

  static std::vector<std::string> PandasNullValues() {
    return {"",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
            "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
            "NaN",  "None",   "n/a",      "nan",  "null"};
  }
  BadRowPolicy bad_rows = BadRowPolicy::kError;
  // kKeep: the string column that receives "line N: problem | raw text" (null if fine).
  std::string error_column = "_corrupt_record";
  // Bytes per parsing block; each block becomes one partition.
  int64_t block_size = 8 << 20;
  // On several ranks: how long a rank waits for the others at each step before failing.
  int64_t collective_timeout_ms = int64_t{10} * 60 * 1000;
};

struct CsvReadStats {
  int64_t rows = 0;                       // rows in the frame (including kept bad rows)
  int64_t bad_rows = 0;                   // rows skipped or kept with an error
  std::vector<std::string> first_errors;  // up to 10 messages
};

struct CsvReadResult {
  DataFrame frame;
  CsvReadStats stats;
};

// Reads `path`. With ctx.comm of several ranks, each rank returns the rows of its share of
// the file and all ranks agree on the schema. Errors name the file, line and column.
Result<CsvReadResult> ReadCsvWithStats(const ExecContext& ctx, const std::string& path,
                                       const CsvReadOptions& options = {});
// As ReadCsvWithStats; skipped rows are logged as a warning through ctx.log.
Result<DataFrame> ReadCsv(const ExecContext& ctx, const std::string& path,
                          const CsvReadOptions& options = {});

struct CsvWriteOptions {
  char delimiter = ',';
  bool header = true;
  std::string null_value = "";  // written for nulls
};

// Writes `frame` to `path` (atomically: a temporary file renamed into place). Fields with
// the delimiter, quotes, CR or LF are quoted; lists, structs and vectors are written as
// JSON text, binary as base64.
Status WriteCsv(const ExecContext& ctx, const DataFrame& frame, const std::string& path,
                const CsvWriteOptions& options = {});

// Parses CSV held in memory (for tests, fuzzing and small inputs); `name` stands for the
// file name in messages.
Result<CsvReadResult> ParseCsv(const ExecContext& ctx, std::string_view data,
                               const std::string& name, const CsvReadOptions& options = {});

}  // namespace ember
