// StandardScaler and MinMaxScaler (Estimators) and their models, with SparkML's semantics,
// over vector columns. StandardScaler divides each slot by its corrected sample standard
// deviation (withStd, default) and subtracts its mean (withMean, off by default, which
// keeps sparse vectors sparse); a slot with zero deviation becomes 0. MinMaxScaler maps each
// slot to [min, max] (default [0, 1]); a constant slot becomes (min + max) / 2. Statistics
// are combined over partitions and ranks (two exact passes for the deviation). Immutable
// and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct StandardScalerParams {
  std::string input_col;
  std::string output_col;
  bool with_mean = false;
  bool with_std = true;
  static const ParamSpec<StandardScalerParams>& Spec();
};

struct MinMaxScalerParams {
  std::string input_col;
  std::string output_col;
  double min = 0.0;
  double max = 1.0;
  static const ParamSpec<MinMaxScalerParams>& Spec();
};

// A fitted scaler: out[i] = (in[i] - shift[i]) * scale[i] + offset[i], per slot.
class ScalerModel final : public Transformer {
 public:
  struct Params {
    std::string input_col;
    std::string output_col;
    bool keep_sparse = false;  // only when shift and offset are all zeros
    static const ParamSpec<Params>& Spec();
  };
  static constexpr std::string_view kTypeName = "ScalerModel";
  static Result<std::shared_ptr<const ScalerModel>> Make(Params params, std::vector<double> shift,
                                                         std::vector<double> scale,
                                                         std::vector<double> offset,
                                                         std::string uid = {});
  static Result<std::shared_ptr<const ScalerModel>> Load(const LoadContext& ctx);
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Fusable: see pipeline/fusion.h.
  Result<RowLowering> Lower(const Schema& in) const override;
  const std::vector<double>& shift() const { return shift_; }
  const std::vector<double>& scale() const { return scale_; }
  const Params& params() const { return params_; }
  const std::vector<double>& offset() const { return offset_; }

 private:
  ScalerModel(Params p, std::vector<double> shift, std::vector<double> scale,
              std::vector<double> offset, std::string uid)
      : Transformer(std::move(uid), kTypeName),
        params_(std::move(p)),
        shift_(std::move(shift)),
        scale_(std::move(scale)),
        offset_(std::move(offset)) {}
  Params params_;
  std::vector<double> shift_, scale_, offset_;
};

class StandardScaler final : public StageBase<StandardScaler, Estimator, StandardScalerParams> {
 public:
  static constexpr std::string_view kTypeName = "StandardScaler";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class MinMaxScaler final : public StageBase<MinMaxScaler, Estimator, MinMaxScalerParams> {
 public:
  static constexpr std::string_view kTypeName = "MinMaxScaler";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterScalerStages(StageRegistry* registry);

}  // namespace ember
