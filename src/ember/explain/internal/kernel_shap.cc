#include "ember/explain/internal/kernel_shap.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

namespace ember::explain::internal {

namespace {

double Binomial(int n, int k) {
  double r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

void Add(Coalitions* c, const std::vector<uint8_t>& mask, double weight) {
  c->masks.insert(c->masks.end(), mask.begin(), mask.end());
  c->weights.push_back(weight);
  ++c->count;
}

// Calls fn(mask) for every subset of size k of m features, in lexicographic order.
template <typename Fn>
void ForEachSubset(int m, int k, Fn&& fn) {
  std::vector<int> idx(k);
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<uint8_t> mask(m);
  while (true) {
    std::fill(mask.begin(), mask.end(), 0);
    for (int i : idx) mask[i] = 1;
    fn(mask);
    int i = k - 1;
    while (i >= 0 && idx[i] == m - k + i) --i;
    if (i < 0) return;
    ++idx[i];
    for (int j = i + 1; j < k; ++j) idx[j] = idx[j - 1] + 1;
  }
}

}  // namespace

int64_t DefaultShapSamples(int m) { return 2 * static_cast<int64_t>(m) + 2048; }

int64_t MinShapSamples(int m) {
  return std::min<int64_t>(m + 2, m >= 62 ? (int64_t{1} << 62) : (int64_t{1} << m));
}

int64_t ClampShapSamples(int m, int64_t requested) {
  const int64_t all = m >= 62 ? (int64_t{1} << 62) : (int64_t{1} << m);
  return std::max<int64_t>(std::min<int64_t>(requested, all), std::min<int64_t>(m + 2, all));
}

Coalitions SampleCoalitions(int m, int64_t num_samples, double inf_weight, std::mt19937_64& rng) {
  Coalitions c;
  c.m = m;
  std::vector<uint8_t> mask(m, 0);
  Add(&c, mask, inf_weight);
  std::fill(mask.begin(), mask.end(), 1);
  Add(&c, mask, inf_weight);
  if (m < 2) return c;
  // The Shapley kernel's weight of each size k (1 .. m/2, paired with m - k when k != m - k),
  // normalised over the sizes.
  const int num_sizes = m / 2;     // ceil((m - 1) / 2)
  const int paired = (m - 1) / 2;  // the sizes k < m - k
  std::vector<double> size_weight(num_sizes);
  for (int k = 1; k <= num_sizes; ++k) {
    size_weight[k - 1] = (m - 1.0) / (k * static_cast<double>(m - k));
    if (k <= paired) size_weight[k - 1] *= 2;
  }
  const double total = std::accumulate(size_weight.begin(), size_weight.end(), 0.0);
  for (double& w : size_weight) w /= total;

  // Whole sizes while the budget covers them.
  int64_t left = num_samples - 2;
  int full_sizes = 0;
  std::vector<double> remaining = size_weight;
  for (int k = 1; k <= num_sizes; ++k) {
    double subsets = Binomial(m, k);
    if (k <= paired) subsets *= 2;
    if (static_cast<double>(left) * remaining[k - 1] / subsets < 1.0 - 1e-8) break;
    ++full_sizes;
    left -= static_cast<int64_t>(subsets);
    if (remaining[k - 1] < 1.0) {
      const double scale = 1 - remaining[k - 1];
      for (double& r : remaining) r /= scale;
    }
    double w = size_weight[k - 1] / Binomial(m, k);
    if (k <= paired) w /= 2;
    ForEachSubset(m, k, [&](std::vector<uint8_t>& s) {
      Add(&c, s, w);
      if (k <= paired) {
        for (auto& b : s) b = static_cast<uint8_t>(1 - b);
        Add(&c, s, w);
      }
    });
  }
  if (full_sizes == num_sizes || left <= 0) return c;

  // The rest at random over the sizes not enumerated, each draw with its complement.
  const int64_t fixed = c.count;
  std::vector<double> draw(size_weight.begin() + full_sizes, size_weight.end());
  for (int i = 0; i < static_cast<int>(draw.size()); ++i) {
    if (full_sizes + i + 1 <= paired) draw[i] /= 2;
  }
  std::discrete_distribution<int> pick_size(draw.begin(), draw.end());
  std::map<std::vector<uint8_t>, int64_t> seen;
  std::vector<int> order(m);
  std::iota(order.begin(), order.end(), 0);
  for (int64_t tries = 0; left > 0 && tries < 4 * (num_samples - 2); ++tries) {
    const int k = pick_size(rng) + full_sizes + 1;
    std::shuffle(order.begin(), order.end(), rng);
    std::fill(mask.begin(), mask.end(), 0);
    for (int i = 0; i < k; ++i) mask[order[i]] = 1;
    auto [it, fresh] = seen.emplace(mask, c.count);
    if (fresh) {
      Add(&c, mask, 1.0);
      --left;
    } else {
      c.weights[it->second] += 1.0;
    }
    if (left > 0 && k <= paired) {
      if (fresh) {
        for (auto& b : mask) b = static_cast<uint8_t>(1 - b);
        Add(&c, mask, 1.0);
        --left;
      } else {
        c.weights[it->second + 1] += 1.0;
      }
    }
  }
  // The random draws share the weight the enumerated sizes left.
  double left_weight = 0;
  for (int k = full_sizes; k < num_sizes; ++k) left_weight += size_weight[k];
  double drawn = 0;
  for (int64_t i = fixed; i < c.count; ++i) drawn += c.weights[i];
  if (drawn > 0) {
    for (int64_t i = fixed; i < c.count; ++i) c.weights[i] *= left_weight / drawn;
  }
  return c;
}

std::vector<double> SolveShap(const Coalitions& c, const double* values, double* r2) {
  Design d;
  d.n = c.count;
  d.p = c.m;
  d.x.resize(static_cast<size_t>(c.count * c.m));
  for (int64_t i = 0; i < c.count * c.m; ++i) d.x[i] = c.masks[i];
  d.w = c.weights;
  LinearFit f = WeightedLeastSquares(d, values);
  if (r2) *r2 = f.r2;
  std::vector<double> out;
  out.reserve(c.m + 1);
  out.push_back(f.intercept);
  out.insert(out.end(), f.coef.begin(), f.coef.end());
  return out;
}

}  // namespace ember::explain::internal
