#include "ember/image/image_transformer.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ember/image/image_stages.h"
#include "ember/image/internal/codec.h"

namespace ember::image {
namespace {

cv::Mat Photo(int w, int h, int channels) {
  cv::Mat m(h, w, CV_8UC(channels));
  cv::RNG rng(42);
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(m, m, cv::Size(5, 5), 1.5);  // some structure, as in a photo
  return m;
}

Batch ImagesBatch(const std::vector<cv::Mat>& mats, bool with_null = false) {
  ImageBuilder b;
  for (size_t i = 0; i < mats.size(); ++i)
    internal::AppendMat(b, "img" + std::to_string(i), mats[i]);
  if (with_null) b.AppendNull();
  SchemaPtr s = *Schema::Make({MakeField("image", ImageType())});
  return *Batch::Make(s, {b.Finish()});
}

Result<Batch> RunOn(const Transformer& t, const Batch& in) {
  EMBER_ASSIGN_OR_RETURN(auto bound, t.Bind(*in.schema()));
  return bound->Apply(in, KernelScratch::ForThisThread());
}

cv::Mat OutMat(const Batch& b, int col, int64_t r) {
  return internal::MatOf(ImageAt(*b.column(col), r)).clone();
}

bool SameMat(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

std::shared_ptr<const ImageTransformer> Make(const std::string& stages_json,
                                             ImageTransformerParams p = {}) {
  p.stages = Json::Parse(stages_json)->as_array();
  p.output_col = "out";
  auto t = ImageTransformer::Make(p);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : nullptr;
}

TEST(ImageTransformerTest, EachOperationEqualsTheDirectOpenCvCall) {
  const cv::Mat src = Photo(40, 30, 3);
  const Batch in = ImagesBatch({src});
  struct Case {
    const char* stage;
    std::function<cv::Mat(const cv::Mat&)> direct;
  };
  const std::vector<Case> cases = {
      {R"({"action":"resize","height":17,"width":23})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::resize(m, o, cv::Size(23, 17));
         return o;
       }},
      {R"({"action":"resize","size":15,"keepAspectRatio":true})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::resize(m, o, cv::Size(20, 15));
         return o;
       }},
      {R"({"action":"resize","size":12,"interpolation":"area"})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::resize(m, o, cv::Size(12, 12), 0, 0, cv::INTER_AREA);
         return o;
       }},
      {R"({"action":"crop","x":3,"y":4,"height":10,"width":12})",
       [](const cv::Mat& m) { return m(cv::Rect(3, 4, 12, 10)).clone(); }},
      {R"({"action":"centercrop","height":10,"width":100})",
       [](const cv::Mat& m) { return m(cv::Rect(0, 10, 40, 10)).clone(); }},
      {R"({"action":"colorformat","format":"BGR2GRAY"})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::cvtColor(m, o, cv::COLOR_BGR2GRAY);
         return o;
       }},
      {R"({"action":"colorformat","format":40})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::cvtColor(m, o, cv::COLOR_BGR2HSV);
         return o;
       }},
      {R"({"action":"flip","flipCode":1})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::flip(m, o, 1);
         return o;
       }},
      {R"({"action":"flip","flipCode":-1})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::flip(m, o, -1);
         return o;
       }},
      {R"({"action":"blur","height":3,"width":5})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::blur(m, o, cv::Size(5, 3));
         return o;
       }},
      {R"({"action":"threshold","threshold":100,"maxVal":200,"type":"binary"})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::threshold(m, o, 100, 200, cv::THRESH_BINARY);
         return o;
       }},
      {R"({"action":"gaussiankernel","apertureSize":5,"sigma":1.2})",
       [](const cv::Mat& m) {
         cv::Mat o;
         cv::filter2D(m, o, -1, cv::getGaussianKernel(5, 1.2));
         return o;
       }},
  };
  for (const Case& c : cases) {
    auto t = Make(std::string("[") + c.stage + "]");
    ASSERT_NE(t, nullptr) << c.stage;
    Result<Batch> out = RunOn(*t, in);
    ASSERT_TRUE(out.ok()) << c.stage << ": " << out.status();
    EXPECT_TRUE(SameMat(OutMat(*out, 1, 0), c.direct(src))) << c.stage;
    EXPECT_EQ(ImageAt(*out->column(1), 0).origin, "img0");
  }
  // A chain equals the calls in sequence.
  auto chain = Make(R"([{"action":"resize","height":20,"width":20},{"action":"flip","flipCode":0},
                        {"action":"colorformat","format":"BGR2GRAY"}])");
  cv::Mat want;
  cv::resize(src, want, cv::Size(20, 20));
  cv::flip(want, want, 0);
  cv::cvtColor(want, want, cv::COLOR_BGR2GRAY);
  EXPECT_TRUE(SameMat(OutMat(*RunOn(*chain, in), 1, 0), want));
}

