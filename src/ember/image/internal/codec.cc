#include "ember/image/internal/codec.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "ember/base/status_macros.h"

namespace ember::image::internal {

namespace {

uint32_t Be16(const unsigned char* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const unsigned char* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const unsigned char* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t Le32(const unsigned char* p) { return (Le16(p + 2) << 16) | Le16(p); }
uint32_t Le24(const unsigned char* p) { return (uint32_t{p[2]} << 16) | Le16(p); }

Status Short(ImageFormat f) {
  return InvalidArgument(std::string("truncated ") + FormatName(f) + " header");
}

// JPEG: walk the marker segments to the first start-of-frame.
Result<ImageHeader> ProbeJpeg(const unsigned char* p, size_t n) {
  ImageHeader h{ImageFormat::kJpeg};
  size_t i = 2;
  while (true) {
    while (i < n && p[i] != 0xFF) ++i;  // tolerate fill bytes between segments
    while (i < n && p[i] == 0xFF) ++i;
    if (i >= n) return Short(h.format);
    const unsigned char marker = p[i++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      return InvalidArgument("JPEG without a frame header before its image data");
    }
    if (i + 2 > n) return Short(h.format);
    const uint32_t len = Be16(p + i);
    if (len < 2) return InvalidArgument("corrupt JPEG segment length");
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 7 > n) return Short(h.format);
      h.height = Be16(p + i + 3);
      h.width = Be16(p + i + 5);
      return h;
    }
    i += len;
  }
}

Result<ImageHeader> ProbeTiff(const unsigned char* p, size_t n) {
  ImageHeader h{ImageFormat::kTiff};
  const bool le = p[0] == 'I';
  auto u16 = [&](size_t at) { return le ? Le16(p + at) : Be16(p + at); };
  auto u32 = [&](size_t at) { return le ? Le32(p + at) : Be32(p + at); };
  if (n < 8) return Short(h.format);
  const size_t ifd = u32(4);
  if (ifd + 2 > n) return Short(h.format);
  const size_t entries = u16(ifd);
  for (size_t e = 0; e < entries; ++e) {
    const size_t at = ifd + 2 + 12 * e;
    if (at + 12 > n) return Short(h.format);
    const uint32_t tag = u16(at), type = u16(at + 2);
    if (tag != 256 && tag != 257) continue;
    const int64_t v = type == 3 ? u16(at + 8) : u32(at + 8);  // SHORT or LONG
    (tag == 256 ? h.width : h.height) = v;
  }
  if (h.width == 0 || h.height == 0) return InvalidArgument("TIFF without its image size");
  return h;
}

Result<ImageHeader> ProbeWebp(const unsigned char* p, size_t n) {
  ImageHeader h{ImageFormat::kWebp};
  if (n < 30) return Short(h.format);
  if (std::memcmp(p + 12, "VP8X", 4) == 0) {
    h.width = int64_t{Le24(p + 24)} + 1;
    h.height = int64_t{Le24(p + 27)} + 1;
  } else if (std::memcmp(p + 12, "VP8L", 4) == 0) {
    if (p[20] != 0x2F) return InvalidArgument("corrupt WebP lossless header");
    const uint32_t bits = Le32(p + 21);
    h.width = (bits & 0x3FFF) + 1;
    h.height = ((bits >> 14) & 0x3FFF) + 1;
  } else if (std::memcmp(p + 12, "VP8 ", 4) == 0) {
    if (p[23] != 0x9D || p[24] != 0x01 || p[25] != 0x2A) {
      return InvalidArgument("corrupt WebP lossy header");
    }
    h.width = Le16(p + 26) & 0x3FFF;
    h.height = Le16(p + 28) & 0x3FFF;
  } else {
    return InvalidArgument("WebP with an unknown first chunk");
  }
  return h;
}

// PNM (P1-P6): magic, then width and height as decimal text, with '#' comments.
Result<ImageHeader> ProbePnm(const unsigned char* p, size_t n) {
  ImageHeader h{ImageFormat::kPnm};
  size_t i = 2;
  int64_t dims[2] = {0, 0};
  for (int64_t& d : dims) {
    while (i < n && (std::isspace(p[i]) || p[i] == '#')) {
      if (p[i] == '#') {
        while (i < n && p[i] != '\n') ++i;
      } else {
        ++i;
      }
    }
    if (i >= n || !std::isdigit(p[i])) return Short(h.format);
    while (i < n && std::isdigit(p[i]) && d < (int64_t{1} << 40)) d = d * 10 + (p[i++] - '0');
  }
  h.width = dims[0];
  h.height = dims[1];
  return h;
}

// The end-of-data marker that a file cut short lacks (JPEG's EOI, PNG's IEND chunk),
// searched for near the end: encoders may leave padding after it.
bool HasEndMarker(std::string_view bytes, std::string_view marker) {
  const size_t tail = std::min<size_t>(bytes.size(), 1 << 16);
  return bytes.substr(bytes.size() - tail).find(marker) != std::string_view::npos;
}

}  // namespace

