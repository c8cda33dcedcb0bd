#include "ember/stages/model_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {

namespace {
// The params both statistics stages share (their structs have the same members).
template <typename P>
ParamSpec<P> ScoringParams(const char* owner) {
  return std::move(
      ParamSpec<P>(owner)
          .Add("labelCol", &P::label_col, "The true label (class index, or value for regression).",
               NonEmpty<std::string>())
          .Add("scoresCol", &P::scores_col, "Classification: the probability vector column.")
          .Add("scoredLabelsCol", &P::scored_labels_col, "The predicted class index or value.",
               NonEmpty<std::string>())
          .AddEnum("evaluationMetric", &P::evaluation_metric,
                   {{"auto", EvaluationMetric::kAuto},
                    {"classification", EvaluationMetric::kClassification},
                    {"regression", EvaluationMetric::kRegression}},
                   "auto: classification when scoresCol exists, the prediction is nominal or "
                   "a rawPrediction vector column exists (a classifier without probabilities), "
                   "else regression."));
}
}  // namespace

const ParamSpec<ComputeModelStatisticsParams>& ComputeModelStatisticsParams::Spec() {
  static const ParamSpec<ComputeModelStatisticsParams> spec =
      ScoringParams<ComputeModelStatisticsParams>("ComputeModelStatistics");
  return spec;
}

double AreaUnderRoc(const std::vector<double>& labels, const std::vector<double>& scores) {
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = (i + 1 + j) / 2.0;  // ranks i+1 .. j
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        rank_sum += avg_rank;
        pos += 1;
      }
    }
    i = j;
  }
  const double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return NAN;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double AreaUnderPr(const std::vector<double>& labels, const std::vector<double>& scores) {
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double total_pos = 0;
  for (double l : labels) total_pos += l == 1;
  if (total_pos == 0) return NAN;
  double tp = 0, fp = 0, area = 0, prev_recall = 0, prev_precision = -1;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) {
      (labels[order[j]] == 1 ? tp : fp) += 1;
      ++j;
    }
    const double recall = tp / total_pos, precision = tp / (tp + fp);
    if (prev_precision < 0) prev_precision = precision;  // the curve starts at (0, first precision)
    area += (recall - prev_recall) * (precision + prev_precision) / 2;
    prev_recall = recall;
    prev_precision = precision;
    i = j;
  }
  return area;
}

