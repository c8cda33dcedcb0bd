// LIME and Kernel SHAP over the superpixels of an image, as SynapseML's ImageLIME and
// ImageSHAP (the paper's image explanations), with the params of explainer.h and:
//   inputCol          the explained image column: Spark's image struct, or encoded bytes
//                     (binary: samples are then re-encoded as PNG for the model).
//   cellSize          the superpixels' size in pixels (16): OpenCV ximgproc's SLIC region size.
//   modifier          how much space weighs against color (130, SynapseML's): SLIC's ruler is
//                     modifier / 10 (13; OpenCV's default is 10).
//   superpixelCol     each pixel's superpixel (list<int32>, row-major), added.
//   samplingFraction  (LIME) the chance that a superpixel is on in a sample (0.7).
//   infWeight         (SHAP) the weight of the empty and full coalitions (1e8).
// A superpixel that is off is painted black; SHAP's base is the model's output for the black
// image. An image smaller than one cell is that row's error. Built with EMBER_WITH_OPENCV.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "ember/explain/explainer.h"

namespace ember::explain {

struct ImageExplainParams {
  std::string input_col = "image";
  int32_t cell_size = 16;
  double modifier = 130;
  std::string superpixel_col = "superpixels";
  static const ParamSpec<ImageExplainParams>& Spec();
};

struct ImageSHAPParams {
  ExplainParams explain;
  ImageExplainParams image;
  double inf_weight = 1e8;
  static const ParamSpec<ImageSHAPParams>& Spec();
};

struct ImageLIMEParams {
  ExplainParams explain;
  LimeParams lime;
  ImageExplainParams image;
  double sampling_fraction = 0.7;
  static const ParamSpec<ImageLIMEParams>& Spec();
};

class ImageSHAP final : public ModelExplainer<ImageSHAP, ImageSHAPParams> {
 public:
  static constexpr std::string_view kTypeName = "ImageSHAP";
  static constexpr bool kBackground = false;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const { return Status::OK(); }
};

class ImageLIME final : public ModelExplainer<ImageLIME, ImageLIMEParams> {
 public:
  static constexpr std::string_view kTypeName = "ImageLIME";
  static constexpr bool kBackground = false;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const { return Status::OK(); }
};

// SLIC superpixels of an 8-bit image (gray, BGR or BGRA): each pixel's label, and how many
// labels there are. Errors when the image is smaller than one cell.
Result<int> Superpixels(const cv::Mat& image, int cell_size, double modifier, cv::Mat* labels);

// Registers ImageLIME and ImageSHAP.
Status RegisterImageExplainStages(StageRegistry* registry);

}  // namespace ember::explain
