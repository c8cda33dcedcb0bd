#include "ember/base/datetime.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace ember::datetime {

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDayNames = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  }
  return true;
}

// Reads between `min` and `max` digits at s[*pos] into *out.
bool Digits(std::string_view s, size_t* pos, int min, int max, int64_t* out) {
  int n = 0;
  int64_t v = 0;
  while (n < max && *pos < s.size() && IsDigit(s[*pos])) {
    v = v * 10 + (s[*pos] - '0');
    ++*pos;
    ++n;
  }
  *out = v;
  return n >= min;
}

bool Consume(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

bool ValidCivil(const Civil& c) {
  return c.year >= 1 && c.year <= 9999 && c.month >= 1 && c.month <= 12 && c.day >= 1 &&
         c.day <= DaysInMonth(c.year, c.month);
}

// "yyyy[-[m]m[-[d]d]]" at the start of `s`; *pos is left after it.
bool ParseDatePart(std::string_view s, size_t* pos, Civil* c) {
  int64_t v = 0;
  if (!Digits(s, pos, 4, 4, &v)) return false;
  *c = Civil{v, 1, 1};
  if (!Consume(s, pos, '-')) return true;
  if (!Digits(s, pos, 1, 2, &v)) return false;
  c->month = static_cast<int>(v);
  if (!Consume(s, pos, '-')) return true;
  if (!Digits(s, pos, 1, 2, &v)) return false;
  c->day = static_cast<int>(v);
  return true;
}

void Pad(std::string* out, int64_t v, int width) {
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(v));
  out->append(buf, static_cast<size_t>(n));
}

struct Clock {
  int64_t days = 0;
  int hour = 0, minute = 0, second = 0;
  int64_t micros = 0;  // within the second
};

Clock Split(int64_t micros) {
  Clock c;
  c.days = FloorDiv(micros, kMicrosPerDay);
  int64_t rem = micros - c.days * kMicrosPerDay;
  c.micros = rem % kMicrosPerSecond;
  rem /= kMicrosPerSecond;
  c.second = static_cast<int>(rem % 60);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.hour = static_cast<int>(rem / 3600);
  return c;
}

