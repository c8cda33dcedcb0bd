// The image module's stages besides ImageTransformer (image_transformer.h), with
// SynapseML's names and params:
//   UnrollImage        image -> dense vector of nChannels x height x width doubles in planar
//                      order (all of channel 0, then 1, ...; channels as stored: B, G, R),
//                      pixel values 0-255. Ember's vectors have one width per column, so the
//                      size is a param and images of another size are resized to it
//                      (cv::resize, bilinear); gray or BGRA images are converted to
//                      nChannels.
//   ImageSetAugmenter  adds flipped copies of every image: each row is followed by its
//                      left-right mirror (flipLeftRight, default) and its up-down mirror
//                      (flipUpDown), the flipped image in outputCol, other columns copied.
// Inputs are image columns or binary columns of encoded images, as for ImageTransformer;
// null images stay null.
#pragma once

#include <string>

#include "ember/image/image_transformer.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember::image {

struct UnrollImageParams {
  std::string input_col = "image";
  std::string output_col;  // empty: "<uid>_output"
  int32_t width = 0;
  int32_t height = 0;
  int32_t n_channels = 3;
  static const ParamSpec<UnrollImageParams>& Spec();
};

class UnrollImage final : public StageBase<UnrollImage, Transformer, UnrollImageParams> {
 public:
  static constexpr std::string_view kTypeName = "UnrollImage";
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct ImageSetAugmenterParams {
  std::string input_col = "image";
  std::string output_col;  // empty: "<uid>_output"
  bool flip_left_right = true;
  bool flip_up_down = false;
  static const ParamSpec<ImageSetAugmenterParams>& Spec();
};

class ImageSetAugmenter final
    : public StageBase<ImageSetAugmenter, Transformer, ImageSetAugmenterParams> {
 public:
  static constexpr std::string_view kTypeName = "ImageSetAugmenter";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// Registers ImageTransformer, UnrollImage and ImageSetAugmenter.
Status RegisterImageStages(StageRegistry* registry);

}  // namespace ember::image
