#include "ember/pipeline/classifier_outputs.h"

#include <algorithm>
#include <cmath>

#include "ember/core/builder.h"

namespace ember {

double LogisticOutputs(const double* margins, int num_margins, double threshold, double* raw,
                       double* prob) {
  if (num_margins == 1) {  // binary: one margin
    const double margin = margins[0];
    raw[0] = -margin;
    raw[1] = margin;
    prob[1] = 1.0 / (1.0 + std::exp(-margin));
    prob[0] = 1.0 - prob[1];
    return prob[1] > threshold ? 1.0 : 0.0;
  }
  double mx = margins[0];
  for (int c = 1; c < num_margins; ++c) mx = std::max(mx, margins[c]);
  double z = 0;
  for (int c = 0; c < num_margins; ++c) z += std::exp(margins[c] - mx);
  int best = 0;
  for (int c = 0; c < num_margins; ++c) {
    raw[c] = margins[c];
    prob[c] = std::exp(margins[c] - mx) / z;
    if (margins[c] > margins[best]) best = c;
  }
  return best;
}

double VoteOutputs(const double* margins, int num_margins, const VoteLink& link, double threshold,
                   double* raw, double* prob) {
  auto fraction = [&link](double m) { return std::clamp(link.prior + link.hessian * m, 0.0, 1.0); };
  double prediction = 0;
  if (num_margins == 1) {
    prob[1] = fraction(margins[0]);
    prob[0] = 1.0 - prob[1];
    prediction = prob[1] > threshold ? 1.0 : 0.0;
  } else {
    double sum = 0;
    for (int c = 0; c < num_margins; ++c) sum += prob[c] = fraction(margins[c]);
    int best = 0;
    for (int c = 0; c < num_margins; ++c) {
      prob[c] = sum > 0 ? prob[c] / sum : 1.0 / num_margins;
      if (prob[c] > prob[best]) best = c;
    }
    prediction = best;
  }
  const int classes = num_margins == 1 ? 2 : num_margins;
  for (int c = 0; c < classes; ++c) raw[c] = link.trees * prob[c];
  return prediction;
}

double ThresholdedPrediction(const double* prob, const std::vector<double>& thresholds) {
  int best = 0;
  double best_score = -1;
  for (size_t c = 0; c < thresholds.size(); ++c) {
    const double s = thresholds[c] == 0 ? INFINITY : prob[c] / thresholds[c];
    if (s > best_score) {
      best_score = s;
      best = static_cast<int>(c);
    }
  }
  return best;
}

Result<SchemaPtr> ClassifierOutputSchema(const Schema& in, const std::string& raw_col,
                                         const std::string& prob_col, const std::string& pred_col,
                                         int k, const std::vector<std::string>& labels) {
  std::vector<Field> fields = in.fields();
  for (const auto& [name, type] : {std::pair<std::string, TypePtr>{raw_col, DenseVectorType(k)},
                                   {prob_col, DenseVectorType(k)},
                                   {pred_col, Float64Type()}}) {
    if (name.empty()) continue;
    if (in.FindField(name) >= 0)
      return AlreadyExists("output column '" + name + "' already exists");
    fields.push_back(MakeField(name, type));
    if (name == pred_col && !labels.empty()) SetNominalValues(&fields.back(), labels);
  }
  return Schema::Make(std::move(fields), in.metadata());
}

ClassifierOutputs::ClassifierOutputs(int64_t rows, int classes) : rows_(rows), classes_(classes) {
  raw_buf_.ResizeUninitialized(rows * classes * 8);
  prob_buf_.ResizeUninitialized(rows * classes * 8);
  pred_buf_.ResizeUninitialized(rows * 8);
  raw_ = raw_buf_.mutable_data_as<double>();
  prob_ = prob_buf_.mutable_data_as<double>();
  pred_ = pred_buf_.mutable_data_as<double>();
}

ColumnPtr ClassifierOutputs::TakeRaw(const Column* features) {
  return DenseVectorColumnFromBuffers(classes_, rows_, raw_buf_.Finish(),
                                      features ? CopyValidity(*features) : nullptr,
                                      features ? features->null_count() : 0);
}

ColumnPtr ClassifierOutputs::TakeProbability(const Column* features) {
  return DenseVectorColumnFromBuffers(classes_, rows_, prob_buf_.Finish(),
                                      features ? CopyValidity(*features) : nullptr,
                                      features ? features->null_count() : 0);
}

ColumnPtr ClassifierOutputs::TakePrediction(const Column* features) {
  return NumericColumnFromBuffers(Float64Type(), rows_, pred_buf_.Finish(),
                                  features ? CopyValidity(*features) : nullptr,
                                  features ? features->null_count() : 0);
}

void ClassifierOutputs::AppendColumns(const std::string& raw_col, const std::string& prob_col,
                                      const std::string& pred_col, const Column& features,
                                      std::vector<ColumnPtr>* cols) {
  if (!raw_col.empty()) cols->push_back(TakeRaw(&features));
  if (!prob_col.empty()) cols->push_back(TakeProbability(&features));
  if (!pred_col.empty()) cols->push_back(TakePrediction(&features));
}

}  // namespace ember
