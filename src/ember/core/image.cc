#include "ember/core/image.h"

#include <string>

namespace ember {

namespace {

enum ImageField { kOrigin, kHeight, kWidth, kChannels, kMode, kData, kNumFields };

}  // namespace

TypePtr ImageType() {
  static const TypePtr t =
      StructType({MakeField("origin", StringType()), MakeField("height", Int32Type()),
                  MakeField("width", Int32Type()), MakeField("nChannels", Int32Type()),
                  MakeField("mode", Int32Type()), MakeField("data", BinaryType())});
  return t;
}

bool IsImageType(const DataType& type) {
  if (type.id() != TypeId::kStruct || type.fields().size() != kNumFields) return false;
  const auto& f = type.fields();
  const auto& want = ImageType()->fields();
  for (int i = 0; i < kNumFields; ++i) {
    if (f[i].name != want[i].name || !f[i].type->Equals(*want[i].type)) return false;
  }
  return true;
}

ImageView ImageAt(const Column& column, int64_t r) {
  const int64_t row = column.offset() + r;
  auto int_field = [&](int i) {
    const Column& c = *column.child(i);
    return c.IsValid(row) ? c.Values<int32_t>()[row] : 0;
  };
  auto bytes_field = [&](int i) {
    const Column& c = *column.child(i);
    return c.IsValid(row) ? c.StringValue(row) : std::string_view();
  };
  return ImageView{bytes_field(kOrigin), int_field(kHeight), int_field(kWidth),
                   int_field(kChannels), int_field(kMode),   bytes_field(kData)};
}

Status ValidateImage(const ImageView& image) {
  if (image.channels != 1 && image.channels != 3 && image.channels != 4) {
    return InvalidArgument("image '" + std::string(image.origin) + "': nChannels is " +
                           std::to_string(image.channels) + ", expected 1, 3 or 4");
  }
  if (image.mode != ImageModeOf(image.channels)) {
    return InvalidArgument("image '" + std::string(image.origin) + "': mode " +
                           std::to_string(image.mode) + " is not the 8-bit mode of " +
                           std::to_string(image.channels) + " channels (" +
                           std::to_string(ImageModeOf(image.channels)) + ")");
  }
  if (image.height <= 0 || image.width <= 0) {
    return InvalidArgument("image '" + std::string(image.origin) + "': size " +
                           std::to_string(image.width) + "x" + std::to_string(image.height) +
                           " is empty");
  }
  const int64_t want = int64_t{image.height} * image.width * image.channels;
  if (static_cast<int64_t>(image.data.size()) != want) {
    return InvalidArgument("image '" + std::string(image.origin) + "': data holds " +
                           std::to_string(image.data.size()) + " bytes, " +
                           std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                           std::to_string(image.channels) + " needs " + std::to_string(want));
  }
  return Status::OK();
}

ImageBuilder::ImageBuilder()
    : builder_(ImageType()), data_(static_cast<StringBuilder*>(builder_.field_builder(kData))) {}

void ImageBuilder::Append(std::string_view origin, int32_t height, int32_t width, int32_t channels,
                          std::string_view data) {
  builder_.Append();
  static_cast<StringBuilder*>(builder_.field_builder(kOrigin))->Append(origin);
  static_cast<Int32Builder*>(builder_.field_builder(kHeight))->Append(height);
  static_cast<Int32Builder*>(builder_.field_builder(kWidth))->Append(width);
  static_cast<Int32Builder*>(builder_.field_builder(kChannels))->Append(channels);
  static_cast<Int32Builder*>(builder_.field_builder(kMode))->Append(ImageModeOf(channels));
  data_->Append(data);
}

void ImageBuilder::AppendNull() { builder_.AppendNull(); }

}  // namespace ember
