#include "ember/automl/train.h"

#include "ember/automl/best_model.h"
#include "ember/automl/featurize.h"
#include "ember/automl/multi_column_adapter.h"
#include "ember/automl/tune.h"
#include "ember/base/status_macros.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/string_indexer.h"

namespace ember {

namespace {

template <typename P, typename T>
T P::*Member(T TrainParams::*m) {
  return static_cast<T P::*>(m);
}

template <typename P>
ParamSpec<P>& AddTrainParams(ParamSpec<P>& spec, const std::string& default_model) {
  return spec
      .Add("model", Member<P>(&TrainParams::model),
           "The estimator to fit, as {\"type\": ..., \"params\": {...}}; null for " +
               default_model + ".")
      .Add("labelCol", Member<P>(&TrainParams::label_col), "The label column.",
           NonEmpty<std::string>())
      .Add("inputCols", Member<P>(&TrainParams::input_cols),
           "The columns to featurize; empty for all but the label.")
      .Add("featuresCol", Member<P>(&TrainParams::features_col),
           "The feature vector column to add.", NonEmpty<std::string>())
      .Add("numFeatures", Member<P>(&TrainParams::num_features), "Hashed slots per text column.",
           AtLeast<int32_t>(1));
}

constexpr double kDefaultClassifierRegParam = 0.01;

std::string IndexedLabel(const TrainParams& p) { return p.label_col + "#indexed"; }

// The nested estimator, with featuresCol and labelCol set.
Result<std::shared_ptr<const Estimator>> NestedModel(const std::string& owner, const TrainParams& p,
                                                     const std::string& default_type,
                                                     const std::string& label,
                                                     const StageRegistry& registry) {
  auto error = [&](const std::string& what) {
    return InvalidArgument(owner + " param 'model': " + what);
  };
  Json spec = p.model.is_null() ? Json::MakeObject() : p.model;
  if (p.model.is_null() && default_type == "LogisticRegression") {
    // Regularised a little, as scikit-learn's default: without a penalty a separable data set
    // (scikit-learn's breast cancer) has no optimum and the fit runs to maxIter.
    Json params = Json::MakeObject();
    params.Set("regParam", Json(kDefaultClassifierRegParam));
    spec.Set("params", std::move(params));
  }
  if (!spec.is_object()) return error("expected {\"type\": ..., \"params\": {...}}");
  if (spec.Find("type") == nullptr) spec.Set("type", Json(default_type));
  const Json* type = spec.Find("type");
  if (!type->is_string()) return error("'type' must be a stage name");
  Result<const StageEntry*> entry = registry.Find(type->as_string());
  if (!entry.ok()) return entry.status().WithContext(owner + " param 'model'");
  if ((*entry)->kind != StageKind::kEstimator)
    return error("'" + type->as_string() + "' is not an estimator");
  Json params = spec.Find("params") ? *spec.Find("params") : Json::MakeObject();
  if (!params.is_object()) return error("'params' must be an object");
  params.Set("featuresCol", Json(p.features_col));
  params.Set("labelCol", Json(label));
  spec.Set("params", std::move(params));
  Result<std::shared_ptr<const Stage>> stage = StageFromSpec(spec, registry);
  if (!stage.ok()) return stage.status().WithContext(owner + " param 'model'");
  const std::string name((*stage)->type_name());
  if ((*stage)->kind() != StageKind::kEstimator) return error("'" + name + "' is not an estimator");
  // A classifier has probabilities; a regressor only a prediction. The wrong kind would fit
  // and save a model that fails (or lies) on every row.
  const Json fitted = (*stage)->ParamsJson();
  const bool predicts = fitted.Find("predictionCol") != nullptr;
  const bool classifies = fitted.Find("probabilityCol") != nullptr;
  if (!predicts) return error("'" + name + "' is not a model (it has no predictionCol)");
  if (owner == "TrainClassifier" && !classifies)
    return error("'" + name + "' is a regressor; use TrainRegressor");
  if (owner == "TrainRegressor" && classifies)
    return error("'" + name + "' is a classifier; use TrainClassifier");
  return std::static_pointer_cast<const Estimator>(*stage);
}

std::vector<std::string> InputCols(const TrainParams& p, const Schema& in) {
  if (!p.input_cols.empty()) return p.input_cols;
  std::vector<std::string> cols;
  for (const Field& f : in.fields()) {
    if (f.name != p.label_col && f.name != p.features_col) cols.push_back(f.name);
  }
  return cols;
}

Result<std::shared_ptr<const Featurize>> MakeFeaturize(const TrainParams& p, const Schema& in) {
  return Featurize::Make({.input_cols = InputCols(p, in),
                          .output_col = p.features_col,
                          .num_features = p.num_features});
}

Result<SchemaPtr> TrainSchema(const TrainParams& p, const Estimator& model, const Schema& in,
                              bool add_label) {
  EMBER_ASSIGN_OR_RETURN(auto featurize, MakeFeaturize(p, in));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr features, featurize->TransformSchema(in));
  if (add_label) {  // the model reads the indexed label while fitting
    EMBER_ASSIGN_OR_RETURN(features, features->AddField(MakeField(IndexedLabel(p), Float64Type())));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr scored, model.TransformSchema(*features));
  if (add_label) {
    std::vector<Field> fields;
    for (const Field& f : scored->fields()) {
      if (f.name != IndexedLabel(p)) fields.push_back(f);
    }
    EMBER_ASSIGN_OR_RETURN(scored, Schema::Make(std::move(fields), scored->metadata()));
  }
  if (!add_label) return scored;
  return scored->AddField(MakeField("predictedLabel", StringType()));
}

// Fits featurizer and model on `train` (which has the label the model reads) and chains
// them, with `extra` after.
Result<std::shared_ptr<const Transformer>> FitChain(
    const TrainParams& p, const Estimator& model, const DataFrame& in, const DataFrame& train,
    const ExecContext& ctx, std::vector<std::shared_ptr<const Transformer>> extra,
    const std::string& uid) {
  EMBER_ASSIGN_OR_RETURN(auto featurize, MakeFeaturize(p, *in.schema()));
  EMBER_ASSIGN_OR_RETURN(auto featurizer, featurize->Fit(train, ctx));
  EMBER_ASSIGN_OR_RETURN(DataFrame features, featurizer->Transform(train, ctx));

  EMBER_ASSIGN_OR_RETURN(auto fitted, model.Fit(features, ctx));
  std::vector<std::shared_ptr<const Transformer>> stages = {featurizer, fitted};
  for (auto& e : extra) stages.push_back(std::move(e));
  EMBER_ASSIGN_OR_RETURN(auto chain, PipelineModel::Make(std::move(stages), uid));
  return std::shared_ptr<const Transformer>(std::move(chain));
}

}  // namespace

