// Fuzzes image decoding (the image reader's path for every file, and serving's for request
// bodies): any bytes must decode to a valid image or give an error, never crash or allocate
// past the pixel limit. The seed corpus holds small images of every format, truncated and
// bit-flipped copies among them.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ember/core/image.h"
#include "ember/image/image_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ember::image::ImageReadOptions options;
  options.max_pixels = 1 << 20;  // bounds the fuzzer's memory, as it bounds a user's
  ember::ImageBuilder builder;
  ember::Status s = ember::image::AppendDecodedImage(bytes, "fuzz", options, builder);
  if (!s.ok()) return 0;
  ember::ColumnPtr c = builder.Finish();
  if (c->length() != 1 || !ember::ValidateImage(ember::ImageAt(*c, 0)).ok()) std::abort();
  return 0;
}
