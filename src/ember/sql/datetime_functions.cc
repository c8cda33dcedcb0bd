// SQL's date and timestamp functions: see internal/datetime_functions.h and docs/sql.md.
#include "ember/sql/internal/datetime_functions.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "ember/base/datetime.h"
#include "ember/base/status_macros.h"
#include "ember/sql/internal/checker.h"

namespace ember::sql::internal {

namespace dt = datetime;
using Kind = Expr::Kind;

namespace {

constexpr std::string_view kDefaultPattern = "yyyy-MM-dd HH:mm:ss";

// Units of trunc (dates) and date_trunc (timestamps).
enum class Unit { kYear, kQuarter, kMonth, kWeek, kDay, kHour, kMinute, kSecond, kMilli, kMicro };

std::optional<Unit> ParseUnit(std::string_view text, bool timestamp) {
  std::string u;
  for (char c : text) u.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (u == "year" || u == "yyyy" || u == "yy") return Unit::kYear;
  if (u == "quarter") return Unit::kQuarter;
  if (u == "month" || u == "mon" || u == "mm") return Unit::kMonth;
  if (u == "week") return Unit::kWeek;
  if (!timestamp) return std::nullopt;
  if (u == "day" || u == "dd") return Unit::kDay;
  if (u == "hour") return Unit::kHour;
  if (u == "minute") return Unit::kMinute;
  if (u == "second") return Unit::kSecond;
  if (u == "millisecond") return Unit::kMilli;
  if (u == "microsecond") return Unit::kMicro;
  return std::nullopt;
}

int64_t TruncDays(int64_t days, Unit unit) {
  const dt::Civil c = dt::CivilFromDays(days);
  switch (unit) {
    case Unit::kYear:
      return dt::DaysFromCivil({c.year, 1, 1});
    case Unit::kQuarter:
      return dt::DaysFromCivil({c.year, (c.month - 1) / 3 * 3 + 1, 1});
    case Unit::kMonth:
      return dt::DaysFromCivil({c.year, c.month, 1});
    case Unit::kWeek:
      return days - (dt::IsoWeekday(days) - 1);  // its Monday
    default:
      return days;
  }
}

int64_t TruncMicros(int64_t micros, Unit unit) {
  auto floor_to = [micros](int64_t step) { return dt::FloorDiv(micros, step) * step; };
  switch (unit) {
    case Unit::kHour:
      return floor_to(3600 * dt::kMicrosPerSecond);
    case Unit::kMinute:
      return floor_to(60 * dt::kMicrosPerSecond);
    case Unit::kSecond:
      return floor_to(dt::kMicrosPerSecond);
    case Unit::kMilli:
      return floor_to(1000);
    case Unit::kMicro:
      return micros;
    default:
      return TruncDays(dt::FloorDiv(micros, dt::kMicrosPerDay), unit) * dt::kMicrosPerDay;
  }
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsStringLike(SqlType t) { return t == SqlType::kString || t == SqlType::kNull; }
bool IsDateLike(SqlType t) { return IsTemporal(t) || IsStringLike(t); }
bool IsInteger(SqlType t) { return t == SqlType::kInt || t == SqlType::kNull; }

// Multiplies without overflow: false when a * b does not fit.
bool Mul(int64_t a, int64_t b, int64_t* out) { return !__builtin_mul_overflow(a, b, out); }

}  // namespace

const std::vector<DateFunction>& DateFunctions() {
  static const auto* f = new std::vector<DateFunction>{
      {"current_date", 0, 0},
      {"current_timestamp", 0, 0},
      {"now", 0, 0},
      {"to_date", 1, 2},
      {"to_timestamp", 1, 2},
      {"year", 1, 1},
      {"quarter", 1, 1},
      {"month", 1, 1},
      {"day", 1, 1},
      {"dayofmonth", 1, 1},
      {"dayofweek", 1, 1},
      {"weekday", 1, 1},
      {"dayofyear", 1, 1},
      {"weekofyear", 1, 1},
      {"hour", 1, 1},
      {"minute", 1, 1},
      {"second", 1, 1},
      {"date_add", 2, 2},
      {"date_sub", 2, 2},
      {"datediff", 2, 2},
      {"add_months", 2, 2},
      {"last_day", 1, 1},
      {"trunc", 2, 2},
      {"date_trunc", 2, 2},
      {"date_format", 2, 2},
      {"unix_timestamp", 0, 2},
      {"from_unixtime", 1, 2},
      {"timestamp_seconds", 1, 1},
      {"timestamp_millis", 1, 1},
      {"timestamp_micros", 1, 1},
      {"unix_seconds", 1, 1},
      {"unix_millis", 1, 1},
      {"unix_micros", 1, 1},
      {"unix_date", 1, 1},
      {"date_from_unix_date", 1, 1},
      {"make_date", 3, 3},
      {"make_timestamp", 6, 6},
  };
  return *f;
}

bool IsDateFunction(std::string_view name) {
  const auto& fns = DateFunctions();
  return std::any_of(fns.begin(), fns.end(), [&](const DateFunction& f) { return f.name == name; });
}

Status CheckDateCall(Expr& e) {
  const std::string& f = e.name;
  const int n = static_cast<int>(e.args.size());
  auto arg_must = [&](int k, bool ok, std::string_view what) -> Status {
    if (ok) return Status::OK();
    return TypeError(e.args[k]->pos, "argument " + std::to_string(k + 1) + " of " + f +
                                         "() must be " + std::string(what) + ", found " +
                                         Describe(*e.args[k]));
  };
  auto type = [&](int k) { return e.args[k]->type; };
  auto literal_text = [&](int k) -> const std::string* {
    const Expr& a = *e.args[k];
    return a.kind == Kind::kLiteral && a.lit_type == SqlType::kString ? &a.lit_string : nullptr;
  };
  // A literal pattern must compile; one from a column is compiled per row (NULL if invalid).
  auto pattern_at = [&](int k) -> Status {
    EMBER_RETURN_IF_ERROR(arg_must(k, IsStringLike(type(k)), "a datetime pattern (a string)"));
    if (const std::string* p = literal_text(k)) {
      Result<dt::Pattern> compiled = dt::Pattern::Compile(*p);
      if (!compiled.ok()) {
        return InvalidArgument("argument " + std::to_string(k + 1) + " of " + f +
                               "() at position " + std::to_string(e.args[k]->pos) + ": " +
                               compiled.status().message());
      }
    }
    return Status::OK();
  };
  static constexpr std::string_view kDateLike = "a date, a timestamp or a string";
  if (f == "current_date") {
    e.type = SqlType::kDate;
  } else if (f == "current_timestamp" || f == "now") {
    e.type = SqlType::kTimestamp;
  } else if (f == "to_date" || f == "to_timestamp") {
    const bool numeric_ok = f == "to_timestamp" && n == 1;  // seconds since 1970
    EMBER_RETURN_IF_ERROR(
        arg_must(0, IsDateLike(type(0)) || (numeric_ok && IsNumeric(type(0))),
                 numeric_ok ? "a date, a timestamp, a string or a number" : kDateLike));
    if (n == 2) EMBER_RETURN_IF_ERROR(pattern_at(1));
    e.type = f == "to_date" ? SqlType::kDate : SqlType::kTimestamp;
  } else if (f == "year" || f == "quarter" || f == "month" || f == "day" || f == "dayofmonth" ||
             f == "dayofweek" || f == "weekday" || f == "dayofyear" || f == "weekofyear" ||
             f == "hour" || f == "minute" || f == "second" || f == "unix_date" ||
             f == "unix_seconds" || f == "unix_millis" || f == "unix_micros") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsDateLike(type(0)), kDateLike));
    e.type = SqlType::kInt;
  } else if (f == "date_add" || f == "date_sub" || f == "add_months") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsDateLike(type(0)), kDateLike));
    EMBER_RETURN_IF_ERROR(arg_must(1, IsInteger(type(1)), "an integer"));
    e.type = SqlType::kDate;
  } else if (f == "datediff") {
    for (int k = 0; k < 2; ++k) EMBER_RETURN_IF_ERROR(arg_must(k, IsDateLike(type(k)), kDateLike));
    e.type = SqlType::kInt;
  } else if (f == "last_day") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsDateLike(type(0)), kDateLike));
    e.type = SqlType::kDate;
  } else if (f == "trunc" || f == "date_trunc") {
    const bool ts = f == "date_trunc";
    const int value = ts ? 1 : 0, unit = ts ? 0 : 1;
    EMBER_RETURN_IF_ERROR(arg_must(value, IsDateLike(type(value)), kDateLike));
    EMBER_RETURN_IF_ERROR(arg_must(unit, IsStringLike(type(unit)), "a unit (a string)"));
    if (const std::string* u = literal_text(unit); u && !ParseUnit(*u, ts)) {
      return InvalidArgument(
          "argument " + std::to_string(unit + 1) + " of " + f + "() at position " +
          std::to_string(e.args[unit]->pos) + ": unknown unit '" + *u + "'; the units are " +
          (ts ? "year, quarter, month, week, day, hour, minute, second, millisecond, microsecond"
              : "year, quarter, month, week"));
    }
    e.type = ts ? SqlType::kTimestamp : SqlType::kDate;
  } else if (f == "date_format") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsDateLike(type(0)), kDateLike));
    EMBER_RETURN_IF_ERROR(pattern_at(1));
    e.type = SqlType::kString;
  } else if (f == "unix_timestamp") {
    if (n >= 1) EMBER_RETURN_IF_ERROR(arg_must(0, IsDateLike(type(0)), kDateLike));
    if (n == 2) EMBER_RETURN_IF_ERROR(pattern_at(1));
    e.type = SqlType::kInt;
  } else if (f == "from_unixtime") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsNumeric(type(0)), "a number (seconds since 1970)"));
    if (n == 2) EMBER_RETURN_IF_ERROR(pattern_at(1));
    e.type = SqlType::kString;
  } else if (f == "timestamp_seconds" || f == "timestamp_millis" || f == "timestamp_micros") {
    EMBER_RETURN_IF_ERROR(
        arg_must(0, f == "timestamp_seconds" ? IsNumeric(type(0)) : IsInteger(type(0)),
                 f == "timestamp_seconds" ? "a number" : "an integer"));
    e.type = SqlType::kTimestamp;
  } else if (f == "date_from_unix_date") {
    EMBER_RETURN_IF_ERROR(arg_must(0, IsInteger(type(0)), "an integer (days since 1970-01-01)"));
    e.type = SqlType::kDate;
  } else if (f == "make_date" || f == "make_timestamp") {
    for (int k = 0; k < n; ++k) {
      const bool seconds = k == 5;
      EMBER_RETURN_IF_ERROR(arg_must(k, seconds ? IsNumeric(type(k)) : IsInteger(type(k)),
                                     seconds ? "a number" : "an integer"));
    }
    e.type = f == "make_date" ? SqlType::kDate : SqlType::kTimestamp;
  } else {
    return Internal("unhandled date function " + f);
  }
  return Status::OK();
}

