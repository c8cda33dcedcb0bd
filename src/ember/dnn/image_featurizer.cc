#include "ember/dnn/image_featurizer.h"

#include <algorithm>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/dnn/internal/outputs.h"
#include "ember/image/internal/image_column.h"
#include "ember/image/internal/image_ops.h"

namespace ember::dnn {

using image::internal::ImageColumnReader;

const ParamSpec<ImageFeaturizerParams>& ImageFeaturizerParams::Spec() {
  using P = ImageFeaturizerParams;
  auto positive = Each(Validator<double>{
      [](const double& v) { return v > 0 ? Status::OK() : InvalidArgument("must be > 0"); },
      "> 0"});
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ImageFeaturizer")
          .Add("inputCol", &P::input_col,
               "The images: an image column or encoded image bytes (binary).",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col,
               "The feature vector column to add; empty: '<uid>_output'.")
          .Add("modelLocation", &P::model_location,
               "The .onnx network. Its bytes are saved inside the model directory.",
               NonEmpty<std::string>())
          .Add("imageHeight", &P::image_height,
               "Images are resized to this height; 0: the model's input height.",
               InRange<int32_t>(0, 1 << 14))
          .Add("imageWidth", &P::image_width,
               "Images are resized to this width; 0: the model's input width.",
               InRange<int32_t>(0, 1 << 14))
          .Add("channelNormalizationMeans", &P::channel_normalization_means,
               "Per channel (R, G, B), subtracted after colorScaleFactor.")
          .Add("channelNormalizationStds", &P::channel_normalization_stds,
               "Per channel (R, G, B), divides after the mean.", positive)
          .Add("colorScaleFactor", &P::color_scale_factor,
               "Multiplies each pixel first (1/255: [0, 1]).")
          .Add("imageTensorName", &P::image_tensor_name,
               "The model input the images feed; empty: its only input.")
          .Add("featureTensorName", &P::feature_tensor_name,
               "The tensor, node or layer to read the features from; empty: by "
               "cutOutputLayers.")
          .Add("cutOutputLayers", &P::cut_output_layers,
               "Read the input of the k-th layer from the output (1: what feeds the "
               "classifier head; 0: the output itself).",
               InRange<int32_t>(0, 1000))
          .Add("headless", &P::headless,
               "Read features (true) or the network's own output (false: outputTensorName).")
          .Add("outputTensorName", &P::output_tensor_name,
               "With headless false: the output to read; empty: the first graph output.")
          .Add("dropNa", &P::drop_na, "Leave out rows whose image is null.")
          .Add("ignoreDecodingErrors", &P::ignore_decoding_errors,
               "Encoded images that do not decode count as null instead of an error.")
          .Add("autoConvertToColor", &P::auto_convert_to_color,
               "Gray and BGRA images become 3-channel color.")
          .Add("miniBatchSize", &P::mini_batch_size, "Images per forward pass.",
               InRange<int32_t>(1, 1 << 16)));
  return spec;
}

Status ImageFeaturizer::Check(const Params& p) {
  if (p.channel_normalization_means.size() != p.channel_normalization_stds.size()) {
    return InvalidArgument("ImageFeaturizer: channelNormalizationMeans has " +
                           std::to_string(p.channel_normalization_means.size()) +
                           " values, channelNormalizationStds " +
                           std::to_string(p.channel_normalization_stds.size()));
  }
  return Status::OK();
}

Result<std::shared_ptr<const ImageFeaturizer>> ImageFeaturizer::FromBytes(Params p,
                                                                          std::string bytes,
                                                                          std::string uid) {
  EMBER_ASSIGN_OR_RETURN(auto model, internal::OnnxFromBytes(std::move(bytes), p.model_location));
  return Build(std::move(p), std::move(model), std::move(uid));
}

Result<std::shared_ptr<const ImageFeaturizer>> ImageFeaturizer::Make(Params p, std::string uid) {
  return MakeOrLoad(LoadContext{"", std::move(uid), Params::Spec().ToJson(p)});
}

Result<std::shared_ptr<const ImageFeaturizer>> ImageFeaturizer::MakeOrLoad(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto model,
                         internal::LoadModelBytes(ctx, p.model_location, std::string(kTypeName)));
  return Build(std::move(p), std::move(model), ctx.uid);
}

Result<std::shared_ptr<const ImageFeaturizer>> ImageFeaturizer::Build(
    Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_RETURN_IF_ERROR(Check(p));
  return std::shared_ptr<const ImageFeaturizer>(
      new ImageFeaturizer(std::move(p), std::move(model), std::move(uid)));
}

Status ImageFeaturizer::SaveContents(const std::string& stage_dir) const {
  return internal::SaveModelBytes(*model_, stage_dir);
}

