#include "ember/image/image_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "ember/base/file_util.h"
#include "ember/image/internal/codec.h"
#include "ember/io/table_io.h"
#include "ember/testing/conformance.h"

namespace ember::image {
namespace {

namespace fs = std::filesystem;

cv::Mat Gradient(int w, int h, int channels) {
  cv::Mat m(h, w, CV_8UC(channels));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c)
        m.ptr<uint8_t>(y)[x * channels + c] = (x * 7 + y * 3 + c * 50) & 255;
    }
  }
  return m;
}

std::string Encode(const std::string& ext, const cv::Mat& m) {
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf));
  return std::string(buf.begin(), buf.end());
}

void Write(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// root/cats/{a.png,b.jpg}, root/dogs/{c.bmp,d.tif,e.webp}, root/top.png, root/notes.md
std::string MakeFolder(const std::string& name) {
  const std::string root = testing::NewTempDir(name);
  Write(root + "/cats/a.png", Encode(".png", Gradient(8, 6, 3)));
  Write(root + "/cats/b.jpg", Encode(".jpg", Gradient(16, 12, 3)));
  Write(root + "/dogs/c.bmp", Encode(".bmp", Gradient(5, 4, 3)));
  Write(root + "/dogs/d.tif", Encode(".tif", Gradient(5, 4, 1)));
  Write(root + "/dogs/e.webp", Encode(".webp", Gradient(9, 9, 3)));
  Write(root + "/top.png", Encode(".png", Gradient(3, 3, 4)));
  Write(root + "/notes.md", "not an image, not listed");
  return root;
}

DataFrame MustRead(const std::string& path, const ImageReadOptions& o = {}) {
  Result<DataFrame> f = ReadImages(ExecContext::Default(), path, o);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : DataFrame();
}

TEST(ImageReaderTest, ReadsFolderWithLabelsFromParentFolders) {
  const std::string root = MakeFolder("images_labels");
  DataFrame f = MustRead(root);
  Batch b = *f.Collect();
  ASSERT_EQ(b.num_rows(), 6);
  EXPECT_TRUE(IsImageType(*b.schema()->field(0).type));
  const Column& img = *b.column(0);
  const Column& label = *b.column(1);
  const Column& error = *b.column(2);
  // Sorted by path: cats/a.png, cats/b.jpg, dogs/c.bmp, dogs/d.tif, dogs/e.webp, top.png.
  EXPECT_EQ(label.StringValue(0), "cats");
  EXPECT_EQ(label.StringValue(4), "dogs");
  EXPECT_TRUE(label.IsNull(5));
  for (int64_t r = 0; r < 6; ++r) EXPECT_TRUE(error.IsNull(r)) << error.StringValue(r);
  ImageView a = ImageAt(img, 0);
  EXPECT_EQ(a.origin, root + "/cats/a.png");
  EXPECT_EQ(a.width, 8);
  EXPECT_EQ(a.height, 6);
  EXPECT_EQ(a.mode, kImageMode8UC3);
  // Lossless formats give back the pixels exactly, as cv::imdecode does.
  cv::Mat want = Gradient(8, 6, 3);
  EXPECT_EQ(a.data, std::string_view(reinterpret_cast<const char*>(want.data), 8 * 6 * 3));
  EXPECT_EQ(ImageAt(img, 3).channels, 1);  // gray TIFF stays gray
  EXPECT_EQ(ImageAt(img, 5).channels, 4);  // PNG alpha is kept, as Spark does
  // The lossy JPEG equals OpenCV's own decoding of the same bytes.
  std::string jpg = *ReadFileToString(root + "/cats/b.jpg");
  cv::Mat dec =
      cv::imdecode(cv::Mat(1, static_cast<int>(jpg.size()), CV_8U, jpg.data()), cv::IMREAD_COLOR);
  EXPECT_EQ(ImageAt(img, 1).data,
            std::string_view(reinterpret_cast<const char*>(dec.data), dec.total() * 3));
}

TEST(ImageReaderTest, GlobsAndColorModes) {
  const std::string root = MakeFolder("images_glob");
  EXPECT_EQ(MustRead(root + "/dogs/*.bmp").num_rows(), 1);
  EXPECT_EQ(MustRead(root + "/*/*.png").num_rows(), 1);
  EXPECT_EQ(MustRead(root + "/**/*.png").num_rows(), 2);
  DataFrame labelled = MustRead(root + "/*/*");
  Batch b = *labelled.Collect();
  ASSERT_EQ(b.num_rows(), 5);
  EXPECT_EQ(b.column(1)->StringValue(0), "cats");  // the glob's root is the folder above
  ImageReadOptions gray;
  gray.color = ImageColor::kGrayscale;
  gray.label_col = "";
  Batch g = *MustRead(root, gray).Collect();
  EXPECT_EQ(g.num_columns(), 2);
  for (int64_t r = 0; r < g.num_rows(); ++r) EXPECT_EQ(ImageAt(*g.column(0), r).channels, 1);
  EXPECT_TRUE(IsImagePath(root));
  EXPECT_TRUE(IsImagePath(root + "/cats/a.png"));
  EXPECT_TRUE(IsImagePath(root + "/*.png"));
  EXPECT_FALSE(IsImagePath(root + "/notes.md"));
}

TEST(ImageReaderTest, BadFilesAreRowsWithTheReasonOrDroppedAndCounted) {
  const std::string root = testing::NewTempDir("images_bad");
  const std::string png = Encode(".png", Gradient(8, 8, 3));
  const std::string jpg = Encode(".jpg", Gradient(32, 32, 3));
  Write(root + "/0good.png", png);
  Write(root + "/1empty.png", "");
  Write(root + "/2text.jpg", "hello, this is not a picture");
  Write(root + "/3cut.jpg", jpg.substr(0, jpg.size() / 2));
  Write(root + "/4cut.png", png.substr(0, png.size() - 20));
  // A PNG whose header claims 100000 x 100000 pixels: refused before decoding.
  std::string bomb = png;
  const unsigned char big[8] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};
  bomb.replace(16, 8, reinterpret_cast<const char*>(big), 8);
  Write(root + "/5bomb.png", bomb);
  Batch b = *MustRead(root).Collect();
  ASSERT_EQ(b.num_rows(), 6);
  const Column& err = *b.column(2);
  EXPECT_TRUE(err.IsNull(0));
  for (int64_t r = 1; r < 6; ++r) EXPECT_TRUE(b.column(0)->IsNull(r)) << r;
  EXPECT_EQ(err.StringValue(1), "empty file");
  EXPECT_NE(err.StringValue(2).find("not an image in a supported format"), std::string::npos);
  EXPECT_EQ(err.StringValue(3), "truncated JPEG (no end-of-image marker)");
  EXPECT_EQ(err.StringValue(4), "truncated PNG (no IEND chunk)");
  EXPECT_NE(err.StringValue(5).find("100000x100000 pixels is over the limit of 89478485"),
            std::string::npos)
      << err.StringValue(5);

  CapturingLogger log;
  ExecContext ctx = ExecContext::Default();
  ctx.log = &log;
  ImageReadOptions drop;
  drop.drop_invalid = true;
  Result<DataFrame> dropped = ReadImages(ctx, root, drop);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->num_rows(), 1);
  ASSERT_EQ(log.messages().size(), 1u);
  EXPECT_NE(log.messages()[0].find("dropped 5 of 6 files"), std::string::npos);
  EXPECT_NE(log.messages()[0].find("1empty.png: empty file"), std::string::npos);
}