TEST(ImageTransformerTest, TensorsInBothLayoutsAndChannelOrders) {
  const cv::Mat src = Photo(6, 4, 3);
  ImageTransformerParams p;
  p.to_tensor = true;
  p.color_scale_factor = 1.0 / 255;
  p.normalize_mean = {0.485, 0.456, 0.406};
  p.normalize_std = {0.229, 0.224, 0.225};
  auto chw = Make("[]", p);
  Result<Batch> out = RunOn(*chw, ImagesBatch({src}, true));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->schema()->field(1).type->ToString(), "list<list<list<float32>>>");
  const Column& l0 = *out->column(1);
  EXPECT_TRUE(l0.IsNull(1));
  const Column& l1 = *l0.child(0);
  const Column& l2 = *l1.child(0);
  const float* v = l2.child(0)->Values<float>();
  ASSERT_EQ(l0.Offsets()[1], 3);  // C
  ASSERT_EQ(l1.Offsets()[1], 4);  // H
  ASSERT_EQ(l2.Offsets()[1], 6);  // W
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 6; ++x) {
        const double pixel = src.at<cv::Vec3b>(y, x)[2 - c];  // RGB from BGR
        const double want = (pixel / 255 - p.normalize_mean[c]) / p.normalize_std[c];
        EXPECT_NEAR(v[(c * 4 + y) * 6 + x], want, 1e-5);
      }
    }
  }
  p.tensor_layout = TensorLayout::kHwc;
  p.tensor_channel_order = ChannelOrder::kBgr;
  p.tensor_element_type = TensorElement::kDouble;
  p.normalize_mean.clear();
  p.normalize_std.clear();
  p.color_scale_factor = 1;
  Result<Batch> hwc = RunOn(*Make("[]", p), ImagesBatch({src}));
  ASSERT_TRUE(hwc.ok());
  const double* d = hwc->column(1)->child(0)->child(0)->child(0)->Values<double>();
  EXPECT_EQ(d[(2 * 6 + 5) * 3 + 1], src.at<cv::Vec3b>(2, 5)[1]);
}

TEST(ImageTransformerTest, EncodedInputNullsAndErrors) {
  std::vector<uint8_t> png;
  cv::imencode(".png", Photo(10, 8, 3), png);
  StringBuilder bytes(BinaryType());
  bytes.Append(std::string(png.begin(), png.end()));
  bytes.Append("garbage");
  bytes.AppendNull();
  SchemaPtr s = *Schema::Make({MakeField("bytes", BinaryType())});
  Batch in = *Batch::Make(s, {bytes.Finish()});
  ImageTransformerParams p;
  p.input_col = "bytes";
  auto t = Make(R"([{"action":"flip","flipCode":1}])", p);
  Result<Batch> failed = RunOn(*t, in);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("column 'bytes' row 1"), std::string::npos)
      << failed.status();
  p.ignore_decoding_errors = true;
  Result<Batch> ok = RunOn(*Make(R"([{"action":"flip","flipCode":1}])", p), in);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ImageAt(*ok->column(1), 0).width, 10);
  EXPECT_TRUE(ok->column(1)->IsNull(1));
  EXPECT_TRUE(ok->column(1)->IsNull(2));

  auto crop = Make(R"([{"action":"crop","x":5,"y":5,"height":10,"width":10}])");
  Result<Batch> outside = RunOn(*crop, ImagesBatch({Photo(8, 8, 3)}));
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("image 'img0' of 8x8: crop 10x10 at (5, 5)"),
            std::string::npos)
      << outside.status();
}

