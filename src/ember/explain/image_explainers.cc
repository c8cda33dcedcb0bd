#include "ember/explain/image_explainers.h"

#include <cstring>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/slic.hpp>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/image.h"
#include "ember/core/ops.h"
#include "ember/image/internal/codec.h"
#include "ember/image/internal/image_column.h"

namespace ember::explain {

using image::internal::ImageColumnReader;

const ParamSpec<ImageExplainParams>& ImageExplainParams::Spec() {
  using P = ImageExplainParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Image explainer")
          .Add("inputCol", &P::input_col, "The explained image column (image struct or bytes).",
               NonEmpty<std::string>())
          .Add("cellSize", &P::cell_size, "The superpixels' size in pixels (SLIC's region size).",
               InRange<int32_t>(2, 4096))
          .Add("modifier", &P::modifier,
               "How much space weighs against color; SLIC's ruler is modifier / 10.", Positive())
          .Add("superpixelCol", &P::superpixel_col,
               "Each pixel's superpixel (list<int32>, row-major), added.",
               NonEmpty<std::string>()));
  return spec;
}

const ParamSpec<ImageSHAPParams>& ImageSHAPParams::Spec() {
  using P = ImageSHAPParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ImageSHAP")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .AddGroup(&P::image, ImageExplainParams::Spec())
          .Add("infWeight", &P::inf_weight,
               "The weight of the empty and the full coalition in the regression.", Positive()));
  return spec;
}

const ParamSpec<ImageLIMEParams>& ImageLIMEParams::Spec() {
  using P = ImageLIMEParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("ImageLIME")
                    .AddGroup(&P::explain, ExplainParams::Spec())
                    .AddGroup(&P::lime, LimeParams::Spec())
                    .AddGroup(&P::image, ImageExplainParams::Spec())
                    .Add("samplingFraction", &P::sampling_fraction,
                         "The chance that a superpixel is kept in a sample.", OpenFraction()));
  return spec;
}

Result<int> Superpixels(const cv::Mat& image, int cell_size, double modifier, cv::Mat* labels) {
  if (image.cols < cell_size || image.rows < cell_size) {
    return InvalidArgument("the image is " + std::to_string(image.cols) + " x " +
                           std::to_string(image.rows) + ", smaller than one cell (cellSize " +
                           std::to_string(cell_size) + ")");
  }
  // On the BGR values, as SynapseML's superpixels use RGB distances (Lab would also cost a
  // conversion per row).
  const cv::Mat bgr = image::internal::ToBgr(image);
  cv::Ptr<cv::ximgproc::SuperpixelSLIC> slic = cv::ximgproc::createSuperpixelSLIC(
      bgr, cv::ximgproc::SLIC, cell_size, static_cast<float>(modifier / 10));
  slic->iterate(10);
  slic->enforceLabelConnectivity(25);
  slic->getLabels(*labels);
  // Labels as 0 .. n-1 in order of first appearance (SLIC may leave gaps).
  std::vector<int> remap;
  int n = 0;
  std::vector<int> seen;
  for (int y = 0; y < labels->rows; ++y) {
    int* row = labels->ptr<int>(y);
    for (int x = 0; x < labels->cols; ++x) {
      const int l = row[x];
      if (l >= static_cast<int>(seen.size())) seen.resize(l + 1, -1);
      if (seen[l] < 0) seen[l] = n++;
      row[x] = seen[l];
    }
  }
  return n;
}

