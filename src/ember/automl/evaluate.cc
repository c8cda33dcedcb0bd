#include "ember/automl/evaluate.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/pipeline.h"
#include "ember/stages/string_indexer.h"

namespace ember {

namespace {

struct MetricName {
  const char* name;
  const char* column;
  EvaluationMetric kind;
  bool larger_is_better;
  std::vector<const char*> aliases;
};

const std::vector<MetricName>& MetricNames() {
  constexpr auto kC = EvaluationMetric::kClassification;
  constexpr auto kR = EvaluationMetric::kRegression;
  static const std::vector<MetricName> names = {
      {"AUC", "AUC", kC, true, {"areaUnderROC", "roc_auc"}},
      {"AUPR", "AUPR", kC, true, {"areaUnderPR", "average_precision"}},
      {"accuracy", "accuracy", kC, true, {}},
      {"precision", "precision", kC, true, {}},
      {"recall", "recall", kC, true, {}},
      {"f1", "f1", kC, true, {}},
      {"log_loss", "log_loss", kC, false, {"logLoss", "neg_log_loss"}},
      {"macro_f1", "macro_f1", kC, true, {"f1_macro"}},
      {"weighted_f1", "weighted_f1", kC, true, {"f1_weighted", "weightedFMeasure"}},
      {"weighted_precision", "weighted_precision", kC, true, {"weightedPrecision"}},
      {"weighted_recall", "weighted_recall", kC, true, {"weightedRecall"}},
      {"weighted_AUC", "weighted_AUC", kC, true, {"roc_auc_ovr_weighted"}},
      {"mse", "mean_squared_error", kR, false, {"mean_squared_error"}},
      {"rmse", "root_mean_squared_error", kR, false, {"root_mean_squared_error"}},
      {"mae", "mean_absolute_error", kR, false, {"mean_absolute_error"}},
      {"r2", "R^2", kR, true, {"R^2"}},
  };
  return names;
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

SelectionMetric ToMetric(const MetricName& m) {
  return {m.name, m.column, m.kind, m.larger_is_better};
}

// Whether column `label` of `scored` is already a class index of the prediction's space: the
// output of a StringIndexer (nominal values recorded on it).
bool IsIndexedLabel(const Schema& scored, const std::string& label) {
  const int i = scored.FindField(label);
  return i >= 0 && scored.field(i).type->is_numeric() && NominalValues(scored.field(i));
}

// Adds a float64 column `name` with the index of each row's `label` in `labels` (null when
// the label is null or unknown; those rows are not scored). Values are matched by the text
// StringIndexer indexes them by (so numeric labels 0/1 match the labels "0"/"1").
Result<DataFrame> IndexLabels(const DataFrame& in, const std::string& label,
                              const std::vector<std::string>& labels, const std::string& name,
                              int64_t* unknown) {
  std::unordered_map<std::string, double> index;
  for (size_t i = 0; i < labels.size(); ++i) index.emplace(labels[i], static_cast<double>(i));
  const int col = in.schema()->FindField(label);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, in.schema()->AddField(MakeField(name, Float64Type())));
  std::vector<Batch> parts;
  std::string buf;
  for (const Batch& b : in.partitions()) {
    NumericBuilder<double> idx(Float64Type());
    const Column& c = *b.column(col);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      auto it = c.IsNull(r) ? index.end() : index.find(std::string(LabelText(c, r, &buf)));
      if (it == index.end()) {
        idx.AppendNull();
        *unknown += c.IsValid(r);
      } else {
        idx.Append(it->second);
      }
    }
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(idx.Finish());
    EMBER_ASSIGN_OR_RETURN(Batch nb, Batch::Make(schema, std::move(cols), b.num_rows()));
    parts.push_back(std::move(nb));
  }
  return DataFrame::Make(schema, std::move(parts));
}

// `scored` with the input's column `label` beside the scores, when the pipeline left it out
// but kept the input's rows in place (same partitions, same row counts); an error saying
// why otherwise.
Result<DataFrame> WithInputLabel(const DataFrame& scored, const DataFrame& input,
                                 const std::string& label) {
  const int col = input.schema()->FindField(label);
  bool aligned = scored.num_partitions() == input.num_partitions();
  for (int i = 0; aligned && i < scored.num_partitions(); ++i)
    aligned = scored.partition(i).num_rows() == input.partition(i).num_rows();
  if (!aligned) {
    return InvalidArgument("the model's output has no column '" + label +
                           "' and its rows are not the input's row for row (a stage drops or "
                           "reorders rows), so the label cannot be put back beside the scores; "
                           "keep '" +
                           label + "' in the pipeline's output");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, scored.schema()->AddField(input.schema()->field(col)));
  std::vector<Batch> parts;
  for (int i = 0; i < scored.num_partitions(); ++i) {
    std::vector<ColumnPtr> cols = scored.partition(i).columns();
    cols.push_back(input.partition(i).column(col));
    EMBER_ASSIGN_OR_RETURN(Batch b,
                           Batch::Make(schema, std::move(cols), scored.partition(i).num_rows()));
    parts.push_back(std::move(b));
  }
  return DataFrame::Make(schema, std::move(parts));
}

}  // namespace

