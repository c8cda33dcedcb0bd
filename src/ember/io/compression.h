// Compressed tables: a file read through gzip (zlib) when its name ends in ".gz" or when the
// reader is told so, then parsed as if it were the plain file. scikit-learn ships some of
// its data sets this way (.csv.gz), and logs are often rotated into .gz.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ember/base/file_util.h"
#include "ember/base/result.h"

namespace ember {

// kAuto: gzip when the path ends in ".gz" (any case), else none.
enum class Compression { kAuto, kNone, kGzip };

// Whether `path` is read through gzip under `compression`.
bool IsGzip(const std::string& path, Compression compression);

// The bytes a reader parses: the file mapped as it is, or its whole decompressed contents
// (every gzip member, as gunzip does). Errors name the file and what zlib found (a
// truncated or corrupt stream, a file that is not gzip).
class TableBytes {
 public:
  static Result<std::shared_ptr<const TableBytes>> Open(const std::string& path,
                                                        Compression compression);
  std::string_view data() const { return mapped_ ? mapped_->data() : std::string_view(text_); }

 private:
  std::shared_ptr<const MappedFile> mapped_;
  std::string text_;
};

}  // namespace ember
