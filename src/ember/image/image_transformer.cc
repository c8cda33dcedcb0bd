#include "ember/image/image_transformer.h"

#include "ember/base/status_macros.h"
#include "ember/image/internal/image_column.h"
#include "ember/image/internal/image_ops.h"

namespace ember::image {

using internal::ImageColumnReader;
using internal::ImageOp;
using internal::TensorColumnBuilder;

const ParamSpec<ImageTransformerParams>& ImageTransformerParams::Spec() {
  using P = ImageTransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ImageTransformer")
          .Add("inputCol", &P::input_col,
               "The images: an image column (the image reader's) or encoded image bytes "
               "(binary).",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col,
               "The column to write (an image, or a tensor with toTensor); empty: "
               "'<uid>_output'. May equal inputCol to replace it.")
          .Add("stages", &P::stages,
               "The operations, in order: objects with an \"action\" (resize, crop, "
               "centercrop, colorformat, flip, blur, threshold, gaussiankernel) and its keys; "
               "see docs/images.md.")
          .Add("toTensor", &P::to_tensor,
               "End with a float tensor (nested lists) for a network instead of an image.")
          .AddEnum("tensorElementType", &P::tensor_element_type,
                   {{"float", TensorElement::kFloat}, {"double", TensorElement::kDouble}},
                   "The tensor's element type.")
          .AddEnum("tensorLayout", &P::tensor_layout,
                   {{"CHW", TensorLayout::kChw}, {"HWC", TensorLayout::kHwc}},
                   "The tensor's order: channels, rows, columns (CHW, SynapseML's and "
                   "PyTorch's) or rows, columns, channels (HWC, TensorFlow's).")
          .AddEnum("tensorChannelOrder", &P::tensor_channel_order,
                   {{"RGB", ChannelOrder::kRgb}, {"BGR", ChannelOrder::kBgr}},
                   "The tensor's channel order (images are stored BGR).")
          .Add("normalizeMean", &P::normalize_mean,
               "Per tensor channel, subtracted after scaling; empty: 0.")
          .Add("normalizeStd", &P::normalize_std,
               "Per tensor channel, divides after the mean; empty: 1.",
               Each(Validator<double>{[](const double& v) {
                                        return v > 0 ? Status::OK()
                                                     : InvalidArgument("must be > 0");
                                      },
                                      "> 0"}))
          .Add("colorScaleFactor", &P::color_scale_factor,
               "Multiplies each pixel before normalization (1/255 for [0, 1]).")
          .Add("autoConvertToColor", &P::auto_convert_to_color,
               "Gray images become 3-channel before the tensor.")
          .Add("ignoreDecodingErrors", &P::ignore_decoding_errors,
               "Encoded images that do not decode become null instead of an error."));
  return spec;
}

Status ImageTransformer::Check(const Params& p) {
  Result<std::vector<ImageOp>> ops = internal::ParseImageOps(p.stages);
  if (!ops.ok()) return ops.status().WithContext("ImageTransformer param 'stages'");
  if (!p.normalize_mean.empty() && !p.normalize_std.empty() &&
      p.normalize_mean.size() != p.normalize_std.size()) {
    return InvalidArgument("ImageTransformer: normalizeMean has " +
                           std::to_string(p.normalize_mean.size()) + " values, normalizeStd " +
                           std::to_string(p.normalize_std.size()));
  }
  if (!p.to_tensor && (!p.normalize_mean.empty() || !p.normalize_std.empty())) {
    return InvalidArgument(
        "ImageTransformer: normalizeMean/normalizeStd apply to tensors; set toTensor");
  }
  return Status::OK();
}

