#include "ember/linear/lbfgs.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ember {
namespace {

TEST(LbfgsTest, SolvesAQuadratic) {
  // f(x) = sum_i (i + 1) (x_i - i)^2
  auto f = [](std::span<const double> x, std::span<double> g) -> Result<double> {
    double v = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      v += (i + 1.0) * (x[i] - i) * (x[i] - i);
      g[i] = 2 * (i + 1.0) * (x[i] - i);
    }
    return v;
  };
  auto r = MinimizeLbfgs(f, std::vector<double>(5, 0.0), {.max_iter = 200, .tol = 1e-14});
  ASSERT_TRUE(r.ok());
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(r->x[i], double(i), 1e-6);
  EXPECT_TRUE(r->converged);
}

TEST(LbfgsTest, MinimisesRosenbrock) {
  auto f = [](std::span<const double> x, std::span<double> g) -> Result<double> {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  auto r = MinimizeLbfgs(f, {-1.2, 1.0}, {.max_iter = 1000, .tol = 1e-16});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->x[0], 1.0, 1e-4);
  EXPECT_NEAR(r->x[1], 1.0, 1e-4);
}

TEST(LbfgsTest, OwlqnGivesExactZerosAndTheSoftThresholdSolution) {
  // f(x) = 1/2 (x - c)^2 + l1 |x| has the solution sign(c) max(|c| - l1, 0).
  const std::vector<double> c = {3.0, -0.5, 0.2, -4.0};
  auto f = [&](std::span<const double> x, std::span<double> g) -> Result<double> {
    double v = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      v += 0.5 * (x[i] - c[i]) * (x[i] - c[i]);
      g[i] = x[i] - c[i];
    }
    return v;
  };
  auto r = MinimizeLbfgs(f, std::vector<double>(4, 0.0),
                         {.max_iter = 500, .tol = 1e-15, .l1 = {1, 1, 1, 1}});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->x[0], 2.0, 1e-8);
  EXPECT_EQ(r->x[1], 0.0);
  EXPECT_EQ(r->x[2], 0.0);
  EXPECT_NEAR(r->x[3], -3.0, 1e-8);
}

TEST(LbfgsTest, ObjectiveErrorsArePassedOn) {
  auto f = [](std::span<const double>, std::span<double>) -> Result<double> {
    return Cancelled("stop");
  };
  EXPECT_EQ(MinimizeLbfgs(f, {0.0}, {}).status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace ember
