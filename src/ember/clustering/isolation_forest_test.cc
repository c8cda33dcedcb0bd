// IsolationForest against scikit-learn's (python3-sklearn at test time): the scores' rank
// correlation and the contamination threshold, then ranks and partitioning, save/load and bad
// inputs.
#include "ember/clustering/isolation_forest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// 2000 rows of 4 values: three correlated clusters and 3% scattered outliers.
std::vector<std::vector<double>> Rows(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 2000; ++i) {
    std::vector<double> row(4);
    if (i % 33 == 0) {
      for (double& v : row) v = std::uniform_real_distribution<double>(-12, 12)(rng);
    } else {
      const double c = 4.0 * static_cast<double>(i % 3);
      const double a = g(rng);
      row = {c + a, c - 0.5 * a + 0.3 * g(rng), 0.5 * g(rng), c + 0.2 * g(rng)};
    }
    rows.push_back(row);
  }
  return rows;
}

DataFrame ToFrame(const std::vector<std::vector<double>>& rows, int parts) {
  SchemaPtr s = *Schema::Make({MakeField("features", DenseVectorType(4))});
  std::vector<Batch> batches;
  const size_t n = rows.size();
  for (int p = 0; p < parts; ++p) {
    std::vector<std::vector<double>> xs(rows.begin() + n * p / parts,
                                        rows.begin() + n * (p + 1) / parts);
    batches.push_back(*Batch::Make(s, {MakeDenseVectorColumn(xs, 4)}));
  }
  return *DataFrame::Make(s, batches);
}

std::vector<double> Column(const DataFrame& f, const std::string& name) {
  const Batch b = *f.Collect();
  const double* v = b.column(b.schema()->FindField(name))->Values<double>();
  return std::vector<double>(v, v + b.num_rows());
}

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {  // ties share their mean rank
    size_t j = i;
    while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
    for (size_t k = i; k < j; ++k) rank[order[k]] = (static_cast<double>(i + j) - 1) / 2;
    i = j;
  }
  return rank;
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const auto x = Ranks(a), y = Ranks(b);
  const double n = static_cast<double>(x.size());
  const double mean = (n - 1) / 2;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mean) * (y[i] - mean);
    sxx += (x[i] - mean) * (x[i] - mean);
    syy += (y[i] - mean) * (y[i] - mean);
  }
  return sxy / std::sqrt(sxx * syy);
}

TEST(IsolationForestTest, ScoresRankAsScikitLearnsAndContaminationSetsTheLabels) {
  const auto rows = Rows(1);
  const Json want = linear::internal::RunSklearnReference(
      "sklearn_iforest.py", rows, std::vector<double>(rows.size(), 0.0), "200 256 0.03");
  ASSERT_TRUE(want.is_object());
  auto model = (*IsolationForest::Make({.num_estimators = 200, .contamination = 0.03}))
                   ->Fit(ToFrame(rows, 3), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(ToFrame(rows, 3), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const auto score = Column(*out, "outlierScore"), label = Column(*out, "predictedLabel");
  std::vector<double> theirs;
  for (const Json& v : want.Find("score")->as_array()) theirs.push_back(v.as_double());
  const double rho = Spearman(score, theirs);
  std::printf("Spearman rank correlation with scikit-learn's scores: %.4f\n", rho);
  EXPECT_GE(rho, 0.95);
  // 3% of the rows are labelled outliers, as scikit-learn's contamination does.
  const double outliers = std::accumulate(label.begin(), label.end(), 0.0);
  double their_outliers = 0;
  for (const Json& v : want.Find("outlier")->as_array()) their_outliers += v.as_double();
  EXPECT_NEAR(outliers, 0.03 * 2000, 2);
  EXPECT_NEAR(their_outliers, 0.03 * 2000, 2);
  // The scattered rows (every 33rd) are most of them.
  double planted = 0;
  for (size_t i = 0; i < label.size(); i += 33) planted += label[i];
  EXPECT_GE(planted, 0.8 * outliers);
  const auto& forest = static_cast<const IsolationForestModel&>(**model);
  for (size_t i = 0; i < label.size(); ++i) {
    ASSERT_EQ(label[i], score[i] >= forest.outlier_score_threshold() ? 1.0 : 0.0);
  }
}

TEST(IsolationForestTest, PartitioningDoesNotChangeTheForestAndSaveLoadKeepsIt) {
  const auto rows = Rows(2);
  IsolationForest::Params p{
      .num_estimators = 30, .max_samples = 0.1, .max_features = 3, .contamination = 0.05};
  auto a = (*IsolationForest::Make(p))->Fit(ToFrame(rows, 1), ExecContext::Default());
  auto b = (*IsolationForest::Make(p))->Fit(ToFrame(rows, 5), ExecContext::Default());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  auto sa = (*a)->Transform(ToFrame(rows, 2), ExecContext::Default());
  auto sb = (*b)->Transform(ToFrame(rows, 2), ExecContext::Default());
  ASSERT_THAT(sa, IsOk());
  ASSERT_THAT(sb, IsOk());
  EXPECT_TRUE(FramesEqual(*sa, *sb)) << DescribeDifference(*sa, *sb);
  const std::string dir = testing::NewTempDir("iforest") + "/model";
  ASSERT_THAT(SaveStage(**a, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterIsolationForestStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  auto again = (*loaded)->Transform(ToFrame(rows, 2), ExecContext::Default());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(FramesEqual(*sa, *again));
  // Without contamination no row is labelled.
  auto plain = (*IsolationForest::Make({.num_estimators = 10}))
                   ->Fit(ToFrame(rows, 2), ExecContext::Default());
  ASSERT_THAT(plain, IsOk());
  const auto labels =
      Column(*(*plain)->Transform(ToFrame(rows, 2), ExecContext::Default()), "predictedLabel");
  EXPECT_EQ(std::accumulate(labels.begin(), labels.end(), 0.0), 0.0);
}

TEST(IsolationForestTest, BadInputsAreNamed) {
  EXPECT_FALSE(IsolationForest::Make({.contamination = 0.6}).ok());
  EXPECT_FALSE(IsolationForest::Make({.max_samples = 0}).ok());
  std::vector<std::vector<double>> rows = {{1, 2, 3, 4}, {NAN, 1, 1, 1}};
  auto nan = (*IsolationForest::Make({}))->Fit(ToFrame(rows, 1), ExecContext::Default());
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("'features'"), std::string::npos);
  auto empty = (*IsolationForest::Make({}))
                   ->Fit(*DataFrame::Make(ToFrame(rows, 1).schema(), {}), ExecContext::Default());
  EXPECT_FALSE(empty.ok());
}

}  // namespace
}  // namespace ember
