// Evaluating a fitted model against a label column: what `ember eval`, TuneHyperparameters
// and FindBestModel share. A classifier's predictions are class indices of its label
// indexer; the label is mapped into the same index space through the model's own labels
// (TrainClassifier's IndexToString, or a StringIndexer of the label inside the pipeline), so
// numeric labels 0/1/2 and string labels both compare right. Thread-safe (free functions).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/pipeline/stage.h"
#include "ember/stages/model_statistics.h"

namespace ember {

// A metric that model selection ranks by: one column of ComputeModelStatistics' row.
struct SelectionMetric {
  std::string name;       // canonical: "AUC", "accuracy", "rmse", ...
  std::string column;     // ComputeModelStatistics' column
  EvaluationMetric kind;  // kClassification or kRegression
  bool larger_is_better = true;
};
// By name, case-insensitive, with SparkML's and scikit-learn's spellings as aliases:
// classification AUC (areaUnderROC, roc_auc), AUPR (areaUnderPR), accuracy, precision,
// recall, f1, log_loss, macro_f1, weighted_f1, weighted_precision, weighted_recall,
// weighted_AUC; regression mse, rmse, mae, r2. An unknown name lists the known ones.
Result<SelectionMetric> ParseSelectionMetric(std::string_view name);
// The metric "auto" stands for: accuracy for a classifier, r2 for a regressor (scikit-learn's
// default scores).
SelectionMetric DefaultSelectionMetric(EvaluationMetric kind);

// The class labels of `model`'s prediction index space, for a label column `label`: those of
// the IndexToString that maps `prediction` back to labels (TrainClassifier, or a spec that
// ends in one), else those of a StringIndexer of `label` inside the pipeline (SparkML's
// pattern). Searched through nested PipelineModels; nullopt when the pipeline indexes no
// label (then the label column is taken as class indices).
std::optional<std::vector<std::string>> PredictionLabels(const Transformer& model,
                                                         const std::string& label);

// A scored frame made ready for ComputeModelStatistics.
struct EvaluationFrame {
  DataFrame scored;
  ComputeModelStatisticsParams params;  // labelCol is the (mapped) label column of `scored`
  std::optional<std::vector<std::string>> labels;  // the classes in index order, when mapped
  int64_t unknown_labels = 0;  // rows whose label the model never saw: not scored
};
// Makes `scored` (the output of `model` on `input`) ready to evaluate against
// `params.label_col`: the label is looked for in the scored frame first (an indexed label the
// pipeline makes), then in the input (put back beside the scores when the pipeline dropped it
// and kept the rows in place; else an error saying why it cannot); a classifier's label is
// mapped to the model's class indices. An empty scoresCol that the frame lacks is cleared.
Result<EvaluationFrame> PrepareEvaluation(const Transformer& model, const DataFrame& input,
                                          DataFrame scored, ComputeModelStatisticsParams params);

// Scores `input` with `model` and returns ComputeModelStatistics' row of metrics against
// `label` (`kind`: classification, regression or auto). On several ranks every rank gets the
// same row.
Result<Batch> EvaluateModel(const Transformer& model, const DataFrame& input,
                            const std::string& label, EvaluationMetric kind,
                            const ExecContext& ctx);

// The value of `metric` in a metrics row of EvaluateModel; an error when the row is of the
// other kind (a regression metric of a classifier) or the value is undefined (AUC of a
// validation set holding one class).
Result<double> MetricValue(const Batch& metrics, const SelectionMetric& metric);

}  // namespace ember
