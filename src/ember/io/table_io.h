// Reading and writing tables by file extension, for the command line and examples:
// .csv (header, inferred types), .jsonl / .ndjson / .json (JSON Lines). A folder reads every
// file of a known extension in it, in name order, as one frame (their schemas must match).
#pragma once

#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

enum class TableFormat { kCsv, kJsonLines };

// The format of `path` by its extension; InvalidArgument naming the supported ones.
Result<TableFormat> FormatOfPath(const std::string& path);

// Reads a file or a folder of files. Errors name the file.
Result<DataFrame> ReadTable(const ExecContext& ctx, const std::string& path);
// Writes `frame` in the format of `path`'s extension. On several ranks (ctx.comm) `path` is
// a folder and each rank writes its rows to its own part file in it,
// part-00002-of-00003.csv (PartFileName); ReadTable reads the folder back as one table.
// Every rank returns the same status (the first failing rank's error).
Status WriteTable(const ExecContext& ctx, const DataFrame& frame, const std::string& path);
// "part-00002-of-00003" + extension.
std::string PartFileName(int rank, int ranks, const std::string& extension);

}  // namespace ember