TEST(ImageTransformerTest, BadStagesAreErrorsNamingTheKey) {
  auto bad = [](const std::string& stages) {
    ImageTransformerParams p;
    p.stages = Json::Parse(stages)->as_array();
    return ImageTransformer::Make(p).status().message();
  };
  EXPECT_NE(bad(R"([{"action":"spin"}])").find("unknown action 'spin'"), std::string::npos);
  EXPECT_NE(bad(R"([{"action":"resize","height":3}])").find("stages[0] (resize): missing 'width'"),
            std::string::npos);
  EXPECT_NE(bad(R"([{"action":"flip","flipCode":2}])").find("flipCode"), std::string::npos);
  EXPECT_NE(bad(R"([{"action":"colorformat","format":"BGR2PURPLE"}])").find("BGR2GRAY"),
            std::string::npos);
  EXPECT_NE(bad(R"([{"action":"gaussiankernel","apertureSize":4,"sigma":1}])").find("odd"),
            std::string::npos);
  ImageTransformerParams p;
  p.normalize_mean = {0.5};
  EXPECT_NE(ImageTransformer::Make(p).status().message().find("set toTensor"), std::string::npos);
  ImageTransformerParams q;
  q.input_col = "x";
  auto t = *ImageTransformer::Make(q);
  SchemaPtr s = *Schema::Make({MakeField("x", Int64Type())});
  EXPECT_NE(t->Bind(*s).status().message().find("column 'x' must hold images"), std::string::npos);
}

TEST(UnrollImageTest, PlanarVectorAsSynapseML) {
  const cv::Mat src = Photo(5, 4, 3);
  UnrollImageParams p;
  p.width = 5;
  p.height = 4;
  p.output_col = "v";
  Result<Batch> out = RunOn(**UnrollImage::Make(p), ImagesBatch({src}, true));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->schema()->field(1).type->vector_size(), 60);
  auto row = out->column(1)->DenseRow(0);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 5; ++x) EXPECT_EQ(row[(c * 4 + y) * 5 + x], src.at<cv::Vec3b>(y, x)[c]);
    }
  }
  EXPECT_TRUE(out->column(1)->IsNull(1));
  // Another size is resized; gray to one channel.
  p.n_channels = 1;
  p.width = 3;
  p.height = 2;
  Result<Batch> small = RunOn(**UnrollImage::Make(p), ImagesBatch({src}));
  cv::Mat gray;
  cv::cvtColor(src, gray, cv::COLOR_BGR2GRAY);
  cv::resize(gray, gray, cv::Size(3, 2));
  EXPECT_EQ(small->column(1)->DenseRow(0)[4], gray.at<uint8_t>(1, 1));
  p.width = 0;
  EXPECT_FALSE(UnrollImage::Make(p).ok());
}

TEST(ImageSetAugmenterTest, AddsMirroredCopiesAfterEachRow) {
  const cv::Mat a = Photo(6, 5, 3), b = Photo(4, 4, 1);
  ImageSetAugmenterParams p;
  p.flip_up_down = true;
  p.output_col = "image";
  Result<Batch> out = RunOn(**ImageSetAugmenter::Make(p), ImagesBatch({a, b}, true));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->num_rows(), 9);
  EXPECT_EQ(out->num_columns(), 1);
  cv::Mat lr, ud;
  cv::flip(a, lr, 1);
  cv::flip(a, ud, 0);
  EXPECT_TRUE(SameMat(OutMat(*out, 0, 0), a));
  EXPECT_TRUE(SameMat(OutMat(*out, 0, 1), lr));
  EXPECT_TRUE(SameMat(OutMat(*out, 0, 2), ud));
  cv::flip(b, lr, 1);
  EXPECT_TRUE(SameMat(OutMat(*out, 0, 4), lr));
  EXPECT_TRUE(out->column(0)->IsNull(8));
}

}  // namespace
}  // namespace ember::image
