// Distances between dense rows, shared by the clustering estimators. Internal to clustering/.
#pragma once

#include <cstdint>

namespace ember::clustering::internal {

// The squared Euclidean distance of two rows of d values.
inline double Dist2(const double* a, const double* b, int64_t d) {
  double s = 0;
  for (int64_t j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

}  // namespace ember::clustering::internal
