// Column: an immutable array of values of one DataType in Arrow's memory layout, shared by
// pointer between batches and frames. Layout by type (buffers, then children):
//   bool                 [validity, bits]
//   int32/64, float32/64 [validity, values]
//   string, binary       [validity, int32 offsets, bytes]
//   list                 [validity, int32 offsets]           children: {values}
//   struct               [validity]                          children: one per field
//   dense vector[n]      [validity]                          children: {float64 of rows*n}
//   sparse vector[n]     [validity, int32 row offsets]       children: {int32 indices, float64
//   values}
// A null validity buffer means no nulls. `offset` is the first logical row in the buffers
// (zero-copy slices), as in Arrow. Immutable, so thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/buffer.h"
#include "ember/core/types.h"

namespace ember {

class Column;
using ColumnPtr = std::shared_ptr<const Column>;

class Column {
 public:
  // Checks that the buffers and children fit the type and length (sizes, offsets in
  // range), so that accessors never read out of bounds. `null_count` < 0 means "count it".
  static Result<ColumnPtr> Make(TypePtr type, int64_t length, std::vector<BufferPtr> buffers,
                                std::vector<ColumnPtr> children, int64_t null_count = -1,
                                int64_t offset = 0);
  // As Make, without validation: for builders and kernels that produce valid layouts.
  static ColumnPtr MakeUnchecked(TypePtr type, int64_t length, std::vector<BufferPtr> buffers,
                                 std::vector<ColumnPtr> children, int64_t null_count,
                                 int64_t offset = 0);
  // The same from braced lists ({validity, values}, {}): no temporary vectors, so a kernel
  // that builds many small columns (serving one row) allocates only the column itself.
  static ColumnPtr MakeUnchecked(TypePtr type, int64_t length,
                                 std::initializer_list<BufferPtr> buffers,
                                 std::initializer_list<ColumnPtr> children, int64_t null_count,
                                 int64_t offset = 0);
  // A column of `length` nulls of `type`.
  static ColumnPtr MakeNull(const TypePtr& type, int64_t length);

  const TypePtr& type() const { return type_; }
  TypeId type_id() const { return type_->id(); }
  int64_t length() const { return length_; }
  int64_t offset() const { return offset_; }
  int64_t null_count() const { return null_count_; }
  std::span<const BufferPtr> buffers() const { return {buffers_.data(), num_buffers_}; }
  std::span<const ColumnPtr> children() const {
    return num_children_ <= kInlineChildren
               ? std::span<const ColumnPtr>(inline_children_.data(), num_children_)
               : std::span<const ColumnPtr>(more_children_);
  }
  const ColumnPtr& child(int i) const { return children()[i]; }

  // The validity bitmap (bit offset() is row 0), or nullptr when there are no nulls.
  const uint8_t* validity() const {
    return null_count_ == 0 || !buffers_[0] ? nullptr : buffers_[0]->data();
  }
  bool IsValid(int64_t i) const {
    const uint8_t* v = validity();
    return v == nullptr || GetBit(v, offset_ + i);
  }
  bool IsNull(int64_t i) const { return !IsValid(i); }

  // Fixed-width values, already offset: Values<int64_t>()[i] is row i.
  template <typename T>
  const T* Values() const {
    return buffers_[1]->data_as<T>() + offset_;
  }
  bool BoolValue(int64_t i) const { return GetBit(buffers_[1]->data(), offset_ + i); }

  // Offsets of string, binary, list and sparse vector columns: [i] and [i+1] bound row i.
  const int32_t* Offsets() const { return buffers_[1]->data_as<int32_t>() + offset_; }
  // The bytes of a string or binary column; row i is [Offsets()[i], Offsets()[i + 1]).
  const char* StringData() const { return reinterpret_cast<const char*>(buffers_[2]->data()); }
  std::string_view StringValue(int64_t i) const {
    const int32_t* o = Offsets();
    return {reinterpret_cast<const char*>(buffers_[2]->data()) + o[i],
            static_cast<size_t>(o[i + 1] - o[i])};
  }

  // Dense vector row i: vector_size() doubles.
  std::span<const double> DenseRow(int64_t i) const {
    int64_t n = type_->vector_size();
    return {child(0)->Values<double>() + (offset_ + i) * n, static_cast<size_t>(n)};
  }
  // Sparse vector row i: its indices and values.
  std::span<const int32_t> SparseIndices(int64_t i) const {
    const int32_t* o = Offsets();
    return {child(0)->Values<int32_t>() + o[i], static_cast<size_t>(o[i + 1] - o[i])};
  }
  std::span<const double> SparseValues(int64_t i) const {
    const int32_t* o = Offsets();
    return {child(1)->Values<double>() + o[i], static_cast<size_t>(o[i + 1] - o[i])};
  }

  // Zero-copy view of rows [offset, offset + length). Precondition: within bounds.
  ColumnPtr Slice(int64_t offset, int64_t length) const;

 private:
  struct Private {};  // so that make_shared (one allocation) can call the constructor

 public:
  Column(Private, TypePtr type, int64_t length, std::span<const BufferPtr> buffers,
         std::span<const ColumnPtr> children, int64_t null_count, int64_t offset);

 private:
  // Buffers (at most 3 for any type) and up to two children are stored inline: a column is
  // one allocation. Structs with more fields keep their children in a vector.
  static constexpr size_t kMaxBuffers = 3;
  static constexpr size_t kInlineChildren = 2;
  TypePtr type_;
  int64_t length_;
  int64_t offset_;
  int64_t null_count_;
  std::array<BufferPtr, kMaxBuffers> buffers_{};
  size_t num_buffers_ = 0;
  std::array<ColumnPtr, kInlineChildren> inline_children_{};
  std::vector<ColumnPtr> more_children_;
  size_t num_children_ = 0;
};

// Number of buffers and children a column of `type` has (see the table above).
int NumBuffers(const DataType& type);

// Row r of a numeric or bool column as a double. Precondition: the row is valid.
double NumericValue(const Column& c, int64_t r);

// Calls fn(slot, value) for the stored entries of vector row r: every slot of a dense
// vector, the non-zero slots of a sparse one, in increasing slot order.
template <typename Fn>
void ForEachVectorEntry(const Column& c, int64_t r, Fn&& fn) {
  if (c.type()->sparse()) {
    auto idx = c.SparseIndices(r);
    auto val = c.SparseValues(r);
    for (size_t k = 0; k < idx.size(); ++k) fn(static_cast<int64_t>(idx[k]), val[k]);
  } else {
    auto row = c.DenseRow(r);
    for (size_t k = 0; k < row.size(); ++k) fn(static_cast<int64_t>(k), row[k]);
  }
}

}  // namespace ember
