// SQL's value conversions, with Spark's semantics: numbers to text as Java prints them,
// text to numbers and booleans as Spark's CAST reads them, UTF-8 character counts. Used by
// the evaluator (query.cc); not a public API.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ember::sql::internal::values {

// Spark's (Java's) Double.toString: "1.0", "0.001", "1.0E7", "1.234E-5", "NaN", "Infinity".
std::string DoubleToString(double x);
// `v` without the spaces at its left and/or right end.
std::string_view TrimSpaces(std::string_view v, bool left = true, bool right = true);
// Saturating double -> bigint (Java semantics); false for NaN (NULL).
bool DoubleToInt(double x, int64_t* out);
// CAST(text AS DOUBLE / BIGINT / BOOLEAN): false when `v` is not one (NULL). Spaces around
// are allowed; "1.5" is the bigint 1; booleans are true/t/yes/y/1 and false/f/no/n/0.
bool ParseDouble(std::string_view v, double* out);
bool ParseInt(std::string_view v, int64_t* out);
bool ParseBool(std::string_view v, bool* out);
// The characters (UTF-8 code points) of `v`.
int64_t CountChars(std::string_view v);
// Characters [start_char, end_char) of `v`, both clamped to its length.
std::string_view Utf8Substring(std::string_view v, int64_t start_char, int64_t end_char);

}  // namespace ember::sql::internal::values
