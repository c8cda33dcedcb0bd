#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"
#include "ember/text/idf.h"
#include "ember/text/text_featurizer.h"
#include "ember/text/text_stages.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using Strings = std::vector<std::string>;

const ExecContext& Ctx() { return ExecContext::Default(); }

DataFrame TextFrame(const std::vector<std::optional<std::string>>& texts) {
  SchemaPtr schema = *Schema::Make({MakeField("text", StringType())});
  return *DataFrame::Make(schema, {*Batch::Make(schema, {MakeColumn(texts)})});
}

// Row values of column `name` (formatted: lists as ["a","b"], null as null).
Strings Rows(const DataFrame& f, const std::string& name) {
  Strings v;
  const int c = f.schema()->FindField(name);
  for (const Batch& b : f.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r) v.push_back(FormatValue(*b.column(c), r));
  }
  return v;
}

TEST(TextTest, LowerTextCoversAsciiAndLatin1) {
  EXPECT_EQ(LowerText("Hello \xC3\x89T\xC3\x89 \xC3\x97"),
            "hello \xC3\xA9t\xC3\xA9 \xC3\x97");  // x sign kept
}

TEST(TextTest, Murmur3MatchesTheReferenceImplementation) {
  // Values of sklearn.utils.murmurhash3_32(utf8, seed=42, positive=True) (the reference C code).
  EXPECT_EQ(Murmur3X86_32("", 42), 142593372u);
  EXPECT_EQ(Murmur3X86_32("a", 42), 3001393763u);
  EXPECT_EQ(Murmur3X86_32("ab", 42), 3610054215u);
  EXPECT_EQ(Murmur3X86_32("abc", 42), 1313807976u);
  EXPECT_EQ(Murmur3X86_32("abcd", 42), 3898664396u);
  EXPECT_EQ(Murmur3X86_32("hello", 42), 3806057185u);
  EXPECT_EQ(Murmur3X86_32("h\xC3\xA9llo", 42), 4135924219u);
}

TEST(TokenizerTest, SplitsOnEachWhitespaceCharacterAsSpark) {
  auto t = *Tokenizer::Make({.input_col = "text", .output_col = "tokens"});
  auto out = t->Transform(TextFrame({"Hello  World\tFoo ", std::nullopt, ""}), Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Rows(*out, "tokens"), (Strings{R"(["hello","","world","foo"])", "null", "[]"}));
}

TEST(RegexTokenizerTest, GapsTokensMinLengthAndCase) {
  auto in = TextFrame({"The  quick, brown FOX!", std::nullopt});
  auto def =
      (*RegexTokenizer::Make({.input_col = "text", .output_col = "t"}))->Transform(in, Ctx());
  ASSERT_THAT(def, IsOk());
  EXPECT_EQ(Rows(*def, "t"), (Strings{R"(["the","quick,","brown","fox!"])", "null"}));
  auto words = (*RegexTokenizer::Make({.input_col = "text", .output_col = "t", .pattern = "\\W+"}))
                   ->Transform(in, Ctx());
  ASSERT_THAT(words, IsOk());
  EXPECT_EQ(Rows(*words, "t")[0], R"(["the","quick","brown","fox"])");
  auto match = (*RegexTokenizer::Make({.input_col = "text",
                                       .output_col = "t",
                                       .pattern = "[a-z]+",
                                       .gaps = false,
                                       .min_token_length = 4,
                                       .to_lowercase = false}))
                   ->Transform(in, Ctx());
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(Rows(*match, "t")[0], R"(["quick","brown"])");
  auto bad = RegexTokenizer::Make({.input_col = "text", .output_col = "t", .pattern = "(["});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("param 'pattern'"), std::string::npos) << bad.status();
}

