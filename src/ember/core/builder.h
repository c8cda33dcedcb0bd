// Column builders: append values row by row (or copy rows from another column of the same
// type), then Finish() into an immutable Column. One builder per type; MakeBuilder picks it.
// Builders are not thread-safe; use one per thread.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/column.h"

namespace ember {

class ColumnBuilder {
 public:
  explicit ColumnBuilder(TypePtr type) : type_(std::move(type)) {}
  virtual ~ColumnBuilder() = default;
  ColumnBuilder(const ColumnBuilder&) = delete;
  ColumnBuilder& operator=(const ColumnBuilder&) = delete;

  const TypePtr& type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }

  virtual void AppendNull() = 0;
  // Appends row `row` of `src`. Precondition: src has this builder's type.
  virtual void AppendFrom(const Column& src, int64_t row) = 0;
  // Appends rows [start, start + count) of `src`.
  virtual void AppendRange(const Column& src, int64_t start, int64_t count);
  virtual void Reserve(int64_t rows) {}
  // Returns the built column and resets the builder to empty.
  virtual ColumnPtr Finish() = 0;

 protected:
  // Records one row's validity; the bitmap is only materialised once a null appears.
  void AppendValidity(bool valid);
  // Records the validity of rows [start, start + count) of `src`: one step when neither has
  // nulls.
  void AppendValidityFrom(const Column& src, int64_t start, int64_t count);
  // Returns the bitmap (or nullptr) and resets length and null count.
  BufferPtr FinishValidity();

  TypePtr type_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;

 private:
  BufferBuilder validity_;
  bool has_validity_ = false;
};

class BoolBuilder final : public ColumnBuilder {
 public:
  BoolBuilder() : ColumnBuilder(BoolType()) {}
  void Append(bool v);
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  ColumnPtr Finish() override;

 private:
  BufferBuilder bits_;
};

template <typename T>
class NumericBuilder final : public ColumnBuilder {
 public:
  explicit NumericBuilder(TypePtr type) : ColumnBuilder(std::move(type)) {}
  void Append(T v) {
    values_.AppendValue(v);
    AppendValidity(true);
  }
  void AppendNull() override {
    values_.AppendValue(T{});
    AppendValidity(false);
  }
  void AppendFrom(const Column& src, int64_t row) override {
    if (src.IsValid(row))
      Append(src.Values<T>()[row]);
    else
      AppendNull();
  }
  void AppendRange(const Column& src, int64_t start, int64_t count) override {
    values_.Append(src.Values<T>() + start, count * static_cast<int64_t>(sizeof(T)));
    AppendValidityFrom(src, start, count);
  }
  void Reserve(int64_t rows) override { values_.Reserve(rows * sizeof(T)); }
  ColumnPtr Finish() override {
    int64_t n = length_, nulls = null_count_;
    BufferPtr validity = FinishValidity();
    return Column::MakeUnchecked(type_, n, {validity, values_.Finish()}, {}, nulls);
  }

 private:
  BufferBuilder values_;
};

using Int32Builder = NumericBuilder<int32_t>;
using Int64Builder = NumericBuilder<int64_t>;
using Float32Builder = NumericBuilder<float>;
using Float64Builder = NumericBuilder<double>;

// Builds string or binary columns.
class StringBuilder final : public ColumnBuilder {
 public:
  explicit StringBuilder(TypePtr type = StringType());
  void Append(std::string_view v);
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  void Reserve(int64_t rows) override { offsets_.Reserve(rows * 4); }
  void ReserveBytes(int64_t bytes) { data_.Reserve(bytes); }
  ColumnPtr Finish() override;
  // Bytes appended so far; values past 2 GiB per column do not fit int32 offsets.
  int64_t data_size() const { return data_.size(); }

 private:
  BufferBuilder offsets_;
  BufferBuilder data_;
};

// Build a list row with Append(), then append its elements to value_builder().
class ListBuilder final : public ColumnBuilder {
 public:
  explicit ListBuilder(TypePtr type);
  void Append();
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  ColumnBuilder* value_builder() { return values_.get(); }
  ColumnPtr Finish() override;

 private:
  BufferBuilder offsets_;
  std::unique_ptr<ColumnBuilder> values_;
};

// Build a struct row with Append(), then append one value to every field_builder(i).
class StructBuilder final : public ColumnBuilder {
 public:
  explicit StructBuilder(TypePtr type);
  void Append();
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  int num_fields() const { return static_cast<int>(fields_.size()); }
  ColumnBuilder* field_builder(int i) { return fields_[i].get(); }
  ColumnPtr Finish() override;

 private:
  std::vector<std::unique_ptr<ColumnBuilder>> fields_;
};

class DenseVectorBuilder final : public ColumnBuilder {
 public:
  explicit DenseVectorBuilder(int64_t size);
  // InvalidArgument if values.size() differs from the vector size.
  Status Append(std::span<const double> values);
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  void AppendRange(const Column& src, int64_t start, int64_t count) override;
  void Reserve(int64_t rows) override { values_.Reserve(rows * size_ * 8); }
  ColumnPtr Finish() override;

