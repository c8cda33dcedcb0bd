#include "ember/image/image_reader.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/exec/logger.h"
#include "ember/image/internal/codec.h"
#include "ember/io/table_io.h"

namespace ember::image {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxBatchPixelBytes = int64_t{1} << 30;

bool IsGlob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

// Matches a relative path against a pattern segment by segment: "**" spans any number of
// folders, other segments match one name with fnmatch (a leading '.' only explicitly).
bool GlobMatch(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& seg,
               size_t si) {
  if (pi == pat.size()) return si == seg.size();
  if (pat[pi] == "**") {
    for (size_t k = si; k <= seg.size(); ++k) {
      if (GlobMatch(pat, pi + 1, seg, k)) return true;
    }
    return false;
  }
  return si < seg.size() && fnmatch(pat[pi].c_str(), seg[si].c_str(), FNM_PERIOD) == 0 &&
         GlobMatch(pat, pi + 1, seg, si + 1);
}

std::vector<std::string> Segments(const std::string& rel) {
  std::vector<std::string> out;
  for (const auto& part : fs::path(rel)) {
    if (!part.empty() && part != ".") out.push_back(part.string());
  }
  return out;
}

struct Listing {
  std::string root;                // folder the relative paths and labels start from
  std::vector<std::string> files;  // full paths, sorted
};

Result<Listing> ListImages(const std::string& path, bool recursive) {
  Listing out;
  std::error_code ec;
  std::vector<std::string> pattern;
  if (IsGlob(path)) {
    const size_t wild = path.find_first_of("*?[");
    const size_t slash = path.rfind('/', wild);
    out.root = slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
    pattern = Segments(slash == std::string::npos ? path : path.substr(slash + 1));
    recursive = pattern.size() > 1;
  } else {
    out.root = path;
  }
  if (!fs::exists(out.root, ec)) return NotFound("'" + out.root + "' does not exist");
  if (fs::is_regular_file(out.root, ec)) {
    out.files.push_back(out.root);
    out.root = fs::path(out.root).parent_path().string();
    return out;
  }
  auto consider = [&](const fs::directory_entry& e) {
    if (!e.is_regular_file(ec)) return;
    const fs::path rel = e.path().lexically_relative(out.root);
    if (pattern.empty() ? HasImageExtension(e.path().string())
                        : GlobMatch(pattern, 0, Segments(rel.string()), 0)) {
      out.files.push_back(e.path().string());
    }
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(
             out.root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      consider(*it);
    }
  } else {
    for (auto it = fs::directory_iterator(out.root, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      consider(*it);
    }
  }
  if (ec) return IoError("cannot list '" + out.root + "': " + ec.message());
  std::sort(out.files.begin(), out.files.end());
  return out;
}

// A stable hash of the relative path and seed in [0, 1): the sample is the same on any
// number of ranks and threads, and on every platform.
double SampleDraw(std::string_view rel, int64_t seed) {
  uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ull;
  for (unsigned char c : rel) h = (h ^ c) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

internal::DecodeOptions DecodeOptionsOf(const ImageReadOptions& o) {
  internal::DecodeOptions d;
  d.max_pixels = o.max_pixels;
  d.color = o.color == ImageColor::kColor       ? internal::ColorMode::kColor
            : o.color == ImageColor::kGrayscale ? internal::ColorMode::kGrayscale
                                                : internal::ColorMode::kUnchanged;
  return d;
}

Status CheckOptions(const ImageReadOptions& o) {
  if (!(o.sample_ratio > 0 && o.sample_ratio <= 1)) {
    return InvalidArgument("image reader: sampleRatio must be in (0, 1], got " +
                           std::to_string(o.sample_ratio));
  }
  if (o.max_pixels < 1) return InvalidArgument("image reader: maxPixels must be >= 1");
  if (o.files_per_partition < 1) {
    return InvalidArgument("image reader: files per partition must be >= 1");
  }
  if (o.image_col.empty() || o.error_col.empty()) {
    return InvalidArgument("image reader: the image and error column names must not be empty");
  }
  return Status::OK();
}

}  // namespace

Status AppendDecodedImage(std::string_view bytes, std::string_view origin,
                          const ImageReadOptions& options, ImageBuilder& out) {
  EMBER_ASSIGN_OR_RETURN(cv::Mat mat, internal::DecodeImage(bytes, DecodeOptionsOf(options)));
  internal::AppendMat(out, origin, mat);
  return Status::OK();
}

Result<DataFrame> ReadImages(const ExecContext& ctx, const std::string& path,
                             const ImageReadOptions& options) {
  EMBER_RETURN_IF_ERROR(CheckOptions(options));
  EMBER_ASSIGN_OR_RETURN(Listing listing, ListImages(path, options.recursive));
  struct File {
    std::string path;
    std::string label;  // empty: in the root
  };
  std::vector<File> files;
  for (const std::string& f : listing.files) {
    const std::string rel = fs::path(f).lexically_relative(listing.root).string();
    if (options.sample_ratio < 1 && SampleDraw(rel, options.seed) >= options.sample_ratio) {
      continue;
    }
    std::vector<std::string> seg = Segments(rel);
    files.push_back({f, seg.size() > 1 ? seg.front() : std::string()});
  }
  if (listing.files.empty()) {
    return NotFound("'" + path + "' holds no image files (" +
                    (IsGlob(path) ? std::string("nothing matches the pattern")
                                  : "extensions .jpg .jpeg .png .bmp .tif .tiff .webp .pnm") +
                    ")");
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<File> mine;
    for (size_t i = ctx.comm->rank(); i < files.size(); i += ctx.comm->size())
      mine.push_back(std::move(files[i]));
    files = std::move(mine);
  }
  std::vector<Field> fields = {MakeField(options.image_col, ImageType())};
  if (!options.label_col.empty()) fields.push_back(MakeField(options.label_col, StringType()));
  fields.push_back(MakeField(options.error_col, StringType()));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(fields));

  const internal::DecodeOptions decode = DecodeOptionsOf(options);
  const int64_t n = static_cast<int64_t>(files.size());
  const int64_t per = options.files_per_partition;
  const int64_t parts = (n + per - 1) / per;
  std::vector<std::vector<Batch>> out(parts);
  std::atomic<int64_t> dropped{0};
  std::vector<std::string> first_dropped(parts);  // per partition: deterministic "first"
  auto read = [&](int64_t p) -> Status {
    ImageBuilder images;
    StringBuilder labels, errors;
    auto flush = [&]() -> Status {
      if (images.length() == 0) return Status::OK();
      std::vector<ColumnPtr> cols = {images.Finish()};
      if (!options.label_col.empty()) cols.push_back(labels.Finish());
      cols.push_back(errors.Finish());
      EMBER_ASSIGN_OR_RETURN(Batch b, Batch::Make(schema, std::move(cols)));
      out[p].push_back(std::move(b));
      return Status::OK();
    };
    for (int64_t i = p * per; i < std::min(n, (p + 1) * per); ++i) {
      if (ctx.cancel.IsCancelled()) return Cancelled("image reading cancelled");
      const File& f = files[i];
      Result<cv::Mat> mat = [&]() -> Result<cv::Mat> {
        EMBER_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(f.path));
        return internal::DecodeImage(bytes, decode);
      }();
      if (!mat.ok()) {
        if (options.drop_invalid) {
          dropped.fetch_add(1);
          if (first_dropped[p].empty()) first_dropped[p] = f.path + ": " + mat.status().message();
          continue;
        }
        images.AppendNull();
        errors.Append(mat.status().message());
      } else {
        const int64_t bytes = static_cast<int64_t>(mat->total() * mat->elemSize());
        if (images.data_size() + bytes > kMaxBatchPixelBytes) EMBER_RETURN_IF_ERROR(flush());
        internal::AppendMat(images, f.path, *mat);
        errors.AppendNull();
      }
      if (!options.label_col.empty()) {
        if (f.label.empty()) {
          labels.AppendNull();
        } else {
          labels.Append(f.label);
        }
      }
    }
    return flush();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(parts, read, ctx.cancel));
  } else {
    for (int64_t p = 0; p < parts; ++p) EMBER_RETURN_IF_ERROR(read(p));
  }
  if (dropped > 0 && ctx.log) {
    const auto first = std::find_if(first_dropped.begin(), first_dropped.end(),
                                    [](const std::string& s) { return !s.empty(); });
    ctx.log->Warning("image reader: dropped " + std::to_string(dropped.load()) + " of " +
                     std::to_string(n) +
                     " files that did not decode (dropInvalid); first: " + *first);
  }
  std::vector<Batch> batches;
  for (auto& v : out) {
    for (auto& b : v) batches.push_back(std::move(b));
  }
  return DataFrame::Make(schema, std::move(batches));
}

}  // namespace ember::image
