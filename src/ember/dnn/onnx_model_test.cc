#include "ember/dnn/onnx_model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/image.h"
#include "ember/dnn/image_featurizer.h"
#include "ember/image/image_reader.h"
#include "ember/image/image_transformer.h"
#include "ember/image/internal/codec.h"
#include "ember/image/internal/image_column.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"

namespace ember::dnn {
namespace {

using image::internal::TensorColumnBuilder;

// The models made by testdata/make_models.py with python3-torch, and torch's outputs.
class OnnxModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::NewTempDir("onnx_models"));
    const std::string cmd = std::string("/usr/bin/python3 ") + EMBER_DNN_TESTDATA +
                            "/make_models.py " + *dir_ + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0)
        << "making the test models needs python3-torch and python3-onnx: run scripts/setup.sh";
    reference_ = new Json(*Json::Parse(*ReadFileToString(*dir_ + "/reference.json")));
  }
  static std::string Path(const std::string& model) { return *dir_ + "/" + model + ".onnx"; }
  static const Json& Ref(const std::string& model, const char* kind, const std::string& name) {
    return *reference_->Find(model)->Find(kind)->Find(name);
  }

  // Reference rows as a dense vector column (flattened).
  static ColumnPtr VectorColumn(const Json& rows, int null_row = -1) {
    std::vector<double> flat;
    Flatten(rows.as_array()[0], &flat);
    DenseVectorBuilder b(static_cast<int64_t>(flat.size()));
    for (size_t r = 0; r < rows.as_array().size(); ++r) {
      if (static_cast<int>(r) == null_row) {
        b.AppendNull();
        continue;
      }
      flat.clear();
      Flatten(rows.as_array()[r], &flat);
      EXPECT_TRUE(b.Append(flat).ok());
    }
    return b.Finish();
  }
  // Reference rows as nested lists of float32 (each row's own shape).
  static ColumnPtr TensorColumn(const Json& rows) {
    std::vector<int64_t> dims;
    for (const Json* j = &rows.as_array()[0]; j->is_array(); j = &j->as_array()[0])
      dims.push_back(static_cast<int64_t>(j->as_array().size()));
    TensorColumnBuilder b(static_cast<int>(dims.size()), Float32Type());
    for (const Json& row : rows.as_array()) {
      std::vector<double> flat;
      Flatten(row, &flat);
      b.Append(dims, flat.data());
    }
    return b.Finish();
  }
  static void Flatten(const Json& j, std::vector<double>* out) {
    if (j.is_array()) {
      for (const Json& e : j.as_array()) Flatten(e, out);
    } else {
      out->push_back(j.as_double());
    }
  }
  // Every value of column `c` (vectors or nested lists) within 1e-4 of the reference.
  static void ExpectNear(const Column& c, const Json& rows, const std::string& what) {
    ASSERT_EQ(c.length(), static_cast<int64_t>(rows.as_array().size())) << what;
    for (int64_t r = 0; r < c.length(); ++r) {
      std::vector<double> want, got;
      Flatten(rows.as_array()[r], &want);
      if (c.type_id() == TypeId::kVector) {
        ForEachVectorEntry(c, r, [&](int64_t, double v) { got.push_back(v); });
      } else {
        Collect(c, r, &got);
      }
      ASSERT_EQ(got.size(), want.size()) << what << " row " << r;
      for (size_t k = 0; k < want.size(); ++k)
        EXPECT_NEAR(got[k], want[k], 1e-4) << what << " row " << r << " value " << k;
    }
  }
  static void Collect(const Column& c, int64_t r, std::vector<double>* out) {
    if (c.type_id() != TypeId::kList) {
      out->push_back(NumericValue(c, r));
      return;
    }
    const int32_t* o = c.Offsets();
    for (int64_t i = o[r]; i < o[r + 1]; ++i) Collect(*c.child(0), i, out);
  }
  static Batch OneColumn(const std::string& name, ColumnPtr c) {
    return *Batch::Make(*Schema::Make({MakeField(name, c->type())}), {c});
  }
  static Result<Batch> RunOn(const Transformer& t, const Batch& in) {
    EMBER_ASSIGN_OR_RETURN(auto bound, t.Bind(*in.schema()));
    return bound->Apply(in, KernelScratch::ForThisThread());
  }

  static std::string* dir_;
  static Json* reference_;
};
std::string* OnnxModelTest::dir_ = nullptr;
Json* OnnxModelTest::reference_ = nullptr;