std::string FormatWith(int64_t micros, char separator, bool zone) {
  const Clock c = Split(micros);
  std::string out = FormatDate(c.days);
  out.push_back(separator);
  Pad(&out, c.hour, 2);
  out.push_back(':');
  Pad(&out, c.minute, 2);
  out.push_back(':');
  Pad(&out, c.second, 2);
  if (c.micros != 0) {
    std::string frac;
    Pad(&frac, c.micros, 6);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  if (zone) out.push_back('Z');
  return out;
}

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// Counts from 0000-03-01 in 400-year eras of 146097 days, so that leap days end each year.
int64_t DaysFromCivil(const Civil& c) {
  const int64_t y = c.year - (c.month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t year_of_era = y - era * 400;
  const int64_t month_from_march = (c.month + 9) % 12;
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + c.day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

Civil CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month =
      static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return Civil{year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int IsoWeekday(int64_t days) { return static_cast<int>(FloorMod(days + 3, 7)) + 1; }

int IsoWeek(int64_t days) {
  const int64_t thursday = days - (IsoWeekday(days) - 4);  // its week's Thursday sets the year
  const int64_t jan1 = DaysFromCivil(Civil{CivilFromDays(thursday).year, 1, 1});
  return static_cast<int>((thursday - jan1) / 7 + 1);
}

int64_t AddMonths(int64_t days, int64_t months) {
  const Civil c = CivilFromDays(days);
  const int64_t total = c.year * 12 + (c.month - 1) + months;
  Civil out{FloorDiv(total, 12), static_cast<int>(FloorMod(total, 12)) + 1, c.day};
  out.day = std::min(out.day, DaysInMonth(out.year, out.month));
  return DaysFromCivil(out);
}

namespace {
const int64_t kMinDay = DaysFromCivil(Civil{1, 1, 1});
const int64_t kMaxDay = DaysFromCivil(Civil{9999, 12, 31});
}  // namespace

bool DateInRange(int64_t days) { return days >= kMinDay && days <= kMaxDay; }

bool TimestampInRange(int64_t micros) {
  return micros >= kMinDay * kMicrosPerDay && micros < (kMaxDay + 1) * kMicrosPerDay;
}

bool ParseDate(std::string_view text, int32_t* days) {
  const std::string_view s = Trim(text);
  size_t pos = 0;
  Civil c;
  if (!ParseDatePart(s, &pos, &c) || !ValidCivil(c)) return false;
  if (pos != s.size() && s[pos] != ' ' && s[pos] != 'T') return false;
  *days = static_cast<int32_t>(DaysFromCivil(c));
  return true;
}

bool ParseTimestamp(std::string_view text, int64_t* micros) {
  const std::string_view s = Trim(text);
  size_t pos = 0;
  Civil c;
  if (!ParseDatePart(s, &pos, &c) || !ValidCivil(c)) return false;
  int64_t value = DaysFromCivil(c) * kMicrosPerDay;
  if (pos < s.size() && (s[pos] == ' ' || s[pos] == 'T')) {
    ++pos;
    int64_t h = 0, m = 0, sec = 0, frac = 0;
    if (!Digits(s, &pos, 1, 2, &h) || !Consume(s, &pos, ':') || !Digits(s, &pos, 1, 2, &m))
      return false;
    if (Consume(s, &pos, ':')) {
      if (!Digits(s, &pos, 1, 2, &sec)) return false;
      if (Consume(s, &pos, '.')) {
        const size_t start = pos;
        if (!Digits(s, &pos, 1, 9, &frac)) return false;
        for (size_t n = pos - start; n < 9; ++n) frac *= 10;
        frac /= 1000;  // nanoseconds to microseconds
      }
    }
    if (h > 23 || m > 59 || sec > 59) return false;
    value += ((h * 60 + m) * 60 + sec) * kMicrosPerSecond + frac;
  }
  // The zone.
  while (pos < s.size() && s[pos] == ' ') ++pos;
  const std::string_view zone = s.substr(pos);
  if (!zone.empty() && zone != "Z" && zone != "UTC" && zone != "GMT") {
    size_t zp = 0;
    if (zone.starts_with("UTC") || zone.starts_with("GMT")) zp = 3;
    if (zp >= zone.size() || (zone[zp] != '+' && zone[zp] != '-')) return false;
    const int64_t sign = zone[zp] == '-' ? -1 : 1;
    ++zp;
    int64_t oh = 0, om = 0;
    if (!Digits(zone, &zp, 1, 2, &oh)) return false;
    const bool colon = Consume(zone, &zp, ':');  // +hh:mm or +hhmm
    if ((colon || zp < zone.size()) && !Digits(zone, &zp, 2, 2, &om)) return false;
    if (zp != zone.size() || oh > 18 || om > 59) return false;
    value -= sign * (oh * 60 + om) * 60 * kMicrosPerSecond;
  }
  if (!TimestampInRange(value)) return false;
  *micros = value;
  return true;
}

std::string FormatDate(int64_t days) {
  const Civil c = CivilFromDays(days);
  std::string out;
  Pad(&out, c.year, 4);
  out.push_back('-');
  Pad(&out, c.month, 2);
  out.push_back('-');
  Pad(&out, c.day, 2);
  return out;
}

std::string FormatTimestamp(int64_t micros) { return FormatWith(micros, ' ', false); }
std::string FormatTimestampIso(int64_t micros) { return FormatWith(micros, 'T', true); }

// Patterns --------------------------------------------------------------------------------

Result<Pattern> Pattern::Compile(std::string_view pattern) {
  Pattern p;
  auto error = [&](const std::string& what) {
    return InvalidArgument("datetime pattern '" + std::string(pattern) + "': " + what);
  };
  auto literal = [&p](std::string_view text) {
    if (p.parts_.empty() || p.parts_.back().letter != 0) p.parts_.push_back(Part{});
    p.parts_.back().text.append(text);
  };
  for (size_t i = 0; i < pattern.size();) {
    const char ch = pattern[i];
    if (ch == '\'') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
        literal("'");
        i += 2;
        continue;
      }
      // Quoted text, where '' is a quote.
      size_t j = i + 1;
      std::string text;
      for (;; ++j) {
        if (j >= pattern.size()) return error("unterminated quote");
        if (pattern[j] != '\'') {
          text.push_back(pattern[j]);
        } else if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
          text.push_back('\'');
          ++j;
        } else {
          break;
        }
      }
      literal(text);
      i = j + 1;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
      literal(pattern.substr(i, 1));
      ++i;
      continue;
    }
    size_t n = 1;
    while (i + n < pattern.size() && pattern[i + n] == ch) ++n;
    int max = 0;
    switch (ch) {
      case 'y':
      case 'M':
      case 'E':
        max = 4;
        break;
      case 'd':
      case 'H':
      case 'h':
      case 'm':
      case 's':
        max = 2;
        break;
      case 'D':
        max = 3;
        break;
      case 'S':
        max = 9;
        break;
      case 'a':
        max = 1;
        break;
      default:
        return error(std::string("pattern letter '") + ch +
                     "' is not supported (the letters are y M d D H h m s S a E; quote text "
                     "with '')");
    }
    if (static_cast<int>(n) > max) {
      return error(std::string("too many '") + ch + "' (at most " + std::to_string(max) + ")");
    }
    p.parts_.push_back(Part{ch, static_cast<int>(n), {}});
    i += n;
  }
  return p;
}

std::string Pattern::Format(int64_t micros) const {
  const Clock t = Split(micros);
  const Civil c = CivilFromDays(t.days);
  std::string out;
  for (const Part& p : parts_) {
    switch (p.letter) {
      case 0:
        out += p.text;
        break;
      case 'y':
        Pad(&out, p.count == 2 ? FloorMod(c.year, 100) : c.year, p.count == 2 ? 2 : p.count);
        break;
      case 'M':
        if (p.count >= 3) {
          const std::string_view name = kMonthNames[static_cast<size_t>(c.month - 1)];
          out += p.count == 3 ? name.substr(0, 3) : name;
        } else {
          Pad(&out, c.month, p.count);
        }
        break;
      case 'd':
        Pad(&out, c.day, p.count);
        break;
      case 'D':
        Pad(&out, t.days - DaysFromCivil(Civil{c.year, 1, 1}) + 1, p.count);
        break;
      case 'H':
        Pad(&out, t.hour, p.count);
        break;
      case 'h':
        Pad(&out, t.hour % 12 == 0 ? 12 : t.hour % 12, p.count);
        break;
      case 'm':
        Pad(&out, t.minute, p.count);
        break;
      case 's':
        Pad(&out, t.second, p.count);
        break;
      case 'S': {
        std::string frac;
        Pad(&frac, t.micros, 6);
        frac.resize(static_cast<size_t>(p.count), '0');
        out += frac;
        break;
      }
      case 'a':
        out += t.hour < 12 ? "AM" : "PM";
        break;
      case 'E': {
        const std::string_view name = kDayNames[static_cast<size_t>(IsoWeekday(t.days) - 1)];
        out += p.count == 4 ? name : name.substr(0, 3);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

bool Pattern::Parse(std::string_view text, int64_t* micros) const {
  Civil c;
  int64_t day_of_year = -1, hour = 0, minute = 0, second = 0, frac = 0;
  int pm = -1;  // -1: no AM/PM
  bool twelve_hour = false;
  size_t pos = 0;
  auto names = [&](const auto& list, int count, int64_t* index) {
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string_view name = count >= 4 ? list[k] : list[k].substr(0, 3);
      if (StartsWithNoCase(text.substr(pos), name)) {
        pos += name.size();
        *index = static_cast<int64_t>(k);
        return true;
      }
    }
    return false;
  };
  for (const Part& p : parts_) {
    int64_t v = 0;
    const int min_digits = p.count == 1 ? 1 : p.count;
    const int max_digits = p.count == 1 ? 2 : p.count;
    bool ok = true;
    switch (p.letter) {
      case 0:
        ok = text.substr(pos).starts_with(p.text);
        pos += p.text.size();
        break;
      case 'y':
        ok = Digits(text, &pos, p.count == 2 ? 2 : 1, p.count == 2 ? 2 : 4, &v);
        c.year = p.count == 2 ? 2000 + v : v;
        break;
      case 'M':
        if (p.count >= 3) {
          ok = names(kMonthNames, p.count, &v);
          c.month = static_cast<int>(v) + 1;
        } else {
          ok = Digits(text, &pos, min_digits, max_digits, &v);
          c.month = static_cast<int>(v);
        }
        break;
      case 'd':
        ok = Digits(text, &pos, min_digits, max_digits, &v);
        c.day = static_cast<int>(v);
        break;
      case 'D':
        ok = Digits(text, &pos, 1, 3, &day_of_year);
        break;
      case 'H':
      case 'h':
        ok = Digits(text, &pos, min_digits, max_digits, &hour);
        twelve_hour = twelve_hour || p.letter == 'h';
        break;
      case 'm':
        ok = Digits(text, &pos, min_digits, max_digits, &minute);
        break;
      case 's':
        ok = Digits(text, &pos, min_digits, max_digits, &second);
        break;
      case 'S': {
        const size_t start = pos;
        ok = Digits(text, &pos, 1, p.count, &frac);
        for (size_t n = pos - start; n < 9; ++n) frac *= 10;
        frac /= 1000;
        break;
      }
      case 'a':
        if (StartsWithNoCase(text.substr(pos), "AM") || StartsWithNoCase(text.substr(pos), "PM")) {
          pm = Lower(text[pos]) == 'p' ? 1 : 0;
          pos += 2;
        } else {
          ok = false;
        }
        break;
      case 'E':
        ok = names(kDayNames, p.count, &v);  // checked against nothing: the date decides
        break;
      default:
        ok = false;
    }
    if (!ok || pos > text.size()) return false;
  }
  if (pos != text.size()) return false;
  if (twelve_hour) {
    if (hour < 1 || hour > 12) return false;
    hour = hour % 12 + (pm == 1 ? 12 : 0);
  } else if (pm == 1 && hour < 12) {
    hour += 12;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  int64_t days = 0;
  if (day_of_year >= 0) {
    if (c.year < 1 || c.year > 9999 || day_of_year < 1 ||
        day_of_year > (IsLeapYear(c.year) ? 366 : 365))
      return false;
    days = DaysFromCivil(Civil{c.year, 1, 1}) + day_of_year - 1;
  } else {
    if (!ValidCivil(c)) return false;
    days = DaysFromCivil(c);
  }
  *micros = days * kMicrosPerDay + ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond + frac;
  return true;
}

}  // namespace ember::datetime
