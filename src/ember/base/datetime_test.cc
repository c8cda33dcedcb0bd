#include "ember/base/datetime.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ember::datetime {
namespace {

TEST(DatetimeTest, CivilDaysAgreeWithChronoOnEveryDayOfYears1To9999) {
  namespace chr = std::chrono;
  const int64_t first = DaysFromCivil(Civil{1, 1, 1});
  const int64_t last = DaysFromCivil(Civil{9999, 12, 31});
  for (int64_t d = first; d <= last; d += 1) {
    const chr::year_month_day ymd{chr::sys_days{chr::days{d}}};
    const Civil c = CivilFromDays(d);
    ASSERT_EQ(c.year, static_cast<int>(ymd.year())) << d;
    ASSERT_EQ(c.month, static_cast<int>(static_cast<unsigned>(ymd.month()))) << d;
    ASSERT_EQ(c.day, static_cast<int>(static_cast<unsigned>(ymd.day()))) << d;
    ASSERT_EQ(DaysFromCivil(c), d);
    ASSERT_EQ(IsoWeekday(d),
              static_cast<int>(chr::weekday{chr::sys_days{chr::days{d}}}.iso_encoding()));
  }
  EXPECT_EQ(DaysFromCivil(Civil{1970, 1, 1}), 0);
  EXPECT_EQ(DaysFromCivil(Civil{2000, 3, 1}), 11017);
}

TEST(DatetimeTest, IsoWeeksAtYearBoundaries) {
  EXPECT_EQ(IsoWeek(DaysFromCivil(Civil{2021, 1, 3})), 53);  // Sunday of 2020's week 53
  EXPECT_EQ(IsoWeek(DaysFromCivil(Civil{2021, 1, 4})), 1);
  EXPECT_EQ(IsoWeek(DaysFromCivil(Civil{2024, 12, 30})), 1);  // Monday of 2025's week 1
  EXPECT_EQ(IsoWeek(DaysFromCivil(Civil{2024, 6, 15})), 24);
}

TEST(DatetimeTest, AddMonthsClampsToTheEndOfAShorterMonth) {
  auto add = [](Civil c, int64_t m) { return FormatDate(AddMonths(DaysFromCivil(c), m)); };
  EXPECT_EQ(add({2024, 1, 31}, 1), "2024-02-29");
  EXPECT_EQ(add({2023, 1, 31}, 1), "2023-02-28");
  EXPECT_EQ(add({2024, 3, 15}, -15), "2022-12-15");
  EXPECT_EQ(add({2024, 12, 1}, 1), "2025-01-01");
}

TEST(DatetimeTest, ParsesDatesAsSparksCastAndRefusesTheRest) {
  int32_t d = 0;
  ASSERT_TRUE(ParseDate("2024-03-01", &d));
  EXPECT_EQ(FormatDate(d), "2024-03-01");
  ASSERT_TRUE(ParseDate(" 2024-3-1 ", &d));
  EXPECT_EQ(FormatDate(d), "2024-03-01");
  ASSERT_TRUE(ParseDate("2024-03-01T10:11:12Z", &d));  // the date of a timestamp
  EXPECT_EQ(FormatDate(d), "2024-03-01");
  ASSERT_TRUE(ParseDate("2024", &d));
  EXPECT_EQ(FormatDate(d), "2024-01-01");
  ASSERT_TRUE(ParseDate("1969-12-31", &d));
  EXPECT_EQ(d, -1);
  for (const char* bad : {"", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "24-01-01",
                          "2024/01/01", "2024-01-01x", "NA", "0000-01-01"}) {
    EXPECT_FALSE(ParseDate(bad, &d)) << bad;
  }
}

TEST(DatetimeTest, ParsesTimestampsWithFractionsAndZones) {
  int64_t t = 0;
  ASSERT_TRUE(ParseTimestamp("2024-03-01 10:11:12", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 10:11:12");
  EXPECT_EQ(FormatTimestampIso(t), "2024-03-01T10:11:12Z");
  ASSERT_TRUE(ParseTimestamp("2024-03-01T10:11:12.25Z", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 10:11:12.25");
  ASSERT_TRUE(ParseTimestamp("2024-03-01T10:11:12.123456789", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 10:11:12.123456");
  ASSERT_TRUE(ParseTimestamp("2024-03-01 01:30+02:00", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-02-29 23:30:00");
  ASSERT_TRUE(ParseTimestamp("2024-03-01 01:30:00 -0130", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 03:00:00");
  ASSERT_TRUE(ParseTimestamp("2024-03-01 01:30:00 UTC", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 01:30:00");
  ASSERT_TRUE(ParseTimestamp("2024-03-01", &t));
  EXPECT_EQ(FormatTimestamp(t), "2024-03-01 00:00:00");
  ASSERT_TRUE(ParseTimestamp("1969-12-31 23:59:59.5", &t));
  EXPECT_EQ(t, -500000);
  EXPECT_EQ(FormatTimestamp(t), "1969-12-31 23:59:59.5");
  for (const char* bad :
       {"2024-03-01 24:00:00", "2024-03-01 10:60", "2024-03-01 10", "2024-03-01 10:00:00 PST",
        "2024-03-01 10:00:00+5:", "9999-12-31 23:59 -01:00", "2024-03-01 10:00:00."}) {
    EXPECT_FALSE(ParseTimestamp(bad, &t)) << bad;
  }
}

TEST(DatetimeTest, PatternsFormatAndParseLikeSparks) {
  int64_t t = 0;
  ASSERT_TRUE(ParseTimestamp("2024-03-05 14:07:09.123", &t));
  auto fmt = [&](const char* p) {
    auto pattern = Pattern::Compile(p);
    EXPECT_TRUE(pattern.ok()) << pattern.status().ToString();
    return pattern->Format(t);
  };
  EXPECT_EQ(fmt("yyyy-MM-dd HH:mm:ss"), "2024-03-05 14:07:09");
  EXPECT_EQ(fmt("dd/MM/yy"), "05/03/24");
  EXPECT_EQ(fmt("EEE, d MMM yyyy h:mm a"), "Tue, 5 Mar 2024 2:07 PM");
  EXPECT_EQ(fmt("EEEE MMMM D"), "Tuesday March 65");
  EXPECT_EQ(fmt("HH:mm:ss.SSS"), "14:07:09.123");
  EXPECT_EQ(fmt("yyyy'T'HH 'o''clock'"), "2024T14 o'clock");

  auto parse = [](const char* p, const char* text) -> std::string {
    auto pattern = Pattern::Compile(p);
    EXPECT_TRUE(pattern.ok());
    int64_t v = 0;
    if (!pattern->Parse(text, &v)) return "NULL";
    return FormatTimestamp(v);
  };
  EXPECT_EQ(parse("dd/MM/yyyy", "05/03/2024"), "2024-03-05 00:00:00");
  EXPECT_EQ(parse("d/M/yyyy", "5/3/2024"), "2024-03-05 00:00:00");
  EXPECT_EQ(parse("yyyyMMddHHmmss", "20240305140709"), "2024-03-05 14:07:09");
  EXPECT_EQ(parse("dd MMM yyyy h:mm a", "05 mar 2024 2:07 PM"), "2024-03-05 14:07:00");
  EXPECT_EQ(parse("dd MMM yyyy h:mm a", "05 Mar 2024 12:07 AM"), "2024-03-05 00:07:00");
  EXPECT_EQ(parse("yyyy-MM-dd HH:mm:ss.SSS", "2024-03-05 14:07:09.5"), "2024-03-05 14:07:09.5");
  EXPECT_EQ(parse("yyyy-D", "2024-60"), "2024-02-29 00:00:00");
  EXPECT_EQ(parse("dd/MM/yyyy", "31/02/2024"), "NULL");
  EXPECT_EQ(parse("dd/MM/yyyy", "05/03/2024 "), "NULL");
  EXPECT_EQ(parse("dd/MM/yyyy", "5/3/2024"), "NULL");  // dd and MM want two digits

  for (const char* bad : {"yyyy-MM-dd Q", "'unterminated", "yyyyy", "HHH"}) {
    auto p = Pattern::Compile(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find(bad), std::string::npos) << p.status().ToString();
  }
}

}  // namespace
}  // namespace ember::datetime
