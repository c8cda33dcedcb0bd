// LibSVM / SVMlight reader: "label index:value index:value ..." per line, 1-based indices,
// into a float64 `label` column and a sparse vector `features` column (0-based slots).
// Blocks are parsed in parallel; a malformed line is an error naming file, line and token,
// or skipped and counted (BadRowPolicy::kSkip).
#pragma once

#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/io/csv.h"

namespace ember {

struct LibSvmReadOptions {
  // The vector size; 0 means the largest index seen (across all ranks).
  int64_t num_features = 0;
  // kKeep is treated like kSkip here: a line with no valid label has nothing to keep.
  BadRowPolicy bad_rows = BadRowPolicy::kError;
  int64_t block_size = 8 << 20;
  int64_t collective_timeout_ms = int64_t{10} * 60 * 1000;
};

Result<DataFrame> ParseLibSvm(const ExecContext& ctx, std::string_view data,
                              const std::string& name, const LibSvmReadOptions& options = {},
                              CsvReadStats* stats = nullptr);
Result<DataFrame> ReadLibSvm(const ExecContext& ctx, const std::string& path,
                             const LibSvmReadOptions& options = {});

}  // namespace ember
