#include "ember/base/json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "ember/base/status_macros.h"

namespace ember {

const Json* Json::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Json::Set(std::string key, Json value) {
  for (auto& [k, v] : as_object()) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  as_object().emplace_back(std::move(key), std::move(value));
}

std::string_view Json::KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kInt:
      return "integer";
    case Kind::kDouble:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
  }
  return "unknown";
}

bool Json::operator==(const Json& other) const {
  if (is_number() && other.is_number() && kind() != other.kind()) {
    return as_double() == other.as_double();
  }
  return v_ == other.v_;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendJsonDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view text(buf, end - buf);
  out->append(text);
  // Keep doubles recognisable as doubles when read back ("1.0", not "1").
  if (text.find_first_of(".eEn") == std::string_view::npos) out->append(".0");
}

namespace {

void DumpTo(const Json& j, int indent, int depth, std::string* out) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(indent) * static_cast<size_t>(d), ' ');
  };
  switch (j.kind()) {
    case Json::Kind::kNull:
      out->append("null");
      break;
    case Json::Kind::kBool:
      out->append(j.as_bool() ? "true" : "false");
      break;
    case Json::Kind::kInt:
      out->append(std::to_string(j.as_int()));
      break;
    case Json::Kind::kDouble:
      AppendJsonDouble(j.as_double(), out);
      break;
    case Json::Kind::kString:
      AppendJsonString(j.as_string(), out);
      break;
    case Json::Kind::kArray: {
      const auto& a = j.as_array();
      out->push_back('[');
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out->push_back(',');
        newline(depth + 1);
        DumpTo(a[i], indent, depth + 1, out);
      }
      if (!a.empty()) newline(depth);
      out->push_back(']');
      break;
    }
    case Json::Kind::kObject: {
      const auto& o = j.as_object();
      out->push_back('{');
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out->push_back(',');
        newline(depth + 1);
        AppendJsonString(o[i].first, out);
        out->append(indent < 0 ? ":" : ": ");
        DumpTo(o[i].second, indent, depth + 1, out);
      }
      if (!o.empty()) newline(depth);
      out->push_back('}');
      break;
    }
  }
}

Result<Json> FromElement(simdjson::dom::element e, int depth) {
  if (depth > 256) return InvalidArgument("JSON nested deeper than 256 levels");
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return Json();
    case simdjson::dom::element_type::BOOL:
      return Json(bool(e.get_bool().value()));
    case simdjson::dom::element_type::INT64:
      return Json(int64_t(e.get_int64().value()));
    case simdjson::dom::element_type::UINT64:
      return Json(double(e.get_uint64().value()));
    case simdjson::dom::element_type::DOUBLE:
      return Json(double(e.get_double().value()));
    case simdjson::dom::element_type::STRING:
      return Json(std::string(e.get_string().value()));
    case simdjson::dom::element_type::ARRAY: {
      Json::Array a;
      simdjson::dom::array arr = e.get_array().value();
      for (simdjson::dom::element child : arr) {
        EMBER_ASSIGN_OR_RETURN(Json v, FromElement(child, depth + 1));
        a.push_back(std::move(v));
      }
      return Json(std::move(a));
    }
    case simdjson::dom::element_type::OBJECT: {
      Json::Object o;
      simdjson::dom::object obj = e.get_object().value();
      for (simdjson::dom::key_value_pair kv : obj) {
        EMBER_ASSIGN_OR_RETURN(Json v, FromElement(kv.value, depth + 1));
        o.emplace_back(std::string(kv.key), std::move(v));
      }
      return Json(std::move(o));
    }
  }
  return Internal("unknown JSON element type");
}

}  // namespace

std::string Json::Dump(int indent) const {
  std::string out;
  DumpTo(*this, indent, 0, &out);
  return out;
}

Result<Json> Json::Parse(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto error = parser.parse(padded).get(root);
  if (error) return InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  return FromElement(root, 0);
}

}  // namespace ember