const ParamSpec<TrainClassifierParams>& TrainClassifierParams::Spec() {
  using P = TrainClassifierParams;
  static const ParamSpec<P> spec = [] {
    ParamSpec<P> s("TrainClassifier");
    AddTrainParams(s, "LogisticRegression with regParam 0.01")
        .Add("reindexLabel", Member<P>(&TrainParams::reindex_label),
             "Index the label (any type) by frequency; predictions are mapped back in "
             "predictedLabel.");
    return s;
  }();
  return spec;
}

const ParamSpec<TrainRegressorParams>& TrainRegressorParams::Spec() {
  static const ParamSpec<TrainRegressorParams> spec = [] {
    ParamSpec<TrainRegressorParams> s("TrainRegressor");
    AddTrainParams(s, "LinearRegression");
    return s;
  }();
  return spec;
}

// TrainClassifier ----------------------------------------------------------------------------

Result<std::shared_ptr<const TrainClassifier>> TrainClassifier::Make(Params p,
                                                                     const StageRegistry& registry,
                                                                     std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto model,
                         NestedModel("TrainClassifier", p, "LogisticRegression",
                                     p.reindex_label ? IndexedLabel(p) : p.label_col, registry));
  return std::shared_ptr<const TrainClassifier>(
      new TrainClassifier(std::move(p), std::move(model), std::move(uid)));
}

Result<SchemaPtr> TrainClassifier::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndex(params_.label_col).status());
  return TrainSchema(params_, *model_, in, params_.reindex_label);
}

Result<std::shared_ptr<const Transformer>> TrainClassifier::Fit(const DataFrame& in,
                                                                const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  if (!params_.reindex_label) return FitChain(params_, *model_, in, in, ctx, {}, uid());
  // Index the label on its own (rows with a null label are left out of training), so
  // scoring does not need the label column.
  const std::string indexed = IndexedLabel(params_);
  if (in.schema()->FindField(indexed) >= 0) {
    return AlreadyExists("TrainClassifier: column '" + indexed + "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(auto indexer,
                         StringIndexer::Make({.input_col = params_.label_col,
                                              .output_col = indexed,
                                              .handle_invalid = HandleInvalid::kSkip}));
  EMBER_ASSIGN_OR_RETURN(auto label_model, indexer->Fit(in, ctx));
  EMBER_ASSIGN_OR_RETURN(DataFrame train, label_model->Transform(in, ctx));
  const auto& labels = static_cast<const StringIndexerModel&>(*label_model).labels()[0];
  const Json params = model_->ParamsJson();
  const Json* prediction = params.Find("predictionCol");
  if (prediction == nullptr || !prediction->is_string() || prediction->as_string().empty()) {
    return InvalidArgument(
        "TrainClassifier param 'model': the model must have a predictionCol to map labels back");
  }
  EMBER_ASSIGN_OR_RETURN(auto to_label, IndexToString::Make({.input_col = prediction->as_string(),
                                                             .output_col = "predictedLabel",
                                                             .labels = labels}));
  return FitChain(params_, *model_, in, train, ctx, {to_label}, uid());
}

// TrainRegressor -----------------------------------------------------------------------------

Result<std::shared_ptr<const TrainRegressor>> TrainRegressor::Make(Params p,
                                                                   const StageRegistry& registry,
                                                                   std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(
      auto model, NestedModel("TrainRegressor", p, "LinearRegression", p.label_col, registry));
  return std::shared_ptr<const TrainRegressor>(
      new TrainRegressor(std::move(p), std::move(model), std::move(uid)));
}

Result<SchemaPtr> TrainRegressor::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndex(params_.label_col).status());
  return TrainSchema(params_, *model_, in, false);
}

Result<std::shared_ptr<const Transformer>> TrainRegressor::Fit(const DataFrame& in,
                                                               const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  return FitChain(params_, *model_, in, in, ctx, {}, uid());
}

Status RegisterTrainStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterFeaturize(r));
  EMBER_RETURN_IF_ERROR(RegisterTuneStages(r));
  EMBER_RETURN_IF_ERROR(RegisterFindBestModel(r));
  EMBER_RETURN_IF_ERROR(RegisterMultiColumnAdapter(r));
  EMBER_RETURN_IF_ERROR(RegisterStage<TrainClassifier>(
      r, "Featurizes the inputs, indexes the label and fits any classifier (SynapseML)."));
  return RegisterStage<TrainRegressor>(r,
                                       "Featurizes the inputs and fits any regressor (SynapseML).");
}

}  // namespace ember
