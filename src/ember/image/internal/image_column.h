// How the image stages read their input column and write tensors. Internal to image/.
#pragma once

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/image/internal/codec.h"

namespace ember::image::internal {

// Reads an image column: Spark image structs (a view, no copy), or encoded bytes (a binary
// column: a request body, ReadBinaryFiles' bytes) decoded on the way. Immutable.
class ImageColumnReader {
 public:
  // InvalidArgument naming `who` and the column unless it is an image struct or binary.
  // `decode`: how encoded images are decoded (a consumer that resizes anyway sets its
  // target size and color mode).
  static Result<ImageColumnReader> Bind(const Schema& in, const std::string& column,
                                        const std::string& who, DecodeOptions decode = {});
  int index() const { return index_; }
  bool encoded() const { return encoded_; }

  // Row r of `column` (this reader's column of a batch). An empty Mat for a null row.
  // Errors (a bad struct, bytes that do not decode) name the column, the row and the
  // image's origin.
  Result<cv::Mat> Read(const Column& column, int64_t r, std::string* origin) const;

 private:
  int index_ = -1;
  bool encoded_ = false;
  std::string name_;
  DecodeOptions decode_;
};

// 8-bit image -> 3-channel BGR (gray expanded, alpha dropped); others unchanged.
cv::Mat ToBgr(const cv::Mat& image);

// Builds a column of nested lists of float32 or float64 (list<list<list<float32>>> for a
// 3-d tensor), one tensor per row, each with its own dims.
class TensorColumnBuilder {
 public:
  // `rank` nesting levels (>= 1) of `element` (Float32Type() or Float64Type()).
  TensorColumnBuilder(int rank, TypePtr element);
  static TypePtr TypeOf(int rank, const TypePtr& element);
  // Appends one row: `dims` (rank of them) and prod(dims) values in row-major order.
  void Append(const std::vector<int64_t>& dims, const float* values);
  void Append(const std::vector<int64_t>& dims, const double* values);
  void AppendNull();
  ColumnPtr Finish();

 private:
  void AppendShape(const std::vector<int64_t>& dims);
  int rank_;
  TypePtr element_;
  int64_t rows_ = 0;
  int64_t nulls_ = 0;
  std::vector<uint8_t> validity_;
  std::vector<std::vector<int32_t>> offsets_;  // per level
  BufferBuilder values_;
  int64_t num_values_ = 0;
};

}  // namespace ember::image::internal
