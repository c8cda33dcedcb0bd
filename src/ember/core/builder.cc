#include "ember/core/builder.h"

#include "ember/base/check.h"

namespace ember {

void ColumnBuilder::AppendValidity(bool valid) {
  if (!valid && !has_validity_) {
    // First null: materialise the bitmap with every earlier row valid.
    validity_.Resize(BytesForBits(length_ + 1));
    std::memset(validity_.mutable_data(), 0xff, static_cast<size_t>(validity_.size()));
    has_validity_ = true;
  }
  if (has_validity_) {
    if (BytesForBits(length_ + 1) > validity_.size()) validity_.AppendValue<uint8_t>(0);
    if (valid)
      SetBit(validity_.mutable_data(), length_);
    else
      ClearBit(validity_.mutable_data(), length_);
  }
  if (!valid) ++null_count_;
  ++length_;
}

void ColumnBuilder::AppendValidityFrom(const Column& src, int64_t start, int64_t count) {
  if (!has_validity_ && src.null_count() == 0) {
    length_ += count;
    return;
  }
  for (int64_t i = 0; i < count; ++i) AppendValidity(src.IsValid(start + i));
}

BufferPtr ColumnBuilder::FinishValidity() {
  BufferPtr out = has_validity_ ? validity_.Finish() : nullptr;
  has_validity_ = false;
  length_ = 0;
  null_count_ = 0;
  return out;
}

void ColumnBuilder::AppendRange(const Column& src, int64_t start, int64_t count) {
  for (int64_t i = 0; i < count; ++i) AppendFrom(src, start + i);
}

// Bool ------------------------------------------------------------------------------------

void BoolBuilder::Append(bool v) {
  if (BytesForBits(length_ + 1) > bits_.size()) bits_.AppendValue<uint8_t>(0);
  if (v) SetBit(bits_.mutable_data(), length_);
  AppendValidity(true);
}

void BoolBuilder::AppendNull() {
  if (BytesForBits(length_ + 1) > bits_.size()) bits_.AppendValue<uint8_t>(0);
  AppendValidity(false);
}

void BoolBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsValid(row))
    Append(src.BoolValue(row));
  else
    AppendNull();
}

ColumnPtr BoolBuilder::Finish() {
  int64_t n = length_, nulls = null_count_;
  BufferPtr validity = FinishValidity();
  return Column::MakeUnchecked(type_, n, {validity, bits_.Finish()}, {}, nulls);
}

// String ----------------------------------------------------------------------------------

StringBuilder::StringBuilder(TypePtr type) : ColumnBuilder(std::move(type)) {
  offsets_.AppendValue<int32_t>(0);
}

void StringBuilder::Append(std::string_view v) {
  data_.Append(v.data(), static_cast<int64_t>(v.size()));
  offsets_.AppendValue(static_cast<int32_t>(data_.size()));
  AppendValidity(true);
}

void StringBuilder::AppendNull() {
  offsets_.AppendValue(static_cast<int32_t>(data_.size()));
  AppendValidity(false);
}

void StringBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsValid(row))
    Append(src.StringValue(row));
  else
    AppendNull();
}

ColumnPtr StringBuilder::Finish() {
  int64_t n = length_, nulls = null_count_;
  BufferPtr validity = FinishValidity();
  ColumnPtr out =
      Column::MakeUnchecked(type_, n, {validity, offsets_.Finish(), data_.Finish()}, {}, nulls);
  offsets_.AppendValue<int32_t>(0);
  return out;
}

// List ------------------------------------------------------------------------------------

ListBuilder::ListBuilder(TypePtr type)
    : ColumnBuilder(type), values_(MakeBuilder(type->value_type())) {}

void ListBuilder::Append() {
  offsets_.AppendValue(static_cast<int32_t>(values_->length()));
  AppendValidity(true);
}

void ListBuilder::AppendNull() {
  offsets_.AppendValue(static_cast<int32_t>(values_->length()));
  AppendValidity(false);
}

void ListBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsNull(row)) {
    AppendNull();
    return;
  }
  Append();
  const int32_t* o = src.Offsets();
  values_->AppendRange(*src.child(0), o[row], o[row + 1] - o[row]);
}

ColumnPtr ListBuilder::Finish() {
  offsets_.AppendValue(static_cast<int32_t>(values_->length()));
  int64_t n = length_, nulls = null_count_;
  BufferPtr validity = FinishValidity();
  return Column::MakeUnchecked(type_, n, {validity, offsets_.Finish()}, {values_->Finish()}, nulls);
}

