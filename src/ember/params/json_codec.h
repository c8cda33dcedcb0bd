// JsonCodec<T>: how a param value of type T is written to and read from JSON, and how its
// type is named in docs. Specialised for every type a param may have.
#pragma once

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/status.h"

namespace ember {

template <typename T>
struct JsonCodec;

template <>
struct JsonCodec<bool> {
  static std::string TypeName() { return "bool"; }
  static Json ToJson(bool v) { return Json(v); }
  static Status FromJson(const Json& j, bool* out) {
    if (!j.is_bool()) return TypeError("expected a boolean, got " + j.Dump());
    *out = j.as_bool();
    return Status::OK();
  }
};

template <typename Int>
struct IntCodec {
  static Json ToJson(Int v) { return Json(static_cast<int64_t>(v)); }
  static Status FromJson(const Json& j, Int* out) {
    double d = j.is_number() ? j.as_double() : NAN;
    if (j.is_int()) {
      int64_t v = j.as_int();
      if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
          v > static_cast<int64_t>(std::numeric_limits<Int>::max())) {
        return OutOfRange("integer " + std::to_string(v) + " out of range");
      }
      *out = static_cast<Int>(v);
      return Status::OK();
    }
    if (j.is_number() && std::floor(d) == d && std::abs(d) < 9e15) {
      return FromJson(Json(static_cast<int64_t>(d)), out);
    }
    return TypeError("expected an integer, got " + j.Dump());
  }
};
template <>
struct JsonCodec<int32_t> : IntCodec<int32_t> {
  static std::string TypeName() { return "int"; }
};
template <>
struct JsonCodec<int64_t> : IntCodec<int64_t> {
  static std::string TypeName() { return "long"; }
};

// JSON has no infinities or NaN: they are written as the strings "Infinity", "-Infinity" and
// "NaN" (a Bucketizer's outer splits, a p-norm of Infinity), and read back from those or
// "inf", "-inf", "+inf", "nan" in any case.
template <>
struct JsonCodec<double> {
  static std::string TypeName() { return "double"; }
  static Json ToJson(double v) {
    if (std::isnan(v)) return Json("NaN");
    if (std::isinf(v)) return Json(v > 0 ? "Infinity" : "-Infinity");
    return Json(v);
  }
  static Status FromJson(const Json& j, double* out) {
    if (j.is_string()) {
      std::string t = j.as_string();
      for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (t == "infinity" || t == "inf" || t == "+infinity" || t == "+inf") {
        *out = std::numeric_limits<double>::infinity();
        return Status::OK();
      }
      if (t == "-infinity" || t == "-inf") {
        *out = -std::numeric_limits<double>::infinity();
        return Status::OK();
      }
      if (t == "nan") {
        *out = std::numeric_limits<double>::quiet_NaN();
        return Status::OK();
      }
    }
    if (!j.is_number()) {
      return TypeError("expected a number (or \"Infinity\", \"-Infinity\", \"NaN\"), got " +
                       j.Dump());
    }
    *out = j.as_double();
    return Status::OK();
  }
};

template <>
struct JsonCodec<std::string> {
  static std::string TypeName() { return "string"; }
  static Json ToJson(const std::string& v) { return Json(v); }
  static Status FromJson(const Json& j, std::string* out) {
    if (!j.is_string()) return TypeError("expected a string, got " + j.Dump());
    *out = j.as_string();
    return Status::OK();
  }
};

template <typename T>
struct JsonCodec<std::vector<T>> {
  static std::string TypeName() { return JsonCodec<T>::TypeName() + "[]"; }
  static Json ToJson(const std::vector<T>& v) {
    Json a = Json::MakeArray();
    for (const T& x : v) a.Append(JsonCodec<T>::ToJson(x));
    return a;
  }
  static Status FromJson(const Json& j, std::vector<T>* out) {
    if (!j.is_array()) return TypeError("expected an array, got " + j.Dump());
    std::vector<T> v(j.as_array().size());
    for (size_t i = 0; i < v.size(); ++i) {
      Status s = JsonCodec<T>::FromJson(j.as_array()[i], &v[i]);
      if (!s.ok()) return s.WithContext("element " + std::to_string(i));
    }
    *out = std::move(v);
    return Status::OK();
  }
};

// A JSON object with values of one type ({"Name": "value"}): headers, per-name settings.
template <typename T>
struct JsonCodec<std::map<std::string, T>> {
  static std::string TypeName() { return "map<string," + JsonCodec<T>::TypeName() + ">"; }
  static Json ToJson(const std::map<std::string, T>& v) {
    Json o = Json::MakeObject();
    for (const auto& [k, x] : v) o.Set(k, JsonCodec<T>::ToJson(x));
    return o;
  }
  static Status FromJson(const Json& j, std::map<std::string, T>* out) {
    if (!j.is_object()) return TypeError("expected an object, got " + j.Dump());
    std::map<std::string, T> m;
    for (const auto& [k, x] : j.as_object()) {
      Status s = JsonCodec<T>::FromJson(x, &m[k]);
      if (!s.ok()) return s.WithContext("key '" + k + "'");
    }
    *out = std::move(m);
    return Status::OK();
  }
};

template <typename T>
struct JsonCodec<std::optional<T>> {
  static std::string TypeName() { return JsonCodec<T>::TypeName() + "?"; }
  static Json ToJson(const std::optional<T>& v) { return v ? JsonCodec<T>::ToJson(*v) : Json(); }
  static Status FromJson(const Json& j, std::optional<T>* out) {
    if (j.is_null()) {
      out->reset();
      return Status::OK();
    }
    T v{};
    Status s = JsonCodec<T>::FromJson(j, &v);
    if (s.ok()) *out = std::move(v);
    return s;
  }
};

// A JSON value as is (nested stage specs).
template <>
struct JsonCodec<Json> {
  static std::string TypeName() { return "json"; }
  static Json ToJson(const Json& v) { return v; }
  static Status FromJson(const Json& j, Json* out) {
    *out = j;
    return Status::OK();
  }
};

}  // namespace ember
