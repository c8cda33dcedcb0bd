#include "ember/stages/vector_assembler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Frame(bool with_sparse) {
  Field v = MakeField("v", DenseVectorType(2));
  SetSlotNames(&v, {"lo", "hi"});
  SparseVectorBuilder sb(3);
  EXPECT_TRUE(sb.Append(std::vector<int32_t>{2}, std::vector<double>{5}).ok());
  EXPECT_TRUE(sb.Append(std::vector<int32_t>{}, std::vector<double>{}).ok());
  EXPECT_TRUE(sb.Append(std::vector<int32_t>{0}, std::vector<double>{1}).ok());
  std::vector<Field> fields = {MakeField("a", Int64Type()), MakeField("b", BoolType()), v};
  std::vector<ColumnPtr> cols = {MakeColumn<int64_t>({1, std::nullopt, 3}),
                                 MakeColumn<bool>({true, false, true}),
                                 MakeDenseVectorColumn({{0.5, 0}, {1, 2}, {std::nan(""), 4}}, 2)};
  if (with_sparse) {
    fields.push_back(MakeField("s", SparseVectorType(3)));
    cols.push_back(sb.Finish());
  }
  return DataFrame::FromBatch(*Batch::Make(*Schema::Make(fields), cols));
}

Result<DataFrame> Assemble(HandleInvalid h, bool with_sparse) {
  std::vector<std::string> in = {"a", "b", "v"};
  if (with_sparse) in.push_back("s");
  return (*VectorAssembler::Make({.input_cols = in, .handle_invalid = h}))
      ->Transform(Frame(with_sparse), ExecContext::Default());
}

TEST(VectorAssemblerTest, ConcatenatesWithSlotNames) {
  auto out = Assemble(HandleInvalid::kKeep, false);
  ASSERT_THAT(out, IsOk());
  const Field& f = out->schema()->field(3);
  EXPECT_EQ(f.type->ToString(), "vector[4]");
  EXPECT_EQ(*SlotNames(f), (std::vector<std::string>{"a", "b", "v_lo", "v_hi"}));
  Batch b = *out->Collect();
  EXPECT_EQ(FormatValue(*b.column(3), 0), "[1,1,0.5,0]");
  EXPECT_EQ(FormatValue(*b.column(3), 1), "[NaN,0,1,2]");
}

TEST(VectorAssemblerTest, InvalidValuesErrorSkipOrKeep) {
  auto err = Assemble(HandleInvalid::kError, false);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("null or NaN in column 'a'"), std::string::npos);
  auto skip = Assemble(HandleInvalid::kSkip, false);
  ASSERT_THAT(skip, IsOk());
  EXPECT_EQ(skip->num_rows(), 1);  // row 1 has a null, row 2 a NaN
  EXPECT_EQ(FormatValue(*skip->Collect()->column(0), 0), "1");
}

TEST(VectorAssemblerTest, SparseInputGivesSparseOutput) {
  auto out = Assemble(HandleInvalid::kKeep, true);
  ASSERT_THAT(out, IsOk());
  Batch b = *out->Collect();
  EXPECT_EQ(b.schema()->field(4).type->ToString(), "sparse_vector[7]");
  EXPECT_EQ(FormatValue(*b.column(4), 0), R"({"size":7,"indices":[0,1,2,6],"values":[1,1,0.5,5]})");
  EXPECT_EQ(FormatValue(*b.column(4), 2),
            R"({"size":7,"indices":[0,1,2,3,4],"values":[3,1,NaN,4,1]})");
}

TEST(VectorAssemblerTest, RejectsUnsupportedColumns) {
  SchemaPtr s = *Schema::Make({MakeField("t", StringType())});
  DataFrame f = DataFrame::FromBatch(*Batch::Make(s, {MakeColumn<std::string>({"x"})}));
  auto r = (*VectorAssembler::Make({.input_cols = {"t"}}))->Transform(f, ExecContext::Default());
  EXPECT_NE(r.status().message().find(
                "column 't': expected a numeric, boolean or vector column, got string"),
            std::string::npos)
      << r.status();
}

}  // namespace
}  // namespace ember
