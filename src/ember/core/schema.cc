#include "ember/core/schema.h"

#include "ember/base/status_macros.h"

namespace ember {

Schema::Schema(std::vector<Field> fields, Json metadata)
    : fields_(std::move(fields)), metadata_(std::move(metadata)) {
  for (int i = 0; i < num_fields(); ++i) index_.emplace(fields_[i].name, i);
}

Result<SchemaPtr> Schema::Make(std::vector<Field> fields, Json metadata) {
  std::unordered_map<std::string_view, int> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name.empty()) {
      return InvalidArgument("field " + std::to_string(i) + " has an empty name");
    }
    if (fields[i].type == nullptr) {
      return InvalidArgument("field '" + fields[i].name + "' has no type");
    }
    if (!seen.emplace(fields[i].name, static_cast<int>(i)).second) {
      return InvalidArgument("duplicate column name '" + fields[i].name + "'");
    }
  }
  return SchemaPtr(new Schema(std::move(fields), std::move(metadata)));
}

std::vector<std::string> Schema::field_names() const {
  std::vector<std::string> names;
  names.reserve(fields_.size());
  for (const Field& f : fields_) names.push_back(f.name);
  return names;
}

int Schema::FindField(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : it->second;
}

std::string Schema::NamesForMessage() const {
  std::string s;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i) s += ", ";
    s += fields_[i].name;
  }
  return s.empty() ? "(none)" : s;
}

Result<int> Schema::GetFieldIndex(std::string_view name) const {
  int i = FindField(name);
  if (i < 0) {
    return NotFound("column '" + std::string(name) +
                    "' not found; columns are: " + NamesForMessage());
  }
  return i;
}

Result<int> Schema::GetFieldIndexOfType(std::string_view name, bool (*accept)(const DataType&),
                                        std::string_view expected) const {
  EMBER_ASSIGN_OR_RETURN(int i, GetFieldIndex(name));
  if (!accept(*fields_[i].type)) {
    return TypeError("column '" + std::string(name) + "': expected " + std::string(expected) +
                     ", got " + fields_[i].type->ToString());
  }
  return i;
}

Result<SchemaPtr> Schema::AddField(Field field) const {
  std::vector<Field> fields = fields_;
  fields.push_back(std::move(field));
  return Make(std::move(fields), metadata_);
}

Result<SchemaPtr> Schema::SetField(int i, Field field) const {
  if (i < 0 || i >= num_fields()) return OutOfRange("field index " + std::to_string(i));
  std::vector<Field> fields = fields_;
  fields[i] = std::move(field);
  return Make(std::move(fields), metadata_);
}

Result<SchemaPtr> Schema::RemoveField(int i) const {
  if (i < 0 || i >= num_fields()) return OutOfRange("field index " + std::to_string(i));
  std::vector<Field> fields = fields_;
  fields.erase(fields.begin() + i);
  return Make(std::move(fields), metadata_);
}

bool Schema::Equals(const Schema& other, bool check_metadata) const {
  if (fields_.size() != other.fields_.size()) return false;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (!fields_[i].Equals(other.fields_[i], check_metadata)) return false;
  }
  return !check_metadata || metadata_ == other.metadata_;
}

std::string Schema::ToString() const {
  std::string s;
  for (const Field& f : fields_) s += f.ToString() + "\n";
  return s;
}

// SparkML layout: {"ml_attr": {"type": "nominal", "vals": [...]}} for nominal columns and
// {"ml_attr": {"attrs": {"numeric": [{"idx": 0, "name": "a"}, ...]}, "num_attrs": n}} for
// vectors. Keeping the same keys lets saved schemas be read by people who know SparkML.
namespace {
Json& MlAttr(Field* field) {
  if (!field->metadata.is_object()) field->metadata = Json::MakeObject();
  if (field->metadata.Find("ml_attr") == nullptr)
    field->metadata.Set("ml_attr", Json::MakeObject());
  for (auto& [k, v] : field->metadata.as_object()) {
    if (k == "ml_attr") return v;
  }
  return field->metadata;  // unreachable
}
std::optional<std::vector<std::string>> Strings(const Json* arr) {
  if (arr == nullptr || !arr->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const Json& v : arr->as_array()) {
    if (!v.is_string()) return std::nullopt;
    out.push_back(v.as_string());
  }
  return out;
}
}  // namespace

void SetNominalValues(Field* field, const std::vector<std::string>& labels) {
  Json& attr = MlAttr(field);
  attr.Set("type", "nominal");
  Json vals = Json::MakeArray();
  for (const auto& l : labels) vals.Append(l);
  attr.Set("vals", std::move(vals));
}

std::optional<std::vector<std::string>> NominalValues(const Field& field) {
  const Json* attr = field.metadata.Find("ml_attr");
  if (attr == nullptr) return std::nullopt;
  const Json* type = attr->Find("type");
  if (type == nullptr || !type->is_string() || type->as_string() != "nominal") return std::nullopt;
  return Strings(attr->Find("vals"));
}

void SetSlotNames(Field* field, const std::vector<std::string>& names) {
  Json& attr = MlAttr(field);
  Json numeric = Json::MakeArray();
  for (size_t i = 0; i < names.size(); ++i) {
    Json a = Json::MakeObject();
    a.Set("idx", static_cast<int64_t>(i));
    a.Set("name", names[i]);
    numeric.Append(std::move(a));
  }
  Json attrs = Json::MakeObject();
  attrs.Set("numeric", std::move(numeric));
  attr.Set("attrs", std::move(attrs));
  attr.Set("num_attrs", static_cast<int64_t>(names.size()));
}

std::optional<std::vector<std::string>> SlotNames(const Field& field) {
  const Json* attr = field.metadata.Find("ml_attr");
  const Json* attrs = attr ? attr->Find("attrs") : nullptr;
  const Json* num = attr ? attr->Find("num_attrs") : nullptr;
  if (attrs == nullptr || num == nullptr || !num->is_int() || num->as_int() < 0 ||
      num->as_int() > (int64_t{1} << 31)) {
    return std::nullopt;
  }
  std::vector<std::string> names(static_cast<size_t>(num->as_int()));
  for (const auto& [kind, list] : attrs->as_object()) {
    if (!list.is_array()) return std::nullopt;
    for (const Json& a : list.as_array()) {
      const Json* idx = a.Find("idx");
      const Json* name = a.Find("name");
      if (!idx || !idx->is_int() || !name || !name->is_string()) return std::nullopt;
      if (idx->as_int() < 0 || idx->as_int() >= num->as_int()) return std::nullopt;
      names[static_cast<size_t>(idx->as_int())] = name->as_string();
    }
  }
  return names;
}

}  // namespace ember
