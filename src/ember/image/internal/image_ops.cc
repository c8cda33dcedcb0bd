#include "ember/image/internal/image_ops.h"

#include <algorithm>
#include <map>
#include <opencv2/imgproc.hpp>

#include "ember/base/status_macros.h"

namespace ember::image::internal {

namespace {

using Kind = ImageOp::Kind;

const std::vector<std::pair<std::string, Kind>>& Actions() {
  static const std::vector<std::pair<std::string, Kind>> a = {
      {"resize", Kind::kResize},
      {"crop", Kind::kCrop},
      {"centercrop", Kind::kCenterCrop},
      {"colorformat", Kind::kColorFormat},
      {"flip", Kind::kFlip},
      {"blur", Kind::kBlur},
      {"threshold", Kind::kThreshold},
      {"gaussiankernel", Kind::kGaussianKernel}};
  return a;
}

const std::map<std::string, int>& ColorCodes() {
  static const std::map<std::string, int> m = {
      {"BGR2BGRA", cv::COLOR_BGR2BGRA},   {"BGRA2BGR", cv::COLOR_BGRA2BGR},
      {"BGR2RGB", cv::COLOR_BGR2RGB},     {"RGB2BGR", cv::COLOR_RGB2BGR},
      {"BGRA2RGBA", cv::COLOR_BGRA2RGBA}, {"BGR2GRAY", cv::COLOR_BGR2GRAY},
      {"RGB2GRAY", cv::COLOR_RGB2GRAY},   {"GRAY2BGR", cv::COLOR_GRAY2BGR},
      {"GRAY2BGRA", cv::COLOR_GRAY2BGRA}, {"BGRA2GRAY", cv::COLOR_BGRA2GRAY},
      {"BGR2HSV", cv::COLOR_BGR2HSV},     {"HSV2BGR", cv::COLOR_HSV2BGR},
      {"BGR2HLS", cv::COLOR_BGR2HLS},     {"HLS2BGR", cv::COLOR_HLS2BGR},
      {"BGR2Lab", cv::COLOR_BGR2Lab},     {"Lab2BGR", cv::COLOR_Lab2BGR},
      {"BGR2Luv", cv::COLOR_BGR2Luv},     {"BGR2XYZ", cv::COLOR_BGR2XYZ},
      {"BGR2YCrCb", cv::COLOR_BGR2YCrCb}, {"YCrCb2BGR", cv::COLOR_YCrCb2BGR},
      {"BGR2YUV", cv::COLOR_BGR2YUV},     {"YUV2BGR", cv::COLOR_YUV2BGR}};
  return m;
}

const std::map<std::string, int>& ThresholdTypes() {
  static const std::map<std::string, int> m = {{"binary", cv::THRESH_BINARY},
                                               {"binary_inv", cv::THRESH_BINARY_INV},
                                               {"trunc", cv::THRESH_TRUNC},
                                               {"tozero", cv::THRESH_TOZERO},
                                               {"tozero_inv", cv::THRESH_TOZERO_INV}};
  return m;
}

const std::map<std::string, int>& Interpolations() {
  static const std::map<std::string, int> m = {{"nearest", cv::INTER_NEAREST},
                                               {"linear", cv::INTER_LINEAR},
                                               {"cubic", cv::INTER_CUBIC},
                                               {"area", cv::INTER_AREA},
                                               {"lanczos4", cv::INTER_LANCZOS4}};
  return m;
}

std::string Names(const std::map<std::string, int>& m) {
  std::string s;
  for (const auto& [k, v] : m) s += (s.empty() ? "" : ", ") + k;
  return s;
}

// Reads the keys of one stage object, naming the stage in every error.
class Keys {
 public:
  Keys(const Json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  Status Int(const char* key, int* out, bool required, int lo = 0) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr) return required ? Missing(key) : Status::OK();
    if (!v->is_int() || v->as_int() < lo || v->as_int() > (1 << 30)) {
      return InvalidArgument(where_ + ": '" + key + "' must be an integer >= " +
                             std::to_string(lo) + ", got " + v->Dump());
    }
    *out = static_cast<int>(v->as_int());
    return Status::OK();
  }
  Status Double(const char* key, double* out, bool required) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr) return required ? Missing(key) : Status::OK();
    if (!v->is_number()) {
      return InvalidArgument(where_ + ": '" + key + "' must be a number, got " + v->Dump());
    }
    *out = v->as_double();
    return Status::OK();
  }
  Status Bool(const char* key, bool* out) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr) return Status::OK();
    if (!v->is_bool()) {
      return InvalidArgument(where_ + ": '" + key + "' must be true or false, got " + v->Dump());
    }
    *out = v->as_bool();
    return Status::OK();
  }
  // A number, or a name from `names`.
  Status Code(const char* key, const std::map<std::string, int>& names, int* out,
              bool required) const {
    const Json* v = obj_.Find(key);
    if (v == nullptr) return required ? Missing(key) : Status::OK();
    if (v->is_int()) {
      *out = static_cast<int>(v->as_int());
      return Status::OK();
    }
    if (v->is_string()) {
      auto it = names.find(v->as_string());
      if (it != names.end()) {
        *out = it->second;
        return Status::OK();
      }
    }
    return InvalidArgument(where_ + ": '" + key + "' must be a number or one of " + Names(names) +
                           ", got " + v->Dump());
  }
  const std::string& where() const { return where_; }

 private:
  Status Missing(const char* key) const {
    return InvalidArgument(where_ + ": missing '" + key + "'");
  }
  const Json& obj_;
  std::string where_;
};

