// ComputeModelStatistics, as SynapseML's: scores a scored frame and returns one row of
// metrics. Classification (binary: accuracy, precision, recall, F1, AUC, AUPR, log loss,
// confusion matrix; multiclass: accuracy, macro and weighted F1, log loss, confusion
// matrix) or regression (MSE, RMSE, MAE, R2). On several ranks the scores of every rank are
// gathered, so every rank gets the same metrics. A frame-level stage: it is not
// partition-local. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class EvaluationMetric { kAuto, kClassification, kRegression };

struct ComputeModelStatisticsParams {
  std::string label_col = "label";
  std::string scores_col = "probability";  // classification: probability vectors
  std::string scored_labels_col = "prediction";
  EvaluationMetric evaluation_metric =
      EvaluationMetric::kAuto;  // auto: classification if scoresCol exists, the prediction
                                // is nominal, or a rawPrediction vector column exists
  static const ParamSpec<ComputeModelStatisticsParams>& Spec();
};

class ComputeModelStatistics final
    : public StageBase<ComputeModelStatistics, Transformer, ComputeModelStatisticsParams> {
 public:
  static constexpr std::string_view kTypeName = "ComputeModelStatistics";
  static Result<std::shared_ptr<const ComputeModelStatistics>> Make(Params params,
                                                                    std::string uid = {});
  // The kernel computes the metrics of one batch (streaming and serving see one batch).
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // One row of metrics over every partition (and rank).
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  ComputeModelStatistics(Params p, std::string uid) : StageBase(std::move(p), std::move(uid)) {}
};

struct ComputePerInstanceStatisticsParams {
  std::string label_col = "label";
  std::string scores_col = "probability";
  std::string scored_labels_col = "prediction";
  EvaluationMetric evaluation_metric = EvaluationMetric::kAuto;
  static const ParamSpec<ComputePerInstanceStatisticsParams>& Spec();
};

// ComputePerInstanceStatistics, as SynapseML's: per-row losses of a scored frame.
// Classification adds `log_loss` (-ln of the probability of the true class, clamped at
// 1e-15); regression adds `L1_loss` (|label - prediction|) and `L2_loss` (its square).
// Rows with a null label, prediction or scores get null losses; a label that is not a class
// of the probability vector is an error naming it. Partition-local.
class ComputePerInstanceStatistics final
    : public StageBase<ComputePerInstanceStatistics, Transformer,
                       ComputePerInstanceStatisticsParams> {
 public:
  static constexpr std::string_view kTypeName = "ComputePerInstanceStatistics";
  static Result<std::shared_ptr<const ComputePerInstanceStatistics>> Make(Params params,
                                                                          std::string uid = {});
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  ComputePerInstanceStatistics(Params p, std::string uid)
      : StageBase(std::move(p), std::move(uid)) {}
};

// Area under the ROC curve of `scores` for labels 0/1 (ties share their average rank).
double AreaUnderRoc(const std::vector<double>& labels, const std::vector<double>& scores);
// Area under the precision-recall curve, trapezoidal over distinct thresholds (as SparkML).
double AreaUnderPr(const std::vector<double>& labels, const std::vector<double>& scores);

}  // namespace ember