namespace {

struct Bound {
  int label = -1, pred = -1, scores = -1;
  int num_scores = 0;  // the probability vector's size (0: no scores)
  bool classification = true;
};

Result<Bound> BindColumns(const Schema& in, const ComputeModelStatisticsParams& p) {
  Bound b;
  auto numeric = [](const DataType& t) { return t.is_numeric() || t.id() == TypeId::kBool; };
  EMBER_ASSIGN_OR_RETURN(b.label,
                         in.GetFieldIndexOfType(p.label_col, numeric, "a numeric label column"));
  EMBER_ASSIGN_OR_RETURN(
      b.pred, in.GetFieldIndexOfType(p.scored_labels_col, numeric, "a numeric prediction column"));
  const bool has_scores = !p.scores_col.empty() && in.FindField(p.scores_col) >= 0;
  // A classifier without probabilities (LinearSVC) still has class predictions: nominal
  // ones (its label's values), or SparkML's raw scores beside them.
  const int raw = in.FindField("rawPrediction");
  const bool class_predictions = NominalValues(in.field(b.pred)).has_value() ||
                                 (raw >= 0 && in.field(raw).type->id() == TypeId::kVector);
  b.classification =
      p.evaluation_metric == EvaluationMetric::kClassification ||
      (p.evaluation_metric == EvaluationMetric::kAuto && (has_scores || class_predictions));
  // Under auto a classifier without probabilities is scored without them (no AUC, log loss).
  if (b.classification && !p.scores_col.empty() &&
      (has_scores || p.evaluation_metric == EvaluationMetric::kClassification)) {
    EMBER_ASSIGN_OR_RETURN(
        b.scores, in.GetFieldIndexOfType(
                      p.scores_col, [](const DataType& t) { return t.id() == TypeId::kVector; },
                      "a probability vector column"));
    b.num_scores = static_cast<int>(in.field(b.scores).type->vector_size());
  }
  return b;
}

SchemaPtr MetricsSchema(bool classification) {
  std::vector<Field> f = {MakeField("evaluation_type", StringType())};
  const char* names[] = {"accuracy",
                         "precision",
                         "recall",
                         "f1",
                         "AUC",
                         "AUPR",
                         "log_loss",
                         "macro_f1",
                         "weighted_f1",
                         "weighted_precision",
                         "weighted_recall",
                         "weighted_AUC"};
  if (classification) {
    for (const char* n : names) f.push_back(MakeField(n, Float64Type()));
    for (const char* n : {"precision_by_class", "recall_by_class", "f1_by_class", "AUC_by_class"})
      f.push_back(MakeField(n, ListType(Float64Type())));
    f.push_back(MakeField("confusion_matrix", ListType(ListType(Int64Type()))));
  } else {
    for (const char* n :
         {"mean_squared_error", "root_mean_squared_error", "mean_absolute_error", "R^2"}) {
      f.push_back(MakeField(n, Float64Type()));
    }
  }
  return *Schema::Make(std::move(f));
}

// Per row: label, prediction, P(label) (NaN without scores), then the num_scores class
// probabilities: RowWidth(num_scores) values.
int RowWidth(int num_scores) { return 3 + num_scores; }

Status CollectRows(const Batch& b, const Bound& x, const std::string& label_col,
                   std::vector<double>* rows) {
  const Column& lc = *b.column(x.label);
  const Column& pc = *b.column(x.pred);
  const Column* sc = x.scores >= 0 ? b.column(x.scores).get() : nullptr;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    if (lc.IsNull(r) || pc.IsNull(r) || (sc && sc->IsNull(r)))
      continue;  // unscored rows are not counted
    const double y = NumericValue(lc, r);
    double p_label = NAN;
    const size_t at = rows->size();
    rows->insert(rows->end(), static_cast<size_t>(RowWidth(x.num_scores)), 0.0);
    if (sc) {
      const int64_t k = sc->type()->vector_size();
      auto prob = [&](int64_t c) -> double {
        if (c < 0 || c >= k) return 0.0;
        if (!sc->type()->sparse()) return sc->DenseRow(r)[c];
        auto idx = sc->SparseIndices(r);
        auto it = std::lower_bound(idx.begin(), idx.end(), static_cast<int32_t>(c));
        return (it != idx.end() && *it == c) ? sc->SparseValues(r)[it - idx.begin()] : 0.0;
      };
      if (std::floor(y) != y || y < 0) {
        return InvalidArgument("ComputeModelStatistics: label " + std::to_string(y) +
                               " in column '" + label_col + "' is not a class index");
      }
      p_label = prob(static_cast<int64_t>(y));
      for (int64_t c = 0; c < k; ++c) (*rows)[at + 3 + c] = prob(c);
    }
    (*rows)[at] = y;
    (*rows)[at + 1] = NumericValue(pc, r);
    (*rows)[at + 2] = p_label;
  }
  return Status::OK();
}

// A list<double> column of one row (NaN as a null entry).
ColumnPtr DoubleList(const std::vector<double>& values) {
  ListBuilder b(ListType(Float64Type()));
  b.Append();
  auto* v = static_cast<NumericBuilder<double>*>(b.value_builder());
  for (double x : values) {
    if (std::isnan(x)) {
      v->AppendNull();
    } else {
      v->Append(x);
    }
  }
  return b.Finish();
}

// The mean of the defined (not NaN) values weighted by `weights` (all 1: the plain mean).
double Average(const std::vector<double>& values, const std::vector<double>& weights) {
  double sum = 0, total = 0;
  for (size_t c = 0; c < values.size(); ++c) {
    if (std::isnan(values[c])) continue;
    sum += values[c] * weights[c];
    total += weights[c];
  }
  return total > 0 ? sum / total : NAN;
}

