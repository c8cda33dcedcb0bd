// Ember's logical data types and fields. Types are immutable and shared by pointer; the
// memory layout of each type follows the Arrow columnar format (see column.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/base/json.h"

namespace ember {

enum class TypeId {
  kBool,
  kInt32,
  kInt64,
  kFloat32,
  kFloat64,
  kString,
  kBinary,
  kList,
  kStruct,
  kVector,     // ML feature vector of float64: dense (one row-major matrix) or sparse (CSR)
  kDate,       // calendar date: int32 days since 1970-01-01 (Arrow date32)
  kTimestamp,  // instant: int64 microseconds since 1970-01-01 00:00:00 UTC (Arrow timestamp[us,
               // UTC])
};

class DataType;
using TypePtr = std::shared_ptr<const DataType>;

// A named, typed slot of a schema or struct. `metadata` is a JSON object (or null) that
// carries ML attributes as SparkML keeps them (see ml_attributes.h).
struct Field {
  std::string name;
  TypePtr type;
  bool nullable = true;
  Json metadata;

  bool Equals(const Field& other, bool check_metadata = false) const;
  std::string ToString() const;  // "name: type"
};

// An immutable type descriptor. Thread-safe.
class DataType {
 public:
  TypeId id() const { return id_; }
  // list: the element type.
  const TypePtr& value_type() const { return value_type_; }
  // struct: the child fields.
  const std::vector<Field>& fields() const { return fields_; }
  // vector: the number of slots; sparse vectors store only non-zero slots.
  int64_t vector_size() const { return vector_size_; }
  bool sparse() const { return sparse_; }

  bool is_integer() const { return id_ == TypeId::kInt32 || id_ == TypeId::kInt64; }
  bool is_floating() const { return id_ == TypeId::kFloat32 || id_ == TypeId::kFloat64; }
  bool is_numeric() const { return is_integer() || is_floating(); }
  bool is_binary_like() const { return id_ == TypeId::kString || id_ == TypeId::kBinary; }
  bool is_temporal() const { return id_ == TypeId::kDate || id_ == TypeId::kTimestamp; }
  // Bytes per value of fixed-width primitive types (int32 and date: 4, ...); 0 for the others
  // (bool is bit-packed).
  int byte_width() const;

  bool Equals(const DataType& other) const;
  // "int64", "date", "timestamp", "list<string>", "struct<a: int64, b: string>", "vector[3]",
  // "sparse_vector[10]".
  std::string ToString() const;

  // Use the factory functions below.
  DataType(TypeId id, TypePtr value_type, std::vector<Field> fields, int64_t vector_size,
           bool sparse)
      : id_(id),
        value_type_(std::move(value_type)),
        fields_(std::move(fields)),
        vector_size_(vector_size),
        sparse_(sparse) {}

 private:
  TypeId id_;
  TypePtr value_type_;
  std::vector<Field> fields_;
  int64_t vector_size_ = 0;
  bool sparse_ = false;
};

inline bool operator==(const DataType& a, const DataType& b) { return a.Equals(b); }

TypePtr BoolType();
TypePtr Int32Type();
TypePtr Int64Type();
TypePtr Float32Type();
TypePtr Float64Type();
TypePtr StringType();
TypePtr BinaryType();
TypePtr DateType();
TypePtr TimestampType();
TypePtr ListType(TypePtr value_type);
TypePtr StructType(std::vector<Field> fields);
TypePtr DenseVectorType(int64_t size);
TypePtr SparseVectorType(int64_t size);

// Parses the ToString() form back ("list<int64>", "vector[3]", ...). Errors name the text.
Result<TypePtr> ParseType(std::string_view text);

// Convenience: Field{name, type}.
inline Field MakeField(std::string name, TypePtr type, bool nullable = true) {
  return Field{std::move(name), std::move(type), nullable, Json()};
}

}  // namespace ember