 private:
  int64_t size_;
  BufferBuilder values_;
};

class SparseVectorBuilder final : public ColumnBuilder {
 public:
  explicit SparseVectorBuilder(int64_t size);
  // InvalidArgument unless indices are strictly increasing, within [0, size), and as many
  // as values.
  Status Append(std::span<const int32_t> indices, std::span<const double> values);
  void AppendNull() override;
  void AppendFrom(const Column& src, int64_t row) override;
  void Reserve(int64_t rows) override { offsets_.Reserve(rows * 4); }
  // Room for `entries` more stored (index, value) pairs.
  void ReserveEntries(int64_t entries) {
    indices_.Reserve(entries * 4);
    values_.Reserve(entries * 8);
  }
  ColumnPtr Finish() override;

 private:
  int64_t size_;
  BufferBuilder offsets_;
  BufferBuilder indices_;
  BufferBuilder values_;
};

// A builder for any type.
std::unique_ptr<ColumnBuilder> MakeBuilder(const TypePtr& type);

// --- Convenience constructors, mostly for tests and examples ---------------------------

template <typename T>
struct CTypeTraits;
template <>
struct CTypeTraits<bool> {
  static TypePtr type() { return BoolType(); }
};
template <>
struct CTypeTraits<int32_t> {
  static TypePtr type() { return Int32Type(); }
};
template <>
struct CTypeTraits<int64_t> {
  static TypePtr type() { return Int64Type(); }
};
template <>
struct CTypeTraits<float> {
  static TypePtr type() { return Float32Type(); }
};
template <>
struct CTypeTraits<double> {
  static TypePtr type() { return Float64Type(); }
};
template <>
struct CTypeTraits<std::string> {
  static TypePtr type() { return StringType(); }
};

// A column from values; nullopt becomes null.
template <typename T>
ColumnPtr MakeColumn(const std::vector<std::optional<T>>& values) {
  auto builder = MakeBuilder(CTypeTraits<T>::type());
  for (const auto& v : values) {
    if (!v) {
      builder->AppendNull();
    } else if constexpr (std::is_same_v<T, bool>) {
      static_cast<BoolBuilder*>(builder.get())->Append(*v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      static_cast<StringBuilder*>(builder.get())->Append(*v);
    } else {
      static_cast<NumericBuilder<T>*>(builder.get())->Append(*v);
    }
  }
  return builder->Finish();
}
// A dense vector column from rows of equal width.
ColumnPtr MakeDenseVectorColumn(const std::vector<std::vector<double>>& rows, int64_t size);

// A sparse vector[size] column of `n` rows, all valid, from finished buffers: `offsets`
// (n + 1 int32 from 0, non-decreasing), and `indices` (int32, increasing within a row,
// in [0, size)) and `values` (float64) of offsets[n] entries. For kernels that build the
// buffers column-at-a-time; the caller guarantees the layout.
ColumnPtr SparseVectorColumnFromBuffers(int64_t size, int64_t n, BufferPtr offsets,
                                        BufferPtr indices, BufferPtr values);

// Writes a sparse vector column's CSR arrays in place, for kernels that know an upper bound
// on the entries: set off[r] to the running count before row r's entries, write entries at
// ix / vx, then Finish with the count (the arrays shrink to it).
class SparseVectorWriter {
 public:
  SparseVectorWriter(int64_t rows, int64_t max_entries) : rows_(rows) {
    offsets_.ResizeUninitialized((rows + 1) * 4);
    indices_.ResizeUninitialized(max_entries * 4);
    values_.ResizeUninitialized(max_entries * 8);
    off = offsets_.mutable_data_as<int32_t>();
    ix = indices_.mutable_data_as<int32_t>();
    vx = values_.mutable_data_as<double>();
  }
  int32_t* off;
  int32_t* ix;
  double* vx;
  ColumnPtr Finish(int64_t size, int32_t entries);

 private:
  int64_t rows_;
  BufferBuilder offsets_, indices_, values_;
};

// Columns from finished buffers, for kernels that know the row count and write values in
// place. `validity` may be null (no nulls); otherwise it has `null_count` cleared bits.
// The caller guarantees the sizes: `values` holds n values (n * size doubles for vectors).
ColumnPtr NumericColumnFromBuffers(TypePtr type, int64_t n, BufferPtr values,
                                   BufferPtr validity = nullptr, int64_t null_count = 0);
ColumnPtr DenseVectorColumnFromBuffers(int64_t size, int64_t n, BufferPtr values,
                                       BufferPtr validity = nullptr, int64_t null_count = 0);
// A validity bitmap of `column`'s rows (bit 0 = row 0), or null when it has no nulls: for
// outputs that are null exactly where an input is.
BufferPtr CopyValidity(const Column& column);

}  // namespace ember
