#include "ember/io/binary_files.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"

namespace ember {

namespace fs = std::filesystem;

Result<DataFrame> ReadBinaryFiles(const ExecContext& ctx, const std::string& path,
                                  const BinaryFilesOptions& options) {
  if (options.files_per_partition < 1) return InvalidArgument("files_per_partition must be >= 1");
  std::error_code ec;
  std::vector<std::string> files;
  auto keep = [&](const fs::path& p) {
    return options.path_glob.empty() ||
           fnmatch(options.path_glob.c_str(), p.filename().c_str(), 0) == 0;
  };
  if (!fs::exists(path, ec)) return NotFound("'" + path + "' does not exist");
  if (fs::is_regular_file(path, ec)) {
    if (keep(path)) files.push_back(path);
  } else if (options.recursive) {
    for (auto it = fs::recursive_directory_iterator(
             path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && keep(it->path())) files.push_back(it->path().string());
    }
  } else {
    for (auto it = fs::directory_iterator(path, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec) && keep(it->path())) files.push_back(it->path().string());
    }
  }
  if (ec) return IoError("cannot list '" + path + "': " + ec.message());
  std::sort(files.begin(), files.end());
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<std::string> mine;
    for (size_t i = ctx.comm->rank(); i < files.size(); i += ctx.comm->size())
      mine.push_back(files[i]);
    files = std::move(mine);
  }
  SchemaPtr schema =
      *Schema::Make({MakeField("path", StringType()), MakeField("bytes", BinaryType())});
  const int64_t n = static_cast<int64_t>(files.size());
  const int64_t parts = (n + options.files_per_partition - 1) / options.files_per_partition;
  std::vector<Batch> batches(parts);
  auto read = [&](int64_t p) -> Status {
    StringBuilder paths, bytes(BinaryType());
    for (int64_t i = p * options.files_per_partition;
         i < std::min(n, (p + 1) * options.files_per_partition); ++i) {
      EMBER_ASSIGN_OR_RETURN(std::string content, ReadFileToString(files[i]));
      if (content.size() > INT32_MAX ||
          bytes.data_size() + static_cast<int64_t>(content.size()) > INT32_MAX) {
        return ResourceExhausted(
            "'" + files[i] +
            "': more than 2 GiB of file contents in one partition; lower files_per_partition");
      }
      paths.Append(files[i]);
      bytes.Append(content);
    }
    EMBER_ASSIGN_OR_RETURN(batches[p], Batch::Make(schema, {paths.Finish(), bytes.Finish()}));
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(parts, read, ctx.cancel));
  } else {
    for (int64_t p = 0; p < parts; ++p) EMBER_RETURN_IF_ERROR(read(p));
  }
  return DataFrame::Make(schema, std::move(batches));
}

}  // namespace ember