// Struct ----------------------------------------------------------------------------------

StructBuilder::StructBuilder(TypePtr type) : ColumnBuilder(type) {
  for (const Field& f : type->fields()) fields_.push_back(MakeBuilder(f.type));
}

void StructBuilder::Append() { AppendValidity(true); }

void StructBuilder::AppendNull() {
  for (auto& f : fields_) f->AppendNull();
  AppendValidity(false);
}

void StructBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsNull(row)) {
    AppendNull();
    return;
  }
  Append();
  for (size_t i = 0; i < fields_.size(); ++i) {
    fields_[i]->AppendFrom(*src.child(static_cast<int>(i)), src.offset() + row);
  }
}

ColumnPtr StructBuilder::Finish() {
  std::vector<ColumnPtr> children;
  for (auto& f : fields_) children.push_back(f->Finish());
  int64_t n = length_, nulls = null_count_;
  BufferPtr validity = FinishValidity();
  return Column::MakeUnchecked(type_, n, {validity}, std::move(children), nulls);
}

// Vectors ---------------------------------------------------------------------------------

DenseVectorBuilder::DenseVectorBuilder(int64_t size)
    : ColumnBuilder(DenseVectorType(size)), size_(size) {}

Status DenseVectorBuilder::Append(std::span<const double> values) {
  if (static_cast<int64_t>(values.size()) != size_) {
    return InvalidArgument("vector of " + std::to_string(values.size()) +
                           " values appended to a vector[" + std::to_string(size_) + "] column");
  }
  values_.Append(values.data(), size_ * 8);
  AppendValidity(true);
  return Status::OK();
}

void DenseVectorBuilder::AppendNull() {
  values_.AppendZeros(size_ * 8);
  AppendValidity(false);
}

void DenseVectorBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsNull(row)) {
    AppendNull();
    return;
  }
  values_.Append(src.DenseRow(row).data(), size_ * 8);
  AppendValidity(true);
}

void DenseVectorBuilder::AppendRange(const Column& src, int64_t start, int64_t count) {
  // The rows copy as one block (what lies under a null row is never read).
  if (count <= 0) return;
  if (size_ > 0) values_.Append(src.DenseRow(start).data(), count * size_ * 8);
  AppendValidityFrom(src, start, count);
}

ColumnPtr DenseVectorBuilder::Finish() {
  int64_t n = length_, nulls = null_count_;
  BufferPtr validity = FinishValidity();
  ColumnPtr child =
      Column::MakeUnchecked(Float64Type(), n * size_, {nullptr, values_.Finish()}, {}, 0);
  return Column::MakeUnchecked(type_, n, {validity}, {child}, nulls);
}

SparseVectorBuilder::SparseVectorBuilder(int64_t size)
    : ColumnBuilder(SparseVectorType(size)), size_(size) {
  offsets_.AppendValue<int32_t>(0);
}

Status SparseVectorBuilder::Append(std::span<const int32_t> indices,
                                   std::span<const double> values) {
  if (indices.size() != values.size()) {
    return InvalidArgument("sparse vector with " + std::to_string(indices.size()) +
                           " indices but " + std::to_string(values.size()) + " values");
  }
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0 || indices[i] >= size_) {
      return InvalidArgument("sparse vector index " + std::to_string(indices[i]) +
                             " out of range [0, " + std::to_string(size_) + ")");
    }
    if (i > 0 && indices[i] <= indices[i - 1]) {
      return InvalidArgument("sparse vector indices must be strictly increasing, got " +
                             std::to_string(indices[i - 1]) + " then " +
                             std::to_string(indices[i]));
    }
  }
  indices_.Append(indices.data(), static_cast<int64_t>(indices.size() * 4));
  values_.Append(values.data(), static_cast<int64_t>(values.size() * 8));
  offsets_.AppendValue(static_cast<int32_t>(indices_.size() / 4));
  AppendValidity(true);
  return Status::OK();
}

void SparseVectorBuilder::AppendNull() {
  offsets_.AppendValue(static_cast<int32_t>(indices_.size() / 4));
  AppendValidity(false);
}

void SparseVectorBuilder::AppendFrom(const Column& src, int64_t row) {
  if (src.IsNull(row)) {
    AppendNull();
    return;
  }
  auto idx = src.SparseIndices(row);
  auto val = src.SparseValues(row);
  indices_.Append(idx.data(), static_cast<int64_t>(idx.size() * 4));
  values_.Append(val.data(), static_cast<int64_t>(val.size() * 8));
  offsets_.AppendValue(static_cast<int32_t>(indices_.size() / 4));
  AppendValidity(true);
}

