// KMeans: the same Lloyd fixed point as scikit-learn from the same start (python3-sklearn at
// test time), partitioning and weights, fewer distinct rows than k, save/load, bad inputs.
#include "ember/clustering/kmeans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/logger.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// n rows of d values around 6 centres, with a weight column "w" (`weight` each).
std::vector<std::vector<double>> Blobs(int n, int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> centres(6, std::vector<double>(d));
  for (auto& c : centres) {
    for (double& v : c) v = 8 * g(rng);
  }
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < n; ++i) {
    const auto& c = centres[rng() % 6];
    std::vector<double> row(d);
    for (int j = 0; j < d; ++j) row[j] = c[j] + (1 + j % 3) * g(rng);
    rows.push_back(row);
  }
  return rows;
}

DataFrame ToFrame(const std::vector<std::vector<double>>& rows, int parts, double weight = 1) {
  const int64_t d = static_cast<int64_t>(rows[0].size());
  SchemaPtr s =
      *Schema::Make({MakeField("features", DenseVectorType(d)), MakeField("w", Float64Type())});
  std::vector<Batch> batches;
  const size_t n = rows.size();
  for (int p = 0; p < parts; ++p) {
    const size_t lo = n * p / parts, hi = n * (p + 1) / parts;
    std::vector<std::vector<double>> xs(rows.begin() + lo, rows.begin() + hi);
    std::vector<std::optional<double>> ws(hi - lo, weight);
    batches.push_back(*Batch::Make(s, {MakeDenseVectorColumn(xs, d), MakeColumn(ws)}));
  }
  return *DataFrame::Make(s, batches);
}

std::shared_ptr<const KMeansModel> Fit(const DataFrame& f, KMeans::Params p) {
  auto model = (*KMeans::Make(p))->Fit(f, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  return model.ok() ? std::static_pointer_cast<const KMeansModel>(*model) : nullptr;
}

std::vector<double> Flat(const KMeansModel& m) {
  std::vector<double> out;
  for (const auto& c : m.centers()) out.insert(out.end(), c.begin(), c.end());
  return out;
}

TEST(KMeansTest, LloydFromTheSameStartIsScikitLearns) {
  const auto rows = Blobs(3000, 4, 1);
  const DataFrame frame = ToFrame(rows, 4);
  KMeans::Params p{.k = 7, .max_iter = 0, .seed = 11};
  auto start = Fit(frame, p);  // k-means|| alone
  ASSERT_NE(start, nullptr);
  ASSERT_EQ(start->centers().size(), 7u);
  std::string csv;
  for (const auto& c : start->centers()) {
    for (size_t j = 0; j < c.size(); ++j) csv += (j ? "," : "") + Json(c[j]).Dump();
    csv += "\n";
  }
  const std::string centres = testing::NewTempDir("kmeans") + "/centres.csv";
  ASSERT_THAT(WriteStringToFile(centres, csv), IsOk());
  const Json want = linear::internal::RunSklearnReference(
      "sklearn_kmeans.py", rows, std::vector<double>(rows.size(), 0.0), centres + " 300");
  ASSERT_TRUE(want.is_object());
  p.max_iter = 300;
  p.tol = 0;
  auto model = Fit(frame, p);
  ASSERT_NE(model, nullptr);
  const auto got = Flat(*model);
  const auto& centers = want.Find("centers")->as_array();
  ASSERT_EQ(got.size(), centers.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], centers[i].as_double(), 1e-9) << i;
  EXPECT_NEAR(model->training_cost(), want.Find("inertia")->as_double(),
              1e-9 * model->training_cost());
  EXPECT_LT(model->num_iter(), 300);  // converged
  auto out = model->Transform(frame, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const Batch b = *out->Collect();
  const auto& labels = want.Find("labels")->as_array();
  const int32_t* pred = b.column(2)->Values<int32_t>();
  for (int64_t r = 0; r < b.num_rows(); ++r) ASSERT_EQ(pred[r], labels[r].as_int()) << r;
  // The default budget (maxIter 20, tol 1e-4) gets within 1% of that cost.
  auto quick = Fit(frame, {.k = 7, .seed = 11});
  ASSERT_NE(quick, nullptr);
  EXPECT_LE(quick->training_cost(), 1.01 * model->training_cost());
}

TEST(KMeansTest, PartitioningAndUniformWeightsDoNotChangeTheCentres) {
  const auto rows = Blobs(2000, 3, 2);
  auto one = Fit(ToFrame(rows, 1), {.k = 6, .seed = 5});
  auto seven = Fit(ToFrame(rows, 7), {.k = 6, .seed = 5});
  auto weighted = Fit(ToFrame(rows, 3, 3.0), {.weight_col = "w", .k = 6, .seed = 5});
  // The draws depend on each row's values, not its place: reversed rows, the same centres.
  const std::vector<std::vector<double>> reversed(rows.rbegin(), rows.rend());
  auto backwards = Fit(ToFrame(reversed, 4), {.k = 6, .seed = 5});
  ASSERT_NE(backwards, nullptr);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(seven, nullptr);
  ASSERT_NE(weighted, nullptr);
  const auto a = Flat(*one), b = Flat(*seven), c = Flat(*weighted), e = Flat(*backwards);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  ASSERT_EQ(a.size(), e.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 1e-9);
    EXPECT_NEAR(a[i], c[i], 1e-9);
    EXPECT_NEAR(a[i], e[i], 1e-9);
  }
  EXPECT_NEAR(3 * one->training_cost(), weighted->training_cost(),
              1e-9 * weighted->training_cost());
  // Another seed starts elsewhere.
  auto other = Fit(ToFrame(rows, 1), {.k = 6, .max_iter = 0, .seed = 6});
  auto same = Fit(ToFrame(rows, 1), {.k = 6, .max_iter = 0, .seed = 5});
  EXPECT_NE(Flat(*other), Flat(*same));
  // Random starts work too.
  auto random = Fit(ToFrame(rows, 2), {.k = 6, .seed = 5, .init_mode = KMeansInit::kRandom});
  ASSERT_NE(random, nullptr);
  EXPECT_EQ(random->centers().size(), 6u);
}

