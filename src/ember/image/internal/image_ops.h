// The operations of ImageTransformer (see image_transformer.h), parsed once from their JSON
// form, and the image-to-tensor conversion that ImageTransformer and the network stages
// share. Internal to image/.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/result.h"

namespace ember::image::internal {

struct ImageOp {
  enum class Kind {
    kResize,
    kCrop,
    kCenterCrop,
    kColorFormat,
    kFlip,
    kBlur,
    kThreshold,
    kGaussianKernel
  };
  Kind kind = Kind::kResize;
  int height = 0, width = 0;  // resize, crop, centercrop, blur
  int size = 0;               // resize by size
  bool keep_aspect_ratio = false;
  int interpolation = 1;  // cv::INTER_LINEAR
  int x = 0, y = 0;       // crop
  int code = 0;           // colorformat
  int flip_code = 0;      // flip
  double threshold = 0;   // threshold
  double max_val = 0;
  int type = 0;
  int aperture_size = 0;  // gaussiankernel
  double sigma = 0;
};

// Parses `stages` (an array of {"action": ..., keys}); errors name the stage's index, the
// action and the key.
Result<std::vector<ImageOp>> ParseImageOps(const std::vector<Json>& stages);

// Applies one operation. Errors (a crop outside the image, a conversion that gives an image
// of another depth) say what and why; `origin` names the image.
Result<cv::Mat> ApplyImageOp(const ImageOp& op, const cv::Mat& in, const std::string& origin);

// How an 8-bit image becomes a network's input tensor.
struct TensorSpec {
  bool rgb = true;  // channel order of the tensor (images are stored BGR)
  bool chw = true;  // CHW, else HWC
  bool auto_convert_to_color = false;
  double scale = 1.0;
  std::vector<double> mean;  // one per tensor channel, in the tensor's order; empty: 0
  std::vector<double> std;   // empty: 1
};

// Writes the tensor of `image` to `out` (resized to fit) and its dims ({C, H, W} or
// {H, W, C}). Alpha is dropped; gray stays one channel unless auto_convert_to_color.
// InvalidArgument when mean/std do not have one entry per channel.
Status ImageToTensor(const cv::Mat& image, const TensorSpec& spec, std::vector<float>* out,
                     std::vector<int64_t>* dims);

}  // namespace ember::image::internal
