// Calendar arithmetic, parsing and formatting of Ember's date and timestamp values: a date is
// int32 days since 1970-01-01, a timestamp int64 microseconds since 1970-01-01 00:00:00 UTC
// (proleptic Gregorian calendar, as Spark 3 and Arrow). Ember has no session time zone: text
// without an offset is read as UTC, and every timestamp is written in UTC.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"

namespace ember::datetime {

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

struct Civil {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Floor division and the matching non-negative remainder.
int64_t FloorDiv(int64_t a, int64_t b);
int64_t FloorMod(int64_t a, int64_t b);

bool IsLeapYear(int64_t year);
int DaysInMonth(int64_t year, int month);
// Days since 1970-01-01 of a valid civil date, and back.
int64_t DaysFromCivil(const Civil& c);
Civil CivilFromDays(int64_t days);
// 1 (Monday) .. 7 (Sunday), as ISO 8601.
int IsoWeekday(int64_t days);
// The ISO 8601 week of the year (1..53) of a day.
int IsoWeek(int64_t days);
// `days` moved by `months` calendar months, the day clamped to the end of a shorter month
// (Spark's add_months: 2024-01-31 + 1 month is 2024-02-29).
int64_t AddMonths(int64_t days, int64_t months);

// Whether `days` / `micros` fit Ember's types and the years 0001-9999 the text forms cover.
bool DateInRange(int64_t days);
bool TimestampInRange(int64_t micros);

// Spark's CAST(text AS DATE): "yyyy-[m]m-[d]d", spaces around allowed, anything after a 'T'
// or a space ignored (so a timestamp's text gives its date). False when it is not a date.
bool ParseDate(std::string_view text, int32_t* days);
// Spark's CAST(text AS TIMESTAMP): "yyyy-[m]m-[d]d[( |T)[h]h:[m]m[:[s]s[.fraction]]][zone]",
// the fraction up to 9 digits (microseconds kept), the zone Z, UTC, GMT, +hh, +hh:mm or
// +hhmm; no zone is UTC. A date alone is its midnight.
bool ParseTimestamp(std::string_view text, int64_t* micros);

// "2024-03-01".
std::string FormatDate(int64_t days);
// SQL's text of a timestamp (Spark's CAST AS STRING): "2024-03-01 10:00:00", with the
// fraction when there is one ("...:00.25").
std::string FormatTimestamp(int64_t micros);
// ISO 8601 in UTC, for files and JSON: "2024-03-01T10:00:00Z" (fraction when there is one).
std::string FormatTimestampIso(int64_t micros);

// A datetime pattern in Spark's letters (the subset users write): yyyy yy MM M MMM MMMM dd
// d D HH H hh h mm m ss s S..S (fraction) a (AM/PM) EEE EEEE (day names), 'quoted text'
// and '' (a quote); other punctuation and spaces stand for themselves.
class Pattern {
 public:
  // Errors name the pattern and the letter it does not support.
  static Result<Pattern> Compile(std::string_view pattern);

  std::string Format(int64_t micros) const;
  // Reads `text` (all of it) as this pattern; fields it does not name take 1970-01-01
  // 00:00:00. False when the text does not match.
  bool Parse(std::string_view text, int64_t* micros) const;

 private:
  struct Part {
    char letter = 0;  // 0: literal text
    int count = 0;
    std::string text;
  };
  std::vector<Part> parts_;
};

}  // namespace ember::datetime
