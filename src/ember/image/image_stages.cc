#include "ember/image/image_stages.h"

#include <opencv2/imgproc.hpp>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/image/internal/image_column.h"

namespace ember::image {

using internal::ImageColumnReader;

namespace {

// The output column's name (empty: "<uid>_output") and the schema with it added, or with the
// input column replaced when they are the same (returns its index in *replace, else -1).
Result<SchemaPtr> OutputSchema(const Schema& in, const Stage& stage, const std::string& input,
                               const std::string& output, const TypePtr& type, std::string* name,
                               int* replace) {
  *name = output.empty() ? stage.uid() + "_output" : output;
  *replace = -1;
  if (*name == input) {
    EMBER_ASSIGN_OR_RETURN(*replace, in.GetFieldIndex(input));
    std::vector<Field> fields = in.fields();
    fields[*replace] = MakeField(*name, type);
    return Schema::Make(std::move(fields));
  }
  Result<SchemaPtr> out = in.AddField(MakeField(*name, type));
  if (!out.ok()) return out.status().WithContext(stage.Describe());
  return out;
}

// A kernel from a function that says it blocks: decoding and resizing take milliseconds per
// image, so serving runs it on its compute pool, never on an event loop.
class BlockingKernel final : public BoundTransform {
 public:
  using Fn = std::function<Result<Batch>(const Batch&)>;
  BlockingKernel(SchemaPtr out, Fn fn) : out_(std::move(out)), fn_(std::move(fn)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  Result<Batch> Apply(const Batch& in, KernelScratch&) const override { return fn_(in); }
  bool blocking() const override { return true; }

 private:
  SchemaPtr out_;
  Fn fn_;
};

Batch WithColumn(const Batch& in, const SchemaPtr& out, int replace, ColumnPtr column,
                 int64_t rows) {
  std::vector<ColumnPtr> cols = in.columns();
  if (replace >= 0) {
    cols[replace] = std::move(column);
  } else {
    cols.push_back(std::move(column));
  }
  return *Batch::Make(out, std::move(cols), rows);
}

}  // namespace

// UnrollImage ------------------------------------------------------------------------------

const ParamSpec<UnrollImageParams>& UnrollImageParams::Spec() {
  using P = UnrollImageParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("UnrollImage")
          .Add("inputCol", &P::input_col,
               "The images: an image column or encoded image bytes (binary).",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The vector column to add; empty: '<uid>_output'.")
          .Add("width", &P::width,
               "Images are resized to this width (a vector column has one width).",
               InRange<int32_t>(1, 1 << 14))
          .Add("height", &P::height, "Images are resized to this height.",
               InRange<int32_t>(1, 1 << 14))
          .Add("nChannels", &P::n_channels,
               "Channels of the vector: 1 (gray) or 3 (B, G, R); images are converted.",
               InRange<int32_t>(1, 3)));
  return spec;
}

Status UnrollImage::Check(const Params& p) {
  if (p.n_channels == 2) return InvalidArgument("UnrollImage param 'nChannels': 1 or 3, got 2");
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> UnrollImage::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.input_col, Describe()));
  const int w = params_.width, h = params_.height, c = params_.n_channels;
  std::string name;
  int replace = -1;
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         OutputSchema(in, *this, params_.input_col, params_.output_col,
                                      DenseVectorType(int64_t{w} * h * c), &name, &replace));
  return std::unique_ptr<BoundTransform>(
      new BlockingKernel(out, [out, reader, replace, w, h, c](const Batch& b) -> Result<Batch> {
        const Column& col = *b.column(reader.index());
        DenseVectorBuilder builder(int64_t{w} * h * c);
        std::vector<double> values(static_cast<size_t>(w) * h * c);
        std::string origin;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          EMBER_ASSIGN_OR_RETURN(cv::Mat m, reader.Read(col, r, &origin));
          if (m.empty()) {
            builder.AppendNull();
            continue;
          }
          if (c == 1 && m.channels() != 1) {
            cv::cvtColor(m, m, m.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
          } else if (c == 3) {
            m = internal::ToBgr(m);
          }
          if (m.cols != w || m.rows != h) cv::resize(m, m, cv::Size(w, h));
          for (int y = 0; y < h; ++y) {
            const uint8_t* row = m.ptr<uint8_t>(y);
            for (int x = 0; x < w; ++x) {
              for (int k = 0; k < c; ++k) {
                values[(static_cast<size_t>(k) * h + y) * w + x] = row[x * c + k];
              }
            }
          }
          EMBER_RETURN_IF_ERROR(builder.Append(values));
        }
        return WithColumn(b, out, replace, builder.Finish(), b.num_rows());
      }));
}

// ImageSetAugmenter ------------------------------------------------------------------------

const ParamSpec<ImageSetAugmenterParams>& ImageSetAugmenterParams::Spec() {
  using P = ImageSetAugmenterParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ImageSetAugmenter")
          .Add("inputCol", &P::input_col,
               "The images: an image column or encoded image bytes (binary).",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col,
               "The image column of the originals and their flipped copies; empty: "
               "'<uid>_output'. May equal inputCol.")
          .Add("flipLeftRight", &P::flip_left_right, "Add each image's left-right mirror.")
          .Add("flipUpDown", &P::flip_up_down, "Add each image's up-down mirror."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> ImageSetAugmenter::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.input_col, Describe()));
  std::string name;
  int replace = -1;
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out,
      OutputSchema(in, *this, params_.input_col, params_.output_col, ImageType(), &name, &replace));
  std::vector<int> flips;  // cv::flip codes after the original
  if (params_.flip_left_right) flips.push_back(1);
  if (params_.flip_up_down) flips.push_back(0);
  return std::unique_ptr<BoundTransform>(
      new BlockingKernel(out, [out, reader, replace, flips](const Batch& b) -> Result<Batch> {
        const Column& col = *b.column(reader.index());
        const int64_t copies = 1 + static_cast<int64_t>(flips.size());
        std::vector<int64_t> rows;
        rows.reserve(b.num_rows() * copies);
        ImageBuilder images;
        std::string origin;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          EMBER_ASSIGN_OR_RETURN(cv::Mat m, reader.Read(col, r, &origin));
          for (int64_t k = 0; k < copies; ++k) {
            rows.push_back(r);
            if (m.empty()) {
              images.AppendNull();
            } else if (k == 0) {
              internal::AppendMat(images, origin, m);
            } else {
              cv::Mat flipped;
              cv::flip(m, flipped, flips[k - 1]);
              internal::AppendMat(images, origin, flipped);
            }
          }
        }
        EMBER_ASSIGN_OR_RETURN(Batch taken, TakeRows(b, rows));
        return WithColumn(taken, out, replace, images.Finish(), taken.num_rows());
      }));
}

Status RegisterImageStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<ImageTransformer>(
      r,
      "Applies OpenCV operations (resize, crop, color conversion, flip, blur, threshold, "
      "Gaussian kernel) to images, optionally ending in a normalized tensor (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<UnrollImage>(
      r, "Turns images into dense vectors of their pixels in planar order."));
  return RegisterStage<ImageSetAugmenter>(
      r, "Adds left-right and up-down mirrored copies of every image.");
}

}  // namespace ember::image