namespace {

class ImageTransformKernel final : public BoundTransform {
 public:
  ImageTransformKernel(SchemaPtr out, ImageColumnReader reader, int replace,
                       std::vector<ImageOp> ops, const ImageTransformerParams& p)
      : out_(std::move(out)),
        reader_(std::move(reader)),
        replace_(replace),
        ops_(std::move(ops)),
        to_tensor_(p.to_tensor),
        ignore_errors_(p.ignore_decoding_errors),
        element_(p.tensor_element_type == TensorElement::kFloat ? Float32Type() : Float64Type()) {
    spec_.rgb = p.tensor_channel_order == ChannelOrder::kRgb;
    spec_.chw = p.tensor_layout == TensorLayout::kChw;
    spec_.auto_convert_to_color = p.auto_convert_to_color;
    spec_.scale = p.color_scale_factor;
    spec_.mean = p.normalize_mean;
    spec_.std = p.normalize_std;
  }
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return true; }  // milliseconds per image

  Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
    const Column& col = *in.column(reader_.index());
    ImageBuilder images;
    TensorColumnBuilder tensors(3, element_);
    std::vector<float> values;
    std::vector<int64_t> dims;
    std::string origin;
    for (int64_t r = 0; r < in.num_rows(); ++r) {
      Result<cv::Mat> mat = reader_.Read(col, r, &origin);
      if (!mat.ok() && !(ignore_errors_ && reader_.encoded())) return mat.status();
      cv::Mat m = mat.ok() ? *mat : cv::Mat();
      for (size_t k = 0; k < ops_.size() && !m.empty(); ++k) {
        Result<cv::Mat> next = internal::ApplyImageOp(ops_[k], m, origin);
        if (!next.ok()) {
          return next.status().WithContext("ImageTransformer row " + std::to_string(r) +
                                           ", stages[" + std::to_string(k) + "]");
        }
        m = *std::move(next);
      }
      if (m.empty()) {
        to_tensor_ ? tensors.AppendNull() : images.AppendNull();
      } else if (to_tensor_) {
        EMBER_RETURN_IF_ERROR(internal::ImageToTensor(m, spec_, &values, &dims)
                                  .WithContext("ImageTransformer row " + std::to_string(r)));
        tensors.Append(dims, values.data());
      } else {
        internal::AppendMat(images, origin, m);
      }
    }
    std::vector<ColumnPtr> cols = in.columns();
    ColumnPtr result = to_tensor_ ? tensors.Finish() : images.Finish();
    if (replace_ >= 0) {
      cols[replace_] = std::move(result);
    } else {
      cols.push_back(std::move(result));
    }
    return Batch::Make(out_, std::move(cols), in.num_rows());
  }

 private:
  SchemaPtr out_;
  ImageColumnReader reader_;
  int replace_;
  std::vector<ImageOp> ops_;
  bool to_tensor_;
  bool ignore_errors_;
  TypePtr element_;
  internal::TensorSpec spec_;
};

}  // namespace

Result<std::unique_ptr<BoundTransform>> ImageTransformer::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(ImageColumnReader reader,
                         ImageColumnReader::Bind(in, params_.input_col, Describe()));
  EMBER_ASSIGN_OR_RETURN(std::vector<ImageOp> ops, internal::ParseImageOps(params_.stages));
  const std::string out_name = params_.output_col.empty() ? uid() + "_output" : params_.output_col;
  const TypePtr type =
      params_.to_tensor
          ? TensorColumnBuilder::TypeOf(3, params_.tensor_element_type == TensorElement::kFloat
                                               ? Float32Type()
                                               : Float64Type())
          : ImageType();
  int replace = -1;
  SchemaPtr out;
  if (out_name == params_.input_col) {
    replace = reader.index();
    std::vector<Field> fields = in.fields();
    fields[replace] = MakeField(out_name, type);
    EMBER_ASSIGN_OR_RETURN(out, Schema::Make(std::move(fields)));
  } else {
    Result<SchemaPtr> added = in.AddField(MakeField(out_name, type));
    if (!added.ok()) return added.status().WithContext(Describe());
    out = *added;
  }
  return std::unique_ptr<BoundTransform>(
      new ImageTransformKernel(out, std::move(reader), replace, std::move(ops), params_));
}

}  // namespace ember::image
