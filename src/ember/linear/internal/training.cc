#include "ember/linear/internal/training.h"

#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/pipeline/partition_reduce.h"

namespace ember::linear::internal {

Result<TrainingColumns> BindTrainingColumns(const Schema& in, const std::string& features,
                                            const std::string& label, const std::string& weight) {
  TrainingColumns x;
  EMBER_ASSIGN_OR_RETURN(x.features,
                         in.GetFieldIndexOfType(
                             features, [](const DataType& t) { return t.id() == TypeId::kVector; },
                             "a vector column"));
  x.d = in.field(x.features).type->vector_size();
  auto numeric = [](const DataType& t) { return t.is_numeric(); };
  if (!label.empty()) {
    EMBER_ASSIGN_OR_RETURN(x.label,
                           in.GetFieldIndexOfType(label, numeric, "a numeric label column"));
  }
  if (!label.empty() && !weight.empty()) {
    EMBER_ASSIGN_OR_RETURN(x.weight,
                           in.GetFieldIndexOfType(weight, numeric, "a numeric weight column"));
  }
  return x;
}

Result<double> RowWeight(const Batch& b, const TrainingColumns& x, int64_t r,
                         const std::string& owner, double* label) {
  const Column& lc = *b.column(x.label);
  if (lc.IsNull(r))
    return InvalidArgument(owner + ": null in label column '" + b.schema()->field(x.label).name +
                           "'");
  *label = NumericValue(lc, r);
  if (b.column(x.features)->IsNull(r)) {
    return InvalidArgument(owner + ": null in features column '" +
                           b.schema()->field(x.features).name + "'");
  }
  if (x.weight < 0) return 1.0;
  const Column& wc = *b.column(x.weight);
  const double w = wc.IsNull(r) ? -1 : NumericValue(wc, r);
  if (!(w >= 0) || !std::isfinite(w)) {
    return InvalidArgument(owner + ": weight in column '" + b.schema()->field(x.weight).name +
                           "' must be a number >= 0");
  }
  return w;
}

Result<FeatureScaling> ComputeFeatureScaling(
    const DataFrame& in, const ExecContext& ctx, const TrainingColumns& x, const std::string& owner,
    const std::function<Status(double label)>& check_label) {
  const int64_t d = x.d;
  FeatureScaling s;
  std::vector<double> s1;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, static_cast<size_t>(d) + 1, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& f = *b.column(x.features);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_ASSIGN_OR_RETURN(double w, RowWeight(b, x, r, owner, &y));
          EMBER_RETURN_IF_ERROR(check_label(y));
          acc[d] += w;
          bool finite = true;
          ForEachVectorEntry(f, r, [&](int64_t j, double v) {
            finite = finite && std::isfinite(v);
            acc[j] += w * v;
          });
          if (!finite) {
            return InvalidArgument(owner + ": NaN or infinity in features column '" +
                                   b.schema()->field(x.features).name + "'");
          }
        }
        return Status::OK();
      },
      &s1));
  s.weight_sum = s1[d];
  if (!(s.weight_sum > 0))
    return InvalidArgument(owner + ": no rows with positive weight to fit on");
  s.mean.resize(d);
  for (int64_t j = 0; j < d; ++j) s.mean[j] = s1[j] / s.weight_sum;
  std::vector<double> s2;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, static_cast<size_t>(d), ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& f = *b.column(x.features);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_ASSIGN_OR_RETURN(double w, RowWeight(b, x, r, owner, &y));
          if (f.type()->sparse()) {
            // Unstored slots are zeros: count them as (0 - mean)^2, then correct the stored ones.
            for (int64_t j = 0; j < d; ++j) acc[j] += w * s.mean[j] * s.mean[j];
            ForEachVectorEntry(f, r, [&](int64_t j, double v) {
              acc[j] += w * ((v - s.mean[j]) * (v - s.mean[j]) - s.mean[j] * s.mean[j]);
            });
          } else {
            ForEachVectorEntry(f, r, [&](int64_t j, double v) {
              acc[j] += w * (v - s.mean[j]) * (v - s.mean[j]);
            });
          }
        }
        return Status::OK();
      },
      &s2));
  s.inv_sigma.assign(d, 0.0);
  for (int64_t j = 0; j < d; ++j) {
    const double var = s.weight_sum > 1 ? s2[j] / (s.weight_sum - 1) : 0.0;
    if (var > 0) s.inv_sigma[j] = 1.0 / std::sqrt(var);
  }
  return s;
}

void PenaltyWeights(const FeatureScaling& s, double reg, double alpha, bool standardization,
                    int rows, int64_t stride, std::vector<double>* l2w, std::vector<double>* l1w) {
  const int64_t d = static_cast<int64_t>(s.inv_sigma.size());
  const double l2 = reg * (1 - alpha), l1 = reg * alpha;
  l2w->assign(static_cast<size_t>(rows * stride), 0.0);
  l1w->clear();
  if (l1 > 0) l1w->assign(static_cast<size_t>(rows * stride), 0.0);
  for (int c = 0; c < rows; ++c) {
    for (int64_t j = 0; j < d; ++j) {
      // Without standardization the penalty is on the original coefficients b = b' / sigma.
      const double factor = standardization ? 1.0 : s.inv_sigma[j];
      (*l2w)[c * stride + j] = l2 * factor * factor;
      if (l1 > 0) (*l1w)[c * stride + j] = l1 * factor;
    }
  }
}

