// CountVectorizer against scikit-learn's (python3-sklearn at test time) on the same token
// lists, then Spark's vocabSize cut, minTF, binary and bad inputs.
#include "ember/text/count_vectorizer.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Docs(const std::vector<std::vector<std::string>>& docs, int parts = 3) {
  SchemaPtr s = *Schema::Make({MakeField("tokens", ListType(StringType()))});
  std::vector<Batch> batches;
  const size_t n = docs.size();
  for (int p = 0; p < parts; ++p) {
    ListBuilder lb(ListType(StringType()));
    for (size_t i = n * p / parts; i < n * (p + 1) / parts; ++i) {
      lb.Append();
      for (const auto& t : docs[i]) static_cast<StringBuilder*>(lb.value_builder())->Append(t);
    }
    batches.push_back(*Batch::Make(s, {lb.Finish()}));
  }
  return *DataFrame::Make(s, batches);
}

// Each document's counts by term, from the model's output.
std::vector<std::map<std::string, double>> Counts(const Transformer& model, const DataFrame& in) {
  auto out = model.Transform(in, ExecContext::Default());
  EXPECT_THAT(out, IsOk());
  const Batch b = *out->Collect();
  const auto names = *SlotNames(b.schema()->field(1));
  std::vector<std::map<std::string, double>> rows;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::map<std::string, double> row;
    auto idx = b.column(1)->SparseIndices(r);
    auto val = b.column(1)->SparseValues(r);
    for (size_t k = 0; k < idx.size(); ++k) row[names[idx[k]]] = val[k];
    rows.push_back(row);
  }
  return rows;
}

TEST(CountVectorizerTest, VocabularyAndCountsAreScikitLearns) {
  std::mt19937 rng(4);
  std::vector<std::vector<std::string>> docs;
  std::string text;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> doc;
    const int len = 3 + static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) {
      // Zipf-like: word w with probability ~ 1 / (w + 1).
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      doc.push_back("w" + std::to_string(static_cast<int>(std::exp(u * std::log(60.0))) - 1));
    }
    for (size_t k = 0; k < doc.size(); ++k) text += (k ? " " : "") + doc[k];
    text += "\n";
    docs.push_back(doc);
  }
  const std::string path = testing::NewTempDir("countvec") + "/docs.txt";
  ASSERT_THAT(WriteStringToFile(path, text), IsOk());
  for (const auto& [min_df, max_df] : {std::pair{2.0, 0.9}, std::pair{0.05, 40.0}}) {
    const Json want = linear::internal::RunSklearnReference(
        "sklearn_countvec.py", {{0.0}}, {0.0},
        path + " " + std::to_string(min_df) + " " + std::to_string(max_df));
    ASSERT_TRUE(want.is_object());
    auto model =
        (*CountVectorizer::Make(
             {.input_col = "tokens", .output_col = "tf", .min_df = min_df, .max_df = max_df}))
            ->Fit(Docs(docs), ExecContext::Default());
    ASSERT_THAT(model, IsOk());
    std::vector<std::string> vocab = static_cast<const CountVectorizerModel&>(**model).vocabulary();
    std::sort(vocab.begin(), vocab.end());  // scikit-learn's order is alphabetical
    std::vector<std::string> expected;
    for (const Json& t : want.Find("vocabulary")->as_array()) expected.push_back(t.as_string());
    EXPECT_EQ(vocab, expected) << "minDF " << min_df << " maxDF " << max_df;
    const auto got = Counts(**model, Docs(docs));
    const auto& rows = want.Find("counts")->as_array();
    ASSERT_EQ(got.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      std::map<std::string, double> row;
      for (const auto& [term, n] : rows[i].as_object()) row[term] = n.as_double();
      ASSERT_EQ(got[i], row) << "document " << i;
    }
  }
}

TEST(CountVectorizerTest, VocabSizeKeepsTheMostFrequentAndMinTFAndBinaryFilter) {
  const std::vector<std::vector<std::string>> docs = {
      {"a", "b", "a", "c"}, {"a", "b", "d"}, {"a", "c", "c", "c"}, {"e"}};
  // Totals: a 4, c 4, b 2, d 1, e 1: the top 3 are a and c (tied: alphabetical), then b.
  auto model =
      (*CountVectorizer::Make({.input_col = "tokens", .output_col = "tf", .vocab_size = 3}))
          ->Fit(Docs(docs, 2), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  EXPECT_EQ(static_cast<const CountVectorizerModel&>(**model).vocabulary(),
            (std::vector<std::string>{"a", "c", "b"}));
  // minTF 2: a term counts in a document where it appears twice or more; binary: 1.
  auto strict = CountVectorizerModel::Make(
      {.input_col = "tokens", .output_col = "tf", .min_tf = 2, .binary = true}, {"a", "c", "b"});
  ASSERT_THAT(strict, IsOk());
  const auto counts = Counts(**strict, Docs(docs, 1));
  EXPECT_EQ(counts[0], (std::map<std::string, double>{{"a", 1}}));
  EXPECT_EQ(counts[2], (std::map<std::string, double>{{"c", 1}}));
  EXPECT_TRUE(counts[3].empty());
  // Nothing passes minDF: an error naming the column.
  auto none = (*CountVectorizer::Make({.input_col = "tokens", .output_col = "tf", .min_df = 10}))
                  ->Fit(Docs(docs, 1), ExecContext::Default());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("'tokens'"), std::string::npos);
  EXPECT_FALSE(
      CountVectorizer::Make({.input_col = "tokens", .output_col = "tf", .min_df = -1}).ok());
}

}  // namespace
}  // namespace ember
