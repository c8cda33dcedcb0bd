// Small file helpers with Status errors that name the path: whole-file read and write,
// and a read-only memory map for large inputs.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "ember/base/result.h"

namespace ember {

Result<std::string> ReadFileToString(const std::string& path);
// Writes atomically: to a temporary file beside `path`, then renamed over it.
Status WriteStringToFile(const std::string& path, std::string_view contents);

// A read-only view of a whole file, memory-mapped. Immutable and thread-safe once made.
class MappedFile {
 public:
  static Result<std::shared_ptr<const MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const char* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const char* data_;
  size_t size_;
};

}  // namespace ember