TEST_F(OnnxModelTest, ReadsWhatTheFileDeclares) {
  Result<OnnxGraphInfo> g = ParseOnnx(*ReadFileToString(Path("two_io")));
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->inputs.size(), 2u);  // weights are initializers, not inputs
  EXPECT_EQ(g->inputs[0].name, "a");
  EXPECT_EQ(ShapeText(g->inputs[0]), "[batch, 5]");
  EXPECT_EQ(ElemTypeName(g->inputs[0].elem_type), "float");
  ASSERT_EQ(g->outputs.size(), 2u);
  EXPECT_EQ(g->outputs[1].name, "side");
  EXPECT_EQ(g->opset, 11);
  EXPECT_FALSE(g->nodes.empty());
  EXPECT_NE(ParseOnnx("").status().message().find("empty"), std::string::npos);
  EXPECT_NE(ParseOnnx("name,age\nann,3\n").status().message().find("not an ONNX model"),
            std::string::npos);
  const std::string bytes = *ReadFileToString(Path("mlp"));
  EXPECT_FALSE(ParseOnnx(bytes.substr(0, bytes.size() / 2)).ok());
}

TEST_F(OnnxModelTest, MlpEqualsTorchFromVectorsAndFlatLists) {
  auto m = ONNXModel::Make({.model_location = Path("mlp"),
                            .feed_dict = {{"x", "x"}},
                            .fetch_dict = {{"y", "y"}},
                            .mini_batch_size = 3});
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Batch> out = RunOn(**m, OneColumn("x", VectorColumn(Ref("mlp", "inputs", "x"))));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->schema()->field(1).type->ToString(), "vector[3]");
  ExpectNear(*out->column(1), Ref("mlp", "outputs", "y"), "mlp from vectors");
  // The same rows as list<float32> (one level for a [batch, 10] input).
  Result<Batch> lists = RunOn(**m, OneColumn("x", TensorColumn(Ref("mlp", "inputs", "x"))));
  ASSERT_TRUE(lists.ok()) << lists.status();
  ExpectNear(*lists->column(1), Ref("mlp", "outputs", "y"), "mlp from lists");
}

TEST_F(OnnxModelTest, CnnWithBatchNormAndIntermediateOutputEqualsTorch) {
  Result<OnnxGraphInfo> g = ParseOnnx(*ReadFileToString(Path("cnn")));
  ASSERT_TRUE(g.ok());
  std::string flatten;  // the tensor torch's `features` are: the Flatten node's output
  for (const OnnxNodeInfo& n : g->nodes) {
    if (n.op_type == "Flatten") flatten = n.outputs[0];
  }
  ASSERT_FALSE(flatten.empty());
  auto m = ONNXModel::Make({.model_location = Path("cnn"),
                            .feed_dict = {{"image", "image"}},
                            .fetch_dict = {{"logits", "logits"}, {"features", flatten}},
                            .soft_max_dict = {{"logits", "probability"}},
                            .arg_max_dict = {{"logits", "prediction"}},
                            .mini_batch_size = 4});
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Batch> out = RunOn(**m, OneColumn("image", TensorColumn(Ref("cnn", "inputs", "image"))));
  ASSERT_TRUE(out.ok()) << out.status();
  const Schema& s = *out->schema();
  ExpectNear(*out->column(s.FindField("logits")), Ref("cnn", "outputs", "logits"), "logits");
  ExpectNear(*out->column(s.FindField("features")), Ref("cnn", "outputs", "features"), "features");
  const Column& prob = *out->column(s.FindField("probability"));
  const Column& pred = *out->column(s.FindField("prediction"));
  for (int64_t r = 0; r < out->num_rows(); ++r) {
    auto p = prob.DenseRow(r);
    double sum = 0;
    for (double v : p) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_EQ(pred.Values<double>()[r],
              static_cast<double>(std::max_element(p.begin(), p.end()) - p.begin()));
  }
}

