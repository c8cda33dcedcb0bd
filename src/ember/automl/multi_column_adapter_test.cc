#include "ember/automl/multi_column_adapter.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/stages/string_indexer.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Colors() {
  SchemaPtr s = *Schema::Make({MakeField("a", StringType()), MakeField("b", StringType())});
  std::vector<std::optional<std::string>> a = {"red", "blue", "red", "green", "red"};
  std::vector<std::optional<std::string>> b = {"x", "y", "y", "y", "z"};
  Batch batch = *Batch::Make(s, {MakeColumn(a), MakeColumn(b)});
  return *DataFrame::Make(s, {batch.Slice(0, 2), batch.Slice(2, 3)});
}

Json Spec(const std::string& text) { return *Json::Parse(text); }

// Each column gets its own fitted copy: the same as fitting a StringIndexer per column.
TEST(MultiColumnAdapterTest, FitsOneCopyPerColumn) {
  auto adapter = MultiColumnAdapter::Make(
      {.base_stage =
           Spec(R"({"type": "StringIndexer", "params": {"stringOrderType": "alphabetAsc"}})"),
       .input_cols = {"a", "b"},
       .output_cols = {"a_i", "b_i"}},
      DefaultRegistry());
  ASSERT_THAT(adapter, IsOk());
  auto model = (*adapter)->Fit(Colors(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(Colors(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());

  DataFrame expected = Colors();
  for (const auto& [in, o] : {std::pair{"a", "a_i"}, std::pair{"b", "b_i"}}) {
    auto one =
        (*StringIndexer::Make(
             {.input_col = in, .output_col = o, .string_order_type = StringOrder::kAlphabetAsc}))
            ->Fit(Colors(), ExecContext::Default());
    expected = *(*one)->Transform(expected, ExecContext::Default());
  }
  EXPECT_TRUE(FramesEqual(*out, expected)) << DescribeDifference(*out, expected);
  EXPECT_TRUE((*adapter)->TransformSchema(*Colors().schema()).value()->Equals(*out->schema()));

  // Saved and loaded (a PipelineModel of the copies), the same rows.
  const std::string dir = testing::NewTempDir("adapter") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  auto loaded = LoadTransformer(dir, DefaultRegistry());
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(FramesEqual(*(*loaded)->Transform(Colors(), ExecContext::Default()), *out));
}

// A transformer base is applied as it is.
TEST(MultiColumnAdapterTest, TransformerBase) {
  auto adapter = MultiColumnAdapter::Make({.base_stage = Spec(R"({"type": "Tokenizer"})"),
                                           .input_cols = {"a", "b"},
                                           .output_cols = {"a_t", "b_t"}},
                                          DefaultRegistry());
  ASSERT_THAT(adapter, IsOk());
  auto out = (*(*adapter)->Fit(Colors(), ExecContext::Default()))
                 ->Transform(Colors(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (std::vector<std::string>{"a", "b", "a_t", "b_t"}));
}

TEST(MultiColumnAdapterTest, BadParams) {
  auto make = [](const std::string& base, std::vector<std::string> ins,
                 std::vector<std::string> outs) {
    return MultiColumnAdapter::Make(
        {.base_stage = Spec(base), .input_cols = std::move(ins), .output_cols = std::move(outs)},
        DefaultRegistry());
  };
  auto counts = make(R"({"type": "StringIndexer"})", {"a", "b"}, {"a_i"});
  ASSERT_FALSE(counts.ok());
  EXPECT_NE(counts.status().message().find("2 inputCols but 1 outputCols"), std::string::npos);
  auto sets = make(R"({"type": "StringIndexer", "params": {"inputCol": "a"}})", {"a"}, {"a_i"});
  ASSERT_FALSE(sets.ok());
  EXPECT_NE(sets.status().message().find("'inputCol'"), std::string::npos);
  auto unknown = make(R"({"type": "StringIndexr"})", {"a"}, {"a_i"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("StringIndexer"), std::string::npos);
  // A stage without inputCol / outputCol names the param it does not have.
  auto no_cols = make(R"({"type": "Repartition"})", {"a"}, {"a_i"});
  ASSERT_FALSE(no_cols.ok());
  EXPECT_NE(no_cols.status().message().find("baseStage"), std::string::npos);
  // A missing input column is named when fitting.
  auto fine = make(R"({"type": "StringIndexer"})", {"nope"}, {"x"});
  ASSERT_THAT(fine, IsOk());
  auto fit = (*fine)->Fit(Colors(), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("'nope'"), std::string::npos);
}

}  // namespace
}  // namespace ember