namespace {

// One row's image, its superpixels and how samples of it are built.
struct RowImage {
  cv::Mat image;
  cv::Mat labels;
  int m = 0;
  std::string origin;
};

Result<RowImage> ReadRow(const ImageColumnReader& reader, const Batch& in, int64_t r,
                         const ImageExplainParams& p) {
  RowImage row;
  const Column& c = *in.column(reader.index());
  if (c.IsNull(r)) return InvalidArgument("'" + p.input_col + "' is null");
  EMBER_ASSIGN_OR_RETURN(row.image, reader.Read(c, r, &row.origin));
  if (row.image.empty()) return InvalidArgument("'" + p.input_col + "' is null");
  EMBER_ASSIGN_OR_RETURN(row.m, Superpixels(row.image, p.cell_size, p.modifier, &row.labels));
  return row;
}

// The row repeated `count` times with its image replaced by each sample's (the superpixels
// whose state is 0 painted black), as the column's type (an image struct, or PNG bytes).
Result<Batch> ImageSamples(const Batch& in, int64_t r, const ImageColumnReader& reader,
                           const RowImage& row, const double* states, int64_t count) {
  const int col = reader.index();
  EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> cols, RepeatRow(in, r, count, col));
  ImageBuilder images;
  StringBuilder bytes(BinaryType());
  const size_t pixel = row.image.elemSize();
  cv::Mat sample(row.image.size(), row.image.type());
  std::vector<uint8_t> png;
  for (int64_t i = 0; i < count; ++i) {
    const double* on = states + i * row.m;
    for (int y = 0; y < row.image.rows; ++y) {
      const uint8_t* src = row.image.ptr<uint8_t>(y);
      uint8_t* dst = sample.ptr<uint8_t>(y);
      const int* label = row.labels.ptr<int>(y);
      for (int x = 0; x < row.image.cols; ++x) {
        if (on[label[x]] != 0) {
          std::memcpy(dst + x * pixel, src + x * pixel, pixel);
        } else {
          std::memset(dst + x * pixel, 0, pixel);
        }
      }
    }
    if (reader.encoded()) {
      cv::imencode(".png", sample, png);
      bytes.Append(std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    } else {
      image::internal::AppendMat(images, row.origin, sample);
    }
  }
  cols[col] = reader.encoded() ? bytes.Finish() : images.Finish();
  return Batch::Make(in.schema(), std::move(cols), count);
}

std::vector<int32_t> LabelList(const cv::Mat& labels) {
  std::vector<int32_t> out;
  out.reserve(labels.total());
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    out.insert(out.end(), row, row + labels.cols);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<BoundTransform>> ImageSHAP::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.image.input_col, who));
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const ImageSHAPParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    EMBER_ASSIGN_OR_RETURN(RowImage row, ReadRow(reader, batch, r, p.image));
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    std::vector<double> states;
    auto build = [&](const uint8_t* masks, int64_t count) -> Result<Batch> {
      states.assign(masks, masks + count * row.m);
      return ImageSamples(batch, r, reader, row, states.data(), count);
    };
    const int hashed[] = {reader.index()};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, hashed);
    EMBER_ASSIGN_OR_RETURN(RowExplanation e,
                           ExplainShap(scorer, scratch, row.m, p.explain.num_samples, p.inf_weight,
                                       1, rng, build, classes));
    e.superpixels = LabelList(row.labels);
    return e;
  };
  return MakeExplainKernel(in, params_.explain, 0, std::move(scorer), explain, who,
                           {params_.image.superpixel_col, ListType(Int32Type())});
}

Result<std::unique_ptr<BoundTransform>> ImageLIME::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.image.input_col, who));
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const ImageLIMEParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    EMBER_ASSIGN_OR_RETURN(RowImage row, ReadRow(reader, batch, r, p.image));
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const int64_t n = p.explain.num_samples > 0 ? p.explain.num_samples : 900;
    const int hashed[] = {reader.index()};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, hashed);
    std::vector<double> states, distances;
    LimeMasks(row.m, n, p.sampling_fraction, rng, &states, &distances);
    auto build = [&](int64_t from, int64_t to) {
      return ImageSamples(batch, r, reader, row, states.data() + from * row.m, to - from);
    };
    EMBER_ASSIGN_OR_RETURN(RowExplanation e, FitLime(scorer, scratch, p.lime, row.m, n, states,
                                                     distances, build, classes));
    e.superpixels = LabelList(row.labels);
    return e;
  };
  return MakeExplainKernel(in, params_.explain, 0, std::move(scorer), explain, who,
                           {params_.image.superpixel_col, ListType(Int32Type())});
}

Status RegisterImageExplainStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<ImageSHAP>(
      r, "Kernel SHAP values of a model's output over an image's superpixels (SynapseML's)."));
  return RegisterStage<ImageLIME>(
      r,
      "LIME: a local weighted-Lasso surrogate of a model over an image's superpixels "
      "(SynapseML's).");
}

}  // namespace ember::explain
