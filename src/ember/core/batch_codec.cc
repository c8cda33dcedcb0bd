#include "ember/core/batch_codec.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "ember/base/json.h"
#include "ember/base/status_macros.h"
#include "ember/core/batch_codec_internal.h"

namespace ember {

namespace codec::internal {

void PutU64(std::string* out, uint64_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
void PadTo8(std::string* out) { out->append((8 - out->size() % 8) % 8, '\0'); }

void PutColumn(const Column& c, std::string* out) {
  PutU64(out, static_cast<uint64_t>(c.length()));
  PutU64(out, static_cast<uint64_t>(c.null_count()));
  PutU64(out, static_cast<uint64_t>(c.offset()));
  PutU64(out, c.buffers().size());
  for (const BufferPtr& b : c.buffers()) {
    // A missing buffer (no validity bitmap) is size -1. Bytes start 8-aligned within the
    // message, so decoded buffers are aligned for any value type.
    PutU64(out, b ? static_cast<uint64_t>(b->size()) : ~uint64_t{0});
    if (!b) continue;
    PadTo8(out);
    out->append(reinterpret_cast<const char*>(b->data()), static_cast<size_t>(b->size()));
  }
  PutU64(out, c.children().size());
  for (const ColumnPtr& child : c.children()) PutColumn(*child, out);
}

}  // namespace codec::internal

using namespace codec::internal;

namespace {

constexpr char kMagic[4] = {'E', 'M', 'B', '1'};

void PutStr(std::string* out, std::string_view s) {
  PutU64(out, s.size());
  out->append(s);
}

// Reads a message; every read checks the bounds.
struct Reader {
  Reader(const char* data, std::shared_ptr<const void> owner, size_t begin, size_t end, int message)
      : data_(data),
        owner_(std::move(owner)),
        pos_(begin),
        end_(end),
        begin_(begin),
        message_(message) {}

  Result<uint64_t> U64() {
    if (end_ - pos_ < 8) return Truncated();
    uint64_t v;
    std::memcpy(&v, data_ + pos_, 8);
    pos_ += 8;
    return v;
  }
  Result<std::string_view> Str() {
    EMBER_ASSIGN_OR_RETURN(uint64_t n, U64());
    if (end_ - pos_ < n) return Truncated();
    std::string_view s(data_ + pos_, n);
    pos_ += n;
    return s;
  }
  Result<ColumnPtr> Column(const TypePtr& type, const std::string& name) {
    EMBER_ASSIGN_OR_RETURN(uint64_t length, U64());
    EMBER_ASSIGN_OR_RETURN(uint64_t nulls, U64());
    EMBER_ASSIGN_OR_RETURN(uint64_t offset, U64());
    EMBER_ASSIGN_OR_RETURN(uint64_t nbuf, U64());
    if (nbuf > 3 || length > (uint64_t{1} << 40) || offset > (uint64_t{1} << 40))
      return Bad("column '" + name + "'");
    std::vector<BufferPtr> buffers;
    for (uint64_t i = 0; i < nbuf; ++i) {
      EMBER_ASSIGN_OR_RETURN(uint64_t size, U64());
      if (size == ~uint64_t{0}) {
        buffers.push_back(nullptr);
        continue;
      }
      pos_ += (8 - (pos_ - begin_) % 8) % 8;
      if (pos_ > end_ || end_ - pos_ < size) return Truncated();
      buffers.push_back(std::make_shared<const Buffer>(
          reinterpret_cast<const uint8_t*>(data_ + pos_), static_cast<int64_t>(size), owner_));
      pos_ += size;
    }
    EMBER_ASSIGN_OR_RETURN(uint64_t nchildren, U64());
    std::vector<TypePtr> child_types = ChildTypes(*type);
    if (nchildren != child_types.size())
      return Bad("column '" + name + "': wrong number of children");
    std::vector<ColumnPtr> children;
    for (uint64_t i = 0; i < nchildren; ++i) {
      EMBER_ASSIGN_OR_RETURN(ColumnPtr child, Column(child_types[i], name));
      children.push_back(std::move(child));
    }
    Result<ColumnPtr> c =
        Column::Make(type, static_cast<int64_t>(length), std::move(buffers), std::move(children),
                     static_cast<int64_t>(nulls), static_cast<int64_t>(offset));
    if (!c.ok()) return Bad("column '" + name + "': " + c.status().message());
    return c;
  }
  size_t pos() const { return pos_; }

  // The types of a column's children (see the layout table in column.h).
  static std::vector<TypePtr> ChildTypes(const DataType& t) {
    switch (t.id()) {
      case TypeId::kList:
        return {t.value_type()};
      case TypeId::kStruct: {
        std::vector<TypePtr> out;
        for (const Field& f : t.fields()) out.push_back(f.type);
        return out;
      }
      case TypeId::kVector:
        if (t.sparse()) return {Int32Type(), Float64Type()};
        return {Float64Type()};
      default:
        return {};
    }
  }
  Status Truncated() { return Bad("truncated"); }
  Status Bad(const std::string& what) {
    return DataLoss("binary batch message " + std::to_string(message_) + ": " + what);
  }