Result<Batch> Metrics(const std::vector<double>& rows, bool classification, int num_scores) {
  const int width = RowWidth(num_scores);
  const size_t n = rows.size() / width;
  SchemaPtr schema = MetricsSchema(classification);
  std::vector<ColumnPtr> cols;
  auto add = [&](double v) {
    cols.push_back(MakeColumn<double>({std::isnan(v) ? std::nullopt : std::optional(v)}));
  };
  if (!classification) {
    cols.push_back(MakeColumn<std::string>({"Regression"}));
    double se = 0, ae = 0, mean = 0;
    for (size_t i = 0; i < n; ++i) mean += rows[i * width] / n;
    double tot = 0;
    for (size_t i = 0; i < n; ++i) {
      const double y = rows[i * width], d = rows[i * width + 1] - y;
      se += d * d;
      ae += std::abs(d);
      tot += (y - mean) * (y - mean);
    }
    add(n ? se / n : NAN);
    add(n ? std::sqrt(se / n) : NAN);
    add(n ? ae / n : NAN);
    add(tot > 0 ? 1 - se / tot : NAN);
    return Batch::Make(schema, std::move(cols));
  }
  int k = std::max(2, num_scores);
  for (size_t i = 0; i < n; ++i) {
    k = std::max(
        {k, static_cast<int>(rows[i * width]) + 1, static_cast<int>(rows[i * width + 1]) + 1});
  }
  std::vector<std::vector<int64_t>> cm(k, std::vector<int64_t>(k, 0));
  double log_loss = 0;
  const bool have_scores = n > 0 && num_scores > 0;
  for (size_t i = 0; i < n; ++i) {
    const double* row = &rows[i * width];
    const int y = static_cast<int>(row[0]), p = static_cast<int>(row[1]);
    if (p < 0 || row[1] != p)
      return InvalidArgument("ComputeModelStatistics: prediction " + std::to_string(row[1]) +
                             " is not a class index");
    ++cm[y][p];
    log_loss -= std::log(std::clamp(row[2], 1e-15, 1.0));
  }
  double correct = 0;
  for (int c = 0; c < k; ++c) correct += cm[c][c];
  // Per class (one against the rest): precision, recall, F1, and with scores the AUC and
  // AUPR of the class's probability. Undefined values (no prediction of the class, no row
  // of it) are NaN and left out of the averages.
  std::vector<double> precision(k), recall(k), f1(k), auc(k, NAN), aupr(k, NAN), support(k);
  std::vector<double> ones(k, 1.0);
  for (int c = 0; c < k; ++c) {
    double tp = cm[c][c], pred = 0, actual = 0;
    for (int j = 0; j < k; ++j) {
      pred += cm[j][c];
      actual += cm[c][j];
    }
    support[c] = actual;
    precision[c] = pred ? tp / pred : NAN;
    recall[c] = actual ? tp / actual : NAN;
    const double pr = std::isnan(precision[c]) ? 0 : precision[c];
    const double rc = std::isnan(recall[c]) ? 0 : recall[c];
    f1[c] = pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0;
    if (have_scores && c < num_scores && actual > 0 && actual < static_cast<double>(n)) {
      std::vector<double> is_c(n), score(n);
      for (size_t i = 0; i < n; ++i) {
        is_c[i] = rows[i * width] == c ? 1.0 : 0.0;
        score[i] = rows[i * width + 3 + c];
      }
      auc[c] = AreaUnderRoc(is_c, score);
      aupr[c] = AreaUnderPr(is_c, score);
    }
  }
  const bool binary = k == 2;
  cols.push_back(MakeColumn<std::string>(
      {binary ? "Classification (binary)" : "Classification (multiclass)"}));
  add(n ? correct / n : NAN);
  // Binary: of the positive class (1); multiclass: the macro averages over the classes.
  add(binary ? precision[1] : Average(precision, ones));
  add(binary ? recall[1] : Average(recall, ones));
  add(binary ? f1[1] : Average(f1, ones));
  add(binary ? auc[1] : Average(auc, ones));
  add(binary ? aupr[1] : Average(aupr, ones));
  add(have_scores ? log_loss / n : NAN);
  add(n ? Average(f1, ones) : NAN);
  add(n ? Average(f1, support) : NAN);
  add(Average(precision, support));
  add(Average(recall, support));
  add(Average(auc, support));
  for (const auto* v : {&precision, &recall, &f1, &auc}) cols.push_back(DoubleList(*v));
  ListBuilder outer(ListType(ListType(Int64Type())));
  outer.Append();
  auto* inner = static_cast<ListBuilder*>(outer.value_builder());
  for (int r = 0; r < k; ++r) {
    inner->Append();
    for (int c = 0; c < k; ++c)
      static_cast<Int64Builder*>(inner->value_builder())->Append(cm[r][c]);
  }
  cols.push_back(outer.Finish());
  return Batch::Make(schema, std::move(cols));
}

}  // namespace

Result<std::shared_ptr<const ComputeModelStatistics>> ComputeModelStatistics::Make(
    Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const ComputeModelStatistics>(
      new ComputeModelStatistics(std::move(p), std::move(uid)));
}

