#include "ember/base/json.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
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

namespace {

// Finds where a text stops being JSON, for error messages (simdjson says what is wrong but
// not where): a strict recursive-descent pass that stops at the first byte the grammar does
// not allow. Nesting deeper than kMaxDepth stops it too (no unbounded recursion on hostile
// input). Runs only after a parse has failed.
class ErrorLocator {
 public:
  explicit ErrorLocator(std::string_view t) : t_(t) {}

  // The offset of the first offending byte, or npos when the pass finds none.
  size_t Find() {
    const bool ok = Value(0);
    Space();
    return ok && i_ == t_.size() ? std::string_view::npos : i_;
  }

 private:
  static constexpr int kMaxDepth = 1000;

  bool More() const { return i_ < t_.size(); }
  void Space() {
    while (More() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\t' || t_[i_] == '\r')) ++i_;
  }
  bool Literal(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool String() {
    ++i_;  // the opening quote
    while (More()) {
      const unsigned char c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      i_ += c == '\\' ? 2 : 1;
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (t_[i_] == '-') ++i_;
    if (!More() || !std::isdigit(static_cast<unsigned char>(t_[i_]))) return false;
    while (More() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '.' ||
                      t_[i_] == 'e' || t_[i_] == 'E' || t_[i_] == '+' || t_[i_] == '-')) {
      ++i_;
    }
    return i_ > start;
  }
  // A list of values (or "key": value members) closed by `close`.
  bool Items(char close, bool members, int depth) {
    ++i_;  // the opening bracket
    Space();
    if (More() && t_[i_] == close) {
      ++i_;
      return true;
    }
    while (true) {
      if (members) {
        Space();
        if (!More() || t_[i_] != '"' || !String()) return false;
        Space();
        if (!More() || t_[i_] != ':') return false;
        ++i_;
      }
      if (!Value(depth + 1)) return false;
      Space();
      if (!More()) return false;
      if (t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (t_[i_] != close) return false;
      ++i_;
      return true;
    }
  }
  bool Value(int depth) {
    Space();
    if (!More() || depth > kMaxDepth) return false;
    switch (t_[i_]) {
      case '{':
        return Items('}', true, depth);
      case '[':
        return Items(']', false, depth);
      case '"':
        return String();
      default:
        if (t_[i_] == '-' || std::isdigit(static_cast<unsigned char>(t_[i_]))) return Number();
        return Literal("true") || Literal("false") || Literal("null");
    }
  }

  std::string_view t_;
  size_t i_ = 0;
};

// " at line L, column C" of the first offending byte, or "" when it cannot be found.
std::string ErrorPosition(std::string_view text) {
  const size_t at = ErrorLocator(text).Find();
  if (at == std::string_view::npos) return "";
  const size_t end = std::min(at, text.size());
  int64_t line = 1;
  size_t line_start = 0;
  for (size_t k = 0; k < end; ++k) {
    if (text[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  }
  return " at line " + std::to_string(line) + ", column " + std::to_string(end - line_start + 1);
}

}  // namespace

Result<Json> Json::Parse(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto error = parser.parse(padded).get(root);
  if (error) {
    return InvalidArgument(std::string("invalid JSON") + ErrorPosition(text) + ": " +
                           simdjson::error_message(error));
  }
  return FromElement(root, 0);
}

}  // namespace ember