TEST(ImageReaderTest, SampleIsDeterministicAndIndependentOfPartitioning) {
  const std::string root = testing::NewTempDir("images_sample");
  const std::string png = Encode(".png", Gradient(2, 2, 3));
  for (int i = 0; i < 200; ++i) Write(root + "/c/" + std::to_string(1000 + i) + ".png", png);
  ImageReadOptions o;
  o.sample_ratio = 0.25;
  o.seed = 7;
  DataFrame a = MustRead(root, o);
  o.files_per_partition = 3;
  DataFrame b = MustRead(root, o);
  EXPECT_GT(a.num_rows(), 30);
  EXPECT_LT(a.num_rows(), 70);
  ASSERT_EQ(a.num_rows(), b.num_rows());
  Batch ca = *a.Collect(), cb = *b.Collect();
  for (int64_t r = 0; r < ca.num_rows(); ++r) {
    EXPECT_EQ(ImageAt(*ca.column(0), r).origin, ImageAt(*cb.column(0), r).origin);
  }
  o.seed = 8;
  EXPECT_NE(MustRead(root, o).num_rows(), 0);
}

TEST(ImageReaderTest, ErrorsNameThePath) {
  const std::string root = testing::NewTempDir("images_none");
  Write(root + "/a.csv", "x\n1\n");
  Result<DataFrame> none = ReadImages(ExecContext::Default(), root);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("holds no image files"), std::string::npos);
  Result<DataFrame> missing = ReadImages(ExecContext::Default(), root + "/nope");
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  ImageReadOptions o;
  o.sample_ratio = 0;
  EXPECT_NE(ReadImages(ExecContext::Default(), root, o).status().message().find("sampleRatio"),
            std::string::npos);
}

TEST(ImageCodecTest, ProbeReadsSizesFromHeaders) {
  for (const char* ext : {".png", ".jpg", ".bmp", ".tif", ".webp", ".ppm"}) {
    Result<internal::ImageHeader> h = internal::ProbeImage(Encode(ext, Gradient(37, 21, 3)));
    ASSERT_TRUE(h.ok()) << ext << " " << h.status();
    EXPECT_EQ(h->width, 37) << ext;
    EXPECT_EQ(h->height, 21) << ext;
  }
  std::vector<int> lossless = {cv::IMWRITE_WEBP_QUALITY, 101};
  std::vector<uint8_t> buf;
  ASSERT_TRUE(cv::imencode(".webp", Gradient(37, 21, 3), buf, lossless));
  auto h = internal::ProbeImage(std::string(buf.begin(), buf.end()));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->width, 37);
  EXPECT_EQ(h->height, 21);
}

TEST(ImageCodecTest, JpegDecodesAtAReducedScaleForATargetSize) {
  const std::string jpg = Encode(".jpg", Gradient(1000, 800, 3));
  internal::DecodeOptions o;
  o.color = internal::ColorMode::kColor;
  o.target_width = o.target_height = 224;
  Result<cv::Mat> m = internal::DecodeImage(jpg, o);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->cols, 500);  // 1/4 would make the shorter side 200 < 224
  EXPECT_EQ(m->rows, 400);
  o.target_width = o.target_height = 90;
  EXPECT_EQ(internal::DecodeImage(jpg, o)->cols, 125);  // 1/8
  o.target_width = 0;                                   // no target: full size
  EXPECT_EQ(internal::DecodeImage(jpg, o)->cols, 1000);
}

}  // namespace
}  // namespace ember::image
