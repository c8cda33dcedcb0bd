#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {
namespace {

TEST(ColumnTest, NumericBuilderTracksNulls) {
  ColumnPtr c = MakeColumn<int64_t>({1, std::nullopt, 3});
  EXPECT_EQ(c->length(), 3);
  EXPECT_EQ(c->null_count(), 1);
  EXPECT_TRUE(c->IsValid(0));
  EXPECT_TRUE(c->IsNull(1));
  EXPECT_EQ(c->Values<int64_t>()[2], 3);
}

TEST(ColumnTest, NoNullsMeansNoBitmap) {
  ColumnPtr c = MakeColumn<double>({1.5, 2.5});
  EXPECT_EQ(c->null_count(), 0);
  EXPECT_EQ(c->validity(), nullptr);
}

TEST(ColumnTest, StringsAndSlicesShareBuffers) {
  ColumnPtr c = MakeColumn<std::string>({"a", std::nullopt, "ccc", "dd"});
  ColumnPtr s = c->Slice(1, 2);
  EXPECT_EQ(s->length(), 2);
  EXPECT_TRUE(s->IsNull(0));
  EXPECT_EQ(s->StringValue(1), "ccc");
  EXPECT_EQ(s->null_count(), 1);
  EXPECT_EQ(s->buffers()[2].get(), c->buffers()[2].get());
}

TEST(ColumnTest, BoolBuilderManyRowsCrossesBytes) {
  std::vector<std::optional<bool>> v;
  for (int i = 0; i < 100; ++i) v.push_back(i % 7 == 0 ? std::nullopt : std::optional(i % 2 == 0));
  ColumnPtr c = MakeColumn<bool>(v);
  for (int i = 0; i < 100; ++i) {
    if (i % 7 == 0) {
      EXPECT_TRUE(c->IsNull(i));
    } else {
      EXPECT_EQ(c->BoolValue(i), i % 2 == 0) << i;
    }
  }
}

TEST(ColumnTest, ListAndStructBuilders) {
  TypePtr lt = ListType(Int32Type());
  ListBuilder lb(lt);
  lb.Append();
  static_cast<Int32Builder*>(lb.value_builder())->Append(1);
  static_cast<Int32Builder*>(lb.value_builder())->Append(2);
  lb.AppendNull();
  lb.Append();
  ColumnPtr l = lb.Finish();
  EXPECT_EQ(FormatValue(*l, 0), "[1,2]");
  EXPECT_EQ(FormatValue(*l, 1), "null");
  EXPECT_EQ(FormatValue(*l, 2), "[]");

  TypePtr st = StructType({MakeField("x", Int64Type()), MakeField("s", StringType())});
  StructBuilder sb(st);
  sb.Append();
  static_cast<Int64Builder*>(sb.field_builder(0))->Append(7);
  static_cast<StringBuilder*>(sb.field_builder(1))->Append("hi");
  sb.AppendNull();
  ColumnPtr s = sb.Finish();
  EXPECT_EQ(FormatValue(*s, 0), R"({"x":7,"s":"hi"})");
  EXPECT_TRUE(s->IsNull(1));
  // Slicing a struct offsets its children too.
  EXPECT_EQ(FormatValue(*s->Slice(1, 1), 0), "null");
}

TEST(ColumnTest, DenseVectorsAreOneContiguousMatrix) {
  ColumnPtr v = MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}}, 2);
  EXPECT_EQ(v->child(0)->length(), 6);
  EXPECT_EQ(v->DenseRow(1)[0], 3);
  EXPECT_EQ(v->DenseRow(2).data(), v->DenseRow(0).data() + 4);
  EXPECT_EQ(v->Slice(1, 2)->DenseRow(1)[1], 6);
  DenseVectorBuilder b(2);
  EXPECT_FALSE(b.Append(std::vector<double>{1, 2, 3}).ok());
}

TEST(ColumnTest, SparseVectorBuilderValidatesIndices) {
  SparseVectorBuilder b(10);
  EXPECT_TRUE(b.Append(std::vector<int32_t>{1, 5}, std::vector<double>{0.5, 2}).ok());
  EXPECT_FALSE(b.Append(std::vector<int32_t>{5, 1}, std::vector<double>{1, 1}).ok());
  EXPECT_FALSE(b.Append(std::vector<int32_t>{10}, std::vector<double>{1}).ok());
  b.AppendNull();
  ColumnPtr c = b.Finish();
  EXPECT_EQ(c->length(), 2);
  EXPECT_EQ(FormatValue(*c, 0), R"({"size":10,"indices":[1,5],"values":[0.5,2]})");
}

TEST(ColumnTest, MakeRejectsInconsistentBuffers) {
  auto values = Buffer::FromVector<int64_t>({1, 2});
  EXPECT_FALSE(Column::Make(Int64Type(), 3, {nullptr, values}, {}).ok());
  EXPECT_TRUE(Column::Make(Int64Type(), 2, {nullptr, values}, {}).ok());
  auto offsets = Buffer::FromVector<int32_t>({0, 3, 2});
  auto data = Buffer::Copy("abc", 3);
  EXPECT_FALSE(Column::Make(StringType(), 2, {nullptr, offsets, data}, {}).ok());
  auto offsets2 = Buffer::FromVector<int32_t>({0, 2, 9});
  EXPECT_FALSE(Column::Make(StringType(), 2, {nullptr, offsets2, data}, {}).ok());
}

TEST(ColumnTest, MakeNullHasAllNulls) {
  for (const TypePtr& t :
       {BoolType(), Int32Type(), StringType(), ListType(Int64Type()),
        StructType({MakeField("a", Float64Type())}), DenseVectorType(3), SparseVectorType(3)}) {
    ColumnPtr c = Column::MakeNull(t, 5);
    EXPECT_EQ(c->null_count(), 5) << t->ToString();
    EXPECT_TRUE(Column::Make(t, 5, {c->buffers().begin(), c->buffers().end()},
                             {c->children().begin(), c->children().end()})
                    .ok())
        << t->ToString();
  }
}

}  // namespace
}  // namespace ember
