// Decoding encoded images (JPEG, PNG, BMP, TIFF, WebP, PNM) into 8-bit OpenCV matrices, with
// the size read from the file's header first so that a decompression bomb is refused before
// any pixel is allocated, and conversions between image rows (core/image.h) and cv::Mat.
// Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "ember/base/result.h"
#include "ember/core/image.h"

namespace ember::image::internal {

enum class ImageFormat { kUnknown, kJpeg, kPng, kBmp, kTiff, kWebp, kPnm };

// "JPEG", "PNG", ...
const char* FormatName(ImageFormat f);

struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  int64_t width = 0;
  int64_t height = 0;
};

// The format by the file's signature and, where the header says it, the size. InvalidArgument
// for an empty file, an unknown signature ("not an image: ...") or a header cut short.
Result<ImageHeader> ProbeImage(std::string_view bytes);

// How the decoded pixels are kept: as stored (1, 3 or 4 channels, as Spark's reader), or
// always 3-channel BGR, or always 1-channel gray.
enum class ColorMode { kUnchanged, kColor, kGrayscale };

struct DecodeOptions {
  ColorMode color = ColorMode::kUnchanged;
  // A file whose header declares more pixels (width x height) than this is refused before
  // decoding (decompression bombs).
  int64_t max_pixels = 89478485;  // Pillow's MAX_IMAGE_PIXELS
  // When set, the image will be shrunk to about this size: a JPEG is decoded at 1/2, 1/4 or
  // 1/8 scale in libjpeg's DCT (much faster) as long as its shorter side stays at least
  // max(target_width, target_height). As Pillow's draft mode; others decode at full size.
  int target_width = 0;
  int target_height = 0;
};

// Decodes to an 8-bit matrix of 1, 3 or 4 channels (BGR(A) order). 16-bit and float images
// are scaled to 8 bits; JPEG's EXIF orientation is applied. Errors say why (format, size,
// "truncated or corrupt JPEG data").
Result<cv::Mat> DecodeImage(std::string_view bytes, const DecodeOptions& options);

// A view of an image row as a matrix, without copying (valid while the row's column lives).
// Precondition: ValidateImage(image) is OK.
cv::Mat MatOf(const ImageView& image);

// Appends `mat` (8-bit, 1, 3 or 4 channels) as an image row.
void AppendMat(ImageBuilder& builder, std::string_view origin, const cv::Mat& mat);

}  // namespace ember::image::internal