Result<ImageOp> ParseOne(const Json& j, size_t index) {
  const std::string at = "stages[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(at + ": expected an object, got " + j.Dump());
  const Json* action = j.Find("action");
  if (action == nullptr || !action->is_string()) {
    return InvalidArgument(at +
                           ": missing \"action\" (resize, crop, centercrop, colorformat, "
                           "flip, blur, threshold, gaussiankernel)");
  }
  std::string name = action->as_string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  ImageOp op;
  auto it = std::find_if(Actions().begin(), Actions().end(),
                         [&](const auto& a) { return a.first == name; });
  if (it == Actions().end()) {
    return InvalidArgument(at + ": unknown action '" + action->as_string() +
                           "' (resize, crop, centercrop, colorformat, flip, blur, threshold, "
                           "gaussiankernel)");
  }
  op.kind = it->second;
  const Keys k(j, at + " (" + name + ")");
  switch (op.kind) {
    case Kind::kResize:
      EMBER_RETURN_IF_ERROR(k.Int("size", &op.size, false, 1));
      EMBER_RETURN_IF_ERROR(k.Bool("keepAspectRatio", &op.keep_aspect_ratio));
      EMBER_RETURN_IF_ERROR(k.Code("interpolation", Interpolations(), &op.interpolation, false));
      if (op.size == 0) {
        EMBER_RETURN_IF_ERROR(k.Int("height", &op.height, true, 1));
        EMBER_RETURN_IF_ERROR(k.Int("width", &op.width, true, 1));
      }
      break;
    case Kind::kCrop:
      EMBER_RETURN_IF_ERROR(k.Int("x", &op.x, true));
      EMBER_RETURN_IF_ERROR(k.Int("y", &op.y, true));
      EMBER_RETURN_IF_ERROR(k.Int("height", &op.height, true, 1));
      EMBER_RETURN_IF_ERROR(k.Int("width", &op.width, true, 1));
      break;
    case Kind::kCenterCrop:
    case Kind::kBlur:
      EMBER_RETURN_IF_ERROR(k.Int("height", &op.height, true, 1));
      EMBER_RETURN_IF_ERROR(k.Int("width", &op.width, true, 1));
      break;
    case Kind::kColorFormat:
      EMBER_RETURN_IF_ERROR(k.Code("format", ColorCodes(), &op.code, true));
      break;
    case Kind::kFlip:
      EMBER_RETURN_IF_ERROR(k.Int("flipCode", &op.flip_code, true, -1));
      if (op.flip_code > 1) {
        return InvalidArgument(k.where() +
                               ": 'flipCode' must be 0 (up-down), 1 (left-right) "
                               "or -1 (both), got " +
                               std::to_string(op.flip_code));
      }
      break;
    case Kind::kThreshold:
      EMBER_RETURN_IF_ERROR(k.Double("threshold", &op.threshold, true));
      EMBER_RETURN_IF_ERROR(k.Double("maxVal", &op.max_val, true));
      EMBER_RETURN_IF_ERROR(k.Code("type", ThresholdTypes(), &op.type, true));
      break;
    case Kind::kGaussianKernel:
      EMBER_RETURN_IF_ERROR(k.Int("apertureSize", &op.aperture_size, true, 1));
      EMBER_RETURN_IF_ERROR(k.Double("sigma", &op.sigma, true));
      if (op.aperture_size % 2 == 0) {
        return InvalidArgument(k.where() + ": 'apertureSize' must be odd, got " +
                               std::to_string(op.aperture_size));
      }
      break;
  }
  return op;
}

}  // namespace

Result<std::vector<ImageOp>> ParseImageOps(const std::vector<Json>& stages) {
  std::vector<ImageOp> ops;
  for (size_t i = 0; i < stages.size(); ++i) {
    EMBER_ASSIGN_OR_RETURN(ImageOp op, ParseOne(stages[i], i));
    ops.push_back(op);
  }
  return ops;
}

