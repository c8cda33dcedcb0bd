// Missing-value imputation: SparkML's Imputer and SynapseML's CleanMissingData (both
// Estimators) and the ImputerModel they fit. A value is missing when it is null, NaN, or
// equal to `missingValue` (when set). Imputer fills numeric columns with each column's
// mean, median or mode; CleanMissingData with the mean, the median, or a custom value
// (which may also fill string columns). The median is the lower median (the value of rank
// ceil(n/2)), as Spark's quantile; the mode's ties go to the smallest value. Statistics are
// combined over partitions and ranks. An output column named like its input replaces it;
// the output keeps the input's type (integer columns truncate a fractional fill, as Spark's
// cast). A column with no value to learn from is an error naming it. Immutable and
// thread-safe.
#pragma once

#include <optional>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class ImputeStrategy { kMean, kMedian, kMode, kCustom };

struct ImputerParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  ImputeStrategy strategy = ImputeStrategy::kMean;
  std::optional<double> missing_value;
  static const ParamSpec<ImputerParams>& Spec();
};

struct CleanMissingDataParams {
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  ImputeStrategy cleaning_mode = ImputeStrategy::kMean;
  std::string custom_value;
  static const ParamSpec<CleanMissingDataParams>& Spec();
};

// One fill value per column: a number (numeric columns) or a string (string columns).
class ImputerModel final : public Transformer {
 public:
  struct Params {
    std::vector<std::string> input_cols;
    std::vector<std::string> output_cols;
    std::optional<double> missing_value;
    static const ParamSpec<Params>& Spec();
  };
  static constexpr std::string_view kTypeName = "ImputerModel";
  static Result<std::shared_ptr<const ImputerModel>> Make(Params params, std::vector<Json> fill,
                                                          std::string uid = {});
  static Result<std::shared_ptr<const ImputerModel>> Load(const LoadContext& ctx);
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<Json>& fill() const { return fill_; }

 private:
  ImputerModel(Params p, std::vector<Json> fill, std::string uid)
      : Transformer(std::move(uid), kTypeName), params_(std::move(p)), fill_(std::move(fill)) {}
  Params params_;
  std::vector<Json> fill_;
};

class Imputer final : public StageBase<Imputer, Estimator, ImputerParams> {
 public:
  static constexpr std::string_view kTypeName = "Imputer";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class CleanMissingData final
    : public StageBase<CleanMissingData, Estimator, CleanMissingDataParams> {
 public:
  static constexpr std::string_view kTypeName = "CleanMissingData";
  static Result<std::shared_ptr<const CleanMissingData>> Make(Params params, std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  CleanMissingData(Params p, std::string uid) : StageBase(std::move(p), std::move(uid)) {}
};

Status RegisterImputerStages(StageRegistry* registry);

}  // namespace ember
