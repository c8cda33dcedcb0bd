#include "ember/core/image.h"

#include <gtest/gtest.h>

#include "ember/core/arrow_c.h"
#include "ember/core/ops.h"

namespace ember {
namespace {

ColumnPtr TwoImages() {
  ImageBuilder b;
  b.Append("a.png", 1, 2, 3, std::string("\1\2\3\4\5\6", 6));
  b.AppendNull();
  b.Append("b.png", 2, 1, 1, std::string("\7\0", 2));
  return b.Finish();
}

TEST(ImageTest, TypeIsSparksImageSchema) {
  EXPECT_EQ(ImageType()->ToString(),
            "struct<origin: string, height: int32, width: int32, nChannels: int32, mode: int32, "
            "data: binary>");
  EXPECT_TRUE(IsImageType(**ParseType(ImageType()->ToString())));
  EXPECT_FALSE(IsImageType(*StructType({MakeField("origin", StringType())})));
  EXPECT_FALSE(IsImageType(*BinaryType()));
  EXPECT_EQ(ImageModeOf(3), kImageMode8UC3);
  EXPECT_EQ(ImageModeOf(4), kImageMode8UC4);
}

TEST(ImageTest, BuildAndReadRowsThroughSlices) {
  ColumnPtr c = TwoImages();
  ASSERT_EQ(c->length(), 3);
  EXPECT_TRUE(c->IsNull(1));
  ImageView a = ImageAt(*c, 0);
  EXPECT_EQ(a.origin, "a.png");
  EXPECT_EQ(a.mode, kImageMode8UC3);
  EXPECT_EQ(a.data.size(), 6u);
  EXPECT_TRUE(ValidateImage(a).ok());
  ColumnPtr tail = c->Slice(2, 1);
  ImageView b = ImageAt(*tail, 0);
  EXPECT_EQ(b.origin, "b.png");
  EXPECT_EQ(b.height, 2);
  EXPECT_EQ(b.mode, kImageMode8UC1);
  EXPECT_EQ(b.data, std::string("\7\0", 2));
}

TEST(ImageTest, ValidateNamesWhatDisagrees) {
  ImageView v{"x.jpg", 2, 2, 3, kImageMode8UC3, "abc"};
  EXPECT_EQ(ValidateImage(v).message(), "image 'x.jpg': data holds 3 bytes, 2x2x3 needs 12");
  v.channels = 2;
  EXPECT_NE(ValidateImage(v).message().find("nChannels is 2"), std::string::npos);
  v.channels = 3;
  v.mode = 5;
  EXPECT_NE(ValidateImage(v).message().find("mode 5"), std::string::npos);
}

TEST(ImageTest, RoundTripsThroughTheArrowCInterface) {
  SchemaPtr schema = *Schema::Make({MakeField("image", ImageType())});
  Batch batch = *Batch::Make(schema, {TwoImages()});
  ArrowSchema s;
  ArrowArray a;
  ASSERT_TRUE(ExportBatch(batch, &s, &a).ok());
  Result<Batch> back = ImportBatch(&s, &a);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(IsImageType(*back->schema()->field(0).type));
  EXPECT_TRUE(BatchesEqual(*back, batch));
}

}  // namespace
}  // namespace ember
