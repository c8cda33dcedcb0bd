// SelectedModel: the model a search or a comparison chose, with the record of how
// (TuneHyperparametersModel, TrainValidationSplitModel, SynapseML's BestModel). It
// transforms, binds, lowers and serves exactly as the chosen model does; it adds the metric
// and the table of what was compared. Saved as the chosen model under DIR/best/ and the
// record in DIR/data/selection.json. Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>

#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember {

class SelectedModel final : public Transformer {
 public:
  // `type`: one of kTypes. `record`: {"metric": name, "best": index, "trials" or "models":
  // [...]} (what the estimator compared).
  static Result<std::shared_ptr<const SelectedModel>> Make(std::string type,
                                                           std::shared_ptr<const Transformer> best,
                                                           Json record, std::string uid = {});
  static constexpr std::string_view kTypes[] = {"TuneHyperparametersModel",
                                                "TrainValidationSplitModel", "BestModel"};

  std::string_view type_name() const override { return type_; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Status SaveContents(const std::string& stage_dir) const override;

  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    return best_->Bind(in);
  }
  Result<SchemaPtr> TransformSchema(const Schema& in) const override {
    return best_->TransformSchema(in);
  }
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override {
    return best_->Transform(in, ctx);
  }
  bool partition_local() const override { return best_->partition_local(); }
  Result<RowLowering> Lower(const Schema& in) const override;
  const TrainingSummary* training_summary() const override { return best_->training_summary(); }

  const std::shared_ptr<const Transformer>& best_model() const { return best_; }
  const Json& record() const { return record_; }

  static Result<std::shared_ptr<const Stage>> Load(const LoadContext& ctx);

 private:
  SelectedModel(std::string type, std::shared_ptr<const Transformer> best, Json record,
                std::string uid)
      : Transformer(std::move(uid), type),
        type_(std::move(type)),
        best_(std::move(best)),
        record_(std::move(record)) {}
  std::string type_;
  std::shared_ptr<const Transformer> best_;
  Json record_;
};

// Registers the three model types.
Status RegisterSelectedModels(StageRegistry* registry);

}  // namespace ember
