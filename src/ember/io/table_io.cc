#include "ember/io/table_io.h"

#include <algorithm>
#include <filesystem>

#include "ember/base/status_macros.h"
#include "ember/io/csv.h"
#include "ember/io/json_lines.h"

namespace ember {

namespace fs = std::filesystem;

Result<TableFormat> FormatOfPath(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return TableFormat::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return TableFormat::kJsonLines;
  return InvalidArgument("'" + path + "': unknown table format '" + ext +
                         "'; use .csv or .jsonl (JSON Lines: .jsonl, .ndjson, .json)");
}

namespace {
Result<DataFrame> ReadOne(const ExecContext& ctx, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(TableFormat f, FormatOfPath(path));
  if (f == TableFormat::kCsv) return ReadCsv(ctx, path);
  return ReadJsonLines(ctx, path);
}
}  // namespace

Result<DataFrame> ReadTable(const ExecContext& ctx, const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return ReadOne(ctx, path);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.is_regular_file() && FormatOfPath(e.path().string()).ok()) files.push_back(e.path().string());
  }
  if (ec) return IoError("cannot list '" + path + "': " + ec.message());
  if (files.empty()) return NotFound("'" + path + "' holds no .csv or .jsonl files");
  std::sort(files.begin(), files.end());
  EMBER_ASSIGN_OR_RETURN(DataFrame first, ReadOne(ctx, files[0]));
  std::vector<Batch> parts = first.partitions();
  for (size_t i = 1; i < files.size(); ++i) {
    EMBER_ASSIGN_OR_RETURN(DataFrame next, ReadOne(ctx, files[i]));
    if (!next.schema()->Equals(*first.schema())) {
      return InvalidArgument("'" + files[i] + "' has schema\n" + next.schema()->ToString() + "but '" +
                             files[0] + "' has\n" + first.schema()->ToString());
    }
    for (const Batch& b : next.partitions()) parts.push_back(b);
  }
  return DataFrame::Make(first.schema(), std::move(parts));
}

Status WriteTable(const ExecContext& ctx, const DataFrame& frame, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(TableFormat f, FormatOfPath(path));
  if (f == TableFormat::kCsv) return WriteCsv(ctx, frame, path);
  return WriteJsonLines(ctx, frame, path);
}

}  // namespace ember
