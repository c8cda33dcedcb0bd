#include "ember/core/arrow_c.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {
namespace {

Batch AllTypes() {
  ListBuilder lb(ListType(StringType()));
  lb.Append();
  static_cast<StringBuilder*>(lb.value_builder())->Append("x");
  lb.AppendNull();
  lb.Append();
  static_cast<StringBuilder*>(lb.value_builder())->Append("y");
  static_cast<StringBuilder*>(lb.value_builder())->Append("z");
  StructBuilder sb(StructType({MakeField("p", Int32Type()), MakeField("q", BoolType())}));
  for (int i = 0; i < 3; ++i) {
    if (i == 1) {
      sb.AppendNull();
      continue;
    }
    sb.Append();
    static_cast<Int32Builder*>(sb.field_builder(0))->Append(i);
    static_cast<BoolBuilder*>(sb.field_builder(1))->Append(i == 0);
  }
  SparseVectorBuilder svb(5);
  EXPECT_TRUE(svb.Append(std::vector<int32_t>{0, 4}, std::vector<double>{1, 2}).ok());
  svb.AppendNull();
  EXPECT_TRUE(svb.Append(std::vector<int32_t>{3}, std::vector<double>{9}).ok());
  StringBuilder bin(BinaryType());
  bin.Append(std::string("\0\1", 2));
  bin.AppendNull();
  bin.Append("");
  Int32Builder dates(DateType());
  dates.Append(19783);  // 2024-03-01
  dates.AppendNull();
  dates.Append(-1);
  Int64Builder times(TimestampType());
  times.AppendNull();
  times.Append(1709287200123456);  // 2024-03-01 10:00:00.123456 UTC
  times.Append(-1);
  Field vec = MakeField("v", DenseVectorType(2));
  SetSlotNames(&vec, {"a", "b"});
  SchemaPtr schema = *Schema::Make(
      {MakeField("b", BoolType()), MakeField("i32", Int32Type()), MakeField("i64", Int64Type()),
       MakeField("f32", Float32Type()), MakeField("f64", Float64Type()),
       MakeField("s", StringType()), MakeField("bin", BinaryType()),
       MakeField("l", ListType(StringType())),
       MakeField("st", StructType({MakeField("p", Int32Type()), MakeField("q", BoolType())})), vec,
       MakeField("sv", SparseVectorType(5)), MakeField("d", DateType()),
       MakeField("t", TimestampType())});
  return *Batch::Make(
      schema,
      {MakeColumn<bool>({true, std::nullopt, false}), MakeColumn<int32_t>({1, 2, std::nullopt}),
       MakeColumn<int64_t>({std::nullopt, 5, 6}), MakeColumn<float>({1.5f, std::nullopt, 3}),
       MakeColumn<double>({0.25, 1e300, std::nullopt}),
       MakeColumn<std::string>({"α", std::nullopt, ""}), bin.Finish(), lb.Finish(), sb.Finish(),
       MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}}, 2), svb.Finish(), dates.Finish(),
       times.Finish()});
}

TEST(ArrowCTest, RoundTripAllTypes) {
  Batch b = AllTypes();
  ArrowSchema s;
  ArrowArray a;
  ASSERT_TRUE(ExportBatch(b, &s, &a).ok());
  EXPECT_STREQ(s.format, "+s");
  EXPECT_EQ(s.n_children, 13);
  EXPECT_STREQ(s.children[9]->format, "+w:2");
  EXPECT_STREQ(s.children[11]->format, "tdD");  // Arrow's date32 and timestamp[us, UTC]
  EXPECT_STREQ(s.children[12]->format, "tsu:UTC");
  Result<Batch> back = ImportBatch(&s, &a);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(s.release, nullptr);
  EXPECT_EQ(a.release, nullptr);
  EXPECT_TRUE(BatchesEqual(*back, b)) << back->ToString() << b.ToString();
  // Metadata (ML attributes) survives.
  EXPECT_EQ(*SlotNames(back->schema()->field(9)), (std::vector<std::string>{"a", "b"}));
}

TEST(ArrowCTest, RoundTripOfSliceKeepsOffsets) {
  Batch b = AllTypes().Slice(1, 2);
  ArrowSchema s;
  ArrowArray a;
  ASSERT_TRUE(ExportBatch(b, &s, &a).ok());
  Result<Batch> back = ImportBatch(&s, &a);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(BatchesEqual(*back, b));
}

TEST(ArrowCTest, ImportIsZeroCopyAndOutlivesExporter) {
  ColumnPtr col = MakeColumn<int64_t>({1, 2, 3});
  const void* data = col->buffers()[1]->data();
  ArrowSchema s;
  ArrowArray a;
  {
    SchemaPtr schema = *Schema::Make({MakeField("x", Int64Type())});
    Batch b = *Batch::Make(schema, {col});
    ASSERT_TRUE(ExportBatch(b, &s, &a).ok());
  }
  col.reset();
  Result<Batch> back = ImportBatch(&s, &a);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->column(0)->buffers()[1]->data(), data);
  EXPECT_EQ(back->column(0)->Values<int64_t>()[2], 3);
}

TEST(ArrowCTest, UnsupportedFormatIsAnErrorNamingTheField) {
  Batch b = AllTypes();
  ArrowSchema s;
  ArrowArray a;
  ASSERT_TRUE(ExportBatch(b, &s, &a).ok());
  s.children[1]->format = "tsn:";  // timestamps in nanoseconds: not an Ember type
  Result<Batch> back = ImportBatch(&s, &a);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("'i32'"), std::string::npos);
  EXPECT_NE(back.status().message().find("microseconds in UTC (tsu:UTC)"), std::string::npos)
      << back.status().ToString();
}

}  // namespace
}  // namespace ember