TEST(StopWordsRemoverTest, DefaultEnglishCaseInsensitiveAndCustomCaseSensitive) {
  auto tokens =
      (*RegexTokenizer::Make({.input_col = "text", .output_col = "t", .to_lowercase = false}))
          ->Transform(TextFrame({"The cat and THE hat", std::nullopt}), Ctx());
  ASSERT_THAT(tokens, IsOk());
  auto def =
      (*StopWordsRemover::Make({.input_col = "t", .output_col = "f"}))->Transform(*tokens, Ctx());
  ASSERT_THAT(def, IsOk());
  EXPECT_EQ(Rows(*def, "f"), (Strings{R"(["cat","hat"])", "null"}));
  auto custom = (*StopWordsRemover::Make({.input_col = "t",
                                          .output_col = "f",
                                          .stop_words = {"THE", "cat"},
                                          .case_sensitive = true}))
                    ->Transform(*tokens, Ctx());
  ASSERT_THAT(custom, IsOk());
  EXPECT_EQ(Rows(*custom, "f")[0], R"(["The","and","hat"])");
  auto wrong = (*StopWordsRemover::Make({.input_col = "text", .output_col = "f"}))
                   ->Transform(*tokens, Ctx());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("list<string>"), std::string::npos) << wrong.status();
}

TEST(NGramTest, JoinsConsecutiveTokens) {
  auto tokens = (*Tokenizer::Make({.input_col = "text", .output_col = "t"}))
                    ->Transform(TextFrame({"a b c", "a", std::nullopt}), Ctx());
  ASSERT_THAT(tokens, IsOk());
  auto bi = (*NGram::Make({.input_col = "t", .output_col = "g"}))->Transform(*tokens, Ctx());
  ASSERT_THAT(bi, IsOk());
  EXPECT_EQ(Rows(*bi, "g"), (Strings{R"(["a b","b c"])", "[]", "null"}));
  auto tri =
      (*NGram::Make({.input_col = "t", .output_col = "g", .n = 3}))->Transform(*tokens, Ctx());
  EXPECT_EQ(Rows(*tri, "g")[0], R"(["a b c"])");
  EXPECT_FALSE(NGram::Make({.input_col = "t", .output_col = "g", .n = 0}).ok());
}

TEST(HashingTFTest, SlotsAreSparksMurmur3AndCountsOrPresence) {
  auto tokens = (*Tokenizer::Make({.input_col = "text", .output_col = "t"}))
                    ->Transform(TextFrame({"a b a", std::nullopt}), Ctx());
  ASSERT_THAT(tokens, IsOk());
  auto tf = *HashingTF::Make({.input_col = "t", .output_col = "v"});
  // Spark: nonNegativeMod(murmur3("a", 42) as a signed int, 2^18).
  auto spark_index = [](uint32_t h) {
    const int64_t m = static_cast<int64_t>(static_cast<int32_t>(h)) % (1 << 18);
    return m < 0 ? m + (1 << 18) : m;
  };
  EXPECT_EQ(tf->IndexOf("a"), spark_index(3001393763u));
  EXPECT_EQ(tf->IndexOf("abc"), spark_index(1313807976u));
  auto out = tf->Transform(*tokens, Ctx());
  ASSERT_THAT(out, IsOk());
  const Column& v = *out->partition(0).column(2);
  EXPECT_EQ(v.type()->ToString(), "sparse_vector[262144]");
  ASSERT_EQ(v.SparseIndices(0).size(), 2u);
  double a = 0, b = 0;
  ForEachVectorEntry(v, 0, [&](int64_t k, double x) {
    if (k == tf->IndexOf("a")) a = x;
    if (k == tf->IndexOf("b")) b = x;
  });
  EXPECT_EQ(a, 2.0);
  EXPECT_EQ(b, 1.0);
  EXPECT_TRUE(v.IsNull(1));
  auto bin =
      (*HashingTF::Make({.input_col = "t", .output_col = "v", .num_features = 16, .binary = true}))
          ->Transform(*tokens, Ctx());
  ASSERT_THAT(bin, IsOk());
  for (double x : bin->partition(0).column(2)->SparseValues(0)) EXPECT_EQ(x, 1.0);
}

