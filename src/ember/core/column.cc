#include "ember/core/column.h"

#include <algorithm>
#include <string>

#include "ember/base/check.h"
#include "ember/base/status_macros.h"

namespace ember {

int NumBuffers(const DataType& type) {
  switch (type.id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      return 3;
    case TypeId::kStruct:
      return 1;
    case TypeId::kVector:
      return type.sparse() ? 2 : 1;
    default:
      return 2;
  }
}

namespace {

Status CheckSize(const BufferPtr& b, int64_t need, const char* what, const DataType& type) {
  if (b == nullptr || b->size() < need) {
    return InvalidArgument(type.ToString() + " column: " + what + " buffer has " +
                           std::to_string(b ? b->size() : 0) + " bytes, needs " +
                           std::to_string(need));
  }
  return Status::OK();
}

// Checks an int32 offsets buffer for rows [offset, offset + length): in bounds, monotonic,
// ending within `limit`.
Status CheckOffsets(const BufferPtr& b, int64_t offset, int64_t length, int64_t limit,
                    const DataType& type) {
  EMBER_RETURN_IF_ERROR(CheckSize(b, (offset + length + 1) * 4, "offsets", type));
  const int32_t* o = b->data_as<int32_t>() + offset;
  if (o[0] < 0) return InvalidArgument(type.ToString() + " column: negative offset");
  for (int64_t i = 0; i < length; ++i) {
    if (o[i + 1] < o[i]) {
      return InvalidArgument(type.ToString() + " column: offsets decrease at row " +
                             std::to_string(i));
    }
  }
  if (o[length] > limit) {
    return InvalidArgument(type.ToString() + " column: offset " + std::to_string(o[length]) +
                           " past the end of its values (" + std::to_string(limit) + ")");
  }
  return Status::OK();
}

Status CheckChild(const ColumnPtr& child, const DataType& expected, int64_t min_length,
                  const DataType& parent) {
  if (child == nullptr || !child->type()->Equals(expected)) {
    return InvalidArgument(parent.ToString() + " column: child should be " + expected.ToString() +
                           ", got " + (child ? child->type()->ToString() : "none"));
  }
  if (child->length() < min_length) {
    return InvalidArgument(parent.ToString() + " column: child has " +
                           std::to_string(child->length()) + " values, needs " +
                           std::to_string(min_length));
  }
  return Status::OK();
}

Status Validate(const DataType& type, int64_t length, int64_t offset,
                const std::vector<BufferPtr>& buffers, const std::vector<ColumnPtr>& children) {
  if (length < 0 || offset < 0) return InvalidArgument("negative column length or offset");
  if (static_cast<int>(buffers.size()) != NumBuffers(type)) {
    return InvalidArgument(type.ToString() + " column: expected " +
                           std::to_string(NumBuffers(type)) + " buffers, got " +
                           std::to_string(buffers.size()));
  }
  const int64_t end = offset + length;
  if (buffers[0]) EMBER_RETURN_IF_ERROR(CheckSize(buffers[0], BytesForBits(end), "validity", type));
  switch (type.id()) {
    case TypeId::kBool:
      return CheckSize(buffers[1], BytesForBits(end), "values", type);
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
      return CheckSize(buffers[1], end * type.byte_width(), "values", type);
    case TypeId::kString:
    case TypeId::kBinary:
      if (buffers[2] == nullptr)
        return InvalidArgument(type.ToString() + " column: no data buffer");
      return CheckOffsets(buffers[1], offset, length, buffers[2]->size(), type);
    case TypeId::kList:
      if (children.size() != 1) return InvalidArgument("list column needs one child");
      EMBER_RETURN_IF_ERROR(CheckChild(children[0], *type.value_type(), 0, type));
      return CheckOffsets(buffers[1], offset, length, children[0]->length(), type);
    case TypeId::kStruct:
      if (children.size() != type.fields().size()) {
        return InvalidArgument(type.ToString() + " column: expected " +
                               std::to_string(type.fields().size()) + " children");
      }
      for (size_t i = 0; i < children.size(); ++i) {
        EMBER_RETURN_IF_ERROR(CheckChild(children[i], *type.fields()[i].type, end, type));
      }
      return Status::OK();
    case TypeId::kVector: {
      if (!type.sparse()) {
        if (children.size() != 1) return InvalidArgument("vector column needs one child");
        return CheckChild(children[0], *Float64Type(), end * type.vector_size(), type);
      }
      if (children.size() != 2) return InvalidArgument("sparse vector column needs two children");
      EMBER_RETURN_IF_ERROR(CheckChild(children[0], *Int32Type(), 0, type));
      EMBER_RETURN_IF_ERROR(CheckChild(children[1], *Float64Type(), 0, type));
      int64_t limit = std::min(children[0]->length(), children[1]->length());
      EMBER_RETURN_IF_ERROR(CheckOffsets(buffers[1], offset, length, limit, type));
      const int32_t* o = buffers[1]->data_as<int32_t>() + offset;
      const int32_t* idx = children[0]->Values<int32_t>();
      for (int64_t k = o[0]; k < o[length]; ++k) {
        if (idx[k] < 0 || idx[k] >= type.vector_size()) {
          return InvalidArgument(type.ToString() + " column: index " + std::to_string(idx[k]) +
                                 " out of range");
        }
      }
      return Status::OK();
    }
  }
  return Internal("unknown type");
}

}  // namespace

Column::Column(Private, TypePtr type, int64_t length, std::span<const BufferPtr> buffers,
               std::span<const ColumnPtr> children, int64_t null_count, int64_t offset)
    : type_(std::move(type)), length_(length), offset_(offset), null_count_(null_count) {
  EMBER_CHECK(buffers.size() <= kMaxBuffers);
  std::copy(buffers.begin(), buffers.end(), buffers_.begin());
  num_buffers_ = buffers.size();
  num_children_ = children.size();
  if (children.size() <= kInlineChildren) {
    std::copy(children.begin(), children.end(), inline_children_.begin());
  } else {
    more_children_.assign(children.begin(), children.end());
  }
}

namespace {

int64_t NullCount(std::span<const BufferPtr> buffers, int64_t length, int64_t null_count,
                  int64_t offset) {
  if (!buffers.empty() && buffers[0] == nullptr) return 0;
  if (null_count < 0) return length - CountSetBits(buffers[0]->data(), offset, length);
  return null_count;
}

}  // namespace

ColumnPtr Column::MakeUnchecked(TypePtr type, int64_t length, std::vector<BufferPtr> buffers,
                                std::vector<ColumnPtr> children, int64_t null_count,
                                int64_t offset) {
  null_count = NullCount(buffers, length, null_count, offset);
  return std::make_shared<const Column>(Private{}, std::move(type), length, buffers, children,
                                        null_count, offset);
}

ColumnPtr Column::MakeUnchecked(TypePtr type, int64_t length,
                                std::initializer_list<BufferPtr> buffers,
                                std::initializer_list<ColumnPtr> children, int64_t null_count,
                                int64_t offset) {
  const std::span<const BufferPtr> b(buffers.begin(), buffers.size());
  null_count = NullCount(b, length, null_count, offset);
  return std::make_shared<const Column>(
      Private{}, std::move(type), length, b,
      std::span<const ColumnPtr>(children.begin(), children.size()), null_count, offset);
}

Result<ColumnPtr> Column::Make(TypePtr type, int64_t length, std::vector<BufferPtr> buffers,
                               std::vector<ColumnPtr> children, int64_t null_count,
                               int64_t offset) {
  if (type == nullptr) return InvalidArgument("column has no type");
  EMBER_RETURN_IF_ERROR(Validate(*type, length, offset, buffers, children));
  // Always recount: a wrong null count from outside would make IsValid lie.
  return MakeUnchecked(std::move(type), length, std::move(buffers), std::move(children), -1,
                       offset);
}

ColumnPtr Column::MakeNull(const TypePtr& type, int64_t length) {
  std::vector<BufferPtr> buffers(NumBuffers(*type));
  std::vector<ColumnPtr> children;
  buffers[0] = Buffer::Zeros(BytesForBits(length));
  switch (type->id()) {
    case TypeId::kBool:
      buffers[1] = Buffer::Zeros(BytesForBits(length));
      break;
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
      buffers[1] = Buffer::Zeros(length * type->byte_width());
      break;
    case TypeId::kString:
    case TypeId::kBinary:
      buffers[1] = Buffer::Zeros((length + 1) * 4);
      buffers[2] = Buffer::Zeros(0);
      break;
    case TypeId::kList:
      buffers[1] = Buffer::Zeros((length + 1) * 4);
      children.push_back(MakeNull(type->value_type(), 0));
      break;
    case TypeId::kStruct:
      for (const Field& f : type->fields()) children.push_back(MakeNull(f.type, length));
      break;
    case TypeId::kVector:
      if (type->sparse()) {
        buffers[1] = Buffer::Zeros((length + 1) * 4);
        children.push_back(MakeUnchecked(Int32Type(), 0, {nullptr, Buffer::Zeros(0)}, {}, 0));
        children.push_back(MakeUnchecked(Float64Type(), 0, {nullptr, Buffer::Zeros(0)}, {}, 0));
      } else {
        int64_t n = length * type->vector_size();
        children.push_back(MakeUnchecked(Float64Type(), n, {nullptr, Buffer::Zeros(n * 8)}, {}, 0));
      }
      break;
  }
  return MakeUnchecked(type, length, std::move(buffers), std::move(children), length);
}

double NumericValue(const Column& c, int64_t r) {
  switch (c.type_id()) {
    case TypeId::kBool:
      return c.BoolValue(r) ? 1.0 : 0.0;
    case TypeId::kInt32:
    case TypeId::kDate:
      return c.Values<int32_t>()[r];
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return static_cast<double>(c.Values<int64_t>()[r]);
    case TypeId::kFloat32:
      return c.Values<float>()[r];
    default:
      return c.Values<double>()[r];
  }
}

ColumnPtr Column::Slice(int64_t offset, int64_t length) const {
  const int64_t nulls = NullCount(buffers(), length, null_count_ == 0 ? 0 : -1, offset_ + offset);
  return std::make_shared<const Column>(Private{}, type_, length, buffers(), children(), nulls,
                                        offset_ + offset);
}

}  // namespace ember
