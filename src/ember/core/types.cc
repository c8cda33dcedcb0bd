#include "ember/core/types.h"

#include <array>
#include <charconv>

#include "ember/base/status_macros.h"

namespace ember {

bool Field::Equals(const Field& other, bool check_metadata) const {
  if (name != other.name || nullable != other.nullable || !type->Equals(*other.type)) return false;
  return !check_metadata || metadata == other.metadata;
}

std::string Field::ToString() const { return name + ": " + type->ToString(); }

int DataType::byte_width() const {
  switch (id_) {
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

bool DataType::Equals(const DataType& other) const {
  if (this == &other) return true;
  if (id_ != other.id_) return false;
  switch (id_) {
    case TypeId::kList:
      return value_type_->Equals(*other.value_type_);
    case TypeId::kStruct:
      if (fields_.size() != other.fields_.size()) return false;
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (!fields_[i].Equals(other.fields_[i])) return false;
      }
      return true;
    case TypeId::kVector:
      return vector_size_ == other.vector_size_ && sparse_ == other.sparse_;
    default:
      return true;
  }
}

std::string DataType::ToString() const {
  switch (id_) {
    case TypeId::kBool:
      return "bool";
    case TypeId::kInt32:
      return "int32";
    case TypeId::kInt64:
      return "int64";
    case TypeId::kFloat32:
      return "float32";
    case TypeId::kFloat64:
      return "float64";
    case TypeId::kString:
      return "string";
    case TypeId::kBinary:
      return "binary";
    case TypeId::kDate:
      return "date";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kList:
      return "list<" + value_type_->ToString() + ">";
    case TypeId::kStruct: {
      std::string s = "struct<";
      for (size_t i = 0; i < fields_.size(); ++i) {
        if (i) s += ", ";
        s += fields_[i].ToString();
      }
      return s + ">";
    }
    case TypeId::kVector:
      return std::string(sparse_ ? "sparse_vector[" : "vector[") + std::to_string(vector_size_) +
             "]";
  }
  return "unknown";
}

namespace {
TypePtr Simple(TypeId id) {
  return std::make_shared<DataType>(id, nullptr, std::vector<Field>{}, 0, false);
}
}  // namespace

TypePtr BoolType() {
  static const TypePtr t = Simple(TypeId::kBool);
  return t;
}
TypePtr Int32Type() {
  static const TypePtr t = Simple(TypeId::kInt32);
  return t;
}
TypePtr Int64Type() {
  static const TypePtr t = Simple(TypeId::kInt64);
  return t;
}
TypePtr Float32Type() {
  static const TypePtr t = Simple(TypeId::kFloat32);
  return t;
}
TypePtr Float64Type() {
  static const TypePtr t = Simple(TypeId::kFloat64);
  return t;
}
TypePtr StringType() {
  static const TypePtr t = Simple(TypeId::kString);
  return t;
}
TypePtr BinaryType() {
  static const TypePtr t = Simple(TypeId::kBinary);
  return t;
}
TypePtr DateType() {
  static const TypePtr t = Simple(TypeId::kDate);
  return t;
}
TypePtr TimestampType() {
  static const TypePtr t = Simple(TypeId::kTimestamp);
  return t;
}
TypePtr ListType(TypePtr value_type) {
  return std::make_shared<DataType>(TypeId::kList, std::move(value_type), std::vector<Field>{}, 0,
                                    false);
}
TypePtr StructType(std::vector<Field> fields) {
  return std::make_shared<DataType>(TypeId::kStruct, nullptr, std::move(fields), 0, false);
}
namespace {

// Kernels ask for the same few vector types on every batch (one-hot widths, model outputs):
// each thread keeps the last 16 of each kind instead of allocating a new type every time.
TypePtr VectorType(int64_t size, bool sparse) {
  struct Entry {
    int64_t size = -1;
    TypePtr type;
  };
  thread_local std::array<std::array<Entry, 16>, 2> cache;
  thread_local std::array<size_t, 2> next{};
  auto& c = cache[sparse];
  for (const Entry& e : c) {
    if (e.size == size && e.type) return e.type;
  }
  TypePtr t =
      std::make_shared<DataType>(TypeId::kVector, nullptr, std::vector<Field>{}, size, sparse);
  c[next[sparse]++ % c.size()] = {size, t};
  return t;
}

}  // namespace

TypePtr DenseVectorType(int64_t size) { return VectorType(size, false); }
TypePtr SparseVectorType(int64_t size) { return VectorType(size, true); }

namespace {

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  Result<TypePtr> ParseAll() {
    EMBER_ASSIGN_OR_RETURN(TypePtr t, ParseOne());
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected trailing text");
    return t;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgument("cannot parse type '" + std::string(text_) + "' at position " +
                           std::to_string(pos_) + ": " + std::string(what));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  Result<TypePtr> ParseOne() {
    if (++depth_ > 64) return Error("type nested too deeply");
    std::string_view w = Word();
    if (w == "bool") return BoolType();
    if (w == "int32") return Int32Type();
    if (w == "int64") return Int64Type();
    if (w == "float32") return Float32Type();
    if (w == "float64") return Float64Type();
    if (w == "string") return StringType();
    if (w == "binary") return BinaryType();
    if (w == "date") return DateType();
    if (w == "timestamp") return TimestampType();
    if (w == "list") {
      if (!Consume('<')) return Error("expected '<'");
      EMBER_ASSIGN_OR_RETURN(TypePtr v, ParseOne());
      if (!Consume('>')) return Error("expected '>'");
      return ListType(v);
    }
    if (w == "struct") {
      if (!Consume('<')) return Error("expected '<'");
      std::vector<Field> fields;
      if (Consume('>')) return StructType({});
      do {
        std::string_view name = Word();
        if (name.empty()) return Error("expected a field name");
        if (!Consume(':')) return Error("expected ':'");
        EMBER_ASSIGN_OR_RETURN(TypePtr ft, ParseOne());
        fields.push_back(MakeField(std::string(name), ft));
      } while (Consume(','));
      if (!Consume('>')) return Error("expected '>' or ','");
      return StructType(std::move(fields));
    }
    if (w == "vector" || w == "sparse_vector") {
      if (!Consume('[')) return Error("expected '['");
      SkipSpace();
      int64_t n = -1;
      auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), n);
      if (ec != std::errc() || n < 0) return Error("expected a vector size");
      pos_ = end - text_.data();
      if (!Consume(']')) return Error("expected ']'");
      return w == "vector" ? DenseVectorType(n) : SparseVectorType(n);
    }
    return Error("unknown type name '" + std::string(w) + "'");
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<TypePtr> ParseType(std::string_view text) { return TypeParser(text).ParseAll(); }

}  // namespace ember
