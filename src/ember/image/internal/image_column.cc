#include "ember/image/internal/image_column.h"

#include <opencv2/imgproc.hpp>

#include "ember/base/status_macros.h"

namespace ember::image::internal {

Result<ImageColumnReader> ImageColumnReader::Bind(const Schema& in, const std::string& column,
                                                  const std::string& who, DecodeOptions decode) {
  EMBER_ASSIGN_OR_RETURN(int index, in.GetFieldIndex(column));
  const DataType& type = *in.field(index).type;
  ImageColumnReader r;
  r.index_ = index;
  r.name_ = column;
  r.decode_ = decode;
  if (type.id() == TypeId::kBinary) {
    r.encoded_ = true;
  } else if (!IsImageType(type)) {
    return InvalidArgument(who + ": column '" + column +
                           "' must hold images (Spark's image struct, as the image reader "
                           "gives) or encoded image bytes (binary), got " +
                           type.ToString());
  }
  return r;
}

Result<cv::Mat> ImageColumnReader::Read(const Column& column, int64_t r,
                                        std::string* origin) const {
  origin->clear();
  if (column.IsNull(r)) return cv::Mat();
  auto where = [&] {
    return "column '" + name_ + "' row " + std::to_string(r) +
           (origin->empty() ? "" : " ('" + *origin + "')");
  };
  if (encoded_) {
    Result<cv::Mat> m = DecodeImage(column.StringValue(r), decode_);
    if (!m.ok()) return InvalidArgument(where() + ": " + m.status().message());
    return m;
  }
  const ImageView view = ImageAt(column, r);
  origin->assign(view.origin);
  Status valid = ValidateImage(view);
  if (!valid.ok()) return InvalidArgument(where() + ": " + valid.message());
  return MatOf(view);
}

cv::Mat ToBgr(const cv::Mat& image) {
  cv::Mat out;
  if (image.channels() == 1) {
    cv::cvtColor(image, out, cv::COLOR_GRAY2BGR);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, out, cv::COLOR_BGRA2BGR);
  } else {
    out = image;
  }
  return out;
}

TensorColumnBuilder::TensorColumnBuilder(int rank, TypePtr element)
    : rank_(rank), element_(std::move(element)), offsets_(rank, std::vector<int32_t>{0}) {}

TypePtr TensorColumnBuilder::TypeOf(int rank, const TypePtr& element) {
  TypePtr t = element;
  for (int k = 0; k < rank; ++k) t = ListType(t);
  return t;
}

void TensorColumnBuilder::AppendShape(const std::vector<int64_t>& dims) {
  if ((rows_ & 7) == 0) validity_.push_back(0);
  SetBit(validity_.data(), rows_);
  ++rows_;
  int64_t lists = 1;  // lists at this level
  for (int k = 0; k < rank_; ++k) {
    std::vector<int32_t>& o = offsets_[k];
    for (int64_t i = 0; i < lists; ++i) o.push_back(static_cast<int32_t>(o.back() + dims[k]));
    lists *= dims[k];
  }
}

void TensorColumnBuilder::Append(const std::vector<int64_t>& dims, const float* values) {
  AppendShape(dims);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (element_->id() == TypeId::kFloat32) {
    values_.Append(values, n * 4);
  } else {
    for (int64_t i = 0; i < n; ++i) values_.AppendValue<double>(values[i]);
  }
  num_values_ += n;
}

void TensorColumnBuilder::Append(const std::vector<int64_t>& dims, const double* values) {
  AppendShape(dims);
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (element_->id() == TypeId::kFloat64) {
    values_.Append(values, n * 8);
  } else {
    for (int64_t i = 0; i < n; ++i) values_.AppendValue<float>(static_cast<float>(values[i]));
  }
  num_values_ += n;
}

void TensorColumnBuilder::AppendNull() {
  if ((rows_ & 7) == 0) validity_.push_back(0);
  ++rows_;
  ++nulls_;
  offsets_[0].push_back(offsets_[0].back());
}

ColumnPtr TensorColumnBuilder::Finish() {
  ColumnPtr child =
      Column::MakeUnchecked(element_, num_values_, {nullptr, values_.Finish()}, {}, 0);
  TypePtr type = element_;
  for (int k = rank_ - 1; k >= 0; --k) {
    type = ListType(type);
    const int64_t length = static_cast<int64_t>(offsets_[k].size()) - 1;
    BufferPtr validity = k == 0 && nulls_ > 0 ? Buffer::FromVector(std::move(validity_)) : nullptr;
    child =
        Column::MakeUnchecked(type, length, {validity, Buffer::FromVector(std::move(offsets_[k]))},
                              {child}, k == 0 ? nulls_ : 0);
  }
  return child;
}

}  // namespace ember::image::internal
