#include "ember/linear/linear_regression.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

struct Data {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

Data Make(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Data d;
  const double scales[3] = {1.0, 20.0, 0.05};
  for (int i = 0; i < n; ++i) {
    std::vector<double> row(3);
    for (int j = 0; j < 3; ++j) row[j] = (g(rng) + j) * scales[j];
    d.y.push_back(3 + 1.5 * row[0] - 0.1 * row[1] + 10 * row[2] + 0.3 * g(rng));
    d.x.push_back(row);
  }
  return d;
}

DataFrame ToFrame(const Data& d) {
  SchemaPtr s =
      *Schema::Make({MakeField("features", DenseVectorType(3)), MakeField("label", Float64Type())});
  std::vector<std::optional<double>> ys(d.y.begin(), d.y.end());
  Batch b = *Batch::Make(s, {MakeDenseVectorColumn(d.x, 3), MakeColumn(ys)});
  return *DataFrame::Make(s,
                          {b.Slice(0, b.num_rows() / 2), b.Slice(b.num_rows() / 2, b.num_rows())});
}

Json Sklearn(const Data& d, double reg, double alpha) {
  return linear::internal::RunSklearnReference("sklearn_linreg.py", d.x, d.y,
                                               std::to_string(reg) + " " + std::to_string(alpha));
}

void ExpectMatches(const DataFrame& f, LinearRegressionParams p, const Json& sk) {
  auto m = (*LinearRegression::Make(p))->Fit(f, ExecContext::Default());
  ASSERT_THAT(m, IsOk());
  const auto& model = static_cast<const LinearRegressionModel&>(**m);
  const auto& c = sk.Find("coefficients")->as_array();
  ASSERT_EQ(c.size(), model.coefficients().size());
  for (size_t k = 0; k < c.size(); ++k)
    EXPECT_NEAR(model.coefficients()[k], c[k].as_double(), 1e-4) << k;
  EXPECT_NEAR(model.intercept(), sk.Find("intercept")->as_double(), 1e-4);
}

TEST(LinearRegressionTest, RidgeMatchesScikitLearn) {
  Data d = Make(400, 1);
  ExpectMatches(ToFrame(d),
                {.max_iter = 2000, .reg_param = 0.01, .tol = 1e-15, .standardization = false},
                Sklearn(d, 0.01, 0.0));
}

TEST(LinearRegressionTest, ElasticNetMatchesScikitLearn) {
  Data d = Make(400, 2);
  ExpectMatches(ToFrame(d),
                {.max_iter = 5000,
                 .reg_param = 0.05,
                 .elastic_net_param = 0.7,
                 .tol = 1e-15,
                 .standardization = false},
                Sklearn(d, 0.05, 0.7));
}

TEST(LinearRegressionTest, UnregularisedFitRecoversTheModelAndPredicts) {
  Data d = Make(500, 3);
  DataFrame f = ToFrame(d);
  auto m =
      (*LinearRegression::Make({.max_iter = 1000, .tol = 1e-15}))->Fit(f, ExecContext::Default());
  ASSERT_THAT(m, IsOk());
  const auto& model = static_cast<const LinearRegressionModel&>(**m);
  EXPECT_NEAR(model.coefficients()[0], 1.5, 0.05);
  EXPECT_NEAR(model.coefficients()[1], -0.1, 0.01);
  EXPECT_NEAR(model.intercept(), 3, 0.2);
  // Centered coordinates: the least-squares fit converges in a few iterations.
  ASSERT_NE(model.training_summary(), nullptr);
  EXPECT_TRUE(model.training_summary()->converged) << model.training_summary()->Describe();
  EXPECT_LT(model.training_summary()->total_iterations, 30) << model.training_summary()->Describe();
  auto out = (*m)->Transform(f, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch b = *out->Collect();
  const double p0 = b.column(2)->Values<double>()[0];
  EXPECT_NEAR(p0, d.y[0], 1.5);
}

}  // namespace
}  // namespace ember
