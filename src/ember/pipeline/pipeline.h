// Pipeline (an Estimator) and PipelineModel (a Transformer): stages run in order, as in
// SparkML. Pipeline::Fit fits each estimator on the output of the stages before it and
// returns a PipelineModel of transformers. Both are immutable and thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ember/pipeline/fusion.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember {

// How BindSelect binds: with fusion (pipeline/fusion.h) or stage by stage, and where to
// say what it did.
struct BindOptions {
  bool fuse = true;
  FusionInfo* info = nullptr;  // when set, filled with what fusion did and why
};

class PipelineModel final : public Transformer {
 public:
  static constexpr std::string_view kTypeName = "PipelineModel";
  static Result<std::shared_ptr<const PipelineModel>> Make(
      std::vector<std::shared_ptr<const Transformer>> stages, std::string uid = {});

  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Json ExtraMetadata() const override;
  Status SaveContents(const std::string& stage_dir) const override;

  // Binds every stage in turn; the kernel runs them one after another on a batch.
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Those of the last stage (nested pipelines included) that has feature importances.
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override;
  // Runs runs of partition-local stages as one fused kernel per partition, and other stages
  // (Repartition) through their own Transform.
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  // As Transform, but the result has only `columns`, in that order (all columns when empty).
  // Scoring jobs and servers use it: intermediate columns that are not kept are computed a
  // block of rows at a time and never materialized for a whole partition, and kept input
  // columns pass through without a copy. A name that no stage produces is an error naming it.
  // With columns named and every stage partition-local, runs the kernel of BindSelect
  // (fused where it can be, unless options.fuse is false).
  Result<DataFrame> TransformSelect(const DataFrame& in, const ExecContext& ctx,
                                    std::span<const std::string> columns,
                                    const BindOptions& options = {}) const;
  // The kernel of TransformSelect for one schema (Bind when `columns` is empty). With
  // columns named and every stage partition-local, the run of stages that ends in a linear
  // model is compiled into one loop per row (pipeline/fusion.h) unless options.fuse is false.
  Result<std::unique_ptr<BoundTransform>> BindSelect(const Schema& in,
                                                     std::span<const std::string> columns,
                                                     const BindOptions& options = {}) const;
  bool partition_local() const override;

  const std::vector<std::shared_ptr<const Transformer>>& stages() const { return stages_; }

  static Result<std::shared_ptr<const Stage>> Load(const LoadContext& ctx);

 private:
  PipelineModel(std::vector<std::shared_ptr<const Transformer>> stages, std::string uid)
      : Transformer(std::move(uid), kTypeName), stages_(std::move(stages)) {}
  std::vector<std::shared_ptr<const Transformer>> stages_;
};

// Appends the stages of `t` to `*out`, nested PipelineModels flattened, in order.
void FlattenStages(const std::shared_ptr<const Transformer>& t,
                   std::vector<std::shared_ptr<const Transformer>>* out);

class Pipeline final : public Estimator {
 public:
  static constexpr std::string_view kTypeName = "Pipeline";
  // Each stage must be a Transformer or an Estimator.
  static Result<std::shared_ptr<const Pipeline>> Make(
      std::vector<std::shared_ptr<const Stage>> stages, std::string uid = {});
  // From {"stages": [{"type": ..., "params": {...}}, ...]}.
  static Result<std::shared_ptr<const Pipeline>> FromSpec(const Json& spec,
                                                          const StageRegistry& registry);

  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Json ExtraMetadata() const override;
  Status SaveContents(const std::string& stage_dir) const override;

  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

  const std::vector<std::shared_ptr<const Stage>>& stages() const { return stages_; }

  static Result<std::shared_ptr<const Stage>> Load(const LoadContext& ctx);

  // How errors name stage i: by its position in the spec and its type, "stage 2
  // (SelectColumns)" (a generated uid means nothing to the user who wrote the spec).
  std::string StageName(size_t i) const;

 private:
  Pipeline(std::vector<std::shared_ptr<const Stage>> stages, std::string uid)
      : Estimator(std::move(uid), kTypeName), stages_(std::move(stages)) {}
  std::vector<std::shared_ptr<const Stage>> stages_;
};

// Registers Pipeline and PipelineModel.
Status RegisterPipelineStages(StageRegistry* registry);

}  // namespace ember
