// Json: a small immutable-by-convention JSON value used for params, metadata.json and
// schema metadata. Objects keep their key order so that saved files are stable. Parsing
// goes through simdjson (in json.cc only, to keep its header out of other units).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ember/base/result.h"

namespace ember {

class Json {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(std::nullptr_t) {}                           // NOLINT
  Json(bool v) : v_(v) {}                           // NOLINT
  Json(int v) : v_(static_cast<int64_t>(v)) {}      // NOLINT
  Json(int64_t v) : v_(v) {}                        // NOLINT
  Json(double v) : v_(v) {}                         // NOLINT
  Json(const char* v) : v_(std::string(v)) {}       // NOLINT
  Json(std::string v) : v_(std::move(v)) {}         // NOLINT
  Json(std::string_view v) : v_(std::string(v)) {}  // NOLINT
  Json(Array v) : v_(std::move(v)) {}               // NOLINT
  Json(Object v) : v_(std::move(v)) {}              // NOLINT

  static Json MakeObject() { return Json(Object{}); }
  static Json MakeArray() { return Json(Array{}); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_number() const { return kind() == Kind::kInt || kind() == Kind::kDouble; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_array() const { return kind() == Kind::kArray; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Unchecked accessors: the caller has checked kind() first.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const {
    return is_int() ? static_cast<double>(std::get<int64_t>(v_)) : std::get<double>(v_);
  }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object lookup: the value for `key`, or nullptr when absent or not an object.
  const Json* Find(std::string_view key) const;
  // Sets `key` in an object (replacing an existing entry). The value must be an object.
  void Set(std::string key, Json value);
  void Append(Json value) { as_array().push_back(std::move(value)); }

  // Compact when indent < 0, else pretty-printed with that many spaces.
  std::string Dump(int indent = -1) const;

  // Parses one JSON document. Errors name the byte offset where parsing failed when known.
  static Result<Json> Parse(std::string_view text);

  // A short name of the kind for messages: "string", "integer", ...
  static std::string_view KindName(Kind kind);

  bool operator==(const Json& other) const;
  bool operator!=(const Json& other) const { return !(*this == other); }

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

// Appends `s` as a JSON string literal (with quotes and escapes) to `out`.
void AppendJsonString(std::string_view s, std::string* out);
// Appends a double the way Dump does: shortest round-trip form; NaN/Inf as null.
void AppendJsonDouble(double v, std::string* out);

}  // namespace ember