Result<std::string> ImageFeaturizer::FeatureTensor() const {
  const OnnxGraphInfo& g = model_->graph;
  if (!params_.headless) {
    return params_.output_tensor_name.empty() ? g.outputs.front().name : params_.output_tensor_name;
  }
  if (!params_.feature_tensor_name.empty()) return params_.feature_tensor_name;
  // Layers that belong to the one before them: activations and reshapes.
  static const std::set<std::string> kPassThrough = {
      "Softmax", "LogSoftmax", "Sigmoid",   "Relu",    "Clip",     "Tanh",     "Flatten",
      "Reshape", "Squeeze",    "Unsqueeze", "Dropout", "Identity", "Transpose"};
  std::string tensor = g.outputs.front().name;
  int counted = 0;
  while (counted < params_.cut_output_layers) {
    const OnnxNodeInfo* node = ProducerOf(g, tensor);
    if (node == nullptr || node->inputs.empty()) {
      return InvalidArgument(Describe() + ": cutOutputLayers " +
                             std::to_string(params_.cut_output_layers) +
                             " goes past the input of '" + model_->origin + "' (it has " +
                             std::to_string(counted) + " layers on its output path)");
    }
    if (!kPassThrough.count(node->op_type)) ++counted;
    tensor = node->inputs.front();
  }
  return tensor;
}

Result<std::unique_ptr<BoundTransform>> ImageFeaturizer::Bind(const Schema& in) const {
  const std::string who = Describe();
  const OnnxGraphInfo& g = model_->graph;
  std::string input = params_.image_tensor_name;
  if (input.empty()) {
    if (g.inputs.size() != 1) {
      return InvalidArgument(who + ": '" + model_->origin + "' has " +
                             std::to_string(g.inputs.size()) +
                             " inputs; name the image's with imageTensorName");
    }
    input = g.inputs.front().name;
  }
  Result<std::vector<int64_t>> dims = internal::RowDims(*model_, input);
  if (!dims.ok()) return dims.status().WithContext(who);
  if (dims->size() != 3 || ((*dims)[0] != 3 && (*dims)[0] != 1)) {
    return InvalidArgument(who + ": model input '" + input + "' takes " +
                           internal::DimsText(*dims) +
                           " per row; images need [3, height, width] (CHW)");
  }
  const int channels = static_cast<int>((*dims)[0]);
  const int h = static_cast<int>((*dims)[1]), w = static_cast<int>((*dims)[2]);
  if ((params_.image_height && params_.image_height != h) ||
      (params_.image_width && params_.image_width != w)) {
    return InvalidArgument(
        who + ": imageHeight x imageWidth " + std::to_string(params_.image_height) + "x" +
        std::to_string(params_.image_width) + " differs from the model's " + std::to_string(h) +
        "x" + std::to_string(w) + " (OpenCV 4.6 runs ONNX models at their declared size)");
  }
  // Encoded images are decoded straight to about the net's size (JPEG's DCT scaling).
  image::internal::DecodeOptions decode;
  decode.color =
      channels == 1 ? image::internal::ColorMode::kGrayscale : image::internal::ColorMode::kColor;
  decode.target_width = w;
  decode.target_height = h;
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.input_col, who, decode));
  image::internal::TensorSpec spec;
  spec.auto_convert_to_color = params_.auto_convert_to_color;
  spec.scale = params_.color_scale_factor;
  spec.mean = params_.channel_normalization_means;
  spec.std = params_.channel_normalization_stds;
  const bool ignore = params_.ignore_decoding_errors;
  internal::PlannedFeed feed{
      input, *dims, int64_t{channels} * h * w,
      [reader, spec, h, w, channels, ignore](const Batch& b, int64_t r,
                                             float* out) -> Result<bool> {
        std::string origin;
        Result<cv::Mat> mat = reader.Read(*b.column(reader.index()), r, &origin);
        if (!mat.ok()) {
          if (ignore && reader.encoded()) return false;
          return mat.status();
        }
        if (mat->empty()) return false;
        cv::Mat m = *mat;
        if (channels == 1 && m.channels() != 1) {
          cv::cvtColor(m, m, m.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
        }
        if (m.cols != w || m.rows != h) cv::resize(m, m, cv::Size(w, h));
        thread_local std::vector<float> tensor;
        std::vector<int64_t> tdims;
        EMBER_RETURN_IF_ERROR(image::internal::ImageToTensor(m, spec, &tensor, &tdims));
        if (tdims[0] != channels) {
          return InvalidArgument("image row " + std::to_string(r) + " ('" + origin + "') has " +
                                 std::to_string(tdims[0]) + " channels, the model takes " +
                                 std::to_string(channels) + " (autoConvertToColor)");
        }
        std::memcpy(out, tensor.data(), tensor.size() * sizeof(float));
        return true;
      }};
  EMBER_ASSIGN_OR_RETURN(std::string feature, FeatureTensor());
  const std::string out_col = params_.output_col.empty() ? uid() + "_output" : params_.output_col;
  EMBER_ASSIGN_OR_RETURN(
      internal::NetPlan plan,
      internal::PlanNet(*model_, {feed}, {{out_col, feature}}, who, /*flatten=*/true));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, internal::OutputSchema(in, plan, {}, {}, who));
  return internal::MakeNetKernel(std::move(out), model_, std::move(plan), {}, {},
                                 params_.mini_batch_size, params_.drop_na);
}

}  // namespace ember::dnn
