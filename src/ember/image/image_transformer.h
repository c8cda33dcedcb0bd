// ImageTransformer, as SynapseML's (opencv/ImageTransformer.scala): a list of OpenCV
// operations applied to every image of a column, optionally ending in a float tensor for a
// network. `stages` is a JSON array of objects with an "action" and its keys:
//   resize         height, width; or size (the shorter side when keepAspectRatio, else a
//                  size x size square), keepAspectRatio; optional interpolation
//                  (nearest|linear|cubic|area|lanczos4, default linear) - cv::resize
//   crop           x, y, height, width (must lie inside the image)          - ROI copy
//   centercrop     height, width (clamped to the image)                     - ROI copy
//   colorformat    format: a cv::ColorConversionCodes number or a name such as "BGR2GRAY"
//                                                                            - cv::cvtColor
//   flip           flipCode: 0 up-down, 1 left-right, -1 both                - cv::flip
//   blur           height, width: the box filter's size                      - cv::blur
//   threshold      threshold, maxVal, type (a cv::ThresholdTypes number or binary,
//                  binary_inv, trunc, tozero, tozero_inv)                    - cv::threshold
//   gaussiankernel apertureSize, sigma: cv::getGaussianKernel's 1-D kernel applied with
//                  cv::filter2D (SynapseML's operation: a vertical blur)
// Each gives exactly what the direct OpenCV call gives. With toTensor, the result becomes a
// nested list of floats (tensorElementType) in CHW (SynapseML's) or HWC order, channels RGB
// (default) or BGR, value = (pixel x colorScaleFactor - normalizeMean[c]) / normalizeStd[c];
// alpha is dropped, and gray becomes 3 channels with autoConvertToColor. The input is an
// image column or a binary column of encoded images. A null image gives null; an image that
// does not decode is an error naming the row (null with ignoreDecodingErrors).
#pragma once

#include <string>
#include <vector>

#include "ember/base/json.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember::image {

enum class TensorElement { kFloat, kDouble };
enum class TensorLayout { kChw, kHwc };
enum class ChannelOrder { kRgb, kBgr };

struct ImageTransformerParams {
  std::string input_col = "image";
  std::string output_col;  // empty: "<uid>_output"
  std::vector<Json> stages;
  bool to_tensor = false;
  TensorElement tensor_element_type = TensorElement::kFloat;
  TensorLayout tensor_layout = TensorLayout::kChw;
  ChannelOrder tensor_channel_order = ChannelOrder::kRgb;
  std::vector<double> normalize_mean;
  std::vector<double> normalize_std;
  double color_scale_factor = 1.0;
  bool auto_convert_to_color = false;
  bool ignore_decoding_errors = false;
  static const ParamSpec<ImageTransformerParams>& Spec();
};

class ImageTransformer final
    : public StageBase<ImageTransformer, Transformer, ImageTransformerParams> {
 public:
  static constexpr std::string_view kTypeName = "ImageTransformer";
  // The stage list parses and the normalization fits (std > 0, as many means as stds).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember::image
