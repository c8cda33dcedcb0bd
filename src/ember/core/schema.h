// Schema: the ordered, uniquely named fields of a Batch or DataFrame, plus ML attribute
// helpers that keep SparkML's column metadata (nominal value labels, vector slot names).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/types.h"

namespace ember {

class Schema;
using SchemaPtr = std::shared_ptr<const Schema>;

// Immutable once made; thread-safe.
class Schema {
 public:
  // Fails with InvalidArgument naming the duplicated or empty field name.
  static Result<SchemaPtr> Make(std::vector<Field> fields, Json metadata = Json());

  int num_fields() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_[i]; }
  const std::vector<Field>& fields() const { return fields_; }
  const Json& metadata() const { return metadata_; }
  std::vector<std::string> field_names() const;

  // Index of `name`, or -1.
  int FindField(std::string_view name) const;
  // Index of `name`, or NotFound: "column 'x' not found; columns are: a, b".
  Result<int> GetFieldIndex(std::string_view name) const;
  // Like GetFieldIndex, and also checks the type with `accept`; `expected` names the
  // accepted types in the error ("column 'x': expected numeric, got string").
  Result<int> GetFieldIndexOfType(std::string_view name, bool (*accept)(const DataType&),
                                  std::string_view expected) const;

  // Copies with one field added at the end / replaced / removed. Errors name the field.
  Result<SchemaPtr> AddField(Field field) const;
  Result<SchemaPtr> SetField(int i, Field field) const;
  Result<SchemaPtr> RemoveField(int i) const;

  bool Equals(const Schema& other, bool check_metadata = false) const;
  // One field per line: "name: type".
  std::string ToString() const;

  // The names as a comma-separated list, for error messages.
  std::string NamesForMessage() const;

 private:
  Schema(std::vector<Field> fields, Json metadata);
  std::vector<Field> fields_;
  Json metadata_;
  std::unordered_map<std::string, int> index_;
};

// --- ML attributes (SparkML's "ml_attr" metadata) -----------------------------------------

// Marks a numeric column as nominal (categorical) with labels: value k means labels[k].
void SetNominalValues(Field* field, const std::vector<std::string>& labels);
// The labels of a nominal column, or nullopt if none are recorded.
std::optional<std::vector<std::string>> NominalValues(const Field& field);
// Records the name of each slot of a vector column.
void SetSlotNames(Field* field, const std::vector<std::string>& names);
// The slot names of a vector column, or nullopt if none are recorded.
std::optional<std::vector<std::string>> SlotNames(const Field& field);

}  // namespace ember
