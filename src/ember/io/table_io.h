// Reading and writing tables by file extension, for the command line and examples:
// .csv (header, inferred types), .jsonl / .ndjson / .json (JSON Lines), each optionally
// gzip-compressed (.csv.gz, .jsonl.gz). A folder reads every file of a known extension in
// it, in name order, as one frame (their schemas must match).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/io/csv.h"
#include "ember/io/json_lines.h"

namespace ember {

enum class TableFormat { kCsv, kJsonLines };

// The format of `path` by its extension (after a ".gz"); InvalidArgument naming the
// supported ones.
Result<TableFormat> FormatOfPath(const std::string& path);

// How each format is read (delimiter, header, names, null tokens, schema, compression ...).
// `format` forces one for every file (a .txt that holds CSV).
struct TableReadOptions {
  CsvReadOptions csv;
  JsonReadOptions json;
  std::optional<TableFormat> format;
  // Reads a path that names images (IsImagePath) into a frame: set by programs built with
  // the image module (image/image_reader.h, `ember`'s commands); when null, such a path is
  // an error that names the build option.
  std::function<Result<DataFrame>(const ExecContext&, const std::string&)> images;
};

// True for a path that names images rather than a table: a glob whose pattern does not end
// in a table's extension, a file with an image extension (.jpg .jpeg .png .bmp .tif .tiff
// .webp .pbm .pgm .ppm .pnm, any case), or a folder whose files (searched recursively)
// include images and no tables.
bool IsImagePath(const std::string& path);
bool HasImageExtension(const std::string& path);

// Reads a file or a folder of files, or images (see `images` above). Errors name the file.
Result<DataFrame> ReadTable(const ExecContext& ctx, const std::string& path,
                            const TableReadOptions& options = {});
// Writes `frame` in the format of `path`'s extension. On several ranks (ctx.comm) `path` is
// a folder and each rank writes its rows to its own part file in it,
// part-00002-of-00003.csv (PartFileName); ReadTable reads the folder back as one table.
// Every rank returns the same status (the first failing rank's error).
Status WriteTable(const ExecContext& ctx, const DataFrame& frame, const std::string& path);
// "part-00002-of-00003" + extension.
std::string PartFileName(int rank, int ranks, const std::string& extension);

}  // namespace ember
