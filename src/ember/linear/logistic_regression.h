// LogisticRegression (an Estimator) and its model, with SparkML's params and outputs:
// binomial or multinomial (softmax) logistic regression with L2, L1 or elastic-net
// regularisation (L-BFGS, or OWL-QN when there is an L1 part), instance weights,
// standardisation and an unpenalised intercept. The objective is
//   (1/W) sum_i w_i logloss_i + regParam * ((1 - a)/2 ||b||^2 + a ||b||_1),  a = elasticNetParam,
// with the penalty on standardised coefficients when standardization is on (as SparkML).
// Every data pass sums per-partition gradients and combines them through the communicator,
// so the same code fits on one or many ranks and every rank gets the same model. The model
// adds rawPrediction and probability vectors and a float64 prediction. Immutable and
// thread-safe.
#pragma once

#include <optional>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class LogisticFamily { kAuto, kBinomial, kMultinomial };

struct LogisticRegressionParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  int32_t max_iter = 100;
  double reg_param = 0.0;
  double elastic_net_param = 0.0;
  double tol = 1e-6;
  bool fit_intercept = true;
  bool standardization = true;
  LogisticFamily family = LogisticFamily::kAuto;
  double threshold = 0.5;
  static const ParamSpec<LogisticRegressionParams>& Spec();
};

class LogisticRegressionModel final
    : public StageBase<LogisticRegressionModel, Transformer, LogisticRegressionParams> {
 public:
  static constexpr std::string_view kTypeName = "LogisticRegressionModel";
  // `coefficients`: rows x num_features, row-major; rows is 1 for binomial, else numClasses.
  static Result<std::shared_ptr<const LogisticRegressionModel>> Make(
      Params params, int num_classes, int64_t num_features, std::vector<double> coefficients,
      std::vector<double> intercepts, std::string uid = {},
      std::optional<TrainingSummary> summary = {}, std::vector<std::string> labels = {});
  static Result<std::shared_ptr<const LogisticRegressionModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Fusable: see pipeline/fusion.h.
  Result<RowLowering> Lower(const Schema& in) const override;

  int num_classes() const { return num_classes_; }
  int64_t num_features() const { return num_features_; }
  const std::vector<double>& coefficients() const { return coefficients_; }
  const std::vector<double>& intercepts() const { return intercepts_; }
  const TrainingSummary* training_summary() const override {
    return summary_ ? &*summary_ : nullptr;
  }
  // The label column's nominal values when it had them in fitting (a StringIndexer's
  // labels): the prediction column carries them, so IndexToString needs no labels.
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  LogisticRegressionModel(Params p, int k, int64_t d, std::vector<double> coef,
                          std::vector<double> icpt, std::string uid,
                          std::optional<TrainingSummary> summary, std::vector<std::string> labels)
      : StageBase(std::move(p), std::move(uid)),
        num_classes_(k),
        num_features_(d),
        coefficients_(std::move(coef)),
        intercepts_(std::move(icpt)),
        summary_(std::move(summary)),
        labels_(std::move(labels)) {}
  int num_classes_;
  int64_t num_features_;
  std::vector<double> coefficients_;
  std::vector<double> intercepts_;
  std::optional<TrainingSummary> summary_;
  std::vector<std::string> labels_;
};

class LogisticRegression final
    : public StageBase<LogisticRegression, Estimator, LogisticRegressionParams> {
 public:
  static constexpr std::string_view kTypeName = "LogisticRegression";
  static Result<std::shared_ptr<const LogisticRegression>> Make(Params params,
                                                                std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  LogisticRegression(Params p, std::string uid) : StageBase(std::move(p), std::move(uid)) {}
};

Status RegisterLinearStages(StageRegistry* registry);

}  // namespace ember