TEST(IDFTest, WeightsAreLnOfDocumentRatiosAndMinDocFreqZeroes) {
  SchemaPtr schema = *Schema::Make({MakeField("tf", SparseVectorType(3))});
  SparseVectorBuilder vb(3);
  ASSERT_THAT(vb.Append(std::vector<int32_t>{0, 1}, std::vector<double>{2, 1}), IsOk());
  ASSERT_THAT(vb.Append(std::vector<int32_t>{0}, std::vector<double>{1}), IsOk());
  ASSERT_THAT(vb.Append(std::vector<int32_t>{}, std::vector<double>{}), IsOk());
  vb.AppendNull();  // not a document
  DataFrame in = *DataFrame::Make(schema, {*Batch::Make(schema, {vb.Finish()})});
  auto model = (*IDF::Make({.input_col = "tf", .output_col = "w"}))->Fit(in, Ctx());
  ASSERT_THAT(model, IsOk());
  const auto& idf = static_cast<const IDFModel&>(**model).idf();
  EXPECT_DOUBLE_EQ(idf[0], std::log(4.0 / 3.0));
  EXPECT_DOUBLE_EQ(idf[1], std::log(4.0 / 2.0));
  EXPECT_DOUBLE_EQ(idf[2], std::log(4.0 / 1.0));
  auto out = (*model)->Transform(in, Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_DOUBLE_EQ(out->partition(0).column(1)->SparseValues(0)[0], 2 * std::log(4.0 / 3.0));
  auto min2 =
      (*IDF::Make({.input_col = "tf", .output_col = "w", .min_doc_freq = 2}))->Fit(in, Ctx());
  ASSERT_THAT(min2, IsOk());
  EXPECT_EQ(static_cast<const IDFModel&>(**min2).idf()[1], 0.0);
  EXPECT_EQ(static_cast<const IDFModel&>(**min2).idf()[2], 0.0);
  // The same document frequencies on three ranks.
  for (const auto& m :
       testing::FitOnRanks(in, **IDF::Make({.input_col = "tf", .output_col = "w"}), 3)) {
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(static_cast<const IDFModel&>(**m).idf(), idf);
  }
}

TEST(TextFeaturizerTest, ChainsTheStagesAndDropsIntermediates) {
  auto in = TextFrame({"the cat sat", "the dog sat down", std::nullopt, "a cat"});
  auto tf = *TextFeaturizer::Make({.input_col = "text",
                                   .output_col = "features",
                                   .use_stop_words_remover = true,
                                   .num_features = 64});
  auto model = tf->Fit(in, Ctx());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(in, Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (Strings{"text", "features"}));
  EXPECT_EQ(out->schema()->field(1).type->ToString(), "sparse_vector[64]");
  // Row 0 keeps "cat" and "sat" (both in 2 of 3 documents): weight ln(4/3) each.
  const Column& v = *out->partition(0).column(1);
  ASSERT_EQ(v.SparseIndices(0).size(), 2u);
  for (double x : v.SparseValues(0)) EXPECT_DOUBLE_EQ(x, std::log(4.0 / 3.0));
  EXPECT_TRUE(v.IsNull(2));
  // Same result as the stages chained by hand.
  auto tokens =
      (*RegexTokenizer::Make({.input_col = "text", .output_col = "t", .min_token_length = 0}))
          ->Transform(in, Ctx());
  auto filtered =
      (*StopWordsRemover::Make({.input_col = "t", .output_col = "f"}))->Transform(*tokens, Ctx());
  auto hashed = (*HashingTF::Make({.input_col = "f", .output_col = "h", .num_features = 64}))
                    ->Transform(*filtered, Ctx());
  auto idf =
      (*IDF::Make({.input_col = "h", .output_col = "w", .min_doc_freq = 1}))->Fit(*hashed, Ctx());
  auto manual = (*idf)->Transform(*hashed, Ctx());
  ASSERT_THAT(manual, IsOk());
  EXPECT_TRUE(ColumnsEqual(*manual->partition(0).column(4), v));
  auto clash = TextFeaturizer::Make({.input_col = "text", .output_col = "text"});
  ASSERT_THAT(clash, IsOk());
  EXPECT_FALSE((*clash)->Fit(in, Ctx()).ok());
  EXPECT_FALSE(
      TextFeaturizer::Make({.input_col = "text", .output_col = "f", .tokenizer_pattern = "("})
          .ok());
}

}  // namespace
}  // namespace ember
