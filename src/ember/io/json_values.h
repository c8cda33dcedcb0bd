// JSON values (simdjson DOM elements) into columns of a declared type: the checks and
// conversions shared by the JSON Lines reader and the serving request decoder.
//   - bool, int32/int64 (integers; int32 range-checked), float32/float64 (any number);
//   - string (a JSON string, or any other value kept as its JSON text); binary (base64);
//   - list (array), struct (object; missing members are null, unknown ones ignored);
//   - dense vector (array of exactly `size` numbers), sparse vector ({"size"?, "indices",
//     "values"}, indices increasing and in range).
// null fits every type.
#pragma once

#include <simdjson.h>

#include <string>

#include "ember/core/builder.h"
#include "ember/core/types.h"

namespace ember {

// Why a value does not fit a type: the field's path ("a.b[2]"), what was expected and what
// was received. Empty when it fits.
struct JsonProblem {
  std::string field;
  std::string expected;
  std::string received;
  std::string detail;  // the message after "field 'F': "

  bool empty() const { return detail.empty(); }
  // "field 'a.b': expected float64, got string", or "" when empty.
  std::string message() const;
};

// "object", "array", "integer", "number", "string", "boolean" or "null".
std::string JsonKind(simdjson::dom::element e);

// Whether `e` fits `type`; `path` names the value in the problem.
JsonProblem CheckJsonValue(simdjson::dom::element e, const DataType& type, const std::string& path);

// Appends `e`, which CheckJsonValue accepted for the builder's type, to `builder`.
void AppendJsonValue(simdjson::dom::element e, ColumnBuilder* builder);

}  // namespace ember
