// Binary file reader, as SynapseML's BinaryFileReader: one row per file with its path and
// its bytes. Reads a file, or a directory (optionally recursively), keeping files whose
// name matches a glob; rows are sorted by path so results do not depend on the file
// system's listing order. Files are read in parallel; on several ranks each rank reads
// every size-th file. An unreadable file is an error naming it.
#pragma once

#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

struct BinaryFilesOptions {
  bool recursive = false;
  // fnmatch-style pattern on the file name ("*.jpg"); empty keeps every file.
  std::string path_glob;
  // Files per partition.
  int64_t files_per_partition = 64;
};

// Columns: path (string), bytes (binary).
Result<DataFrame> ReadBinaryFiles(const ExecContext& ctx, const std::string& path,
                                  const BinaryFilesOptions& options = {});

}  // namespace ember
