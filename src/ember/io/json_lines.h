// JSON Lines reading and writing (one JSON object per line). Objects become structs, arrays
// lists, numbers int64 or float64, with the schema inferred over the whole input (or
// given). The reader parses byte blocks in parallel with simdjson; on several ranks each
// rank reads its share of the bytes and all agree on the schema. Malformed lines follow the
// same BadRowPolicy as CSV.
#pragma once

#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/io/csv.h"

namespace ember {

struct JsonReadOptions {
  // Null means infer: bool, int64, float64, string, list<...>, struct<...>; ints and
  // floats together become float64; other conflicts become string holding the JSON text.
  // With a schema, fields not in it are ignored and missing ones are null; a dense vector
  // reads an array of numbers, a sparse vector {"size", "indices", "values"}, binary base64.
  SchemaPtr schema;
  BadRowPolicy bad_rows = BadRowPolicy::kError;
  std::string error_column = "_corrupt_record";
  int64_t block_size = 8 << 20;
  int64_t collective_timeout_ms = int64_t{10} * 60 * 1000;
  // Read through gzip by the name (".gz") or as told (compression.h).
  Compression compression = Compression::kAuto;
};

struct JsonReadResult {
  DataFrame frame;
  CsvReadStats stats;
};

Result<JsonReadResult> ParseJsonLines(const ExecContext& ctx, std::string_view data,
                                      const std::string& name, const JsonReadOptions& options = {});
Result<JsonReadResult> ReadJsonLinesWithStats(const ExecContext& ctx, const std::string& path,
                                              const JsonReadOptions& options = {});
Result<DataFrame> ReadJsonLines(const ExecContext& ctx, const std::string& path,
                                const JsonReadOptions& options = {});

// One object per row; nulls are written as null members. Atomic (temporary file renamed).
Status WriteJsonLines(const ExecContext& ctx, const DataFrame& frame, const std::string& path);

}  // namespace ember
