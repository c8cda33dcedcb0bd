#include "ember/linear/lbfgs.h"

#include <cmath>
#include <deque>

#include "ember/base/status_macros.h"

namespace ember {

namespace {

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// OWL-QN's pseudo-gradient of f + l1|x| (the plain gradient without L1).
void PseudoGradient(const std::vector<double>& x, const std::vector<double>& g,
                    const std::vector<double>& l1, std::vector<double>* pg) {
  pg->resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double w = l1.empty() ? 0.0 : l1[i];
    if (w == 0) {
      (*pg)[i] = g[i];
    } else if (x[i] > 0) {
      (*pg)[i] = g[i] + w;
    } else if (x[i] < 0) {
      (*pg)[i] = g[i] - w;
    } else if (g[i] + w < 0) {
      (*pg)[i] = g[i] + w;
    } else if (g[i] - w > 0) {
      (*pg)[i] = g[i] - w;
    } else {
      (*pg)[i] = 0;
    }
  }
}

double L1Term(const std::vector<double>& x, const std::vector<double>& l1) {
  double s = 0;
  for (size_t i = 0; i < l1.size(); ++i) s += l1[i] * std::abs(x[i]);
  return s;
}

}  // namespace

Result<LbfgsResult> MinimizeLbfgs(const SmoothObjective& f, std::vector<double> x0,
                                  const LbfgsOptions& opt) {
  const size_t n = x0.size();
  if (!opt.l1.empty() && opt.l1.size() != n)
    return InvalidArgument("L-BFGS: l1 weights do not match the variables");
  std::vector<double> x = std::move(x0), g(n), pg, d(n), x_new(n), g_new(n), pg_new;
  EMBER_ASSIGN_OR_RETURN(double fx, f(x, g));
  double obj = fx + L1Term(x, opt.l1);
  std::deque<std::vector<double>> s_hist, y_hist;
  std::deque<double> rho_hist;
  LbfgsResult result;
  result.objective_history.push_back(obj);
  for (int iter = 0; iter < opt.max_iter; ++iter) {
    PseudoGradient(x, g, opt.l1, &pg);
    const double pg_norm = std::sqrt(Dot(pg, pg));
    if (pg_norm <= 1e-12) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: d = -H * pg.
    d = pg;
    std::vector<double> alpha(s_hist.size());
    for (size_t k = s_hist.size(); k-- > 0;) {
      alpha[k] = rho_hist[k] * Dot(s_hist[k], d);
      for (size_t i = 0; i < n; ++i) d[i] -= alpha[k] * y_hist[k][i];
    }
    double gamma = 1.0;
    if (!s_hist.empty())
      gamma = Dot(s_hist.back(), y_hist.back()) / Dot(y_hist.back(), y_hist.back());
    else
      gamma = 1.0 / pg_norm;  // first step of length 1
    for (size_t i = 0; i < n; ++i) d[i] *= gamma;
    for (size_t k = 0; k < s_hist.size(); ++k) {
      const double beta = rho_hist[k] * Dot(y_hist[k], d);
      for (size_t i = 0; i < n; ++i) d[i] += s_hist[k][i] * (alpha[k] - beta);
    }
    for (size_t i = 0; i < n; ++i) d[i] = -d[i];
    if (!opt.l1.empty()) {
      // Keep the direction in the orthant the pseudo-gradient points to, on the coordinates
      // with an L1 term (an unpenalised intercept keeps its quasi-Newton step).
      for (size_t i = 0; i < n; ++i) {
        if (opt.l1[i] > 0 && d[i] * pg[i] >= 0) d[i] = 0;
      }
    }
    double dir_deriv = Dot(d, pg);
    if (dir_deriv >= 0) {  // not a descent direction: restart from steepest descent
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
      for (size_t i = 0; i < n; ++i) d[i] = -pg[i] / pg_norm;
      dir_deriv = Dot(d, pg);
    }
    // Backtracking line search (Armijo), projecting onto the orthant for OWL-QN.
    double step = 1.0, new_obj = 0, fx_new = 0;
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls) {
      for (size_t i = 0; i < n; ++i) {
        x_new[i] = x[i] + step * d[i];
        if (!opt.l1.empty() && opt.l1[i] > 0) {
          const double orthant = x[i] != 0 ? x[i] : -pg[i];
          if (x_new[i] * orthant <= 0) x_new[i] = 0;
        }
      }
      EMBER_ASSIGN_OR_RETURN(fx_new, f(x_new, g_new));
      new_obj = fx_new + L1Term(x_new, opt.l1);
      double decrease = 0;
      for (size_t i = 0; i < n; ++i) decrease += pg[i] * (x_new[i] - x[i]);
      if (std::isfinite(new_obj) && new_obj <= obj + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    result.iterations = iter + 1;
    if (!accepted) {
      result.converged = true;  // no further progress is possible at machine precision
      break;
    }
    std::vector<double> s(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      s[i] = x_new[i] - x[i];
      y[i] = g_new[i] - g[i];
    }
    const double sy = Dot(s, y);
    if (sy > 1e-12) {
      s_hist.push_back(std::move(s));
      y_hist.push_back(std::move(y));
      rho_hist.push_back(1.0 / sy);
      if (static_cast<int>(s_hist.size()) > opt.history) {
        s_hist.pop_front();
        y_hist.pop_front();
        rho_hist.pop_front();
      }
    }
    const double rel = std::abs(obj - new_obj) / std::max({std::abs(obj), std::abs(new_obj), 1.0});
    x.swap(x_new);
    g.swap(g_new);
    obj = new_obj;
    result.objective_history.push_back(obj);
    // A small decrease after a shortened step says little about being near the optimum
    // (slow progress on an ill-conditioned problem); only trust full-size steps, or a step
    // that changed nothing at machine precision (a kink of a non-smooth loss, the hinge).
    if (rel < opt.tol && (step == 1.0 || rel == 0)) {
      result.converged = true;
      break;
    }
  }
  result.x = std::move(x);
  result.objective = obj;
  return result;
}

}  // namespace ember