Result<std::unique_ptr<BoundTransform>> ComputeModelStatistics::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(Bound x, BindColumns(in, params_));
  SchemaPtr out = MetricsSchema(x.classification);
  const std::string label_col = params_.label_col;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [x, label_col](const Batch& b) -> Result<Batch> {
        std::vector<double> rows;
        EMBER_RETURN_IF_ERROR(CollectRows(b, x, label_col, &rows));
        return Metrics(rows, x.classification, x.num_scores);
      }));
}

Result<DataFrame> ComputeModelStatistics::Transform(const DataFrame& in,
                                                    const ExecContext& ctx) const {
  Result<Bound> bound = BindColumns(*in.schema(), params_);
  if (!bound.ok()) return bound.status().WithContext(Describe());
  std::vector<double> rows;
  for (const Batch& b : in.partitions())
    EMBER_RETURN_IF_ERROR(CollectRows(b, *bound, params_.label_col, &rows));
  if (ctx.comm && ctx.comm->size() > 1) {
    EMBER_ASSIGN_OR_RETURN(
        rows, AllGatherDoubles(*ctx.comm, rows, Deadline::In(std::chrono::minutes(30))));
  }
  EMBER_ASSIGN_OR_RETURN(Batch metrics, Metrics(rows, bound->classification, bound->num_scores));
  return DataFrame::FromBatch(std::move(metrics));
}

// ComputePerInstanceStatistics ---------------------------------------------------------------

const ParamSpec<ComputePerInstanceStatisticsParams>& ComputePerInstanceStatisticsParams::Spec() {
  static const ParamSpec<ComputePerInstanceStatisticsParams> spec =
      ScoringParams<ComputePerInstanceStatisticsParams>("ComputePerInstanceStatistics");
  return spec;
}

Result<std::shared_ptr<const ComputePerInstanceStatistics>> ComputePerInstanceStatistics::Make(
    Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const ComputePerInstanceStatistics>(
      new ComputePerInstanceStatistics(std::move(p), std::move(uid)));
}

Result<std::unique_ptr<BoundTransform>> ComputePerInstanceStatistics::Bind(const Schema& in) const {
  const ComputeModelStatisticsParams common{params_.label_col, params_.scores_col,
                                            params_.scored_labels_col, params_.evaluation_metric};
  EMBER_ASSIGN_OR_RETURN(Bound x, BindColumns(in, common));
  if (x.classification && x.scores < 0) {
    return InvalidArgument(
        "ComputePerInstanceStatistics param 'scoresCol': classification needs the probability "
        "column");
  }
  std::vector<Field> fields = in.fields();
  const std::vector<std::string> names = x.classification
                                             ? std::vector<std::string>{"log_loss"}
                                             : std::vector<std::string>{"L1_loss", "L2_loss"};
  for (const auto& n : names) {
    if (in.FindField(n) >= 0) return AlreadyExists("output column '" + n + "' already exists");
    fields.push_back(MakeField(n, Float64Type()));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  const std::string label_col = params_.label_col;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, x, label_col](const Batch& b) -> Result<Batch> {
        const Column& label = *b.column(x.label);
        const Column& pred = *b.column(x.pred);
        NumericBuilder<double> first(Float64Type()), second(Float64Type());
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (x.classification) {
            const Column& scores = *b.column(x.scores);
            if (label.IsNull(r) || scores.IsNull(r)) {
              first.AppendNull();
              continue;
            }
            const double y = NumericValue(label, r);
            const int64_t k = static_cast<int64_t>(y);
            if (!(y >= 0) || static_cast<double>(k) != y || k >= scores.type()->vector_size()) {
              return InvalidArgument(
                  "ComputePerInstanceStatistics: label " + FormatValue(label, r) + " in column '" +
                  label_col + "' is not a class of the " +
                  std::to_string(scores.type()->vector_size()) + "-class probability vector");
            }
            double p = 0;
            ForEachVectorEntry(scores, r, [&](int64_t i, double v) {
              if (i == k) p = v;
            });
            first.Append(-std::log(std::max(p, 1e-15)));
          } else {
            if (label.IsNull(r) || pred.IsNull(r)) {
              first.AppendNull();
              second.AppendNull();
              continue;
            }
            const double d = NumericValue(label, r) - NumericValue(pred, r);
            first.Append(std::fabs(d));
            second.Append(d * d);
          }
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(first.Finish());
        if (!x.classification) cols.push_back(second.Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

}  // namespace ember