TEST_F(OnnxModelTest, TwoInputsTwoOutputsNullsAndSaveLoad) {
  auto m = ONNXModel::Make({.model_location = Path("two_io"),
                            .feed_dict = {{"a", "a"}, {"b", "b"}},
                            .mini_batch_size = 2});
  ASSERT_TRUE(m.ok()) << m.status();
  SchemaPtr schema =
      *Schema::Make({MakeField("a", DenseVectorType(5)), MakeField("b", DenseVectorType(3))});
  Batch in = *Batch::Make(schema, {VectorColumn(Ref("two_io", "inputs", "a")),
                                   VectorColumn(Ref("two_io", "inputs", "b"))});
  Result<Batch> out = RunOn(**m, in);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear(*out->column(2), Ref("two_io", "outputs", "joint"), "joint");
  ExpectNear(*out->column(3), Ref("two_io", "outputs", "side"), "side");

  // A null in either input gives nulls for that row; the other rows are unchanged.
  Batch with_null = *Batch::Make(schema, {VectorColumn(Ref("two_io", "inputs", "a"), 2),
                                          VectorColumn(Ref("two_io", "inputs", "b"))});
  Result<Batch> nulls = RunOn(**m, with_null);
  ASSERT_TRUE(nulls.ok()) << nulls.status();
  EXPECT_TRUE(nulls->column(2)->IsNull(2));
  EXPECT_TRUE(nulls->column(3)->IsNull(2));
  EXPECT_EQ(nulls->column(2)->DenseRow(3)[0], out->column(2)->DenseRow(3)[0]);

  // Saved with its bytes: loads and scores the same after the file is gone.
  const std::string copy = testing::NewTempDir("onnx_copy") + "/two_io.onnx";
  std::filesystem::copy_file(Path("two_io"), copy);
  auto from_copy = ONNXModel::Make({.model_location = copy, .feed_dict = {{"a", "a"}, {"b", "b"}}});
  ASSERT_TRUE(from_copy.ok());
  const std::string dir = testing::NewTempDir("onnx_saved") + "/model";
  ASSERT_TRUE(SaveStage(**from_copy, dir).ok());
  std::filesystem::remove(copy);
  StageRegistry registry;
  ASSERT_TRUE(RegisterDnnStages(&registry).ok());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Result<Batch> again = RunOn(**loaded, in);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectNear(*again->column(2), Ref("two_io", "outputs", "joint"), "joint after load");
}

TEST_F(OnnxModelTest, BadInputIsAnErrorThatNamesIt) {
  auto bind_error = [](const ONNXModelParams& p, const Batch& in) {
    auto m = ONNXModel::Make(p);
    if (!m.ok()) return m.status().message();
    return (*m)->Bind(*in.schema()).status().message();
  };
  const Batch x = OneColumn("x", VectorColumn(Ref("mlp", "inputs", "x")));
  // A feedDict naming a missing input lists the model's inputs.
  EXPECT_NE(bind_error({.model_location = Path("mlp"), .feed_dict = {{"input", "x"}}}, x)
                .find("has no input 'input' (its inputs: x [batch, 10])"),
            std::string::npos);
  // A vector of the wrong size gives both sizes.
  const Batch b = OneColumn("b", VectorColumn(Ref("two_io", "inputs", "b")));
  EXPECT_NE(bind_error({.model_location = Path("mlp"), .feed_dict = {{"x", "b"}}}, b)
                .find("holds 3 values, the input 10"),
            std::string::npos);
  // Fetching what the graph does not have lists its outputs.
  EXPECT_NE(bind_error({.model_location = Path("mlp"),
                        .feed_dict = {{"x", "x"}},
                        .fetch_dict = {{"z", "nothing"}}},
                       x)
                .find("'nothing' is neither an output"),
            std::string::npos);
  // A file that is not ONNX.
  const std::string text = testing::NewTempDir("onnx_bad") + "/model.onnx";
  ASSERT_TRUE(WriteStringToFile(text, "this is not a network").ok());
  EXPECT_NE(ONNXModel::Make({.model_location = text, .feed_dict = {{"x", "x"}}})
                .status()
                .message()
                .find("not an ONNX model"),
            std::string::npos);
  EXPECT_NE(ONNXModel::Make({.model_location = "/nonexistent.onnx", .feed_dict = {{"x", "x"}}})
                .status()
                .message()
                .find("modelLocation"),
            std::string::npos);
  // A node OpenCV cannot import: the error names the node and its op type.
  auto unsupported =
      ONNXModel::Make({.model_location = Path("unsupported"), .feed_dict = {{"x", "b"}}});
  ASSERT_TRUE(unsupported.ok()) << unsupported.status();  // the file itself is fine
  SchemaPtr four = *Schema::Make({MakeField("b", DenseVectorType(4))});
  const std::string why = (*unsupported)->Bind(*four).status().message();
  EXPECT_NE(why.find("cannot import"), std::string::npos) << why;
  EXPECT_NE(why.find("Hardmax"), std::string::npos) << why;
  EXPECT_NE(why.find("the_hardmax"), std::string::npos) << why;
  // A tensor row of the wrong shape gives both shapes and the row.
  auto cnn = ONNXModel::Make({.model_location = Path("cnn"), .feed_dict = {{"image", "t"}}});
  ASSERT_TRUE(cnn.ok());
  TensorColumnBuilder tb(3, Float32Type());
  std::vector<float> zeros(3 * 16 * 16, 0.0f);
  tb.Append({3, 16, 16}, zeros.data());
  tb.Append({3, 15, 16}, zeros.data());
  Result<Batch> shaped = RunOn(**cnn, OneColumn("t", tb.Finish()));
  ASSERT_FALSE(shaped.ok());
  EXPECT_NE(
      shaped.status().message().find(
          "column 't' row 1 has shape [3, 15, 16], the model's input 'image' takes [3, 16, 16]"),
      std::string::npos)
      << shaped.status();
}