Result<cv::Mat> ApplyImageOp(const ImageOp& op, const cv::Mat& in, const std::string& origin) {
  cv::Mat out;
  const std::string who = origin.empty() ? "image" : "image '" + origin + "'";
  try {
    switch (op.kind) {
      case Kind::kResize: {
        int w = op.width, h = op.height;
        if (op.size > 0 && op.keep_aspect_ratio) {
          // The shorter side becomes `size`, the longer keeps the aspect ratio.
          if (in.rows <= in.cols) {
            h = op.size;
            w = std::max(1, static_cast<int>(int64_t{op.size} * in.cols / in.rows));
          } else {
            w = op.size;
            h = std::max(1, static_cast<int>(int64_t{op.size} * in.rows / in.cols));
          }
        } else if (op.size > 0) {
          w = h = op.size;
        }
        cv::resize(in, out, cv::Size(w, h), 0, 0, op.interpolation);
        break;
      }
      case Kind::kCrop:
        if (op.x + op.width > in.cols || op.y + op.height > in.rows) {
          return InvalidArgument(who + " of " + std::to_string(in.cols) + "x" +
                                 std::to_string(in.rows) + ": crop " + std::to_string(op.width) +
                                 "x" + std::to_string(op.height) + " at (" + std::to_string(op.x) +
                                 ", " + std::to_string(op.y) + ") falls outside it");
        }
        out = in(cv::Rect(op.x, op.y, op.width, op.height)).clone();
        break;
      case Kind::kCenterCrop: {
        const int w = std::min(op.width, in.cols), h = std::min(op.height, in.rows);
        out = in(cv::Rect((in.cols - w) / 2, (in.rows - h) / 2, w, h)).clone();
        break;
      }
      case Kind::kColorFormat:
        cv::cvtColor(in, out, op.code);
        break;
      case Kind::kFlip:
        cv::flip(in, out, op.flip_code);
        break;
      case Kind::kBlur:
        cv::blur(in, out, cv::Size(op.width, op.height));
        break;
      case Kind::kThreshold:
        cv::threshold(in, out, op.threshold, op.max_val, op.type);
        break;
      case Kind::kGaussianKernel:
        cv::filter2D(in, out, -1, cv::getGaussianKernel(op.aperture_size, op.sigma));
        break;
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument(who + " (" + std::to_string(in.channels()) + " channels): " + e.err);
  }
  if (out.depth() != CV_8U || (out.channels() != 1 && out.channels() != 3 && out.channels() != 4)) {
    return InvalidArgument(who + ": the operation gives " + std::to_string(out.channels()) +
                           " channels of depth " + std::to_string(out.depth()) +
                           "; images hold 1, 3 or 4 channels of 8 bits");
  }
  return out;
}

Status ImageToTensor(const cv::Mat& image, const TensorSpec& spec, std::vector<float>* out,
                     std::vector<int64_t>* dims) {
  cv::Mat m = image;
  if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
  if (m.channels() == 1 && spec.auto_convert_to_color) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
  const int c = m.channels(), h = m.rows, w = m.cols;
  auto check = [&](const std::vector<double>& v, const char* name) -> Status {
    if (!v.empty() && static_cast<int>(v.size()) != c) {
      return InvalidArgument(std::string(name) + " has " + std::to_string(v.size()) +
                             " values for an image of " + std::to_string(c) + " channels");
    }
    return Status::OK();
  };
  EMBER_RETURN_IF_ERROR(check(spec.mean, "normalizeMean"));
  EMBER_RETURN_IF_ERROR(check(spec.std, "normalizeStd"));
  // Per tensor channel t: the stored channel it reads, then value = (p * scale - mean) / std
  // computed as p * a + b.
  std::vector<int> src(c);
  std::vector<float> a(c), b(c);
  for (int t = 0; t < c; ++t) {
    src[t] = spec.rgb && c == 3 ? 2 - t : t;
    const double mean = spec.mean.empty() ? 0 : spec.mean[t];
    const double sd = spec.std.empty() ? 1 : spec.std[t];
    a[t] = static_cast<float>(spec.scale / sd);
    b[t] = static_cast<float>(-mean / sd);
  }
  out->resize(static_cast<size_t>(c) * h * w);
  float* o = out->data();
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = m.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      for (int t = 0; t < c; ++t) {
        const float v = static_cast<float>(row[x * c + src[t]]) * a[t] + b[t];
        if (spec.chw) {
          o[(static_cast<size_t>(t) * h + y) * w + x] = v;
        } else {
          o[(static_cast<size_t>(y) * w + x) * c + t] = v;
        }
      }
    }
  }
  *dims = spec.chw ? std::vector<int64_t>{c, h, w} : std::vector<int64_t>{h, w, c};
  return Status::OK();
}

}  // namespace ember::image::internal
