#include "ember/io/compression.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>

namespace ember {

bool IsGzip(const std::string& path, Compression compression) {
  if (compression != Compression::kAuto) return compression == Compression::kGzip;
  if (path.size() < 3) return false;
  std::string ext = path.substr(path.size() - 3);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".gz";
}

Result<std::shared_ptr<const TableBytes>> TableBytes::Open(const std::string& path,
                                                           Compression compression) {
  auto bytes = std::shared_ptr<TableBytes>(new TableBytes());
  if (!IsGzip(path, compression)) {
    auto mapped = MappedFile::Open(path);
    if (!mapped.ok()) return mapped.status();
    bytes->mapped_ = std::move(*mapped);
    return std::shared_ptr<const TableBytes>(std::move(bytes));
  }
  auto file = MappedFile::Open(path);
  if (!file.ok()) return file.status();
  const std::string_view in = (*file)->data();
  z_stream z{};
  // 16 + MAX_WBITS: a gzip header and trailer (not raw deflate or zlib's own format).
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Internal("zlib: cannot start inflating");
  std::string& out = bytes->text_;
  out.resize(std::max<size_t>(in.size() * 4, 1 << 16));
  size_t consumed = 0, produced = 0;
  int rc = Z_OK;
  for (;;) {
    if (produced == out.size()) out.resize(out.size() * 2);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    z.avail_in = static_cast<uInt>(std::min<size_t>(in.size() - consumed, 1u << 30));
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    const uInt avail_in = z.avail_in, avail_out = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    consumed += avail_in - z.avail_in;
    produced += avail_out - z.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated .gz files are one stream to gunzip); other
      // trailing bytes (padding) are ignored, as gunzip does.
      const bool member = consumed + 1 < in.size() &&
                          static_cast<unsigned char>(in[consumed]) == 0x1f &&
                          static_cast<unsigned char>(in[consumed + 1]) == 0x8b;
      if (member && inflateReset(&z) == Z_OK) continue;
      break;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0)) continue;
    break;  // the input ended inside a member, or the data is corrupt
  }
  const std::string why = z.msg ? z.msg : "";
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    if (in.size() < 2 || static_cast<unsigned char>(in[0]) != 0x1f ||
        static_cast<unsigned char>(in[1]) != 0x8b) {
      return InvalidArgument(
          path + ": not a gzip file (read as gzip because " +
          (compression == Compression::kGzip ? "compression is gzip" : "its name ends in .gz") +
          ")");
    }
    return DataLoss(path + ": the gzip stream is " +
                    (why.empty() ? std::string("truncated") : "corrupt (" + why + ")") + " after " +
                    std::to_string(produced) + " decompressed bytes");
  }
  out.resize(produced);
  out.shrink_to_fit();
  return std::shared_ptr<const TableBytes>(std::move(bytes));
}

}  // namespace ember
