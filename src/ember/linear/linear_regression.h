// LinearRegression (an Estimator) and its model, with SparkML's params: least squares with
// L2, L1 or elastic-net regularisation, instance weights, standardisation and an
// unpenalised intercept, fitted with L-BFGS / OWL-QN on per-partition gradients combined
// through the communicator. The objective is
//   (1/(2W)) sum_i w_i (y_i - x_i b - b0)^2 + regParam ((1 - a)/2 ||b||^2 + a ||b||_1),
// which is scikit-learn's Ridge (alpha = regParam * n) and ElasticNet (alpha = regParam,
// l1_ratio = a). Unlike SparkML it does not rescale the label by its standard deviation
// before regularising. Immutable and thread-safe.
#pragma once

#include <optional>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct LinearRegressionParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  int32_t max_iter = 100;
  double reg_param = 0.0;
  double elastic_net_param = 0.0;
  double tol = 1e-6;
  bool fit_intercept = true;
  bool standardization = true;
  static const ParamSpec<LinearRegressionParams>& Spec();
};

class LinearRegressionModel final
    : public StageBase<LinearRegressionModel, Transformer, LinearRegressionParams> {
 public:
  static constexpr std::string_view kTypeName = "LinearRegressionModel";
  static Result<std::shared_ptr<const LinearRegressionModel>> Make(
      Params params, std::vector<double> coefficients, double intercept, std::string uid = {},
      std::optional<TrainingSummary> summary = {});
  static Result<std::shared_ptr<const LinearRegressionModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<double>& coefficients() const { return coefficients_; }
  double intercept() const { return intercept_; }
  const TrainingSummary* training_summary() const override {
    return summary_ ? &*summary_ : nullptr;
  }

 private:
  LinearRegressionModel(Params p, std::vector<double> coef, double icpt, std::string uid,
                        std::optional<TrainingSummary> summary)
      : StageBase(std::move(p), std::move(uid)),
        coefficients_(std::move(coef)),
        intercept_(icpt),
        summary_(std::move(summary)) {}
  std::vector<double> coefficients_;
  double intercept_;
  std::optional<TrainingSummary> summary_;
};

class LinearRegression final
    : public StageBase<LinearRegression, Estimator, LinearRegressionParams> {
 public:
  static constexpr std::string_view kTypeName = "LinearRegression";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
