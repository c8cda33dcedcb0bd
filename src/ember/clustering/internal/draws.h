// Seeded random draws that depend on a row's values, never on where the row is: KMeans and
// IsolationForest draw with them, so the same rows give the same model on any number of
// ranks, partitions and row orders. Internal to clustering/.
#pragma once

#include <cstdint>
#include <cstring>

namespace ember::clustering::internal {

// splitmix64's finaliser: a bijective mix of 64 bits.
inline uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A hash of the d values of a row (-0 and 0 alike).
inline uint64_t RowHash(const double* x, int64_t d) {
  uint64_t h = 0x243f6a8885a308d3ULL;
  for (int64_t j = 0; j < d; ++j) {
    uint64_t bits;
    const double v = x[j] == 0 ? 0.0 : x[j];
    std::memcpy(&bits, &v, sizeof(bits));
    h = Mix(h ^ bits);
  }
  return h;
}

// A uniform draw in [0, 1) for the row of hash `row_hash` in round `round`.
inline double Draw(uint64_t seed, uint64_t round, uint64_t row_hash) {
  return static_cast<double>(Mix(seed ^ Mix(round ^ row_hash)) >> 11) * 0x1.0p-53;
}

}  // namespace ember::clustering::internal
