// The outputs of a probabilistic classifier in SparkML's layout: rawPrediction and
// probability as dense vectors of the class count, prediction as a float64 class index.
// Written in place row by row, then made into columns; shared by every classifier (and the
// serving's compiled scorer) so that their outputs are computed the same way.
#pragma once

#include <string>
#include <vector>

#include "ember/core/buffer.h"
#include "ember/core/column.h"
#include "ember/core/schema.h"

namespace ember {

// A classifier's outputs for one row from its margins: `num_margins` is 1 for a binary
// model (one margin m: raw [-m, m], probability [1 - p, p] with p the logistic of m) or the
// class count (raw = the margins, probability their softmax). Writes `raw` and `prob` (the
// class count of values each) and returns the prediction: for a binary model 1 when
// p > threshold, else the most probable class (the first on ties).
double LogisticOutputs(const double* margins, int num_margins, double threshold, double* raw,
                       double* prob);

// A forest's link from margins to class fractions: trees grown in one round from a uniform
// prior with a constant hessian hold (fraction - prior) / hessian in their leaves, so the
// averaged margin m_c of class c gives the mean class fraction prior + hessian * m_c.
struct VoteLink {
  double prior = 0.5;     // 1 / classes
  double hessian = 0.25;  // the constant hessian the trees were grown with
  double trees = 1;       // raw outputs are the fractions summed over this many trees
};

// A forest's outputs for one row (Spark's RandomForestClassificationModel): probability the
// mean class fractions over the trees (clamped to [0, 1] and summing to 1), raw `trees`
// times it; the prediction as LogisticOutputs gives it (binary: p > threshold).
double VoteOutputs(const double* margins, int num_margins, const VoteLink& link, double threshold,
                   double* raw, double* prob);

// With per-class thresholds (SparkML's `thresholds`): the class maximising
// probability / threshold; a zero threshold wins its class outright.
double ThresholdedPrediction(const double* prob, const std::vector<double>& thresholds);

// `in` plus the classifier outputs whose names are not empty (SparkML: an empty name leaves
// that output out): raw and probability as vectors of k, prediction as float64 carrying
// `labels` (the label column's nominal values; none when empty). AlreadyExists names a
// taken output.
Result<SchemaPtr> ClassifierOutputSchema(const Schema& in, const std::string& raw_col,
                                         const std::string& prob_col, const std::string& pred_col,
                                         int k, const std::vector<std::string>& labels);

class ClassifierOutputs {
 public:
  ClassifierOutputs(int64_t rows, int classes);
  double* raw(int64_t r) { return raw_ + r * classes_; }
  double* prob(int64_t r) { return prob_ + r * classes_; }
  double& prediction(int64_t r) { return pred_[r]; }
  // The finished columns, each taken once; a row is null where `features` (when given) is.
  ColumnPtr TakeRaw(const Column* features = nullptr);
  ColumnPtr TakeProbability(const Column* features = nullptr);
  ColumnPtr TakePrediction(const Column* features = nullptr);
  // Appends the columns whose names are not empty (raw, probability, then prediction).
  void AppendColumns(const std::string& raw_col, const std::string& prob_col,
                     const std::string& pred_col, const Column& features,
                     std::vector<ColumnPtr>* cols);

 private:
  int64_t rows_;
  int classes_;
  BufferBuilder raw_buf_, prob_buf_, pred_buf_;
  double* raw_;
  double* prob_;
  double* pred_;
};

}  // namespace ember
