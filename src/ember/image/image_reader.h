// Reading images into frames, as Spark's image data source with the habits of Keras's
// image_dataset_from_directory: a file, a folder (recursive by default) or a glob
// ("photos/*.jpg", "photos/**/*.png") becomes one row per file, sorted by path, with
//   image  (core/image.h: Spark's image struct; origin is the file's path)
//   label  (string: the first folder under the root that holds the file, "cats" for
//           root/cats/a.jpg; null for files directly in the root)
//   error  (string: why the file did not decode, null when it did)
// Files are decoded in parallel (ctx.pool) with OpenCV's codecs; on several ranks each rank
// reads every size-th file. A file that does not decode (truncated, empty, not an image,
// more pixels than max_pixels) is a row with a null image and the reason, or, with
// drop_invalid, left out and counted in a warning (ctx.log); never a crash. Files whose
// extension is not an image's are skipped when listing a folder. io/table_io.h's
// IsImagePath tells an image path from a table's.
#pragma once

#include <cstdint>
#include <string>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/core/image.h"
#include "ember/exec/exec_context.h"

namespace ember::image {

enum class ImageColor { kUnchanged, kColor, kGrayscale };

struct ImageReadOptions {
  // Folders: read subfolders too.
  bool recursive = true;
  // Keep each file with this probability, decided by a hash of its path relative to the
  // root and `seed`, so the sample does not depend on ranks or threads (Spark's
  // sampleRatio).
  double sample_ratio = 1.0;
  int64_t seed = 0;
  // Leave out files that do not decode (counted in a warning) instead of null rows.
  bool drop_invalid = false;
  // Pixels as stored (1, 3 or 4 channels, as Spark), or always BGR, or always gray.
  ImageColor color = ImageColor::kUnchanged;
  // A file whose header declares more pixels is refused before decoding.
  int64_t max_pixels = 89478485;  // Pillow's MAX_IMAGE_PIXELS
  // Column names; an empty label_col leaves the label column out.
  std::string image_col = "image";
  std::string label_col = "label";
  std::string error_col = "error";
  // Files per partition (a partition is also cut at 1 GiB of pixels).
  int64_t files_per_partition = 32;
};

// Reads the images at `path` (see above). NotFound when the path does not exist or a
// glob/folder holds no image files; InvalidArgument for bad options.
Result<DataFrame> ReadImages(const ExecContext& ctx, const std::string& path,
                             const ImageReadOptions& options = {});

// Decodes one encoded image (a request body, a binary column's value) into an image row of
// `origin`; errors say why it does not decode.
Status AppendDecodedImage(std::string_view bytes, std::string_view origin,
                          const ImageReadOptions& options, ImageBuilder& out);

}  // namespace ember::image
