#include "ember/stages/one_hot_encoder.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Indices(std::vector<std::optional<double>> v, bool nominal = false) {
  Field f = MakeField("c", Float64Type());
  if (nominal) SetNominalValues(&f, {"a", "b", "c", "d"});
  return DataFrame::FromBatch(*Batch::Make(*Schema::Make({f}), {MakeColumn(v)}));
}

std::vector<std::string> Encode(OneHotEncoderParams p, const DataFrame& fit_on,
                                const DataFrame& apply) {
  auto model = (*OneHotEncoder::Make(p))->Fit(fit_on, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  auto out = (*model)->Transform(apply, ExecContext::Default());
  EXPECT_THAT(out, IsOk());
  std::vector<std::string> rows;
  Batch b = *out->Collect();
  for (int64_t r = 0; r < b.num_rows(); ++r) rows.push_back(FormatValue(*b.column(1), r));
  return rows;
}

TEST(OneHotEncoderTest, DropLastAsSparkML) {
  DataFrame d = Indices({0, 1, 2, 1});
  EXPECT_EQ(
      Encode({.input_col = "c", .output_col = "v"}, d, d),
      (std::vector<std::string>{
          R"({"size":2,"indices":[0],"values":[1]})", R"({"size":2,"indices":[1],"values":[1]})",
          R"({"size":2,"indices":[],"values":[]})", R"({"size":2,"indices":[1],"values":[1]})"}));
  auto full = Encode({.input_col = "c", .output_col = "v", .drop_last = false}, d, Indices({2}));
  EXPECT_EQ(full[0], R"({"size":3,"indices":[2],"values":[1]})");
}

TEST(OneHotEncoderTest, SizeFromNominalAttributeAndSlotNames) {
  DataFrame d = Indices({0, 1}, /*nominal=*/true);
  auto model = *(*OneHotEncoder::Make({.input_col = "c", .output_col = "v"}))
                    ->Fit(d, ExecContext::Default());
  auto out = *model->Transform(d, ExecContext::Default());
  EXPECT_EQ(out.schema()->field(1).type->ToString(), "sparse_vector[3]");
  EXPECT_EQ(*SlotNames(out.schema()->field(1)), (std::vector<std::string>{"c_a", "c_b", "c_c"}));
}

TEST(OneHotEncoderTest, InvalidIndicesErrorOrKeep) {
  DataFrame fit = Indices({0, 1, 2});
  auto model = *(*OneHotEncoder::Make({.input_col = "c", .output_col = "v"}))
                    ->Fit(fit, ExecContext::Default());
  for (auto bad : {std::optional<double>(3), std::optional<double>(-1), std::optional<double>(0.5),
                   std::optional<double>()}) {
    auto out = model->Transform(Indices({bad}), ExecContext::Default());
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("is not a category index (0 to 2)"), std::string::npos)
        << out.status();
  }
  auto keep = Encode({.input_col = "c", .output_col = "v", .handle_invalid = HandleInvalid::kKeep},
                     fit, Indices({3, 2, std::nullopt}));
  // Size 3 + 1 (invalid) - 1 (dropLast) = 3; the invalid category is the dropped last one.
  EXPECT_EQ(keep, (std::vector<std::string>{R"({"size":3,"indices":[],"values":[]})",
                                            R"({"size":3,"indices":[2],"values":[1]})",
                                            R"({"size":3,"indices":[],"values":[]})"}));
}

}  // namespace
}  // namespace ember
