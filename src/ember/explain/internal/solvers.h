// The regressions of the explainers: weighted least squares (Kernel SHAP, and LIME without
// regularization) by Householder QR on the sqrt(weight)-scaled rows, which stays accurate with
// Kernel SHAP's 1e8 anchor weights beside weights of 1e-4 (normal equations would square that
// spread); and LIME's weighted Lasso by cyclic coordinate descent (SynapseML's
// LassoRegression). Internal to explain/.
#pragma once

#include <cstdint>
#include <vector>

namespace ember::explain::internal {

// Row-major n x p design matrix with per-row targets and weights.
struct Design {
  int64_t n = 0;
  int p = 0;
  std::vector<double> x;  // n * p
  std::vector<double> w;  // n
};

struct LinearFit {
  double intercept = 0;
  std::vector<double> coef;  // p
  double r2 = 0;             // weighted R^2 of the fit (1 when the targets are constant)
};

// argmin_b sum_i w_i (y_i - b0 - x_i . b)^2. A column that is a linear combination of the
// columns before it (or of the intercept) gets coefficient 0.
LinearFit WeightedLeastSquares(const Design& d, const double* y);

// Weighted Lasso: weights scaled to sum to n, data centred by the weighted means,
// argmin (1/2) sum_i w_i (y_i - x_i . b)^2 + alpha * n * |b|_1 by cyclic coordinate descent
// (at most max_iter sweeps, stopping when no coefficient moves by more than tol), intercept
// recovered from the means. alpha 0 is WeightedLeastSquares.
LinearFit WeightedLasso(const Design& d, const double* y, double alpha, int max_iter = 1000,
                        double tol = 1e-5);

}  // namespace ember::explain::internal
