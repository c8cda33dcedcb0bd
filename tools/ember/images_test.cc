// The `ember` commands on image folders and ONNX files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cli_test_util.h"
#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"
#if EMBER_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

namespace ember::cli {
namespace {

using testing::IsOk;

#if EMBER_WITH_OPENCV
// A folder of labelled images: dark/ and bright/ squares with noise, and one broken file.
std::string ImageFolder() {
  const std::string dir = testing::NewTempDir("cli_images") + "/photos";
  cv::RNG rng(5);
  for (int i = 0; i < 12; ++i) {
    const bool bright = i % 2 == 1;
    cv::Mat m(10 + i % 3, 12, CV_8UC3);
    rng.fill(m, cv::RNG::UNIFORM, bright ? 170 : 20, bright ? 240 : 90);
    std::vector<uint8_t> png;
    cv::imencode(".png", m, png);
    const std::string path = dir + (bright ? "/bright/" : "/dark/") + std::to_string(i) + ".png";
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    EXPECT_TRUE(WriteStringToFile(path, std::string(png.begin(), png.end())).ok());
  }
  EXPECT_TRUE(WriteStringToFile(dir + "/dark/broken.jpg", "not a jpeg").ok());
  return dir;
}

TEST(CliImagesTest, CommandsReadImageFoldersAndGlobs) {
  const std::string dir = ImageFolder();
  Streams s;
  CliContext c = s.ctx();
  c.read = *ReadOptionsFrom(ReadArgs{});
  ASSERT_THAT(Schema(c, dir), IsOk());
  EXPECT_NE(s.out.str().find("image: struct<origin: string, height: int32, width: int32, "
                             "nChannels: int32, mode: int32, data: binary>\nlabel: string\n"
                             "error: string\n(13 rows)"),
            std::string::npos)
      << s.out.str();
  Streams g;
  CliContext gc = g.ctx();
  gc.read = *ReadOptionsFrom(ReadArgs{});
  ASSERT_THAT(Schema(gc, dir + "/*/*.png"), IsOk());
  EXPECT_NE(g.out.str().find("(12 rows)"), std::string::npos) << g.out.str();
  ReadArgs drop;
  drop.drop_invalid_images = true;
  drop.image_color = "gray";
  Streams d;
  CliContext dc = d.ctx();
  dc.read = *ReadOptionsFrom(drop);
  ASSERT_THAT(Schema(dc, dir), IsOk());
  EXPECT_NE(d.out.str().find("(12 rows)"), std::string::npos);
  ReadArgs bad;
  bad.image_color = "sepia";
  EXPECT_NE(ReadOptionsFrom(bad).status().message().find("--image-color 'sepia'"),
            std::string::npos);
}

TEST(CliImagesTest, FitAndTransformAPipelineOnAnImageFolder) {
  const std::string dir = ImageFolder();
  const std::string work = testing::NewTempDir("cli_image_fit");
  ASSERT_THAT(WriteStringToFile(work + "/spec.json", R"({"stages": [
      {"type": "SqlTransformer", "params": {"statement": "SELECT * FROM __THIS__ WHERE error IS NULL"}},
      {"type": "UnrollImage", "params": {"inputCol": "image", "outputCol": "features",
                                         "width": 6, "height": 5}},
      {"type": "StringIndexer", "params": {"inputCol": "label", "outputCol": "y"}},
      {"type": "LogisticRegression", "params": {"labelCol": "y", "regParam": 0.1}}]})"),
              IsOk());
  Streams s;
  CliContext c = s.ctx();
  c.read = *ReadOptionsFrom(ReadArgs{});
  ASSERT_THAT(Fit(c, work + "/spec.json", dir, work + "/model", false), IsOk()) << s.log.str();
  ASSERT_THAT(Transform(c, work + "/model", dir, work + "/out.csv", {"label", "y", "prediction"}),
              IsOk());
  auto text = ReadFileToString(work + "/out.csv");
  ASSERT_THAT(text, IsOk());
  // Every image is classified as its folder says (the broken file was filtered out).
  int rows = 0;
  for (size_t at = text->find('\n') + 1; at < text->size(); at = text->find('\n', at) + 1) {
    const std::string line = text->substr(at, text->find('\n', at) - at);
    const size_t a = line.find(','), b = line.rfind(',');
    EXPECT_EQ(std::stod(line.substr(a + 1, b - a - 1)), std::stod(line.substr(b + 1))) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 12);
}

TEST(CliImagesTest, DescribeModelListsInputsOutputsAndTensors) {
  const std::string dir = testing::NewTempDir("cli_onnx");
  ASSERT_EQ(
      std::system((std::string("/usr/bin/python3 ") + EMBER_DNN_TESTDATA + "/make_models.py " + dir)
                      .c_str()),
      0);
  Streams s;
  ASSERT_THAT(DescribeOnnx(s.ctx(), dir + "/cnn.onnx"), IsOk());
  const std::string out = s.out.str();
  EXPECT_NE(out.find("inputs (feedDict keys):\n  image  float [batch, 3, 16, 16]\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("outputs (fetchDict values):\n  logits  float [batch, 4]\n"),
            std::string::npos);
  EXPECT_NE(out.find("Flatten"), std::string::npos);
  EXPECT_NE(out.find("OpenCV 4.6 DNN imports it"), std::string::npos);
  ASSERT_THAT(WriteStringToFile(dir + "/x.onnx", "a,b\n1,2\n"), IsOk());
  EXPECT_NE(DescribeOnnx(s.ctx(), dir + "/x.onnx").message().find("not an ONNX model"),
            std::string::npos);
}
#else
TEST(CliImagesTest, ImagesWithoutTheModuleNameTheOption) {
  const std::string dir = testing::NewTempDir("cli_no_images");
  ASSERT_THAT(WriteStringToFile(dir + "/a.png", "\x89PNG"), IsOk());
  Streams s;
  EXPECT_NE(Schema(s.ctx(), dir).message().find("-DEMBER_WITH_OPENCV=ON"), std::string::npos);
  EXPECT_NE(DescribeOnnx(s.ctx(), dir + "/a.onnx").message().find("-DEMBER_WITH_OPENCV=ON"),
            std::string::npos);
}
#endif

}  // namespace
}  // namespace ember::cli
