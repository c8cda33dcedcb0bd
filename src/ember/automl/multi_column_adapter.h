// SynapseML's MultiColumnAdapter (an Estimator): applies a single-column stage to many
// columns. `baseStage` is a nested spec ({"type": ..., "params": {...}}) of any registered
// stage with inputCol and outputCol params; one copy per pair of `inputCols` / `outputCols`
// gets that pair. Fitting fits each copy on the input frame (the copies are independent, as
// in SynapseML) and gives a PipelineModel of the fitted copies, in column order; a
// transformer base is kept as it is. The nested spec is resolved when the stage is made, with
// the registry given to Make (or the one it is loaded with). Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct MultiColumnAdapterParams {
  Json base_stage;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  static const ParamSpec<MultiColumnAdapterParams>& Spec();
};

class MultiColumnAdapter final
    : public StageBase<MultiColumnAdapter, Estimator, MultiColumnAdapterParams> {
 public:
  static constexpr std::string_view kTypeName = "MultiColumnAdapter";
  // `registry` resolves the nested base stage; it is not kept.
  static Result<std::shared_ptr<const MultiColumnAdapter>> Make(Params params,
                                                                const StageRegistry& registry,
                                                                std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  MultiColumnAdapter(Params p, std::vector<std::shared_ptr<const Stage>> copies, std::string uid)
      : StageBase(std::move(p), std::move(uid)), copies_(std::move(copies)) {}
  std::vector<std::shared_ptr<const Stage>> copies_;  // one per column pair
};

Status RegisterMultiColumnAdapter(StageRegistry* registry);

}  // namespace ember
