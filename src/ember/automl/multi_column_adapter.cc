#include "ember/automl/multi_column_adapter.h"

#include <set>

#include "ember/base/status_macros.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

using P = MultiColumnAdapterParams;

Result<std::shared_ptr<const Stage>> Copy(const P& p, size_t k, const StageRegistry& registry) {
  auto error = [&](const std::string& what) {
    return InvalidArgument("MultiColumnAdapter param 'baseStage': " + what);
  };
  if (!p.base_stage.is_object() || p.base_stage.Find("type") == nullptr ||
      !p.base_stage.Find("type")->is_string()) {
    return error("expected {\"type\": ..., \"params\": {...}}");
  }
  Json spec = p.base_stage;
  const Json* given = spec.Find("params");
  Json params = given ? *given : Json::MakeObject();
  if (!params.is_object()) return error("'params' must be an object");
  for (const char* name : {"inputCol", "outputCol", "inputCols", "outputCols"}) {
    if (params.Find(name) != nullptr) {
      return error(std::string("sets '") + name + "'; the adapter sets each copy's columns");
    }
  }
  params.Set("inputCol", Json(p.input_cols[k]));
  params.Set("outputCol", Json(p.output_cols[k]));
  spec.Set("params", std::move(params));
  Result<std::shared_ptr<const Stage>> stage = StageFromSpec(spec, registry);
  if (!stage.ok()) return stage.status().WithContext("MultiColumnAdapter param 'baseStage'");
  return stage;
}

}  // namespace

const ParamSpec<MultiColumnAdapterParams>& MultiColumnAdapterParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("MultiColumnAdapter")
          .Add("baseStage", &P::base_stage,
               "The stage to apply to each column, as a spec {\"type\": ..., \"params\": "
               "{...}} of a stage with inputCol and outputCol (which the adapter sets).")
          .Add("inputCols", &P::input_cols, "The input columns, one copy of the stage each.",
               NonEmpty<std::vector<std::string>>())
          .Add("outputCols", &P::output_cols, "The output columns, as many as inputCols.",
               NonEmpty<std::vector<std::string>>()));
  return spec;
}

Result<std::shared_ptr<const MultiColumnAdapter>> MultiColumnAdapter::Make(
    Params p, const StageRegistry& registry, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (p.input_cols.size() != p.output_cols.size()) {
    return InvalidArgument("MultiColumnAdapter: " + std::to_string(p.input_cols.size()) +
                           " inputCols but " + std::to_string(p.output_cols.size()) +
                           " outputCols; give one output per input");
  }
  std::set<std::string> outs;
  for (const auto& o : p.output_cols) {
    if (!outs.insert(o).second) {
      return InvalidArgument("MultiColumnAdapter: output column '" + o + "' is listed twice");
    }
  }
  std::vector<std::shared_ptr<const Stage>> copies;
  for (size_t k = 0; k < p.input_cols.size(); ++k) {
    EMBER_ASSIGN_OR_RETURN(auto copy, Copy(p, k, registry));
    copies.push_back(std::move(copy));
  }
  return std::shared_ptr<const MultiColumnAdapter>(
      new MultiColumnAdapter(std::move(p), std::move(copies), std::move(uid)));
}

Result<SchemaPtr> MultiColumnAdapter::TransformSchema(const Schema& in) const {
  // Each copy reads the input frame; the outputs are added in column order.
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(in.fields(), in.metadata()));
  for (size_t k = 0; k < copies_.size(); ++k) {
    const Stage& copy = *copies_[k];
    EMBER_ASSIGN_OR_RETURN(SchemaPtr one,
                           copy.kind() == StageKind::kEstimator
                               ? static_cast<const Estimator&>(copy).TransformSchema(in)
                               : static_cast<const Transformer&>(copy).TransformSchema(in));
    const int at = one->FindField(params_.output_cols[k]);
    if (at < 0) {
      return Internal("MultiColumnAdapter: the base stage did not add '" + params_.output_cols[k] +
                      "'");
    }
    EMBER_ASSIGN_OR_RETURN(out, out->AddField(one->field(at)));
  }
  return out;
}

Result<std::shared_ptr<const Transformer>> MultiColumnAdapter::Fit(const DataFrame& in,
                                                                   const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  std::vector<std::shared_ptr<const Transformer>> fitted;
  for (size_t k = 0; k < copies_.size(); ++k) {
    if (copies_[k]->kind() == StageKind::kTransformer) {
      fitted.push_back(std::static_pointer_cast<const Transformer>(copies_[k]));
      continue;
    }
    const auto& estimator = static_cast<const Estimator&>(*copies_[k]);
    Result<std::shared_ptr<const Transformer>> model = estimator.Fit(in, ctx);
    if (!model.ok()) {
      return model.status().WithContext("MultiColumnAdapter: column '" + params_.input_cols[k] +
                                        "'");
    }
    fitted.push_back(*std::move(model));
  }
  EMBER_ASSIGN_OR_RETURN(auto chain, PipelineModel::Make(std::move(fitted), uid()));
  return std::shared_ptr<const Transformer>(std::move(chain));
}

Status RegisterMultiColumnAdapter(StageRegistry* r) {
  return RegisterStage<MultiColumnAdapter>(
      r, "Applies a single-column stage to many columns (SynapseML's MultiColumnAdapter).");
}

}  // namespace ember