TEST(KMeansTest, FewerDistinctRowsThanKGiveFewerCentresAndSaveLoadKeepsThem) {
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 30; ++i) rows.push_back({double(i % 3), 1.0});
  CapturingLogger log;
  ExecContext ctx = ExecContext::Default();
  ctx.log = &log;
  auto model = (*KMeans::Make({.k = 5}))->Fit(ToFrame(rows, 2), ctx);
  ASSERT_THAT(model, IsOk());
  const auto& km = static_cast<const KMeansModel&>(**model);
  EXPECT_EQ(km.centers().size(), 3u);
  EXPECT_EQ(km.training_cost(), 0);
  ASSERT_EQ(log.messages().size(), 1u);
  EXPECT_NE(log.messages()[0].find("fewer than k = 5"), std::string::npos);
  const std::string dir = testing::NewTempDir("kmeans_save") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterClusteringStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  auto a = (*model)->Transform(ToFrame(rows, 2), ExecContext::Default());
  auto b = (*loaded)->Transform(ToFrame(rows, 2), ExecContext::Default());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(FramesEqual(*a, *b));
}

TEST(KMeansTest, BadInputsAreNamed) {
  EXPECT_FALSE(KMeans::Make({.k = 1}).ok());
  EXPECT_FALSE(KMeans::Make({.tol = -1}).ok());
  std::vector<std::vector<double>> rows = {{1, 2}, {NAN, 1}, {3, 3}};
  auto nan = (*KMeans::Make({}))->Fit(ToFrame(rows, 1), ExecContext::Default());
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("'features'"), std::string::npos);
  rows[1][0] = 0;
  auto negative =
      (*KMeans::Make({.weight_col = "w"}))->Fit(ToFrame(rows, 1, -1.0), ExecContext::Default());
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("'w'"), std::string::npos);
  auto empty = (*KMeans::Make({}))
                   ->Fit(*DataFrame::Make(ToFrame(rows, 1).schema(), {}), ExecContext::Default());
  EXPECT_FALSE(empty.ok());
  auto wrong = (*KMeans::Make({.features_col = "w"}))->TransformSchema(*ToFrame(rows, 1).schema());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("'w'"), std::string::npos);
}

}  // namespace
}  // namespace ember
