// ImageLIME and ImageSHAP: on a model that looks at one region of the image (a crop of its
// top-left corner, unrolled, into a linear regression of that region's brightness), the
// superpixels that matter most lie in that region; superpixels of SLIC; bad input.
#include "ember/explain/image_explainers.h"

#include <gtest/gtest.h>

#include <numeric>
#include <opencv2/imgproc.hpp>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/image.h"
#include "ember/image/internal/codec.h"
#include "ember/pipeline/pipeline.h"
#include "ember/registry/default_registry.h"
#include "ember/testing/matchers.h"

namespace ember::explain {
namespace {

using ::ember::testing::IsOk;

// 64 x 64 color images of random blocks; the label is the mean brightness of the top-left
// 24 x 24 corner.
DataFrame Images(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageBuilder images;
  Float64Builder label(Float64Type());
  for (int i = 0; i < n; ++i) {
    cv::Mat m(64, 64, CV_8UC3);
    for (int by = 0; by < 64; by += 8) {
      for (int bx = 0; bx < 64; bx += 8) {
        const int v = static_cast<int>(rng() % 256);
        cv::rectangle(m, cv::Rect(bx, by, 8, 8), cv::Scalar(v, v, v), cv::FILLED);
      }
    }
    label.Append(cv::mean(m(cv::Rect(0, 0, 24, 24)))[0]);
    image::internal::AppendMat(images, "img" + std::to_string(i) + ".png", m);
  }
  SchemaPtr schema =
      *Schema::Make({MakeField("image", ImageType()), MakeField("label", Float64Type())});
  return DataFrame::FromBatch(*Batch::Make(schema, {images.Finish(), label.Finish()}));
}

std::shared_ptr<const Transformer> CornerModel(const DataFrame& train) {
  auto spec = Json::Parse(R"({"stages": [
      {"type": "ImageTransformer", "params": {"inputCol": "image", "outputCol": "corner",
        "stages": [{"action": "crop", "x": 0, "y": 0, "width": 24, "height": 24},
                   {"action": "resize", "height": 6, "width": 6}]}},
      {"type": "UnrollImage", "params": {"inputCol": "corner", "outputCol": "features",
        "width": 6, "height": 6}},
      {"type": "LinearRegression", "params": {}}]})");
  EXPECT_THAT(spec, IsOk());
  auto pipeline = Pipeline::FromSpec(*spec, DefaultRegistry());
  EXPECT_THAT(pipeline, IsOk());
  auto model = (*pipeline)->Fit(train, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  return *model;
}

// The superpixels' weights of row r and each superpixel's share of pixels in the corner.
void Check(const Batch& out, int64_t r, bool shap, const char* who) {
  const Column& e = *out.column(out.schema()->FindField("explanation"));
  const Column& sp = *out.column(out.schema()->FindField("superpixels"));
  const Column& err = *out.column(out.schema()->FindField("explanationError"));
  ASSERT_TRUE(err.IsNull(r)) << who << ": " << err.StringValue(r);
  const Column& per_class = *e.child(0);
  const int64_t at = e.Offsets()[r];
  std::vector<double> w;
  for (int32_t i = per_class.Offsets()[at]; i < per_class.Offsets()[at + 1]; ++i)
    w.push_back(NumericValue(*per_class.child(0), i));
  if (shap) w.erase(w.begin());
  const int m = static_cast<int>(w.size());
  ASSERT_EQ(sp.Offsets()[r + 1] - sp.Offsets()[r], 64 * 64) << who;
  std::vector<double> in_corner(m, 0), size(m, 0);
  for (int p = 0; p < 64 * 64; ++p) {
    const int l = static_cast<int>(NumericValue(*sp.child(0), sp.Offsets()[r] + p));
    ASSERT_LT(l, m) << who;
    size[l] += 1;
    in_corner[l] += (p % 64 < 24 && p / 64 < 24);
  }
  // The superpixel with the largest |weight| lies mostly in the corner, the next two overlap
  // it (superpixels follow the blocks, not the corner's edge); those wholly outside it weigh
  // (almost) nothing.
  std::vector<int> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return std::abs(w[a]) > std::abs(w[b]); });
  EXPECT_GT(in_corner[order[0]] / size[order[0]], 0.5) << who;
  for (int k = 0; k < 3; ++k) EXPECT_GT(in_corner[order[k]], 0) << who << " rank " << k;
  double outside = 0, inside = 0;
  for (int l = 0; l < m; ++l) (in_corner[l] == 0 ? outside : inside) += std::abs(w[l]);
  EXPECT_LT(outside, 0.05 * inside) << who;
}

TEST(ImageExplainerTest, TheRegionTheModelLooksAtComesFirst) {
  auto model = CornerModel(Images(300, 1));
  const DataFrame test = Images(2, 99);
  ImageLIMEParams lp;
  lp.explain.target_col = "prediction";
  lp.image.cell_size = 12;
  auto lime = ImageLIME::Make(lp, model);
  ASSERT_THAT(lime, IsOk());
  auto out = (*lime)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  for (int64_t r = 0; r < 2; ++r) Check(*out->Collect(), r, false, "ImageLIME");

  ImageSHAPParams sp;
  sp.explain.target_col = "prediction";
  sp.image.cell_size = 12;
  auto shap = ImageSHAP::Make(sp, model);
  ASSERT_THAT(shap, IsOk());
  auto shapped = (*shap)->Transform(test, ExecContext::Default());
  ASSERT_THAT(shapped, IsOk());
  for (int64_t r = 0; r < 2; ++r) Check(*shapped->Collect(), r, true, "ImageSHAP");
}

TEST(ImageExplainerTest, SuperpixelsCoverTheImageAndTinyImagesAreRowErrors) {
  cv::Mat m(40, 50, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::rectangle(m, cv::Rect(0, 0, 25, 40), cv::Scalar(200, 200, 200), cv::FILLED);
  cv::Mat labels;
  auto n = Superpixels(m, 10, 130, &labels);
  ASSERT_THAT(n, IsOk());
  EXPECT_GE(*n, 4);
  EXPECT_EQ(labels.rows, 40);
  double lo, hi;
  cv::minMaxLoc(labels, &lo, &hi);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, *n - 1);
  cv::Mat tiny(8, 30, CV_8UC1, cv::Scalar(3));
  EXPECT_NE(Superpixels(tiny, 10, 130, &labels).status().message().find("smaller than one cell"),
            std::string::npos);
}

}  // namespace
}  // namespace ember::explain
