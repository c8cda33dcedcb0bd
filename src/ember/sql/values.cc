// SQL's value conversions, as Spark does them (see internal/values.h).
#include "ember/sql/internal/values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace ember::sql::internal::values {

std::string DoubleToString(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const double ax = std::fabs(x);
  if (x == 0 || (ax >= 1e-3 && ax < 1e7)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  std::string s(buf, r.ptr);  // "1.234e-05"
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  const int exponent = std::stoi(s.substr(e + 1));
  return mantissa + "E" + std::to_string(exponent);
}

std::string_view TrimSpaces(std::string_view v, bool left, bool right) {
  while (left && !v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (right && !v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

bool DoubleToInt(double x, int64_t* out) {
  if (std::isnan(x)) return false;
  if (x >= 9223372036854775807.0) {
    *out = std::numeric_limits<int64_t>::max();
  } else if (x <= -9223372036854775808.0) {
    *out = std::numeric_limits<int64_t>::min();
  } else {
    *out = static_cast<int64_t>(x);
  }
  return true;
}

bool ParseDouble(std::string_view v, double* out) {
  v = TrimSpaces(v);
  if (v.empty()) return false;
  if (v.front() == '+') v.remove_prefix(1);
  auto r = std::from_chars(v.data(), v.data() + v.size(), *out);
  return r.ec == std::errc() && r.ptr == v.data() + v.size();
}

bool ParseInt(std::string_view v, int64_t* out) {
  std::string_view t = TrimSpaces(v);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  auto r = std::from_chars(t.data(), t.data() + t.size(), *out);
  if (r.ec == std::errc() && r.ptr == t.data() + t.size() && !t.empty()) return true;
  double d;
  return ParseDouble(v, &d) && DoubleToInt(d, out);  // "1.5" -> 1, as Spark
}

bool ParseBool(std::string_view v, bool* out) {
  std::string t(TrimSpaces(v));
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "1") return *out = true, true;
  if (t == "false" || t == "f" || t == "no" || t == "n" || t == "0") return *out = false, true;
  return false;
}

int64_t CountChars(std::string_view v) {
  int64_t n = 0;
  for (unsigned char c : v) n += (c & 0xC0) != 0x80;
  return n;
}

std::string_view Utf8Substring(std::string_view v, int64_t start_char, int64_t end_char) {
  std::vector<size_t> starts;
  starts.reserve(v.size() + 1);
  for (size_t k = 0; k < v.size(); ++k) {
    if ((static_cast<unsigned char>(v[k]) & 0xC0) != 0x80) starts.push_back(k);
  }
  starts.push_back(v.size());
  const int64_t n = static_cast<int64_t>(starts.size()) - 1;
  start_char = std::clamp<int64_t>(start_char, 0, n);
  end_char = std::clamp<int64_t>(end_char, start_char, n);
  return v.substr(starts[start_char], starts[end_char] - starts[start_char]);
}

}  // namespace ember::sql::internal::values
