// Pieces shared by the linear estimators: binding the features / label / weight columns,
// summing per-partition accumulators over partitions and ranks, per-row checks, and the
// feature scaling that SparkML's standardization uses. Internal to linear/.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/linear/lbfgs.h"
#include "ember/pipeline/stage.h"

namespace ember::linear::internal {

struct TrainingColumns {
  int features = -1, label = -1, weight = -1;
  int64_t d = 0;  // number of features
};

// `label` empty: no label (scoring). `weight` empty: every row weighs 1.
Result<TrainingColumns> BindTrainingColumns(const Schema& in, const std::string& features,
                                            const std::string& label, const std::string& weight);

// Row r's weight after checking that label, features and weight are usable; sets *label.
// Errors name `owner` and the column.
Result<double> RowWeight(const Batch& b, const TrainingColumns& x, int64_t r,
                         const std::string& owner, double* label);

// Weighted feature means and 1 / (sample standard deviation), 0 for constant features.
struct FeatureScaling {
  double weight_sum = 0;
  std::vector<double> mean, inv_sigma;
};
Result<FeatureScaling> ComputeFeatureScaling(
    const DataFrame& in, const ExecContext& ctx, const TrainingColumns& x, const std::string& owner,
    const std::function<Status(double label)>& check_label);

// Per-coefficient L2 and L1 weights in the scaled space for `rows` blocks of `stride`
// variables (the last `stride - d` of each block, the intercept, are not penalised).
void PenaltyWeights(const FeatureScaling& s, double reg, double alpha, bool standardization,
                    int rows, int64_t stride, std::vector<double>* l2, std::vector<double>* l1);

// Minimises (1/W) * sum over rows of the per-row loss + 1/2 sum_i l2[i] x_i^2 + sum_i l1[i] |x_i|
// with L-BFGS / OWL-QN. `row_terms(x, batch, acc)` adds one partition's gradient sums to
// acc[0 .. nvars) and its loss sum to acc[nvars]; partitions and ranks are combined by
// ReduceOverPartitions, so every rank takes the same steps.
//
// With an intercept (`centering` set) the optimiser works in centered coordinates, as
// SparkML 3 does: each block's intercept is b' = b + sum_j x_j m_j with m_j the mean of the
// scaled feature j, so the steps see centered features (far better conditioned: the wine
// data's multinomial fit then converges in ~40 iterations instead of ~440) while the rows are
// still read as they are (sparse vectors stay sparse). The penalty is on the coefficients,
// which the change leaves as they are, so the optimum is the same; x0 and the result are in
// the original coordinates.
using RowTerms =
    std::function<Status(std::span<const double> x, const Batch& b, std::span<double> acc)>;
struct Centering {
  int rows = 1;                     // blocks of `stride` variables
  int64_t stride = 0;               // d coefficients then the intercept
  std::vector<double> scaled_mean;  // m_j = mean_j / sigma_j, d values
};
Result<LbfgsResult> FitRegularized(const DataFrame& in, const ExecContext& ctx, double weight_sum,
                                   const std::vector<double>& l2, const std::vector<double>& l1,
                                   std::vector<double> x0, int max_iter, double tol,
                                   const RowTerms& row_terms,
                                   const std::optional<Centering>& centering = std::nullopt);

// One linear predictor m = x b + b0 fitted on a per-row loss of (label, margin): `loss`
// returns the loss and sets *slope to its derivative in the margin (a subgradient at a
// kink). The scaling, penalty, centering and optimiser are FitRegularized's; the result is
// in the original coordinates. LinearRegression and LinearSVC are both this.
struct MarginFit {
  std::vector<double> coefficients;
  double intercept = 0;
  TrainingSummary summary;
};
struct MarginFitOptions {
  double reg_param = 0, elastic_net_param = 0;
  bool standardization = true, fit_intercept = true;
  int max_iter = 100;
  double tol = 1e-6;
};
using MarginLoss = std::function<double(double label, double margin, double* slope)>;
Result<MarginFit> FitMarginLoss(const DataFrame& in, const ExecContext& ctx,
                                const TrainingColumns& x, const std::string& owner,
                                const std::function<Status(double label)>& check_label,
                                const MarginFitOptions& options, const MarginLoss& loss);

// The centering of `rows` blocks with an intercept each, from the scaling (null without an
// intercept: nothing absorbs the shift).
std::optional<Centering> CenteringFor(const FeatureScaling& s, int rows, bool fit_intercept);

// The model's training summary from the optimiser's result; logs a warning on ctx.log that
// names `owner` when the fit stopped at max_iter.
TrainingSummary Summarize(const LbfgsResult& fit, int max_iter, double tol,
                          const std::string& owner, const ExecContext& ctx);

// The learned-state upgrade of both linear models from version 1 (no summary) to 2: the
// summary is null (LogisticRegressionModel also adds its labels, in its own hook).
Status AddEmptySummary(int from, Json* fields);

}  // namespace ember::linear::internal
