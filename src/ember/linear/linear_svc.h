// LinearSVC (an Estimator) and LinearSVCModel, with SparkML's params and objective: a binary
// linear support vector machine minimising
//   (1/W) sum_i w_i max(0, 1 - y_i (x_i b + b0)) + regParam / 2 ||b||^2,   y_i in {-1, +1},
// for labels 0 and 1 (any other label is an error naming it), the penalty on standardised
// coefficients when `standardization` is on (the default) and the intercept unpenalised.
// Fitted as SparkML does, with L-BFGS on the hinge loss (a subgradient where the loss has a
// kink), on per-partition sums combined over ranks. The model outputs rawPrediction
// [-m, m] with m the margin, and prediction 1 when m > threshold (default 0); SVMs have no
// probability. Immutable and thread-safe.
#pragma once

#include <optional>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct LinearSVCParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  std::string raw_prediction_col = "rawPrediction";
  int32_t max_iter = 100;
  double reg_param = 0.0;
  double tol = 1e-6;
  bool fit_intercept = true;
  bool standardization = true;
  double threshold = 0.0;
  int32_t aggregation_depth = 2;      // a Spark tree-aggregation hint: accepted, changes nothing
  double max_block_size_in_mb = 0.0;  // likewise
  static const ParamSpec<LinearSVCParams>& Spec();
};

class LinearSVCModel final : public StageBase<LinearSVCModel, Transformer, LinearSVCParams> {
 public:
  static constexpr std::string_view kTypeName = "LinearSVCModel";
  // `labels`: the label column's nominal values, put on the prediction (empty: none).
  static Result<std::shared_ptr<const LinearSVCModel>> Make(
      Params params, std::vector<double> coefficients, double intercept, std::string uid = {},
      std::optional<TrainingSummary> summary = {}, std::vector<std::string> labels = {});
  static Result<std::shared_ptr<const LinearSVCModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<double>& coefficients() const { return coefficients_; }
  double intercept() const { return intercept_; }
  const TrainingSummary* training_summary() const override {
    return summary_ ? &*summary_ : nullptr;
  }

 private:
  LinearSVCModel(Params p, std::vector<double> coef, double icpt, std::string uid,
                 std::optional<TrainingSummary> summary, std::vector<std::string> labels)
      : StageBase(std::move(p), std::move(uid)),
        coefficients_(std::move(coef)),
        intercept_(icpt),
        summary_(std::move(summary)),
        labels_(std::move(labels)) {}
  std::vector<double> coefficients_;
  double intercept_;
  std::optional<TrainingSummary> summary_;
  std::vector<std::string> labels_;
};

class LinearSVC final : public StageBase<LinearSVC, Estimator, LinearSVCParams> {
 public:
  static constexpr std::string_view kTypeName = "LinearSVC";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterLinearSVCStages(StageRegistry* registry);

}  // namespace ember
