// BisectingKMeans: well-separated groups found exactly, the tree's hierarchy, Spark's stop
// rules, the same tree on 1 to 3 ranks, save/load and bad inputs.
#include "ember/clustering/bisecting_kmeans.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// Four tight groups in 3-d: two pairs far apart, each pair's groups closer together.
std::vector<std::vector<double>> Groups(int per_group, std::vector<int>* truth) {
  const double centres[4][3] = {{0, 0, 0}, {4, 0, 0}, {100, 100, 0}, {104, 100, 0}};
  std::mt19937 rng(7);
  std::normal_distribution<double> g(0, 0.3);
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 4 * per_group; ++i) {
    const int c = i % 4;
    rows.push_back({centres[c][0] + g(rng), centres[c][1] + g(rng), centres[c][2] + g(rng)});
    truth->push_back(c);
  }
  return rows;
}

std::shared_ptr<const BisectingKMeansModel> Fit(const DataFrame& f, BisectingKMeansParams p) {
  auto m = (*BisectingKMeans::Make(std::move(p)))->Fit(f, ExecContext::Default());
  EXPECT_THAT(m, IsOk());
  return m.ok() ? std::static_pointer_cast<const BisectingKMeansModel>(*m) : nullptr;
}

std::vector<int32_t> Predictions(const Transformer& m, const DataFrame& f) {
  Batch b = *m.Transform(f, ExecContext::Default())->Collect();
  const Column& c = *b.column(b.schema()->FindField("prediction"));
  return {c.Values<int32_t>(), c.Values<int32_t>() + b.num_rows()};
}

TEST(BisectingKMeansTest, FindsTheGroupsAndKeepsTheHierarchy) {
  std::vector<int> truth;
  const auto rows = Groups(50, &truth);
  const DataFrame f = testing::LabeledVectors(rows, std::vector<double>(rows.size(), 0.0));
  auto four = Fit(f, {.k = 4, .seed = 3});
  ASSERT_NE(four, nullptr);
  ASSERT_EQ(four->cluster_centers().size(), 4u);
  // Each leaf holds exactly one group, and its centre is that group's mean.
  const auto pred = Predictions(*four, f);
  std::map<int32_t, std::set<int>> groups_of;
  std::vector<std::vector<double>> mean(4, std::vector<double>(3, 0.0));
  for (size_t i = 0; i < rows.size(); ++i) {
    groups_of[pred[i]].insert(truth[i]);
    for (int j = 0; j < 3; ++j) mean[truth[i]][j] += rows[i][j] / 50;
  }
  ASSERT_EQ(groups_of.size(), 4u);
  for (const auto& [leaf, groups] : groups_of) {
    ASSERT_EQ(groups.size(), 1u) << leaf;
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(four->cluster_centers()[leaf][j], mean[*groups.begin()][j], 1e-9);
    }
  }
  // The first split separates the far pairs: leaves 0-1 and 2-3 are siblings.
  EXPECT_EQ(groups_of[0].count(0) + groups_of[0].count(1),
            groups_of[1].count(0) + groups_of[1].count(1));
  const auto& root = four->nodes()[0];
  EXPECT_NEAR(root.size, 200, 0);
  EXPECT_LT(four->training_cost(), 0.01 * root.cost);
  // k = 2 stops after the first split: the same two halves.
  auto two = Fit(f, {.k = 2, .seed = 3});
  const auto halves = Predictions(*two, f);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(halves[i], pred[i] / 2) << i;
}

TEST(BisectingKMeansTest, StopRulesRanksAndSaveLoad) {
  std::vector<int> truth;
  const auto rows = Groups(30, &truth);
  const DataFrame f = testing::LabeledVectors(rows, std::vector<double>(rows.size(), 0.0), 3);
  // A cluster needs minDivisibleClusterSize rows to split: 61 of 120 stops after one split.
  auto limited = Fit(f, {.k = 4, .min_divisible_cluster_size = 61});
  EXPECT_EQ(limited->cluster_centers().size(), 2u);
  auto share = Fit(f, {.k = 4, .min_divisible_cluster_size = 0.6});
  EXPECT_EQ(share->cluster_centers().size(), 2u);
  // Identical rows cannot split: fewer clusters than k.
  const DataFrame same = testing::LabeledVectors(std::vector<std::vector<double>>(10, {1.0, 2.0}),
                                                 std::vector<double>(10, 0.0));
  EXPECT_EQ(Fit(same, {.k = 3})->cluster_centers().size(), 1u);
  // 1, 2 and 3 ranks: the same tree.
  auto est = *BisectingKMeans::Make({.k = 4, .seed = 5});
  auto one = *est->Fit(f, ExecContext::Default());
  for (int ranks : {2, 3}) {
    for (auto& m : testing::FitOnRanks(f, *est, ranks)) {
      ASSERT_THAT(m, IsOk());
      const auto& a = static_cast<const BisectingKMeansModel&>(*one).cluster_centers();
      const auto& b = static_cast<const BisectingKMeansModel&>(**m).cluster_centers();
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        for (size_t j = 0; j < a[i].size(); ++j) EXPECT_NEAR(a[i][j], b[i][j], 1e-9);
      }
    }
  }
  const std::string dir = testing::NewTempDir("bisecting") + "/model";
  ASSERT_THAT(SaveStage(*one, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterBisectingKMeansStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(Predictions(**loaded, f), Predictions(*one, f));
}

TEST(BisectingKMeansTest, BadInput) {
  EXPECT_FALSE(BisectingKMeans::Make({.k = 1}).ok());
  EXPECT_FALSE(BisectingKMeans::Make({.distance_measure = "cosine"}).ok());
  EXPECT_FALSE(BisectingKMeans::Make({.min_divisible_cluster_size = 0}).ok());
  std::vector<std::vector<double>> rows = {{1, 2}, {NAN, 1}};
  auto fit = (*BisectingKMeans::Make({}))
                 ->Fit(testing::LabeledVectors(rows, {0, 0}, 1), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("'features'"), std::string::npos);
  // A malformed tree is refused.
  BisectingNode root{.center = {0.0}, .left = 1, .right = 1};
  EXPECT_FALSE(BisectingKMeansModel::Make({}, {root, BisectingNode{.center = {1.0}}}).ok());
}

}  // namespace
}  // namespace ember