ColumnPtr SparseVectorBuilder::Finish() {
  int64_t n = length_, nulls = null_count_;
  int64_t nnz = indices_.size() / 4;
  BufferPtr validity = FinishValidity();
  ColumnPtr idx = Column::MakeUnchecked(Int32Type(), nnz, {nullptr, indices_.Finish()}, {}, 0);
  ColumnPtr val = Column::MakeUnchecked(Float64Type(), nnz, {nullptr, values_.Finish()}, {}, 0);
  ColumnPtr out = Column::MakeUnchecked(type_, n, {validity, offsets_.Finish()}, {idx, val}, nulls);
  offsets_.AppendValue<int32_t>(0);
  return out;
}

ColumnPtr SparseVectorColumnFromBuffers(int64_t size, int64_t n, BufferPtr offsets,
                                        BufferPtr indices, BufferPtr values) {
  const int64_t nnz = offsets->data_as<int32_t>()[n];
  ColumnPtr idx = Column::MakeUnchecked(Int32Type(), nnz, {nullptr, std::move(indices)}, {}, 0);
  ColumnPtr val = Column::MakeUnchecked(Float64Type(), nnz, {nullptr, std::move(values)}, {}, 0);
  return Column::MakeUnchecked(SparseVectorType(size), n, {nullptr, std::move(offsets)}, {idx, val},
                               0);
}

ColumnPtr NumericColumnFromBuffers(TypePtr type, int64_t n, BufferPtr values, BufferPtr validity,
                                   int64_t null_count) {
  if (!validity) null_count = 0;
  return Column::MakeUnchecked(std::move(type), n, {std::move(validity), std::move(values)}, {},
                               null_count);
}

ColumnPtr DenseVectorColumnFromBuffers(int64_t size, int64_t n, BufferPtr values,
                                       BufferPtr validity, int64_t null_count) {
  if (!validity) null_count = 0;
  ColumnPtr child =
      Column::MakeUnchecked(Float64Type(), n * size, {nullptr, std::move(values)}, {}, 0);
  return Column::MakeUnchecked(DenseVectorType(size), n, {std::move(validity)}, {std::move(child)},
                               null_count);
}

ColumnPtr SparseVectorWriter::Finish(int64_t size, int32_t entries) {
  off[rows_] = entries;
  indices_.Resize(static_cast<int64_t>(entries) * 4);
  values_.Resize(static_cast<int64_t>(entries) * 8);
  return SparseVectorColumnFromBuffers(size, rows_, offsets_.Finish(), indices_.Finish(),
                                       values_.Finish());
}

BufferPtr CopyValidity(const Column& column) {
  if (column.null_count() == 0) return nullptr;
  const int64_t n = column.length();
  BufferBuilder bits;
  bits.Resize(BytesForBits(n));
  uint8_t* out = bits.mutable_data();
  for (int64_t r = 0; r < n; ++r) {
    if (column.IsValid(r)) SetBit(out, r);
  }
  return bits.Finish();
}

std::unique_ptr<ColumnBuilder> MakeBuilder(const TypePtr& type) {
  switch (type->id()) {
    case TypeId::kBool:
      return std::make_unique<BoolBuilder>();
    case TypeId::kInt32:
    case TypeId::kDate:
      return std::make_unique<Int32Builder>(type);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return std::make_unique<Int64Builder>(type);
    case TypeId::kFloat32:
      return std::make_unique<Float32Builder>(type);
    case TypeId::kFloat64:
      return std::make_unique<Float64Builder>(type);
    case TypeId::kString:
    case TypeId::kBinary:
      return std::make_unique<StringBuilder>(type);
    case TypeId::kList:
      return std::make_unique<ListBuilder>(type);
    case TypeId::kStruct:
      return std::make_unique<StructBuilder>(type);
    case TypeId::kVector:
      if (type->sparse()) return std::make_unique<SparseVectorBuilder>(type->vector_size());
      return std::make_unique<DenseVectorBuilder>(type->vector_size());
  }
  EMBER_CHECK(false);
  return nullptr;
}

ColumnPtr MakeDenseVectorColumn(const std::vector<std::vector<double>>& rows, int64_t size) {
  DenseVectorBuilder b(size);
  for (const auto& r : rows) {
    Status s = b.Append(r);
    EMBER_CHECK(s.ok());
  }
  return b.Finish();
}

}  // namespace ember
