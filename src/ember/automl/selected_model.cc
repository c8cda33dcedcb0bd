#include "ember/automl/selected_model.h"

#include <algorithm>
#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

bool KnownType(std::string_view type) {
  return std::find(std::begin(SelectedModel::kTypes), std::end(SelectedModel::kTypes), type) !=
         std::end(SelectedModel::kTypes);
}

}  // namespace

Result<std::shared_ptr<const SelectedModel>> SelectedModel::Make(
    std::string type, std::shared_ptr<const Transformer> best, Json record, std::string uid) {
  if (!KnownType(type)) return InvalidArgument("SelectedModel: unknown type '" + type + "'");
  if (best == nullptr) return InvalidArgument(type + ": no best model");
  if (!record.is_object()) return InvalidArgument(type + ": the record must be an object");
  return std::shared_ptr<const SelectedModel>(
      new SelectedModel(std::move(type), std::move(best), std::move(record), std::move(uid)));
}

Result<RowLowering> SelectedModel::Lower(const Schema& in) const { return best_->Lower(in); }

Status SelectedModel::SaveContents(const std::string& stage_dir) const {
  std::error_code ec;
  const std::string best = stage_dir + "/best";
  std::filesystem::create_directories(best, ec);
  if (ec) return IoError("cannot create '" + best + "': " + ec.message());
  EMBER_RETURN_IF_ERROR(SaveStageInto(*best_, best));
  std::filesystem::create_directories(stage_dir + "/data", ec);
  if (ec) return IoError("cannot create '" + stage_dir + "/data': " + ec.message());
  return WriteStringToFile(stage_dir + "/data/selection.json", record_.Dump(2) + "\n");
}

Result<std::shared_ptr<const Stage>> SelectedModel::Load(const LoadContext& ctx) {
  const Json* type = ctx.metadata.Find("class");
  if (type == nullptr || !type->is_string() || !KnownType(type->as_string()))
    return DataLoss("'" + ctx.dir + "': not a selected model");
  const std::string where = ctx.dir + "/data/selection.json";
  EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(where));
  Result<Json> record = Json::Parse(text);
  if (!record.ok()) return DataLoss(where + ": " + record.status().message());
  if (ctx.registry == nullptr) return Internal(type->as_string() + ": loaded without a registry");
  EMBER_ASSIGN_OR_RETURN(auto best, LoadStage(ctx.dir + "/best", *ctx.registry, ctx.depth + 1));
  if (best->kind() != StageKind::kTransformer)
    return DataLoss("'" + ctx.dir + "/best' is an estimator, not a fitted model");
  Result<std::shared_ptr<const SelectedModel>> m =
      Make(type->as_string(), std::static_pointer_cast<const Transformer>(best), std::move(*record),
           ctx.uid);
  if (!m.ok()) return DataLoss(where + ": " + m.status().message());
  return std::shared_ptr<const Stage>(std::move(*m));
}

Status RegisterSelectedModels(StageRegistry* registry) {
  const char* docs[] = {
      "A fitted TuneHyperparameters: the best model refitted on every row, and the trials.",
      "A fitted TrainValidationSplit: the best model refitted on every row, and the trials.",
      "A fitted FindBestModel: the best of the models compared, and every model's metrics."};
  for (size_t i = 0; i < std::size(SelectedModel::kTypes); ++i) {
    StageEntry e;
    e.type_name = std::string(SelectedModel::kTypes[i]);
    e.kind = StageKind::kTransformer;
    e.doc = docs[i];
    e.load = SelectedModel::Load;
    e.needs_data = true;
    EMBER_RETURN_IF_ERROR(registry->Register(std::move(e)));
  }
  return Status::OK();
}

}  // namespace ember