Vec EvalDateCall(const Expr& e, std::vector<Vec> args, const std::function<Vec(Vec, SqlType)>& cast,
                 Arena& arena, size_t n) {
  const std::string& f = e.name;
  Vec r(e.type, n);
  // Patterns and units from columns, compiled once per distinct text.
  std::map<std::string, std::optional<dt::Pattern>, std::less<>> patterns;
  auto pattern = [&](std::string_view text) -> const dt::Pattern* {
    auto it = patterns.find(text);
    if (it == patterns.end()) {
      Result<dt::Pattern> p = dt::Pattern::Compile(text);
      it = patterns
               .emplace(std::string(text),
                        p.ok() ? std::optional<dt::Pattern>(std::move(*p)) : std::nullopt)
               .first;
    }
    return it->second ? &*it->second : nullptr;
  };
  // Each row: valid only when every argument is, then `row(k)` may clear it.
  auto each = [&](auto&& row) {
    for (size_t k = 0; k < n; ++k) {
      r.valid[k] = std::all_of(args.begin(), args.end(), [k](const Vec& a) { return a.valid[k]; });
      if (r.valid[k]) r.valid[k] = row(k);
    }
  };
  auto as = [&](size_t a, SqlType t) { args[a] = cast(std::move(args[a]), t); };
  auto date_out = [&](size_t k, int64_t days) {
    r.i[k] = days;
    return dt::DateInRange(days);
  };
  auto micros_out = [&](size_t k, int64_t micros) {
    r.i[k] = micros;
    return dt::TimestampInRange(micros);
  };

  if (f == "current_date" || f == "current_timestamp" || f == "now") {
    const int64_t now = NowMicros();
    const int64_t v = f == "current_date" ? dt::FloorDiv(now, dt::kMicrosPerDay) : now;
    std::fill(r.i.begin(), r.i.end(), v);
    return r;
  }
  if (f == "unix_timestamp" && args.size() == 1 && args[0].type == SqlType::kString) {
    args.emplace_back(SqlType::kString, n);  // text is read with the default pattern, as Spark
    std::fill(args[1].s.begin(), args[1].s.end(), kDefaultPattern);
  }
  if ((f == "to_date" || f == "to_timestamp" || f == "unix_timestamp") && args.size() == 2 &&
      args[0].type != SqlType::kDate && args[0].type != SqlType::kTimestamp) {
    // Text read with a pattern.
    as(0, SqlType::kString);
    as(1, SqlType::kString);
    each([&](size_t k) {
      const dt::Pattern* p = pattern(args[1].s[k]);
      int64_t micros = 0;
      if (p == nullptr || !p->Parse(args[0].s[k], &micros) || !dt::TimestampInRange(micros))
        return false;
      if (f == "to_date") return date_out(k, dt::FloorDiv(micros, dt::kMicrosPerDay));
      r.i[k] = f == "to_timestamp" ? micros : dt::FloorDiv(micros, dt::kMicrosPerSecond);
      return true;
    });
    return r;
  }
  if (f == "to_date") return cast(std::move(args[0]), SqlType::kDate);
  if (f == "to_timestamp") return cast(std::move(args[0]), SqlType::kTimestamp);
  if (f == "unix_timestamp") {
    if (args.empty()) {
      std::fill(r.i.begin(), r.i.end(), dt::FloorDiv(NowMicros(), dt::kMicrosPerSecond));
      return r;
    }
    as(0, SqlType::kTimestamp);
    each([&](size_t k) {
      r.i[k] = dt::FloorDiv(args[0].i[k], dt::kMicrosPerSecond);
      return true;
    });
    return r;
  }
  if (f == "hour" || f == "minute" || f == "second" || f == "unix_seconds" || f == "unix_millis" ||
      f == "unix_micros") {
    as(0, SqlType::kTimestamp);
    each([&](size_t k) {
      const int64_t t = args[0].i[k];
      const int64_t in_day = dt::FloorMod(t, dt::kMicrosPerDay) / dt::kMicrosPerSecond;
      if (f == "hour") r.i[k] = in_day / 3600;
      if (f == "minute") r.i[k] = in_day / 60 % 60;
      if (f == "second") r.i[k] = in_day % 60;
      if (f == "unix_seconds") r.i[k] = dt::FloorDiv(t, dt::kMicrosPerSecond);
      if (f == "unix_millis") r.i[k] = dt::FloorDiv(t, 1000);
      if (f == "unix_micros") r.i[k] = t;
      return true;
    });
    return r;
  }
  if (f == "date_trunc" || f == "date_format") {
    const size_t value = f == "date_trunc" ? 1 : 0, text = 1 - value;
    as(value, SqlType::kTimestamp);
    as(text, SqlType::kString);
    each([&](size_t k) {
      const int64_t t = args[value].i[k];
      if (f == "date_format") {
        const dt::Pattern* p = pattern(args[text].s[k]);
        if (p == nullptr) return false;
        r.s[k] = arena.Keep(p->Format(t));
        return true;
      }
      const std::optional<Unit> unit = ParseUnit(args[text].s[k], true);
      return unit && micros_out(k, TruncMicros(t, *unit));
    });
    return r;
  }
  if (f == "from_unixtime") {
    as(0, SqlType::kDouble);
    if (args.size() < 2) {
      args.emplace_back(SqlType::kString, n);
      std::fill(args[1].s.begin(), args[1].s.end(), kDefaultPattern);
    }
    as(1, SqlType::kString);
    each([&](size_t k) {
      const double secs = std::floor(args[0].d[k]);
      if (!(std::fabs(secs) < 1e12)) return false;
      const int64_t t = static_cast<int64_t>(secs) * dt::kMicrosPerSecond;
      const dt::Pattern* p = pattern(args[1].s[k]);
      if (p == nullptr || !dt::TimestampInRange(t)) return false;
      r.s[k] = arena.Keep(p->Format(t));
      return true;
    });
    return r;
  }
  if (f == "timestamp_seconds") return cast(std::move(args[0]), SqlType::kTimestamp);
  if (f == "timestamp_millis" || f == "timestamp_micros") {
    as(0, SqlType::kInt);
    each([&](size_t k) {
      int64_t t = 0;
      return Mul(args[0].i[k], f == "timestamp_millis" ? 1000 : 1, &t) && micros_out(k, t);
    });
    return r;
  }
  if (f == "date_from_unix_date") {
    as(0, SqlType::kInt);
    each([&](size_t k) { return date_out(k, args[0].i[k]); });
    return r;
  }
  if (f == "make_date" || f == "make_timestamp") {
    for (size_t a = 0; a < args.size(); ++a) as(a, a == 5 ? SqlType::kDouble : SqlType::kInt);
    each([&](size_t k) {
      const int64_t y = args[0].i[k], m = args[1].i[k], d = args[2].i[k];
      if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 ||
          d > dt::DaysInMonth(y, static_cast<int>(m)))
        return false;
      const int64_t days = dt::DaysFromCivil({y, static_cast<int>(m), static_cast<int>(d)});
      if (f == "make_date") return date_out(k, days);
      const int64_t h = args[3].i[k], mi = args[4].i[k];
      const double s = args[5].d[k];
      if (h < 0 || h > 23 || mi < 0 || mi > 59 || !(s >= 0 && s < 60)) return false;
      const auto micros = static_cast<int64_t>(std::llround(s * 1e6));
      return micros_out(
          k, days * dt::kMicrosPerDay + (h * 3600 + mi * 60) * dt::kMicrosPerSecond + micros);
    });
    return r;
  }
  // The rest read dates.
  as(0, SqlType::kDate);
  if (f == "date_add" || f == "date_sub" || f == "add_months") {
    as(1, SqlType::kInt);
    each([&](size_t k) {
      const int64_t d = args[0].i[k], by = args[1].i[k];
      if (by > 12 * 10000 * 366 || by < -12 * 10000 * 366) return false;  // far out of range
      if (f == "add_months") return date_out(k, dt::AddMonths(d, by));
      return date_out(k, f == "date_add" ? d + by : d - by);
    });
    return r;
  }
  if (f == "datediff") {
    as(1, SqlType::kDate);
    each([&](size_t k) {
      r.i[k] = args[0].i[k] - args[1].i[k];
      return true;
    });
    return r;
  }
  if (f == "trunc") {
    as(1, SqlType::kString);
    each([&](size_t k) {
      const std::optional<Unit> unit = ParseUnit(args[1].s[k], false);
      return unit && date_out(k, TruncDays(args[0].i[k], *unit));
    });
    return r;
  }
  each([&](size_t k) {
    const int64_t d = args[0].i[k];
    const dt::Civil c = dt::CivilFromDays(d);
    if (f == "year") r.i[k] = c.year;
    if (f == "quarter") r.i[k] = (c.month - 1) / 3 + 1;
    if (f == "month") r.i[k] = c.month;
    if (f == "day" || f == "dayofmonth") r.i[k] = c.day;
    if (f == "dayofweek") r.i[k] = dt::IsoWeekday(d) % 7 + 1;  // 1 = Sunday, as Spark
    if (f == "weekday") r.i[k] = dt::IsoWeekday(d) - 1;        // 0 = Monday, as Spark
    if (f == "dayofyear") r.i[k] = d - dt::DaysFromCivil({c.year, 1, 1}) + 1;
    if (f == "weekofyear") r.i[k] = dt::IsoWeek(d);
    if (f == "unix_date") r.i[k] = d;
    if (f == "last_day")
      r.i[k] = dt::DaysFromCivil({c.year, c.month, dt::DaysInMonth(c.year, c.month)});
    return true;
  });
  return r;
}

}  // namespace ember::sql::internal
