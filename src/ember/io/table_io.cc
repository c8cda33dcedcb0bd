#include "ember/io/table_io.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "ember/base/status_macros.h"
#include "ember/io/csv.h"
#include "ember/io/internal/block_reader.h"
#include "ember/io/json_lines.h"

namespace ember {

namespace fs = std::filesystem;

Result<TableFormat> FormatOfPath(const std::string& path) {
  fs::path p(path);
  if (IsGzip(path, Compression::kAuto)) p = p.stem();  // data.csv.gz: .csv
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return TableFormat::kCsv;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return TableFormat::kJsonLines;
  return InvalidArgument("'" + path + "': unknown table format '" + ext +
                         "'; use .csv or .jsonl (JSON Lines: .jsonl, .ndjson, .json), "
                         "optionally gzip-compressed (.csv.gz)");
}

namespace {
Result<DataFrame> ReadOne(const ExecContext& ctx, const std::string& path,
                          const TableReadOptions& options) {
  TableFormat f;
  if (options.format) {
    f = *options.format;
  } else {
    EMBER_ASSIGN_OR_RETURN(f, FormatOfPath(path));
  }
  if (f == TableFormat::kCsv) return ReadCsv(ctx, path, options.csv);
  return ReadJsonLines(ctx, path, options.json);
}
}  // namespace

namespace {

std::string LowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasTableExtension(const std::string& path) {
  std::string name = LowerCase(fs::path(path).filename().string());
  if (name.size() > 3 && name.ends_with(".gz")) name.resize(name.size() - 3);
  for (const char* e : {".csv", ".jsonl", ".ndjson", ".json", ".tsv", ".txt"}) {
    if (name.ends_with(e)) return true;
  }
  return false;
}

}  // namespace

bool HasImageExtension(const std::string& path) {
  static const char* const kExt[] = {".jpg",  ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif",
                                     ".tiff", ".webp", ".pbm", ".pgm", ".ppm", ".pnm"};
  const std::string ext = LowerCase(fs::path(path).extension().string());
  return std::any_of(std::begin(kExt), std::end(kExt), [&](const char* e) { return ext == e; });
}

bool IsImagePath(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return HasImageExtension(path);
  if (fs::is_directory(path, ec)) {
    bool images = false;
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      if (HasTableExtension(it->path().string())) return false;
      images = images || HasImageExtension(it->path().string());
    }
    return images;
  }
  return path.find_first_of("*?[") != std::string::npos && !HasTableExtension(path);
}

Result<DataFrame> ReadTable(const ExecContext& ctx, const std::string& path,
                            const TableReadOptions& options) {
  if (IsImagePath(path)) {
    if (!options.images) {
      return FailedPrecondition("'" + path +
                                "' names images, and this build of Ember has no image module; "
                                "build with -DEMBER_WITH_OPENCV=ON (needs libopencv-dev)");
    }
    return options.images(ctx, path);
  }
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return ReadOne(ctx, path, options);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.is_regular_file() && FormatOfPath(e.path().string()).ok())
      files.push_back(e.path().string());
  }
  if (ec) return IoError("cannot list '" + path + "': " + ec.message());
  if (files.empty()) return NotFound("'" + path + "' holds no .csv or .jsonl files");
  std::sort(files.begin(), files.end());
  EMBER_ASSIGN_OR_RETURN(DataFrame first, ReadOne(ctx, files[0], options));
  std::vector<Batch> parts = first.partitions();
  for (size_t i = 1; i < files.size(); ++i) {
    EMBER_ASSIGN_OR_RETURN(DataFrame next, ReadOne(ctx, files[i], options));
    if (!next.schema()->Equals(*first.schema())) {
      return InvalidArgument("'" + files[i] + "' has schema\n" + next.schema()->ToString() +
                             "but '" + files[0] + "' has\n" + first.schema()->ToString());
    }
    for (const Batch& b : next.partitions()) parts.push_back(b);
  }
  return DataFrame::Make(first.schema(), std::move(parts));
}

namespace {

Status WriteOneFile(const ExecContext& ctx, const DataFrame& frame, const std::string& path,
                    TableFormat f) {
  if (f == TableFormat::kCsv) return WriteCsv(ctx, frame, path);
  return WriteJsonLines(ctx, frame, path);
}

}  // namespace

std::string PartFileName(int rank, int ranks, const std::string& extension) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "part-%05d-of-%05d", rank, ranks);
  return buf + extension;
}

Status WriteTable(const ExecContext& ctx, const DataFrame& frame, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(TableFormat f, FormatOfPath(path));
  Communicator* comm = ctx.comm;
  if (comm == nullptr || comm->size() == 1) return WriteOneFile(ctx, frame, path, f);
  // Each rank writes its own part into the folder `path`; every rank learns whether all did.
  std::error_code ec;
  fs::create_directories(path, ec);
  Status local =
      ec ? Unavailable("cannot create the folder '" + path + "': " + ec.message()) : Status::OK();
  // Parts of an earlier run on another number of ranks would be read back with these.
  const std::string ours = "-of-" + PartFileName(0, comm->size(), "").substr(14);
  if (local.ok() && comm->rank() == 0) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("part-", 0) == 0 && name.find("-of-") != std::string::npos &&
          name.find(ours) == std::string::npos) {
        fs::remove(entry.path(), ec);
      }
    }
  }
  if (local.ok()) {
    const std::string part =
        path + "/" +
        PartFileName(comm->rank(), comm->size(), std::filesystem::path(path).extension().string());
    local = WriteOneFile(ctx, frame, part, f);
  }
  return io::internal::ExchangeWithStatus(comm, local, "", Deadline::In(std::chrono::minutes(10)))
      .status();
}

}  // namespace ember
