#include "ember/core/ops.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"

namespace ember {
namespace {

Batch MakeBatch() {
  SchemaPtr schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("name", StringType()),
                                    MakeField("v", DenseVectorType(2))});
  return *Batch::Make(schema, {MakeColumn<int64_t>({1, 2, 3, std::nullopt}),
                               MakeColumn<std::string>({"a", "bb", std::nullopt, "dddd"}),
                               MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}, {7, 8}}, 2)});
}

TEST(OpsTest, ConcatOfSlicesEqualsOriginal) {
  Batch b = MakeBatch();
  std::vector<Batch> parts = {b.Slice(0, 1), b.Slice(1, 2), b.Slice(3, 10)};
  Result<Batch> c = ConcatBatches(parts);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(BatchesEqual(*c, b));
}

TEST(OpsTest, ConcatRejectsDifferentTypes) {
  std::vector<ColumnPtr> cols = {MakeColumn<int64_t>({1}), MakeColumn<double>({1.0})};
  Result<ColumnPtr> r = Concat(cols);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTypeError);
}

TEST(OpsTest, TakeReordersAndRepeats) {
  Batch b = MakeBatch();
  std::vector<int64_t> idx = {3, 0, 0};
  Result<Batch> t = TakeRows(b, idx);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatValue(*t->column(0), 0), "null");
  EXPECT_EQ(FormatValue(*t->column(1), 0), "dddd");
  EXPECT_EQ(FormatValue(*t->column(2), 2), "[1,2]");
  std::vector<int64_t> bad = {4};
  EXPECT_EQ(TakeRows(b, bad).status().code(), StatusCode::kOutOfRange);
}

TEST(OpsTest, FilterTreatsNullAsFalse) {
  Batch b = MakeBatch();
  ColumnPtr mask = MakeColumn<bool>({true, std::nullopt, false, true});
  Result<Batch> f = FilterRows(b, *mask);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->num_rows(), 2);
  EXPECT_EQ(FormatValue(*f->column(1), 1), "dddd");
}

TEST(OpsTest, EqualityFindsTheDifference) {
  Batch b = MakeBatch();
  DataFrame a = DataFrame::FromBatch(b);
  DataFrame split = *DataFrame::Make(b.schema(), {b.Slice(0, 2), b.Slice(2, 2)});
  EXPECT_TRUE(FramesEqual(a, split));
  Batch other = *Batch::Make(
      b.schema(), {MakeColumn<int64_t>({1, 2, 4, std::nullopt}), b.column(1), b.column(2)});
  EXPECT_EQ(DescribeDifference(a, DataFrame::FromBatch(other)), "column 'id' row 2: 3 vs 4");
}

TEST(OpsTest, NaNEqualsNaNForTests) {
  ColumnPtr a = MakeColumn<double>({std::nan(""), 1.0});
  ColumnPtr b = MakeColumn<double>({std::nan(""), 1.0});
  EXPECT_TRUE(ColumnsEqual(*a, *b));
}

TEST(OpsTest, ToStringShowsHeaderRowsAndCounts) {
  DataFrame f = DataFrame::FromBatch(MakeBatch());
  std::string s = f.ToString(2);
  EXPECT_NE(s.find("id: int64"), std::string::npos);
  EXPECT_NE(s.find("[1,2]"), std::string::npos);
  EXPECT_NE(s.find("2 more rows"), std::string::npos);
  EXPECT_NE(s.find("[4 rows x 3 columns in 1 partitions]"), std::string::npos);
}

TEST(OpsTest, DefaultConstructedFrameIsPrintable) {
  DataFrame f;
  EXPECT_EQ(f.ToString(), "(empty data frame)\n");
  EXPECT_EQ(f.num_rows(), 0);
  EXPECT_FALSE(f.Collect().ok());
}

TEST(OpsTest, BatchMakeChecksLengthsAndTypes) {
  SchemaPtr s = *Schema::Make({MakeField("a", Int64Type()), MakeField("b", Int64Type())});
  auto r = Batch::Make(s, {MakeColumn<int64_t>({1}), MakeColumn<int64_t>({1, 2})});
  EXPECT_FALSE(r.ok());
  auto t = Batch::Make(s, {MakeColumn<int64_t>({1}), MakeColumn<double>({1.0})});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("column 'b'"), std::string::npos);
}

}  // namespace
}  // namespace ember
