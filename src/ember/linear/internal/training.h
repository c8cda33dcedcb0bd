// Pieces shared by the linear estimators: binding the features / label / weight columns,
// summing per-partition accumulators over partitions and ranks, per-row checks, and the
// feature scaling that SparkML's standardization uses. Internal to linear/.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/linear/lbfgs.h"

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
using RowTerms =
    std::function<Status(std::span<const double> x, const Batch& b, std::span<double> acc)>;
Result<LbfgsResult> FitRegularized(const DataFrame& in, const ExecContext& ctx, double weight_sum,
                                   const std::vector<double>& l2, const std::vector<double>& l1,
                                   std::vector<double> x0, int max_iter, double tol,
                                   const RowTerms& row_terms);

}  // namespace ember::linear::internal