Result<SelectionMetric> ParseSelectionMetric(std::string_view name) {
  std::string known;
  for (const MetricName& m : MetricNames()) {
    if (SameName(name, m.name)) return ToMetric(m);
    for (const char* a : m.aliases) {
      if (SameName(name, a)) return ToMetric(m);
    }
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  return InvalidArgument("unknown metric '" + std::string(name) + "'; known: auto, " + known);
}

SelectionMetric DefaultSelectionMetric(EvaluationMetric kind) {
  return *ParseSelectionMetric(kind == EvaluationMetric::kRegression ? "r2" : "accuracy");
}

std::optional<std::vector<std::string>> PredictionLabels(const Transformer& t,
                                                         const std::string& label) {
  if (t.type_name() == PipelineModel::kTypeName) {
    std::optional<std::vector<std::string>> from_indexer;
    for (const auto& s : static_cast<const PipelineModel&>(t).stages()) {
      if (auto labels = PredictionLabels(*s, label)) {
        if (s->type_name() != StringIndexerModel::kTypeName) return labels;
        if (!from_indexer) from_indexer = std::move(labels);
      }
    }
    return from_indexer;
  }
  if (t.type_name() == StringIndexerModel::kTypeName) {
    const auto& m = static_cast<const StringIndexerModel&>(t);
    const StringIndexerParams& p = m.params();
    if (p.input_col == label && !m.labels().empty()) return m.labels()[0];
    for (size_t k = 0; k < p.input_cols.size() && k < m.labels().size(); ++k) {
      if (p.input_cols[k] == label) return m.labels()[k];
    }
    return std::nullopt;
  }
  if (t.type_name() != "IndexToString") return std::nullopt;
  const Json params = t.ParamsJson();
  const Json* in = params.Find("inputCol");
  const Json* labels = params.Find("labels");
  if (!in || !in->is_string() || in->as_string() != "prediction" || !labels || !labels->is_array())
    return std::nullopt;
  std::vector<std::string> out;
  for (const Json& l : labels->as_array()) out.push_back(l.is_string() ? l.as_string() : l.Dump());
  return out;
}

Result<EvaluationFrame> PrepareEvaluation(const Transformer& model, const DataFrame& input,
                                          DataFrame scored, ComputeModelStatisticsParams params) {
  EvaluationFrame e;
  const std::string label = params.label_col;
  if (scored.schema()->FindField(label) < 0) {
    if (input.schema()->FindField(label) < 0) {
      return NotFound("column '" + label +
                      "' is neither in the data (columns: " + input.schema()->NamesForMessage() +
                      ") nor in the model's output (" + scored.schema()->NamesForMessage() + ")");
    }
    EMBER_ASSIGN_OR_RETURN(scored, WithInputLabel(scored, input, label));
  }
  const DataType& label_type = *scored.schema()->field(scored.schema()->FindField(label)).type;
  if (!IsIndexedLabel(*scored.schema(), label)) e.labels = PredictionLabels(model, label);
  if (!e.labels && !label_type.is_numeric() && label_type.id() != TypeId::kBool) {
    return InvalidArgument("column '" + label + "' is " + label_type.ToString() +
                           " and the model indexes no label (no StringIndexer of it, no "
                           "IndexToString from 'prediction') to map it to class indices");
  }
  if (e.labels && params.evaluation_metric != EvaluationMetric::kRegression) {
    params.label_col = "__label_index";
    EMBER_ASSIGN_OR_RETURN(
        scored, IndexLabels(scored, label, *e.labels, params.label_col, &e.unknown_labels));
  } else {
    e.labels.reset();
  }
  if (scored.schema()->FindField(params.scores_col) < 0) params.scores_col.clear();
  e.scored = std::move(scored);
  e.params = std::move(params);
  return e;
}

Result<Batch> EvaluateModel(const Transformer& model, const DataFrame& input,
                            const std::string& label, EvaluationMetric kind,
                            const ExecContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(DataFrame scored, model.Transform(input, ctx));
  ComputeModelStatisticsParams params;
  params.label_col = label;
  params.evaluation_metric = kind;
  EMBER_ASSIGN_OR_RETURN(EvaluationFrame e,
                         PrepareEvaluation(model, input, std::move(scored), std::move(params)));
  EMBER_ASSIGN_OR_RETURN(auto stats, ComputeModelStatistics::Make(e.params));
  EMBER_ASSIGN_OR_RETURN(DataFrame metrics, stats->Transform(e.scored, ctx));
  return metrics.Collect();
}

Result<double> MetricValue(const Batch& metrics, const SelectionMetric& metric) {
  const int col = metrics.schema()->FindField(metric.column);
  if (col < 0) {
    return InvalidArgument(
        "metric '" + metric.name + "' is a " +
        (metric.kind == EvaluationMetric::kRegression ? "regression" : "classification") +
        " metric, and the model is " +
        (metric.kind == EvaluationMetric::kRegression ? "a classifier" : "a regressor"));
  }
  const Column& c = *metrics.column(col);
  if (metrics.num_rows() != 1 || c.IsNull(0)) {
    return InvalidArgument("metric '" + metric.name +
                           "' is undefined on these rows (a class with no row, or no row)");
  }
  return c.Values<double>()[0];
}

}  // namespace ember