TEST_F(OnnxModelTest, ImageFeaturizerEqualsImageTransformerThenOnnxModel) {
  // Images of another size and of 1 and 3 channels, one null.
  ImageBuilder ib;
  for (int i = 0; i < 5; ++i) {
    cv::Mat m(20 + i, 24, i == 1 ? CV_8UC1 : CV_8UC3);
    cv::randu(m, 0, 256);
    image::internal::AppendMat(ib, "img" + std::to_string(i), m);
  }
  ib.AppendNull();
  const Batch images = OneColumn("image", ib.Finish());
  ImageFeaturizerParams fp;
  fp.model_location = Path("cnn");
  fp.output_col = "features";
  fp.drop_na = false;
  auto featurizer = ImageFeaturizer::Make(fp);
  ASSERT_TRUE(featurizer.ok()) << featurizer.status();
  Result<Batch> features = RunOn(**featurizer, images);
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_EQ(features->schema()->field(1).type->ToString(), "vector[16]");  // the head's input
  EXPECT_TRUE(features->column(1)->IsNull(5));

  image::ImageTransformerParams tp;
  tp.output_col = "tensor";
  tp.stages = Json::Parse(R"([{"action":"resize","height":16,"width":16}])")->as_array();
  tp.to_tensor = true;
  tp.auto_convert_to_color = true;
  tp.color_scale_factor = 1.0 / 255;
  tp.normalize_mean = fp.channel_normalization_means;
  tp.normalize_std = fp.channel_normalization_stds;
  Result<Batch> tensors = RunOn(**image::ImageTransformer::Make(tp), images);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  auto onnx = ONNXModel::Make({.model_location = Path("cnn"),
                               .feed_dict = {{"image", "tensor"}},
                               .fetch_dict = {{"f", *(*featurizer)->FeatureTensor()}}});
  Result<Batch> direct = RunOn(**onnx, *tensors);
  ASSERT_TRUE(direct.ok()) << direct.status();
  for (int64_t r = 0; r < 5; ++r) {
    auto a = features->column(1)->DenseRow(r);
    auto b = direct->column(2)->DenseRow(r);
    for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-5) << r;
  }
  // dropNa (the default) leaves the null image's row out; cutOutputLayers 0 reads the output.
  fp.drop_na = true;
  fp.cut_output_layers = 0;
  Result<Batch> logits = RunOn(**ImageFeaturizer::Make(fp), images);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->num_rows(), 5);
  EXPECT_EQ(logits->schema()->field(1).type->ToString(), "vector[4]");
  fp.cut_output_layers = 9;
  EXPECT_NE(
      RunOn(**ImageFeaturizer::Make(fp), images).status().message().find("goes past the input"),
      std::string::npos);
}