Result<LbfgsResult> FitRegularized(const DataFrame& in, const ExecContext& ctx, double weight_sum,
                                   const std::vector<double>& l2, const std::vector<double>& l1,
                                   std::vector<double> x0, int max_iter, double tol,
                                   const RowTerms& row_terms,
                                   const std::optional<Centering>& centering) {
  const size_t nvars = x0.size();
  const int64_t d = centering ? static_cast<int64_t>(centering->scaled_mean.size()) : 0;
  // Between the two coordinates: shift each block's intercept by sign * sum_j x_j m_j.
  auto shift_intercepts = [&](std::span<double> x, double sign) {
    if (!centering) return;
    for (int c = 0; c < centering->rows; ++c) {
      double dot = 0;
      for (int64_t j = 0; j < d; ++j)
        dot += x[c * centering->stride + j] * centering->scaled_mean[j];
      x[c * centering->stride + d] += sign * dot;
    }
  };
  std::vector<double> raw(nvars);
  auto objective = [&](std::span<const double> x, std::span<double> grad) -> Result<double> {
    raw.assign(x.begin(), x.end());
    shift_intercepts(raw, -1.0);
    std::vector<double> total;
    EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
        in, ctx, nvars + 1, ReduceOp::kSum, 0.0,
        [&](const Batch& b, std::span<double> acc) { return row_terms(raw, b, acc); }, &total));
    double loss = total[nvars] / weight_sum;
    for (size_t i = 0; i < nvars; ++i) grad[i] = total[i] / weight_sum;
    if (centering) {  // chain rule: a coefficient also moves the raw intercept by -m_j
      for (int c = 0; c < centering->rows; ++c) {
        const double g_icpt = grad[c * centering->stride + d];
        for (int64_t j = 0; j < d; ++j)
          grad[c * centering->stride + j] -= g_icpt * centering->scaled_mean[j];
      }
    }
    for (size_t i = 0; i < nvars; ++i) {
      grad[i] += l2[i] * x[i];
      loss += 0.5 * l2[i] * x[i] * x[i];
    }
    return loss;
  };
  LbfgsOptions opt;
  opt.max_iter = max_iter;
  opt.tol = tol;
  opt.l1 = l1;
  shift_intercepts(x0, 1.0);
  EMBER_ASSIGN_OR_RETURN(LbfgsResult fit, MinimizeLbfgs(objective, std::move(x0), opt));
  shift_intercepts(fit.x, -1.0);
  return fit;
}

std::optional<Centering> CenteringFor(const FeatureScaling& s, int rows, bool fit_intercept) {
  if (!fit_intercept) return std::nullopt;
  Centering c;
  c.rows = rows;
  c.stride = static_cast<int64_t>(s.mean.size()) + 1;
  c.scaled_mean.resize(s.mean.size());
  for (size_t j = 0; j < s.mean.size(); ++j) c.scaled_mean[j] = s.mean[j] * s.inv_sigma[j];
  return c;
}

Result<MarginFit> FitMarginLoss(const DataFrame& in, const ExecContext& ctx,
                                const TrainingColumns& x, const std::string& owner,
                                const std::function<Status(double label)>& check_label,
                                const MarginFitOptions& o, const MarginLoss& loss) {
  EMBER_ASSIGN_OR_RETURN(FeatureScaling scaling,
                         ComputeFeatureScaling(in, ctx, x, owner, check_label));
  const int64_t d = x.d;
  const int64_t stride = d + (o.fit_intercept ? 1 : 0);
  std::vector<double> l2w, l1w;
  PenaltyWeights(scaling, o.reg_param, o.elastic_net_param, o.standardization, 1, stride, &l2w,
                 &l1w);
  const std::vector<double>& inv_sigma = scaling.inv_sigma;
  auto row_terms = [&](std::span<const double> beta, const Batch& b,
                       std::span<double> acc) -> Status {
    const Column& f = *b.column(x.features);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      double y;
      EMBER_ASSIGN_OR_RETURN(double w, RowWeight(b, x, r, owner, &y));
      if (w == 0) continue;
      double m = o.fit_intercept ? beta[d] : 0.0;
      ForEachVectorEntry(f, r, [&](int64_t j, double v) { m += beta[j] * v * inv_sigma[j]; });
      double slope = 0;
      acc[stride] += w * loss(y, m, &slope);
      if (slope == 0) continue;
      if (o.fit_intercept) acc[d] += w * slope;
      ForEachVectorEntry(f, r,
                         [&](int64_t j, double v) { acc[j] += w * slope * v * inv_sigma[j]; });
    }
    return Status::OK();
  };
  EMBER_ASSIGN_OR_RETURN(
      LbfgsResult fit,
      FitRegularized(in, ctx, scaling.weight_sum, l2w, l1w, std::vector<double>(stride, 0.0),
                     o.max_iter, o.tol, row_terms, CenteringFor(scaling, 1, o.fit_intercept)));
  MarginFit out;
  out.summary = Summarize(fit, o.max_iter, o.tol, owner, ctx);
  out.coefficients.resize(d);
  for (int64_t j = 0; j < d; ++j) out.coefficients[j] = fit.x[j] * inv_sigma[j];
  out.intercept = o.fit_intercept ? fit.x[d] : 0.0;
  return out;
}

TrainingSummary Summarize(const LbfgsResult& fit, int max_iter, double tol,
                          const std::string& owner, const ExecContext& ctx) {
  TrainingSummary s;
  s.total_iterations = fit.iterations;
  s.converged = fit.converged;
  s.max_iter = max_iter;
  s.tol = tol;
  s.objective_history = fit.objective_history;
  if (ctx.log) {
    if (fit.converged) {
      ctx.log->Info(owner + ": " + s.Describe());
    } else {
      ctx.log->Warning(owner + ": " + s.Describe() +
                       "; raise maxIter, or regParam if the classes are separable");
    }
  }
  return s;
}

Status AddEmptySummary(int from, Json* fields) {
  if (from == 1) fields->Set("trainingSummary", Json());
  return Status::OK();
}

}  // namespace ember::linear::internal
