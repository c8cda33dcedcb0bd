// L-BFGS for smooth objectives, and OWL-QN (Andrew and Gao, 2007) when an L1 penalty is
// added, as SparkML fits its linear models (Breeze's LBFGS / OWLQN). Deterministic: the same
// inputs give bit-identical iterates, so SPMD ranks that see the same reduced gradients
// take the same steps.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "ember/base/result.h"

namespace ember {

struct LbfgsOptions {
  int max_iter = 100;
  double tol = 1e-6;  // stop when the objective's relative decrease falls below this
  int history = 10;   // correction pairs kept
  // Per-coordinate L1 weights (empty: no L1 term; then plain L-BFGS).
  std::vector<double> l1;
};

struct LbfgsResult {
  std::vector<double> x;
  double objective = 0;  // including the L1 term
  int iterations = 0;
  bool converged = false;
  // The objective at x0, then after each iteration (iterations + 1 values).
  std::vector<double> objective_history;
};

// The smooth part: returns f(x) and writes its gradient.
using SmoothObjective =
    std::function<Result<double>(std::span<const double> x, std::span<double> grad)>;

// Minimises f(x) + sum_i l1[i] * |x_i| from `x0`. Errors from `f` are returned as they are.
Result<LbfgsResult> MinimizeLbfgs(const SmoothObjective& f, std::vector<double> x0,
                                  const LbfgsOptions& options);

}  // namespace ember
