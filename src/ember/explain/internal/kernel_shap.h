// Kernel SHAP's coalitions and regression, as the shap package and SynapseML's
// KernelSHAPSampler: the empty and the full coalition first, weighted `inf_weight`; then whole
// coalition sizes k and m - k (k = 1, 2, ...) enumerated while the budget covers them, the
// budget left drawn at random over the remaining sizes (with the complement of each draw),
// repeats adding weight. A budget of 2^m enumerates every coalition, and the regression then
// gives the exact Shapley values of the coalition values it is given. Internal to explain/.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "ember/explain/internal/solvers.h"

namespace ember::explain::internal {

struct Coalitions {
  int m = 0;
  int64_t count = 0;
  std::vector<uint8_t> masks;   // count * m: 1 = the feature takes the explained row's value
  std::vector<double> weights;  // count
  const uint8_t* mask(int64_t i) const { return masks.data() + i * m; }
};

// SynapseML's default budget: 2m + 2048.
int64_t DefaultShapSamples(int m);
// The fewest coalitions Kernel SHAP can solve with: m + 2 (2^m for m < 2).
int64_t MinShapSamples(int m);
// The budget within [m + 2, 2^m] (2^m capped at 2^62).
int64_t ClampShapSamples(int m, int64_t requested);

// `num_samples` coalitions of m features (already clamped), drawn with `rng`.
Coalitions SampleCoalitions(int m, int64_t num_samples, double inf_weight, std::mt19937_64& rng);

// The Kernel SHAP regression on the coalitions' values (one per coalition): weighted least
// squares with an intercept. Returns [base, phi_1 .. phi_m] and the fit's R^2 in `r2`.
std::vector<double> SolveShap(const Coalitions& c, const double* values, double* r2);

}  // namespace ember::explain::internal