const char* FormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kPnm:
      return "PNM";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Result<ImageHeader> ProbeImage(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  if (n == 0) return InvalidArgument("empty file");
  auto starts = [&](std::string_view sig) { return bytes.substr(0, sig.size()) == sig; };
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return ProbeJpeg(p, n);
  if (starts("\x89PNG\r\n\x1a\n")) {
    if (n < 24) return Short(ImageFormat::kPng);
    if (std::memcmp(p + 12, "IHDR", 4) != 0) return InvalidArgument("PNG without IHDR");
    return ImageHeader{ImageFormat::kPng, Be32(p + 16), Be32(p + 20)};
  }
  if (starts("BM")) {
    if (n < 26) return Short(ImageFormat::kBmp);
    if (Le32(p + 14) == 12) return ImageHeader{ImageFormat::kBmp, Le16(p + 18), Le16(p + 20)};
    const auto w = static_cast<int32_t>(Le32(p + 18)), hh = static_cast<int32_t>(Le32(p + 22));
    return ImageHeader{ImageFormat::kBmp, std::abs(int64_t{w}), std::abs(int64_t{hh})};
  }
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) {
    return ProbeTiff(p, n);
  }
  if (n >= 12 && starts("RIFF") && std::memcmp(p + 8, "WEBP", 4) == 0) return ProbeWebp(p, n);
  if (n >= 2 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6') return ProbePnm(p, n);
  return InvalidArgument(
      "not an image in a supported format (JPEG, PNG, BMP, TIFF, WebP, PNM): it starts with " +
      std::to_string(std::min<size_t>(n, 4)) + " bytes " + [&] {
        std::string hex;
        static const char* digits = "0123456789abcdef";
        for (size_t i = 0; i < std::min<size_t>(n, 4); ++i) {
          hex += digits[p[i] >> 4];
          hex += digits[p[i] & 15];
        }
        return hex;
      }());
}

Result<cv::Mat> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  EMBER_ASSIGN_OR_RETURN(ImageHeader h, ProbeImage(bytes));
  const char* name = FormatName(h.format);
  if (h.width <= 0 || h.height <= 0) {
    return InvalidArgument(std::string(name) + " header declares an empty image (" +
                           std::to_string(h.width) + "x" + std::to_string(h.height) + ")");
  }
  if (h.width * h.height > options.max_pixels) {
    return InvalidArgument(std::string(name) + " of " + std::to_string(h.width) + "x" +
                           std::to_string(h.height) + " pixels is over the limit of " +
                           std::to_string(options.max_pixels) +
                           " pixels (maxPixels; guards against decompression bombs)");
  }
  if (h.format == ImageFormat::kJpeg && !HasEndMarker(bytes, "\xFF\xD9")) {
    return InvalidArgument("truncated JPEG (no end-of-image marker)");
  }
  if (h.format == ImageFormat::kPng && !HasEndMarker(bytes, "IEND")) {
    return InvalidArgument("truncated PNG (no IEND chunk)");
  }
  // JPEG has no alpha: ANYCOLOR keeps gray as gray and applies the EXIF orientation, which
  // UNCHANGED would ignore. The other formats keep their alpha channel and bit depth here.
  int flags = options.color == ColorMode::kColor       ? cv::IMREAD_COLOR
              : options.color == ColorMode::kGrayscale ? cv::IMREAD_GRAYSCALE
              : h.format == ImageFormat::kJpeg         ? cv::IMREAD_ANYCOLOR
                                                       : cv::IMREAD_UNCHANGED;
  if (h.format == ImageFormat::kJpeg && options.target_width > 0 &&
      options.color != ColorMode::kUnchanged) {
    const int64_t need = std::max(options.target_width, options.target_height);
    const int64_t shorter = std::min(h.width, h.height);
    const bool gray = options.color == ColorMode::kGrayscale;
    for (int f : {8, 4, 2}) {
      if (shorter / f >= need) {
        flags = f == 8   ? (gray ? cv::IMREAD_REDUCED_GRAYSCALE_8 : cv::IMREAD_REDUCED_COLOR_8)
                : f == 4 ? (gray ? cv::IMREAD_REDUCED_GRAYSCALE_4 : cv::IMREAD_REDUCED_COLOR_4)
                         : (gray ? cv::IMREAD_REDUCED_GRAYSCALE_2 : cv::IMREAD_REDUCED_COLOR_2);
        break;
      }
    }
  }
  cv::Mat mat;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    mat = cv::imdecode(raw, flags);
  } catch (const cv::Exception& e) {
    return InvalidArgument(std::string("corrupt ") + name + " data: " + e.err);
  }
  if (mat.empty()) return InvalidArgument(std::string("corrupt or truncated ") + name + " data");
  if (mat.depth() != CV_8U) {
    const double scale = mat.depth() == CV_16U                            ? 1.0 / 256
                         : mat.depth() == CV_32F || mat.depth() == CV_64F ? 255.0
                                                                          : 1.0;
    cv::Mat eight;
    mat.convertTo(eight, CV_8U, scale);
    mat = eight;
  }
  if (mat.channels() == 2) {  // gray + alpha: keep the gray
    cv::Mat gray;
    cv::extractChannel(mat, gray, 0);
    mat = gray;
  }
  if (mat.channels() != 1 && mat.channels() != 3 && mat.channels() != 4) {
    return InvalidArgument(std::string(name) + " with " + std::to_string(mat.channels()) +
                           " channels (1, 3 or 4 are supported)");
  }
  return mat;
}

cv::Mat MatOf(const ImageView& image) {
  return cv::Mat(image.height, image.width, CV_MAKETYPE(CV_8U, image.channels),
                 const_cast<char*>(image.data.data()));
}

void AppendMat(ImageBuilder& builder, std::string_view origin, const cv::Mat& mat) {
  const cv::Mat dense = mat.isContinuous() ? mat : mat.clone();
  builder.Append(origin, dense.rows, dense.cols, dense.channels(),
                 std::string_view(reinterpret_cast<const char*>(dense.data),
                                  dense.total() * dense.elemSize()));
}

}  // namespace ember::image::internal
