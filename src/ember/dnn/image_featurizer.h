// ImageFeaturizer, as SynapseML's (deep-learning/ImageFeaturizer.scala): images through a
// headless network into feature vectors, for transfer learning (a classifier fitted on the
// features). Each image is resized to the network's input size (imageHeight x imageWidth,
// default: what the model declares), made a CHW tensor in RGB order with
// (pixel x colorScaleFactor - mean) / std per channel (ImageNet's means and stds by default),
// and run through the net; the features are
//   featureTensorName  when set: that tensor, node or layer of the graph, or else
//   cutOutputLayers    the input of the k-th layer from the output (1, the default: what
//                      feeds the classifier head; 0: the graph's output), counting only layers
//                      with weights or pooling (activations, softmax, flatten, reshape and
//                      dropout belong to the layer before them),
//   headless = false   the graph output (outputTensorName, default its first),
// flattened into one dense vector. Images come from an image column or encoded bytes;
// null images are dropped (dropNa, as SynapseML) or give null features. Per-thread nets, as
// ONNXModel.
#pragma once

#include <string>
#include <vector>

#include "ember/dnn/internal/net.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember::dnn {

struct ImageFeaturizerParams {
  std::string input_col = "image";
  std::string output_col;  // empty: "<uid>_output"
  std::string model_location;
  int32_t image_height = 0;  // 0: the model's
  int32_t image_width = 0;
  std::vector<double> channel_normalization_means = {0.485, 0.456, 0.406};
  std::vector<double> channel_normalization_stds = {0.229, 0.224, 0.225};
  double color_scale_factor = 1.0 / 255;
  std::string image_tensor_name;    // empty: the model's only input
  std::string feature_tensor_name;  // empty: by cutOutputLayers
  int32_t cut_output_layers = 1;
  bool headless = true;
  std::string output_tensor_name;  // headless = false; empty: the first graph output
  bool drop_na = true;
  bool ignore_decoding_errors = false;
  bool auto_convert_to_color = true;
  int32_t mini_batch_size = 10;
  static const ParamSpec<ImageFeaturizerParams>& Spec();
};

class ImageFeaturizer final
    : public StageBase<ImageFeaturizer, Transformer, ImageFeaturizerParams> {
 public:
  static constexpr std::string_view kTypeName = "ImageFeaturizer";
  static Result<std::shared_ptr<const ImageFeaturizer>> Make(Params p, std::string uid = {});
  static Result<std::shared_ptr<const ImageFeaturizer>> FromBytes(Params p, std::string bytes,
                                                                  std::string uid = {});
  static Result<std::shared_ptr<const ImageFeaturizer>> MakeOrLoad(const LoadContext& ctx);

  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Status SaveContents(const std::string& stage_dir) const override;
  // The tensor the features are read from (by featureTensorName, cutOutputLayers or
  // headless).
  Result<std::string> FeatureTensor() const;

 private:
  friend StageBase;
  ImageFeaturizer(Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid)
      : StageBase(std::move(p), std::move(uid)), model_(std::move(model)) {}
  static Status Check(const Params& p);
  static Result<std::shared_ptr<const ImageFeaturizer>> Build(
      Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid);

  std::shared_ptr<const internal::OnnxBytes> model_;
};

}  // namespace ember::dnn
