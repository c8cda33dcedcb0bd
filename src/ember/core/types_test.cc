#include <gtest/gtest.h>

#include "ember/core/schema.h"

namespace ember {
namespace {

TEST(TypesTest, ToStringAndParseRoundTrip) {
  TypePtr t =
      StructType({MakeField("a", Int64Type()), MakeField("b", ListType(StringType())),
                  MakeField("v", DenseVectorType(3)), MakeField("s", SparseVectorType(100))});
  EXPECT_EQ(t->ToString(),
            "struct<a: int64, b: list<string>, v: vector[3], s: sparse_vector[100]>");
  Result<TypePtr> back = ParseType(t->ToString());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE((*back)->Equals(*t));
}

TEST(TypesTest, ParseErrorNamesPosition) {
  Result<TypePtr> r = ParseType("list<int65>");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown type name 'int65'"), std::string::npos);
}

TEST(TypesTest, VectorEqualityIncludesSizeAndLayout) {
  EXPECT_TRUE(DenseVectorType(3)->Equals(*DenseVectorType(3)));
  EXPECT_FALSE(DenseVectorType(3)->Equals(*DenseVectorType(4)));
  EXPECT_FALSE(DenseVectorType(3)->Equals(*SparseVectorType(3)));
}

TEST(SchemaTest, DuplicateNamesAreRejected) {
  auto r = Schema::Make({MakeField("a", Int64Type()), MakeField("a", StringType())});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duplicate column name 'a'"), std::string::npos);
}

TEST(SchemaTest, MissingColumnErrorListsColumns) {
  auto s = *Schema::Make({MakeField("age", Int64Type()), MakeField("name", StringType())});
  Result<int> r = s->GetFieldIndex("agee");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "column 'agee' not found; columns are: age, name");
  Result<int> t = s->GetFieldIndexOfType(
      "name", [](const DataType& t) { return t.is_numeric(); }, "numeric");
  EXPECT_EQ(t.status().message(), "column 'name': expected numeric, got string");
}

TEST(SchemaTest, MlAttributesRoundTrip) {
  Field f = MakeField("label", Float64Type());
  EXPECT_FALSE(NominalValues(f).has_value());
  SetNominalValues(&f, {"cat", "dog"});
  EXPECT_EQ(*NominalValues(f), (std::vector<std::string>{"cat", "dog"}));
  Field v = MakeField("features", DenseVectorType(2));
  SetSlotNames(&v, {"height", "weight"});
  EXPECT_EQ(*SlotNames(v), (std::vector<std::string>{"height", "weight"}));
  // Survives a JSON round trip, as it does in saved models.
  Field w = v;
  w.metadata = *Json::Parse(v.metadata.Dump());
  EXPECT_EQ(*SlotNames(w), *SlotNames(v));
}

}  // namespace
}  // namespace ember
