// Spark ML's discretizers of numeric columns into bucket indices:
//
//   Bucketizer           buckets from given splits: n + 1 increasing splits make n buckets
//                        [s0, s1), [s1, s2), ..., [s(n-1), sn] (the last includes its upper
//                        bound). A value outside [s0, sn] is an error whatever
//                        handleInvalid says (as Spark); NaN is an error, a dropped row
//                        ("skip") or bucket n ("keep"); null stays null. Splits of
//                        -Infinity and Infinity are written "-Infinity" and "Infinity" in
//                        JSON. The output is float64 with the buckets' intervals as nominal
//                        values ("[0, 10)"), so IndexToString and one-hot encoding know them.
//   QuantileDiscretizer  an Estimator whose model is a Bucketizer: the splits are the
//                        column's approximate quantiles at 1/numBuckets, 2/numBuckets, ...,
//                        with -Infinity and Infinity at the ends and repeated splits
//                        merged (fewer buckets than asked, logged). Null and NaN are left
//                        out of fitting.
//
// Both take inputCol/outputCol or inputCols/outputCols (with splitsArray / numBucketsArray).
// Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"
#include "ember/stages/string_indexer.h"  // HandleInvalid

namespace ember {

struct BucketizerParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  std::vector<double> splits;
  std::vector<std::vector<double>> splits_array;
  HandleInvalid handle_invalid = HandleInvalid::kError;
  static const ParamSpec<BucketizerParams>& Spec();
};

class Bucketizer final : public StageBase<Bucketizer, Transformer, BucketizerParams> {
 public:
  static constexpr std::string_view kTypeName = "Bucketizer";
  // The columns and their splits agree: at least 3 strictly increasing splits (no NaN) per
  // input column (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct QuantileDiscretizerParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  int32_t num_buckets = 2;
  std::vector<int32_t> num_buckets_array;
  double relative_error = 0.001;
  HandleInvalid handle_invalid = HandleInvalid::kError;
  static const ParamSpec<QuantileDiscretizerParams>& Spec();
};

class QuantileDiscretizer final
    : public StageBase<QuantileDiscretizer, Estimator, QuantileDiscretizerParams> {
 public:
  static constexpr std::string_view kTypeName = "QuantileDiscretizer";
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  // Per partition a summary of every ceil(relativeError x rows)-th sorted value; the
  // summaries of every partition and rank are merged, so each quantile's rank is within
  // relativeError x rows of the exact one (relativeError 0: exact). Every rank gets the same
  // splits.
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// The q-quantiles (each in [0, 1]) of `values` merged from summaries: a value of rank
// within eps x n of ceil(q x n) among the n values (the smallest value v with at least
// q x n values <= v when eps is 0). Exposed for tests.
struct QuantileSummary {
  std::vector<double> values;   // sorted
  std::vector<double> weights;  // how many of the data's values each stands for
  // Every step-th value of `sorted`, step = max(1, floor(eps x size)): the count of values
  // <= any v that it gives is at most step - 1 above the true count.
  static QuantileSummary Of(const std::vector<double>& sorted, double eps);
  void Merge(const QuantileSummary& other);
  double Quantile(double q) const;
  double count() const;
};

// Merges each rank's summaries (one per column, the same columns on every rank) into every
// rank's `merged`, in rank order; a no-op on one rank.
Status MergeSummariesOverRanks(std::vector<QuantileSummary>* merged, const ExecContext& ctx);

Status RegisterDiscretizerStages(StageRegistry* registry);

}  // namespace ember
