// LinearSVC against scikit-learn's LinearSVC (hinge loss, liblinear's exact dual solver) on
// the same rows, then the intercept, standardization, save/load, ranks and bad inputs.
#include "ember/linear/linear_svc.h"

#include <gtest/gtest.h>

#include <cmath>
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

struct Rows {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

// Two overlapping Gaussian classes in 4 features (one irrelevant), offset from the origin.
Rows MakeRows(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Rows rows;
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng() % 2);
    const double s = c ? 1 : -1;
    rows.x.push_back({3 + s * 0.8 + g(rng), s * 0.5 + 2 * g(rng), g(rng), -1 + s * 0.3 + g(rng)});
    rows.y.push_back(c);
  }
  return rows;
}

DataFrame ToFrame(const Rows& d, int parts = 3) { return testing::LabeledVectors(d.x, d.y, parts); }

// (1/n) sum hinge + reg/2 |b|^2 (no intercept).
double Objective(const Rows& d, const std::vector<double>& b, double reg) {
  double loss = 0;
  for (size_t i = 0; i < d.y.size(); ++i) {
    double m = 0;
    for (size_t j = 0; j < b.size(); ++j) m += b[j] * d.x[i][j];
    loss += std::max(0.0, 1 - (2 * d.y[i] - 1) * m);
  }
  double norm = 0;
  for (double v : b) norm += v * v;
  return loss / static_cast<double>(d.y.size()) + reg / 2 * norm;
}

// Without intercept and standardization the objective is liblinear's: Ember's minimum is
// within 1e-6 (relative) of scikit-learn's exact one, and the coefficients close to its.
TEST(LinearSVCTest, ReachesScikitLearnsOptimum) {
  const Rows rows = MakeRows(600, 5);
  for (double reg : {0.01, 0.1}) {
    const Json want = linear::internal::RunSklearnReference("sklearn_svc.py", rows.x, rows.y,
                                                            std::to_string(reg));
    ASSERT_TRUE(want.is_object());
    std::vector<double> sk;
    for (const Json& v : want.Find("coefficients")->as_array()) sk.push_back(v.as_double());
    auto model = (*LinearSVC::Make({.max_iter = 500,
                                    .reg_param = reg,
                                    .tol = 1e-9,
                                    .fit_intercept = false,
                                    .standardization = false}))
                     ->Fit(ToFrame(rows), ExecContext::Default());
    ASSERT_THAT(model, IsOk());
    const auto& svc = static_cast<const LinearSVCModel&>(**model);
    const double ours = Objective(rows, svc.coefficients(), reg);
    const double theirs = Objective(rows, sk, reg);
    EXPECT_LE(ours, theirs * (1 + 1e-6)) << reg;
    for (size_t j = 0; j < sk.size(); ++j) {
      EXPECT_NEAR(svc.coefficients()[j], sk[j], 1e-3 * (1 + std::abs(sk[j]))) << reg << " " << j;
    }
  }
}

// With the default intercept and standardization: a good separator, the same on 1 and 2
// ranks' worth of partitions, outputs in Spark's layout, saved and loaded.
TEST(LinearSVCTest, InterceptOutputsAndSaveLoad) {
  const Rows rows = MakeRows(900, 8);
  auto model = (*LinearSVC::Make({.reg_param = 0.01}))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(ToFrame(rows), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch b = *out->Collect();
  const Column& raw = *b.column(b.schema()->FindField("rawPrediction"));
  const Column& pred = *b.column(b.schema()->FindField("prediction"));
  int right = 0;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    const auto m = raw.DenseRow(r);
    EXPECT_EQ(m[0], -m[1]);
    EXPECT_EQ(pred.Values<double>()[r], m[1] > 0 ? 1.0 : 0.0);
    right += pred.Values<double>()[r] == rows.y[r];
  }
  EXPECT_GT(right, 0.75 * b.num_rows());
  EXPECT_EQ(b.schema()->FindField("probability"), -1);
  // The partitioning does not change the fit beyond rounding.
  auto other =
      (*LinearSVC::Make({.reg_param = 0.01}))->Fit(ToFrame(rows, 7), ExecContext::Default());
  ASSERT_THAT(other, IsOk());
  const auto& a = static_cast<const LinearSVCModel&>(**model);
  const auto& c = static_cast<const LinearSVCModel&>(**other);
  for (size_t j = 0; j < 4; ++j) EXPECT_NEAR(a.coefficients()[j], c.coefficients()[j], 1e-6);
  const std::string dir = testing::NewTempDir("svc") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterLinearSVCStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(FramesEqual(*(*loaded)->Transform(ToFrame(rows), ExecContext::Default()), *out));
}

TEST(LinearSVCTest, BadInput) {
  Rows rows = MakeRows(30, 2);
  rows.y[7] = 2;
  auto fit = (*LinearSVC::Make({}))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("labels must be 0 or 1"), std::string::npos);
  EXPECT_FALSE(LinearSVC::Make({.reg_param = -1}).ok());
  EXPECT_FALSE(LinearSVC::Make({.aggregation_depth = 1}).ok());
  // Scoring a frame of another width names the column.
  auto model = *LinearSVCModel::Make({}, {1, 2}, 0);
  auto out = model->Transform(ToFrame(MakeRows(6, 1)), ExecContext::Default());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("'features'"), std::string::npos);
}

}  // namespace
}  // namespace ember
