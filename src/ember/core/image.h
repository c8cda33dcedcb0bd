// Images as data: a column type equal to Spark's image schema (ImageSchema.columnSchema),
//   struct<origin: string, height: int32, width: int32, nChannels: int32, mode: int32,
//          data: binary>
// where `mode` is an OpenCV type code (CV_8UC1 = 0, CV_8UC3 = 16, CV_8UC4 = 24) and `data`
// holds height x width x nChannels bytes in OpenCV's order: rows top to bottom, pixels left
// to right, channels interleaved as B, G, R(, A). Being a plain struct, an image column
// moves through batches, the Arrow C interface, saved frames and the SQL transformer like
// any other column; `IsImageType` recognises it by structure, as Spark does. A null struct
// is a missing image (a file that did not decode). This header needs no OpenCV: the image
// module (image/) decodes and transforms.
#pragma once

#include <cstdint>
#include <string_view>

#include "ember/base/result.h"
#include "ember/core/builder.h"
#include "ember/core/column.h"

namespace ember {

// OpenCV's 8-bit type codes: CV_MAKETYPE(CV_8U, channels) = (channels - 1) << 3.
inline constexpr int32_t kImageMode8UC1 = 0;
inline constexpr int32_t kImageMode8UC3 = 16;
inline constexpr int32_t kImageMode8UC4 = 24;
// The mode of an 8-bit image of `channels` (1, 3 or 4) channels.
inline constexpr int32_t ImageModeOf(int32_t channels) { return (channels - 1) << 3; }

// Spark's image struct (field names and order as above).
TypePtr ImageType();
bool IsImageType(const DataType& type);

// One image row, borrowed from its column.
struct ImageView {
  std::string_view origin;
  int32_t height = 0;
  int32_t width = 0;
  int32_t channels = 0;
  int32_t mode = 0;
  std::string_view data;
};

// Row r of an image column. Precondition: IsImageType and row r is not null. A null field
// reads as empty / 0, which ValidateImage rejects.
ImageView ImageAt(const Column& column, int64_t r);

// OK when the view is an 8-bit image of 1, 3 or 4 channels whose data holds exactly
// height x width x channels bytes; otherwise InvalidArgument naming what disagrees.
Status ValidateImage(const ImageView& image);

// Builds an image column. Not thread-safe (one per thread, as every builder).
class ImageBuilder {
 public:
  ImageBuilder();
  // Appends an 8-bit image; `data` holds height x width x channels bytes.
  void Append(std::string_view origin, int32_t height, int32_t width, int32_t channels,
              std::string_view data);
  void AppendNull();
  int64_t length() const { return builder_.length(); }
  // Pixel bytes appended so far (a column holds at most 2 GiB: int32 offsets).
  int64_t data_size() const { return data_->data_size(); }
  ColumnPtr Finish() { return builder_.Finish(); }

 private:
  StructBuilder builder_;
  StringBuilder* data_;  // builder_'s data field
};

}  // namespace ember