  const char* data_;
  std::shared_ptr<const void> owner_;
  size_t pos_, end_, begin_;
  int message_;
};

}  // namespace

namespace codec::internal {

int64_t EncodedSize(const Column& c) {
  int64_t n = 64;
  for (const BufferPtr& b : c.buffers()) n += 16 + (b ? b->size() : 0);
  for (const ColumnPtr& child : c.children()) n += EncodedSize(*child);
  return n;
}

size_t StartMessage(const Schema& schema, int64_t rows, std::string* out) {
  PadTo8(out);  // messages start 8-aligned
  const size_t at = out->size();
  PutU64(out, 0);  // the message's length, filled in by FinishMessage
  out->append(kMagic, 4);
  out->append(4, '\0');
  PutU64(out, static_cast<uint64_t>(rows));
  PutU64(out, static_cast<uint64_t>(schema.num_fields()));
  for (int i = 0; i < schema.num_fields(); ++i) {
    const Field& f = schema.field(i);
    PutStr(out, f.name);
    PutStr(out, f.type->ToString());
    PutU64(out, f.nullable ? 1 : 0);
    PutStr(out, f.metadata.is_null() ? "" : f.metadata.Dump());
  }
  PutStr(out, schema.metadata().is_null() ? "" : schema.metadata().Dump());
  return at;
}

void FinishMessage(size_t at, std::string* out) {
  const uint64_t length = out->size() - at - 8;
  std::memcpy(out->data() + at, &length, 8);
}

void Reserve(std::string* out, int64_t more) {
  const size_t needed = out->size() + static_cast<size_t>(more);
  if (out->capacity() < needed) out->reserve(std::max(needed, 2 * out->capacity()));
}

BufferPtr NewBuffer(int64_t bytes, uint8_t** data, int64_t slack) {
  *data =
      static_cast<uint8_t*>(std::malloc(static_cast<size_t>(std::max<int64_t>(bytes + slack, 1))));
  if (*data == nullptr) throw std::bad_alloc();
  return std::make_shared<const Buffer>(*data, bytes, Buffer::TakeMalloced{});
}

int FixedWidth(TypeId id) {
  switch (id) {
    case TypeId::kInt32:
    case TypeId::kFloat32:
    case TypeId::kDate:
      return 4;
    case TypeId::kInt64:
    case TypeId::kFloat64:
    case TypeId::kTimestamp:
      return 8;
    default:
      return 0;
  }
}

}  // namespace codec::internal

void EncodeBatch(const Batch& batch, std::string* out) {
  int64_t size = 256;
  for (const ColumnPtr& c : batch.columns()) size += EncodedSize(*c) + 128;
  Reserve(out, size);
  const size_t at = StartMessage(*batch.schema(), batch.num_rows(), out);
  for (int i = 0; i < batch.num_columns(); ++i) PutColumn(*batch.column(i), out);
  FinishMessage(at, out);
}

Result<std::vector<Batch>> DecodeBatches(std::shared_ptr<const std::string> bytes) {
  const std::string_view view(*bytes);
  return DecodeBatches(view, std::move(bytes));
}

Result<std::vector<Batch>> DecodeBatches(std::string_view bytes,
                                         std::shared_ptr<const void> owner) {
  std::vector<Batch> out;
  size_t pos = 0;
  for (int message = 0;; ++message) {
    pos += (8 - pos % 8) % 8;
    if (pos >= bytes.size()) break;
    Reader r(bytes.data(), owner, pos, bytes.size(), message);
    EMBER_ASSIGN_OR_RETURN(uint64_t length, r.U64());
    if (bytes.size() - r.pos() < length || length < 8) return r.Bad("truncated");
    const size_t end = r.pos() + length;
    r.end_ = end;
    r.begin_ = pos;
    if (std::memcmp(bytes.data() + r.pos(), kMagic, 4) != 0)
      return r.Bad("not a batch (bad magic)");
    r.pos_ += 8;
    EMBER_ASSIGN_OR_RETURN(uint64_t rows, r.U64());
    EMBER_ASSIGN_OR_RETURN(uint64_t nfields, r.U64());
    if (nfields > (1u << 20)) return r.Bad("too many fields");
    std::vector<Field> fields;
    for (uint64_t i = 0; i < nfields; ++i) {
      EMBER_ASSIGN_OR_RETURN(std::string_view name, r.Str());
      EMBER_ASSIGN_OR_RETURN(std::string_view type_text, r.Str());
      EMBER_ASSIGN_OR_RETURN(uint64_t nullable, r.U64());
      EMBER_ASSIGN_OR_RETURN(std::string_view meta, r.Str());
      Result<TypePtr> type = ParseType(type_text);
      if (!type.ok()) return r.Bad("field '" + std::string(name) + "': " + type.status().message());
      Field f = MakeField(std::string(name), *type, nullable != 0);
      if (!meta.empty()) {
        Result<Json> j = Json::Parse(meta);
        if (!j.ok())
          return r.Bad("field '" + std::string(name) + "' metadata: " + j.status().message());
        f.metadata = std::move(*j);
      }
      fields.push_back(std::move(f));
    }
    EMBER_ASSIGN_OR_RETURN(std::string_view schema_meta, r.Str());
    Json metadata;
    if (!schema_meta.empty()) {
      Result<Json> j = Json::Parse(schema_meta);
      if (!j.ok()) return r.Bad("schema metadata: " + j.status().message());
      metadata = std::move(*j);
    }
    Result<SchemaPtr> schema = Schema::Make(fields, std::move(metadata));
    if (!schema.ok()) return r.Bad(schema.status().message());
    std::vector<ColumnPtr> columns;
    for (const Field& f : fields) {
      EMBER_ASSIGN_OR_RETURN(ColumnPtr c, r.Column(f.type, f.name));
      columns.push_back(std::move(c));
    }
    Result<Batch> batch = Batch::Make(*schema, std::move(columns), static_cast<int64_t>(rows));
    if (!batch.ok()) return r.Bad(batch.status().message());
    out.push_back(std::move(*batch));
    pos = end;
  }
  return out;
}

}  // namespace ember
