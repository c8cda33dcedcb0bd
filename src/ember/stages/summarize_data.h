// SynapseML's SummarizeData: a table of per-column statistics, one row per input column
// ("Feature": its name) with, by param group:
//   - counts: Count (values that are not missing), Unique_Value_Count (distinct such values,
//     exact where SynapseML approximates), Missing_Value_Count (null, or NaN);
//   - basic: Min, 1st_Quartile, Median, 3rd_Quartile, Max;
//   - sample: Sample_Variance and Sample_Standard_Deviation (over n - 1), Sample_Skewness
//     (sqrt(n) m3 / m2^1.5) and Sample_Kurtosis (excess: n m4 / m2^2 - 3), as Spark's
//     aggregates, m_k the sums of k-th powers of deviations from the mean;
//   - percentiles: P0_5, P1, P5, P95, P99, P99_5.
// All float64. Quantiles are Spark's approxQuantile over the non-missing values: the value of
// rank ceil(q n), within errorThreshold x n ranks of it (0, the default, is exact). Basic,
// sample and percentile statistics are for numeric columns (not booleans, as Spark); they are
// null for other columns (SynapseML writes NaN), as are the sample statistics that need two
// values or a non-zero variance. Computed over every rank (moments in two exact passes); the
// table is on rank 0. Its kernel summarizes one batch alone. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct SummarizeDataParams {
  bool counts = true;
  bool basic = true;
  bool sample = true;
  bool percentiles = true;
  double error_threshold = 0;
  static const ParamSpec<SummarizeDataParams>& Spec();
};

class SummarizeData final : public StageBase<SummarizeData, Transformer, SummarizeDataParams> {
 public:
  static constexpr std::string_view kTypeName = "SummarizeData";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
