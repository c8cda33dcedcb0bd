#include "ember/automl/best_model.h"

#include <cmath>
#include <filesystem>

#include "ember/automl/evaluate.h"
#include "ember/automl/selected_model.h"
#include "ember/base/status_macros.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

Status CheckMetric(const std::string& name) {
  if (name == "auto") return Status::OK();
  Result<SelectionMetric> m = ParseSelectionMetric(name);
  return m.ok() ? Status::OK() : m.status().WithContext("FindBestModel param 'evaluationMetric'");
}

// The metrics row's numbers as {name: value} (per-class lists and the matrix left out).
Json ScalarMetrics(const Batch& row) {
  Json o = Json::MakeObject();
  for (int i = 0; i < row.schema()->num_fields(); ++i) {
    const Column& c = *row.column(i);
    if (c.type_id() != TypeId::kFloat64) continue;
    o.Set(row.schema()->field(i).name, c.IsNull(0) ? Json() : Json(c.Values<double>()[0]));
  }
  return o;
}

}  // namespace

const ParamSpec<FindBestModelParams>& FindBestModelParams::Spec() {
  using P = FindBestModelParams;
  static const ParamSpec<P> spec =
      ParamSpec<P>("FindBestModel")
          .Add("models", &P::models, "The fitted models to compare: saved model directories.")
          .Add("evaluationMetric", &P::evaluation_metric,
               "The metric ranked by (as TuneHyperparameters'); auto: accuracy for "
               "classifiers, r2 for regressors.")
          .Add("labelCol", &P::label_col, "The label column the models are scored against.",
               NonEmpty<std::string>());
  return spec;
}

Result<std::shared_ptr<const FindBestModel>> FindBestModel::Make(Params p,
                                                                 const StageRegistry& registry,
                                                                 std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  std::vector<std::shared_ptr<const Transformer>> models;
  for (const std::string& dir : p.models) {
    Result<std::shared_ptr<const Transformer>> m = LoadTransformer(dir, registry);
    if (!m.ok()) return m.status().WithContext("FindBestModel param 'models'");
    models.push_back(std::move(*m));
  }
  return FromModels(std::move(p), std::move(models), std::move(uid));
}

Result<std::shared_ptr<const FindBestModel>> FindBestModel::FromModels(
    Params p, std::vector<std::shared_ptr<const Transformer>> models, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_RETURN_IF_ERROR(CheckMetric(p.evaluation_metric));
  if (models.empty()) return InvalidArgument("FindBestModel: no models to compare");
  for (const auto& m : models) {
    if (m == nullptr) return InvalidArgument("FindBestModel: a null model");
  }
  return std::shared_ptr<const FindBestModel>(
      new FindBestModel(std::move(p), std::move(models), std::move(uid)));
}

Result<SchemaPtr> FindBestModel::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndex(params_.label_col).status());
  return models_.front()->TransformSchema(in);
}

Result<std::shared_ptr<const Transformer>> FindBestModel::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  EvaluationMetric kind = EvaluationMetric::kAuto;
  std::optional<SelectionMetric> metric;
  if (params_.evaluation_metric != "auto") {
    metric = *ParseSelectionMetric(params_.evaluation_metric);
    kind = metric->kind;
  }
  Json compared = Json::MakeArray();
  int best = -1;
  double best_value = NAN;
  for (size_t i = 0; i < models_.size(); ++i) {
    const std::string which = "model " + std::to_string(i + 1) +
                              (i < params_.models.size() ? " ('" + params_.models[i] + "')" : "");
    Result<Batch> row = EvaluateModel(*models_[i], in, params_.label_col, kind, ctx);
    if (!row.ok()) return row.status().WithContext(Describe() + ": " + which);
    if (!metric) {
      const bool classification = row->schema()->FindField("accuracy") >= 0;
      metric = DefaultSelectionMetric(classification ? EvaluationMetric::kClassification
                                                     : EvaluationMetric::kRegression);
    }
    Result<double> value = MetricValue(*row, *metric);
    if (!value.ok()) return value.status().WithContext(Describe() + ": " + which);
    Json entry = Json::MakeObject();
    entry.Set("model", Json(static_cast<int64_t>(i)));
    if (i < params_.models.size()) entry.Set("location", Json(params_.models[i]));
    entry.Set("type", Json(std::string(models_[i]->type_name())));
    entry.Set("value", Json(*value));
    entry.Set("metrics", ScalarMetrics(*row));
    compared.Append(std::move(entry));
    const bool better = metric->larger_is_better ? *value > best_value : *value < best_value;
    if (best < 0 || better) {
      best = static_cast<int>(i);
      best_value = *value;
    }
  }
  Json record = Json::MakeObject();
  record.Set("metric", Json(metric->name));
  record.Set("best", Json(static_cast<int64_t>(best)));
  record.Set("models", std::move(compared));
  EMBER_ASSIGN_OR_RETURN(auto m, SelectedModel::Make(std::string(SelectedModel::kTypes[2]),
                                                     models_[best], std::move(record)));
  return std::shared_ptr<const Transformer>(std::move(m));
}

Status FindBestModel::SaveContents(const std::string& stage_dir) const {
  for (size_t i = 0; i < models_.size(); ++i) {
    const std::string dir = stage_dir + "/models/" + std::to_string(i);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return IoError("cannot create '" + dir + "': " + ec.message());
    EMBER_RETURN_IF_ERROR(SaveStageInto(*models_[i], dir));
  }
  return Status::OK();
}

Json FindBestModel::ExtraMetadata() const {
  Json o = Json::MakeObject();
  o.Set("numModels", Json(static_cast<int64_t>(models_.size())));
  return o;
}

Result<std::shared_ptr<const Stage>> FindBestModel::Load(const LoadContext& ctx) {
  if (ctx.registry == nullptr) return Internal("FindBestModel: loaded without a registry");
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  const Json* n = ctx.metadata.Find("numModels");
  if (ctx.dir.empty() || n == nullptr) {  // a JSON spec: the models are directories
    EMBER_ASSIGN_OR_RETURN(auto stage, Make(std::move(p), *ctx.registry, ctx.uid));
    return std::shared_ptr<const Stage>(std::move(stage));
  }
  if (!n->is_int() || n->as_int() < 1 || n->as_int() > 10000)
    return DataLoss("metadata.json: invalid \"numModels\"");
  std::vector<std::shared_ptr<const Transformer>> models;
  for (int64_t i = 0; i < n->as_int(); ++i) {
    EMBER_ASSIGN_OR_RETURN(
        auto m, LoadStage(ctx.dir + "/models/" + std::to_string(i), *ctx.registry, ctx.depth + 1));
    if (m->kind() != StageKind::kTransformer)
      return DataLoss("'" + ctx.dir + "/models/" + std::to_string(i) + "' is not a fitted model");
    models.push_back(std::static_pointer_cast<const Transformer>(m));
  }
  EMBER_ASSIGN_OR_RETURN(auto stage, FromModels(std::move(p), std::move(models), ctx.uid));
  return std::shared_ptr<const Stage>(std::move(stage));
}

Status RegisterFindBestModel(StageRegistry* registry) {
  // Registered by hand: a JSON spec makes it from directories, a saved one holds its models.
  StageEntry e;
  e.type_name = std::string(FindBestModel::kTypeName);
  e.kind = StageKind::kEstimator;
  e.doc = "Scores fitted models on the same data and keeps the best (SynapseML).";
  e.params = FindBestModelParams::Spec().Describe();
  e.load = FindBestModel::Load;
  return registry->Register(std::move(e));
}

}  // namespace ember
