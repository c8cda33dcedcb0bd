#include "ember/dnn/onnx_model.h"

#include <algorithm>
#include <cmath>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/dnn/image_featurizer.h"
#include "ember/dnn/internal/outputs.h"

namespace ember::dnn {

using internal::Feed;

const ParamSpec<ONNXModelParams>& ONNXModelParams::Spec() {
  using P = ONNXModelParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ONNXModel")
          .Add("modelLocation", &P::model_location,
               "The .onnx file. Its bytes are saved inside the model directory.",
               NonEmpty<std::string>())
          .Add("feedDict", &P::feed_dict,
               "Model input name -> the column that feeds it (a vector, nested lists of the "
               "input's shape, or a number).",
               NonEmpty<std::map<std::string, std::string>>())
          .Add("fetchDict", &P::fetch_dict,
               "Output column -> the graph output, intermediate tensor, node or layer to read; "
               "empty: every graph output, in a column of its name.")
          .Add("softMaxDict", &P::soft_max_dict, "Vector column -> a new column of its softmax.")
          .Add("argMaxDict", &P::arg_max_dict,
               "Vector column -> a new column of its largest value's index (float64).")
          .Add("miniBatchSize", &P::mini_batch_size, "Rows per forward pass.",
               InRange<int32_t>(1, 1 << 16)));
  return spec;
}

Status ONNXModel::Check(const Params& p) {
  for (const auto& [col, name] : p.fetch_dict) {
    if (col.empty() || name.empty()) {
      return InvalidArgument("ONNXModel param 'fetchDict': empty column or output name");
    }
  }
  return Status::OK();
}

Result<std::shared_ptr<const ONNXModel>> ONNXModel::FromBytes(Params p, std::string bytes,
                                                              std::string uid) {
  EMBER_ASSIGN_OR_RETURN(auto model, internal::OnnxFromBytes(std::move(bytes), p.model_location));
  return Build(std::move(p), std::move(model), std::move(uid));
}

Result<std::shared_ptr<const ONNXModel>> ONNXModel::Make(Params p, std::string uid) {
  return MakeOrLoad(LoadContext{"", std::move(uid), Params::Spec().ToJson(p)});
}

Result<std::shared_ptr<const ONNXModel>> ONNXModel::MakeOrLoad(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto model,
                         internal::LoadModelBytes(ctx, p.model_location, std::string(kTypeName)));
  return Build(std::move(p), std::move(model), ctx.uid);
}

Result<std::shared_ptr<const ONNXModel>> ONNXModel::Build(
    Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_RETURN_IF_ERROR(Check(p));
  return std::shared_ptr<const ONNXModel>(
      new ONNXModel(std::move(p), std::move(model), std::move(uid)));
}

Status ONNXModel::SaveContents(const std::string& stage_dir) const {
  return internal::SaveModelBytes(*model_, stage_dir);
}

Result<std::unique_ptr<BoundTransform>> ONNXModel::Bind(const Schema& in) const {
  const std::string who = Describe();
  std::vector<internal::PlannedFeed> feeds;
  for (const auto& [input, column] : params_.feed_dict) {
    Result<std::vector<int64_t>> dims = internal::RowDims(*model_, input);
    if (!dims.ok()) return dims.status().WithContext(who + " feedDict");
    Result<Feed> feed = internal::BindFeed(in, column, input, *dims);
    if (!feed.ok()) return feed.status().WithContext(who);
    feeds.push_back(internal::ColumnFeed(*feed));
  }
  for (const OnnxTensorInfo& t : model_->graph.inputs) {
    if (!params_.feed_dict.count(t.name)) {
      return InvalidArgument(who + ": model input '" + t.name + "' " + ShapeText(t) +
                             " has no column in feedDict");
    }
  }
  std::vector<std::pair<std::string, std::string>> fetches(params_.fetch_dict.begin(),
                                                           params_.fetch_dict.end());
  if (fetches.empty()) {
    for (const OnnxTensorInfo& o : model_->graph.outputs) fetches.emplace_back(o.name, o.name);
  }
  EMBER_ASSIGN_OR_RETURN(internal::NetPlan plan,
                         internal::PlanNet(*model_, std::move(feeds), fetches, who));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, internal::OutputSchema(in, plan, params_.soft_max_dict,
                                                               params_.arg_max_dict, who));
  return internal::MakeNetKernel(std::move(out), model_, std::move(plan), params_.soft_max_dict,
                                 params_.arg_max_dict, params_.mini_batch_size, false);
}

Status RegisterDnnStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<ONNXModel>(
      r, "Runs an ONNX network (OpenCV DNN) over columns in mini-batches (SynapseML's)."));
  return RegisterStage<ImageFeaturizer>(
      r, "Turns images into feature vectors with a headless ONNX network (SynapseML's).");
}

}  // namespace ember::dnn
