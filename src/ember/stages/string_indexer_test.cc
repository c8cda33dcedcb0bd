#include "ember/stages/string_indexer.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Colors() {
  SchemaPtr s = *Schema::Make({MakeField("color", StringType()), MakeField("n", Int64Type())});
  Batch a = *Batch::Make(s, {MakeColumn<std::string>({"red", "blue", "red", std::nullopt}),
                             MakeColumn<int64_t>({1, 2, 1, 3})});
  Batch b = *Batch::Make(s, {MakeColumn<std::string>({"green", "blue", "red", "ant"}),
                             MakeColumn<int64_t>({2, 2, 10, 1})});
  return *DataFrame::Make(s, {a, b});
}

std::vector<std::string> Labels(StringIndexerParams p, const DataFrame& in = Colors()) {
  auto model = (*StringIndexer::Make(p))->Fit(in, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  return static_cast<const StringIndexerModel&>(**model).labels()[0];
}

TEST(StringIndexerTest, OrdersByFrequencyThenAlphabet) {
  // red 3, blue 2, green 1, ant 1; null is not a label.
  EXPECT_EQ(Labels({.input_col = "color", .output_col = "i"}),
            (std::vector<std::string>{"red", "blue", "ant", "green"}));
  EXPECT_EQ(Labels({.input_col = "color",
                    .output_col = "i",
                    .string_order_type = StringOrder::kFrequencyAsc}),
            (std::vector<std::string>{"ant", "green", "blue", "red"}));
  EXPECT_EQ(Labels({.input_col = "color",
                    .output_col = "i",
                    .string_order_type = StringOrder::kAlphabetAsc}),
            (std::vector<std::string>{"ant", "blue", "green", "red"}));
  EXPECT_EQ(Labels({.input_col = "color",
                    .output_col = "i",
                    .string_order_type = StringOrder::kAlphabetDesc}),
            (std::vector<std::string>{"red", "green", "blue", "ant"}));
}

TEST(StringIndexerTest, NumericColumnsAreIndexedByTheirText) {
  EXPECT_EQ(Labels({.input_col = "n", .output_col = "i"}),
            (std::vector<std::string>{"1", "2", "10", "3"}));
}

TEST(StringIndexerTest, OutputHasIndicesAndNominalAttribute) {
  StringIndexerParams p{
      .input_col = "color", .output_col = "i", .handle_invalid = HandleInvalid::kKeep};
  auto model = *(*StringIndexer::Make(p))->Fit(Colors(), ExecContext::Default());
  auto out = model->Transform(Colors(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch b = *out->Collect();
  EXPECT_EQ(FormatValue(*b.column(2), 0), "0");  // red
  EXPECT_EQ(FormatValue(*b.column(2), 1), "1");  // blue
  EXPECT_EQ(FormatValue(*b.column(2), 3), "4");  // null -> numLabels with keep
  EXPECT_EQ(*NominalValues(out->schema()->field(2)),
            (std::vector<std::string>{"red", "blue", "ant", "green", "__unknown"}));
}

TEST(StringIndexerTest, InvalidValuesErrorSkipOrKeep) {
  SchemaPtr s = *Schema::Make({MakeField("color", StringType()), MakeField("n", Int64Type())});
  DataFrame unseen = DataFrame::FromBatch(*Batch::Make(
      s,
      {MakeColumn<std::string>({"red", "purple", std::nullopt}), MakeColumn<int64_t>({1, 2, 3})}));
  auto fit = [&](HandleInvalid h) {
    return *(*StringIndexer::Make({.input_col = "color", .output_col = "i", .handle_invalid = h}))
                ->Fit(Colors(), ExecContext::Default());
  };
  auto err = fit(HandleInvalid::kError)->Transform(unseen, ExecContext::Default());
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("value 'purple' in column 'color' was not seen in fitting"),
            std::string::npos)
      << err.status();
  auto skip = fit(HandleInvalid::kSkip)->Transform(unseen, ExecContext::Default());
  ASSERT_THAT(skip, IsOk());
  EXPECT_EQ(skip->num_rows(), 1);
  auto keep = fit(HandleInvalid::kKeep)->Transform(unseen, ExecContext::Default());
  ASSERT_THAT(keep, IsOk());
  EXPECT_EQ(FormatValue(*keep->Collect()->column(2), 1), "4");
}

TEST(StringIndexerTest, SeveralColumnsAtOnce) {
  StringIndexerParams p{.input_cols = {"color", "n"},
                        .output_cols = {"ci", "ni"},
                        .handle_invalid = HandleInvalid::kSkip};
  auto model = (*StringIndexer::Make(p))->Fit(Colors(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(Colors(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (std::vector<std::string>{"color", "n", "ci", "ni"}));
  EXPECT_EQ(out->num_rows(), 7);  // the null color row is skipped
}

TEST(StringIndexerTest, ParamErrorsNameTheParam) {
  EXPECT_NE(StringIndexer::Make(
                {.input_col = "a", .output_col = "b", .input_cols = {"c"}, .output_cols = {"d"}})
                .status()
                .message()
                .find("'inputCols': set inputCol or inputCols, not both"),
            std::string::npos);
  EXPECT_NE(StringIndexer::Make({.input_col = "a"}).status().message().find("'outputCol'"),
            std::string::npos);
  EXPECT_NE(StringIndexer::Make({.input_cols = {"a", "b"}, .output_cols = {"x"}})
                .status()
                .message()
                .find("'outputCols'"),
            std::string::npos);
  auto clash = (*StringIndexer::Make({.input_col = "color", .output_col = "n"}))
                   ->Fit(Colors(), ExecContext::Default());
  EXPECT_NE(clash.status().message().find("output column 'n' already exists"), std::string::npos);
}

TEST(StringIndexerTest, FitOnRanksEqualsSingleFit) {
  DataFrame all = Colors();
  auto models =
      testing::FitOnRanks(all, **StringIndexer::Make({.input_col = "color", .output_col = "i"}), 2);
  std::vector<std::vector<std::string>> labels;
  for (auto& m : models) {
    ASSERT_THAT(m, IsOk());
    labels.push_back(static_cast<const StringIndexerModel&>(**m).labels()[0]);
  }
  std::vector<std::string> single = Labels({.input_col = "color", .output_col = "i"});
  EXPECT_EQ(labels[0], single);
  EXPECT_EQ(labels[1], single);
}

TEST(IndexToStringTest, UsesAttributeOrParamLabels) {
  auto model =
      *(*StringIndexer::Make(
            {.input_col = "color", .output_col = "i", .handle_invalid = HandleInvalid::kSkip}))
           ->Fit(Colors(), ExecContext::Default());
  DataFrame indexed = *model->Transform(Colors(), ExecContext::Default());
  auto back = (*IndexToString::Make({.input_col = "i", .output_col = "c2"}))
                  ->Transform(indexed, ExecContext::Default());
  ASSERT_THAT(back, IsOk());
  Batch b = *back->Collect();
  for (int64_t r = 0; r < b.num_rows(); ++r)
    EXPECT_EQ(b.column(0)->StringValue(r), b.column(3)->StringValue(r));
  SchemaPtr s = *Schema::Make({MakeField("i", Int64Type())});
  DataFrame plain =
      DataFrame::FromBatch(*Batch::Make(s, {MakeColumn<int64_t>({0, 1, std::nullopt, 5})}));
  auto no_labels = (*IndexToString::Make({.input_col = "i", .output_col = "c"}))
                       ->Transform(plain, ExecContext::Default());
  EXPECT_NE(no_labels.status().message().find("has no labels"), std::string::npos);
  auto out_of_range =
      (*IndexToString::Make({.input_col = "i", .output_col = "c", .labels = {"a", "b"}}))
          ->Transform(plain, ExecContext::Default());
  EXPECT_NE(out_of_range.status().message().find("5 in column 'i' is not a label index (0 to 1)"),
            std::string::npos)
      << out_of_range.status();
}

}  // namespace
}  // namespace ember
