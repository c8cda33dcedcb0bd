// SynapseML's ClassBalancer (an Estimator) and ClassBalancerModel: a weight column that
// balances the classes of a label column, each row weighing (the largest class's count) /
// (its class's count), so every class weighs as much as the largest one. The label may be
// any scalar column (classes are its values as StringIndexer reads them). A null label, or a
// value not seen in fitting, gets a null weight: the row is kept (SynapseML's join drops it).
// Counts are merged over partitions and ranks. Immutable and thread-safe.
#pragma once

#include <map>
#include <string>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct ClassBalancerParams {
  std::string input_col;
  std::string output_col = "weight";
  bool broadcast_join = true;  // a Spark execution hint: accepted, changes nothing here
  static const ParamSpec<ClassBalancerParams>& Spec();
};

class ClassBalancerModel final
    : public StageBase<ClassBalancerModel, Transformer, ClassBalancerParams> {
 public:
  static constexpr std::string_view kTypeName = "ClassBalancerModel";
  // `weights`: each class (as StringIndexer's label text) and its weight.
  static Result<std::shared_ptr<const ClassBalancerModel>> Make(
      Params params, std::map<std::string, double> weights, std::string uid = {});
  static Result<std::shared_ptr<const ClassBalancerModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::map<std::string, double>& weights() const { return weights_; }

 private:
  ClassBalancerModel(Params p, std::map<std::string, double> w, std::string uid)
      : StageBase(std::move(p), std::move(uid)), weights_(std::move(w)) {}
  std::map<std::string, double> weights_;
};

class ClassBalancer final : public StageBase<ClassBalancer, Estimator, ClassBalancerParams> {
 public:
  static constexpr std::string_view kTypeName = "ClassBalancer";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterClassBalancerStages(StageRegistry* registry);

}  // namespace ember