// A second real network with an output that is not a class: PaddleOCR's text detector
// (scripts/fetch_models.sh) maps each pixel to the probability that it is text. On
// opencv-doc's photos of a page of 13 lines (scripts/fetch_data.sh; one upright, one slanted)
// its map has one band per line; on a blank page, none. The graph fixes its batch axis at 1
// (it reshapes by it): the default miniBatchSize of 10 must still run one row at a time.
TEST_F(OnnxModelTest, OcrTextDetectorFindsEachLineOfAPage) {
  const std::string data = EMBER_DATA_DIR;
  const std::string model = data + "/models/ppocr_det_640.onnx";
  ASSERT_TRUE(std::filesystem::exists(model) &&
              std::filesystem::exists(data + "/images/text/imageTextN.png"))
      << "run scripts/fetch_data.sh and scripts/fetch_models.sh";
  const std::string dir = testing::NewTempDir("ocr_pages");
  for (const char* page : {"imageTextN.png", "imageTextR.png"}) {
    std::filesystem::copy_file(data + "/images/text/" + page, dir + "/" + page);
  }
  ASSERT_TRUE(cv::imwrite(dir + "/blank.png", cv::Mat(257, 556, CV_8UC3, cv::Scalar::all(255))));
  Result<DataFrame> pages = image::ReadImages(ExecContext::Default(), dir);
  ASSERT_TRUE(pages.ok()) << pages.status();
  Result<Batch> in = pages->Collect();
  ASSERT_TRUE(in.ok());

  // PaddleOCR's preprocessing: RGB, ImageNet's mean and std, the net's 640 x 640.
  image::ImageTransformerParams tp;
  tp.output_col = "x";
  tp.stages = Json::Parse(R"([{"action":"resize","height":640,"width":640}])")->as_array();
  tp.to_tensor = true;
  tp.color_scale_factor = 1.0 / 255;
  tp.normalize_mean = {0.485, 0.456, 0.406};
  tp.normalize_std = {0.229, 0.224, 0.225};
  Result<Batch> tensors = RunOn(**image::ImageTransformer::Make(tp), *in);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  auto detector = ONNXModel::Make({.model_location = model,
                                   .feed_dict = {{"x", "x"}},
                                   .fetch_dict = {{"text", "sigmoid_0.tmp_0"}}});
  ASSERT_TRUE(detector.ok()) << detector.status();
  Result<Batch> out = RunOn(**detector, *tensors);
  ASSERT_TRUE(out.ok()) << out.status();
  const Column& maps = *out->column(out->schema()->FindField("text"));
  EXPECT_EQ(maps.type()->ToString(), "list<list<list<float32>>>");  // [1, 640, 640] per row

  const Column& images = *out->column(out->schema()->FindField("image"));
  for (int64_t r = 0; r < out->num_rows(); ++r) {
    const std::string page = std::filesystem::path(ImageAt(images, r).origin).filename();
    std::vector<double> prob;
    Collect(maps, r, &prob);
    ASSERT_EQ(prob.size(), 640u * 640u) << page;
    cv::Mat mask(640, 640, CV_8U);
    for (size_t i = 0; i < prob.size(); ++i) {
      ASSERT_TRUE(prob[i] >= 0 && prob[i] <= 1) << page;
      mask.data[i] = prob[i] > 0.3 ? 255 : 0;
    }
    cv::Mat labels, stats, centroids;
    const int regions = cv::connectedComponentsWithStats(mask, labels, stats, centroids) - 1;
    if (page == "blank.png") {
      EXPECT_EQ(regions, 0) << page;
      continue;
    }
    if (page == "imageTextR.png") {  // slanted: lines may break or touch, but text is found
      EXPECT_GE(regions, 8) << page;
      EXPECT_GT(cv::countNonZero(mask), 640 * 640 / 10) << page;
      continue;
    }
    ASSERT_EQ(regions, 13) << page;  // the upright page's 13 lines, one band each
    std::vector<double> centres;
    for (int k = 1; k <= regions; ++k) {
      const int w = stats.at<int>(k, cv::CC_STAT_WIDTH), h = stats.at<int>(k, cv::CC_STAT_HEIGHT);
      EXPECT_GT(w, 3 * h) << page << " region " << k << " is not a line: " << w << " x " << h;
      EXPECT_GT(w, 250) << page << " region " << k;  // a line spans most of the page
      centres.push_back(centroids.at<double>(k, 1));
    }
    std::sort(centres.begin(), centres.end());
    for (size_t k = 1; k < centres.size(); ++k) {  // 257 rows of 13 lines, scaled to 640
      EXPECT_NEAR(centres[k] - centres[k - 1], 46, 4) << page << " between lines " << k;
    }
  }
}

}  // namespace
}  // namespace ember::dnn
