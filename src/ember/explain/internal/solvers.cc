#include "ember/explain/internal/solvers.h"

#include <algorithm>
#include <cmath>

namespace ember::explain::internal {

namespace {

double WeightedR2(const Design& d, const double* y, const LinearFit& f) {
  double sw = 0, mean = 0;
  for (int64_t i = 0; i < d.n; ++i) {
    sw += d.w[i];
    mean += d.w[i] * y[i];
  }
  if (sw <= 0) return 0;
  mean /= sw;
  double ss_res = 0, ss_tot = 0;
  for (int64_t i = 0; i < d.n; ++i) {
    double pred = f.intercept;
    const double* xi = d.x.data() + i * d.p;
    for (int j = 0; j < d.p; ++j) pred += f.coef[j] * xi[j];
    ss_res += d.w[i] * (y[i] - pred) * (y[i] - pred);
    ss_tot += d.w[i] * (y[i] - mean) * (y[i] - mean);
  }
  return ss_tot > 0 ? 1 - ss_res / ss_tot : 1.0;
}

}  // namespace

LinearFit WeightedLeastSquares(const Design& d, const double* y) {
  // A = [sqrt(w) | sqrt(w) x] (n x (p+1), column-major for the reflections), b = sqrt(w) y.
  const int64_t n = d.n;
  const int q = d.p + 1;
  std::vector<double> a(static_cast<size_t>(n * q)), b(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double s = std::sqrt(std::max(0.0, d.w[i]));
    a[i] = s;
    for (int j = 0; j < d.p; ++j) a[(j + 1) * n + i] = s * d.x[i * d.p + j];
    b[i] = s * y[i];
  }
  // Householder QR, column by column; a column whose remaining norm is negligible against
  // its original norm is dependent on the ones before: it is skipped (coefficient 0).
  std::vector<double> rdiag(q, 0.0);
  std::vector<bool> used(q, false);
  int64_t row = 0;  // the next pivot row
  std::vector<int> pivot_row(q, -1);
  for (int j = 0; j < q && row < n; ++j) {
    double* col = a.data() + j * n;
    double full = 0, norm = 0;
    for (int64_t i = 0; i < n; ++i) full += col[i] * col[i];
    for (int64_t i = row; i < n; ++i) norm += col[i] * col[i];
    norm = std::sqrt(norm);
    if (norm <= 1e-10 * std::sqrt(full) || norm == 0) continue;
    const double alpha = col[row] > 0 ? -norm : norm;
    // v = col[row:] - alpha e1, stored in place; H = I - 2 v v^T / (v^T v).
    col[row] -= alpha;
    double vtv = 0;
    for (int64_t i = row; i < n; ++i) vtv += col[i] * col[i];
    auto reflect = [&](double* target) {
      double dot = 0;
      for (int64_t i = row; i < n; ++i) dot += col[i] * target[i];
      const double f = 2 * dot / vtv;
      for (int64_t i = row; i < n; ++i) target[i] -= f * col[i];
    };
    for (int k = j + 1; k < q; ++k) reflect(a.data() + k * n);
    reflect(b.data());
    rdiag[j] = alpha;
    used[j] = true;
    pivot_row[j] = static_cast<int>(row);
    ++row;
  }
  // Back substitution over the used columns: R[pivot_row[j], k] is a[k * n + pivot_row[j]].
  std::vector<double> beta(q, 0.0);
  for (int j = q - 1; j >= 0; --j) {
    if (!used[j]) continue;
    const int64_t r = pivot_row[j];
    double s = b[r];
    for (int k = j + 1; k < q; ++k) {
      if (used[k]) s -= a[k * n + r] * beta[k];
    }
    beta[j] = s / rdiag[j];
  }
  LinearFit f;
  f.intercept = beta[0];
  f.coef.assign(beta.begin() + 1, beta.end());
  f.r2 = WeightedR2(d, y, f);
  return f;
}

LinearFit WeightedLasso(const Design& d, const double* y, double alpha, int max_iter, double tol) {
  if (alpha <= 0) return WeightedLeastSquares(d, y);
  const int64_t n = d.n;
  const int p = d.p;
  double sw = 0;
  for (int64_t i = 0; i < n; ++i) sw += d.w[i];
  LinearFit f;
  f.coef.assign(p, 0.0);
  if (sw <= 0 || n == 0) return f;
  std::vector<double> w(n);
  for (int64_t i = 0; i < n; ++i) w[i] = d.w[i] * static_cast<double>(n) / sw;
  // Weighted means, centred columns and target.
  std::vector<double> xm(p, 0.0);
  double ym = 0;
  for (int64_t i = 0; i < n; ++i) {
    ym += w[i] * y[i];
    for (int j = 0; j < p; ++j) xm[j] += w[i] * d.x[i * p + j];
  }
  ym /= static_cast<double>(n);
  for (double& v : xm) v /= static_cast<double>(n);
  std::vector<double> xc(static_cast<size_t>(n * p)), r(n), sq(p, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    r[i] = y[i] - ym;
    for (int j = 0; j < p; ++j) {
      xc[j * n + i] = d.x[i * p + j] - xm[j];
      sq[j] += w[i] * xc[j * n + i] * xc[j * n + i];
    }
  }
  const double threshold = alpha * static_cast<double>(n);
  for (int it = 0; it < max_iter; ++it) {
    double moved = 0;
    for (int j = 0; j < p; ++j) {
      if (sq[j] <= 0) continue;
      const double* c = xc.data() + j * n;
      double rho = 0;
      for (int64_t i = 0; i < n; ++i) rho += w[i] * c[i] * (r[i] + c[i] * f.coef[j]);
      const double next = rho > threshold ? (rho - threshold) / sq[j]
                                          : (rho < -threshold ? (rho + threshold) / sq[j] : 0.0);
      const double delta = next - f.coef[j];
      if (delta != 0) {
        for (int64_t i = 0; i < n; ++i) r[i] -= delta * c[i];
        f.coef[j] = next;
        moved = std::max(moved, std::abs(delta));
      }
    }
    if (moved <= tol) break;
  }
  f.intercept = ym;
  for (int j = 0; j < p; ++j) f.intercept -= f.coef[j] * xm[j];
  f.r2 = WeightedR2(d, y, f);
  return f;
}

}  // namespace ember::explain::internal
