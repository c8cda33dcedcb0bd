#include "ember/stages/imputer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using Strings = std::vector<std::string>;

// a: float64 with null and NaN; n: int64 with a null; s: string with a null. Two partitions.
DataFrame Frame() {
  SchemaPtr schema = *Schema::Make(
      {MakeField("a", Float64Type()), MakeField("n", Int64Type()), MakeField("s", StringType())});
  Batch p0 = *Batch::Make(schema, {MakeColumn<double>({1.0, std::nullopt, 4.0}),
                                   MakeColumn<int64_t>({1, 2, std::nullopt}),
                                   MakeColumn<std::string>({"u", std::nullopt, "v"})});
  Batch p1 =
      *Batch::Make(schema, {MakeColumn<double>({NAN, 4.0, -1.0}), MakeColumn<int64_t>({2, 6, -1}),
                            MakeColumn<std::string>({"w", "x", "y"})});
  return *DataFrame::Make(schema, {p0, p1});
}

Strings Column(const DataFrame& f, const std::string& name) {
  Strings v;
  const int c = f.schema()->FindField(name);
  for (const Batch& b : f.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r) v.push_back(FormatValue(*b.column(c), r));
  }
  return v;
}

Result<DataFrame> FitTransform(const Estimator& e, const DataFrame& in) {
  EMBER_ASSIGN_OR_RETURN(auto model, e.Fit(in, ExecContext::Default()));
  return model->Transform(in, ExecContext::Default());
}

TEST(ImputerTest, MeanMedianModeOverPartitions) {
  // a's values: 1, 4, 4, -1 (null and NaN missing). mean 2, lower median 1, mode 4.
  auto mean = FitTransform(**Imputer::Make({.input_col = "a", .output_col = "a2"}), Frame());
  ASSERT_THAT(mean, IsOk());
  EXPECT_EQ(Column(*mean, "a2"), (Strings{"1", "2", "4", "2", "4", "-1"}));
  EXPECT_EQ(Column(*mean, "a"), (Strings{"1", "null", "4", "NaN", "4", "-1"}));  // input kept
  auto median = FitTransform(
      **Imputer::Make({.input_col = "a", .output_col = "a", .strategy = ImputeStrategy::kMedian}),
      Frame());
  ASSERT_THAT(median, IsOk());
  EXPECT_EQ(Column(*median, "a"), (Strings{"1", "1", "4", "1", "4", "-1"}));  // replaced in place
  EXPECT_EQ(median->schema()->num_fields(), 3);
  auto mode = FitTransform(
      **Imputer::Make({.input_col = "a", .output_col = "a2", .strategy = ImputeStrategy::kMode}),
      Frame());
  ASSERT_THAT(mode, IsOk());
  EXPECT_EQ(Column(*mode, "a2"), (Strings{"1", "4", "4", "4", "4", "-1"}));
}

TEST(ImputerTest, MissingValueAndIntegerColumnsKeepTheirType) {
  // n's values: 1, 2, 2, 6, with -1 declared missing: mean 11/4 = 2.75, truncated to 2.
  auto out = FitTransform(
      **Imputer::Make({.input_cols = {"n"}, .output_cols = {"n2"}, .missing_value = -1.0}),
      Frame());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field(3).type->ToString(), "int64");
  EXPECT_EQ(Column(*out, "n2"), (Strings{"1", "2", "2", "2", "6", "2"}));
}

TEST(ImputerTest, ErrorsNameTheColumnOrParam) {
  auto str = FitTransform(**Imputer::Make({.input_col = "s", .output_col = "s2"}), Frame());
  ASSERT_FALSE(str.ok());
  EXPECT_NE(str.status().message().find("column 's' is string"), std::string::npos) << str.status();
  SchemaPtr schema = *Schema::Make({MakeField("z", Float64Type())});
  DataFrame empty =
      *DataFrame::Make(schema, {*Batch::Make(schema, {MakeColumn<double>({std::nullopt, NAN})})});
  auto none = FitTransform(**Imputer::Make({.input_col = "z", .output_col = "z2"}), empty);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("column 'z' has no value to compute the mean from"),
            std::string::npos)
      << none.status();
  auto clash = FitTransform(**Imputer::Make({.input_col = "a", .output_col = "n"}), Frame());
  EXPECT_NE(clash.status().message().find("output column 'n' already exists"), std::string::npos)
      << clash.status();
  EXPECT_FALSE(Imputer::Make({.input_col = "a"}).ok());
}

TEST(CleanMissingDataTest, CustomValueFillsStringsAndNumbers) {
  auto out = FitTransform(**CleanMissingData::Make({.input_cols = {"s", "a", "n"},
                                                    .output_cols = {"s", "a", "n"},
                                                    .cleaning_mode = ImputeStrategy::kCustom,
                                                    .custom_value = "7"}),
                          Frame());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Column(*out, "s"), (Strings{"u", "7", "v", "w", "x", "y"}));
  EXPECT_EQ(Column(*out, "a"), (Strings{"1", "7", "4", "7", "4", "-1"}));
  EXPECT_EQ(Column(*out, "n"), (Strings{"1", "2", "7", "2", "6", "-1"}));
  auto bad = FitTransform(**CleanMissingData::Make({.input_cols = {"a"},
                                                    .output_cols = {"a"},
                                                    .cleaning_mode = ImputeStrategy::kCustom,
                                                    .custom_value = "n/a"}),
                          Frame());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("CleanMissingData param 'customValue': 'n/a' is not a number"),
      std::string::npos)
      << bad.status();
  auto median = FitTransform(**CleanMissingData::Make({.input_cols = {"a"},
                                                       .output_cols = {"a_clean"},
                                                       .cleaning_mode = ImputeStrategy::kMedian}),
                             Frame());
  ASSERT_THAT(median, IsOk());
  EXPECT_EQ(Column(*median, "a_clean"), (Strings{"1", "1", "4", "1", "4", "-1"}));
}

TEST(ImputerTest, SameFillOnOneOrThreeRanks) {
  auto imputer =
      *Imputer::Make({.input_col = "a", .output_col = "a2", .strategy = ImputeStrategy::kMedian});
  auto single = imputer->Fit(Frame(), ExecContext::Default());
  ASSERT_THAT(single, IsOk());
  auto models = testing::FitOnRanks(Frame(), *imputer, 3);  // rank 2 holds no rows
  for (const auto& m : models) {
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(static_cast<const ImputerModel&>(**m).fill()[0].as_double(),
              static_cast<const ImputerModel&>(**single).fill()[0].as_double());
  }
}

}  // namespace
}  // namespace ember
