// Dates and timestamps in SQL: literals, CAST, comparisons, functions, plans over them, and
// a differential test of the calendar functions against SQLite's.
#include "ember/base/datetime.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/sql/query.h"
#include "ember/sql/sql_transformer.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using Strings = std::vector<std::string>;

ColumnPtr DateColumn(const std::vector<std::optional<std::string>>& text, bool timestamp) {
  auto b = MakeBuilder(timestamp ? TimestampType() : DateType());
  for (const auto& t : text) {
    if (!t) {
      b->AppendNull();
      continue;
    }
    int32_t days = 0;
    int64_t micros = 0;
    if (timestamp) {
      EXPECT_TRUE(datetime::ParseTimestamp(*t, &micros)) << *t;
      static_cast<NumericBuilder<int64_t>*>(b.get())->Append(micros);
    } else {
      EXPECT_TRUE(datetime::ParseDate(*t, &days)) << *t;
      static_cast<NumericBuilder<int32_t>*>(b.get())->Append(days);
    }
  }
  return b->Finish();
}

// d: date, t: timestamp, s: string (dates, a timestamp, junk, NULL), n: int64.
Batch Events() {
  SchemaPtr schema = *Schema::Make({MakeField("d", DateType()), MakeField("t", TimestampType()),
                                    MakeField("s", StringType()), MakeField("n", Int64Type())});
  return *Batch::Make(
      schema,
      {DateColumn({"2024-01-31", "2023-12-25", std::nullopt, "1969-07-20"}, false),
       DateColumn(
           {"2024-01-31 23:59:59.5", "2023-12-25 08:00:00", "1970-01-01 00:00:00", std::nullopt},
           true),
       MakeColumn<std::string>({"2024-02-29", "2024-02-30", "2024-03-01T10:00:00Z", std::nullopt}),
       MakeColumn<int64_t>({1, -1, 30, std::nullopt})});
}

Result<Batch> RunSql(std::string_view sql, const Batch& in = Events()) {
  EMBER_ASSIGN_OR_RETURN(auto q, SqlQuery::Compile(sql, *in.schema()));
  return q->Run(in);
}

Strings Values(std::string_view sql, const Batch& in = Events()) {
  Result<Batch> out = RunSql(sql, in);
  EXPECT_THAT(out, IsOk()) << sql;
  if (!out.ok()) return {};
  Strings v;
  for (int64_t r = 0; r < out->num_rows(); ++r) v.push_back(FormatValue(*out->column(0), r));
  return v;
}

std::string ErrorOf(std::string_view sql) {
  Result<Batch> out = RunSql(sql);
  EXPECT_FALSE(out.ok()) << sql;
  return out.ok() ? "" : std::string(out.status().message());
}

TEST(SqlDatetimeTest, LiteralsCastsAndOutputTypes) {
  auto out = RunSql(
      "SELECT DATE '2024-03-01' AS a, TIMESTAMP '2024-03-01 10:11:12' AS b, CAST(s AS DATE) AS c, "
      "CAST(s AS TIMESTAMP) AS e, CAST(t AS DATE) AS f, CAST(d AS TIMESTAMP) AS g, "
      "CAST(t AS STRING) AS h, CAST(d AS STRING) AS i, CAST(t AS BIGINT) AS j, "
      "CAST(n AS TIMESTAMP) AS k, d AS date FROM __THIS__");
  ASSERT_THAT(out, IsOk());
  const Schema& s = *out->schema();
  EXPECT_EQ(s.field(0).type->id(), TypeId::kDate);
  EXPECT_EQ(s.field(1).type->id(), TypeId::kTimestamp);
  EXPECT_EQ(s.field(10).type->id(), TypeId::kDate);  // a column named date stays a column
  auto col = [&](int c) {
    Strings v;
    for (int64_t r = 0; r < out->num_rows(); ++r) v.push_back(FormatValue(*out->column(c), r));
    return v;
  };
  EXPECT_EQ(col(0)[0], "2024-03-01");
  EXPECT_EQ(col(1)[0], "2024-03-01 10:11:12");
  EXPECT_EQ(col(2), (Strings{"2024-02-29", "null", "2024-03-01", "null"}));  // 02-30 is no date
  EXPECT_EQ(col(3), (Strings{"2024-02-29 00:00:00", "null", "2024-03-01 10:00:00", "null"}));
  EXPECT_EQ(col(4), (Strings{"2024-01-31", "2023-12-25", "1970-01-01", "null"}));
  EXPECT_EQ(col(5),
            (Strings{"2024-01-31 00:00:00", "2023-12-25 00:00:00", "null", "1969-07-20 00:00:00"}));
  EXPECT_EQ(col(6), (Strings{"2024-01-31 23:59:59.5", "2023-12-25 08:00:00", "1970-01-01 00:00:00",
                             "null"}));
  EXPECT_EQ(col(7)[3], "1969-07-20");
  EXPECT_EQ(col(8), (Strings{"1706745599", "1703491200", "0", "null"}));
  EXPECT_EQ(col(9),
            (Strings{"1970-01-01 00:00:01", "1969-12-31 23:59:59", "1970-01-01 00:00:30", "null"}));
}

TEST(SqlDatetimeTest, ComparisonsReadTextAsDates) {
  EXPECT_EQ(Values("SELECT d > '2024-01-01' FROM __THIS__"),
            (Strings{"true", "false", "null", "false"}));
  EXPECT_EQ(Values("SELECT d BETWEEN DATE '2023-01-01' AND '2023-12-31' FROM __THIS__"),
            (Strings{"false", "true", "null", "false"}));
  EXPECT_EQ(Values("SELECT t >= d FROM __THIS__"), (Strings{"true", "true", "null", "null"}));
  EXPECT_EQ(Values("SELECT d IN ('2023-12-25', '1969-07-20') FROM __THIS__"),
            (Strings{"false", "true", "null", "true"}));
  EXPECT_EQ(Values("SELECT greatest(d, DATE '2000-01-01') FROM __THIS__"),
            (Strings{"2024-01-31", "2023-12-25", "2000-01-01", "2000-01-01"}));
  EXPECT_EQ(Values("SELECT coalesce(d, current_date()) = d FROM __THIS__")[0], "true");
}

TEST(SqlDatetimeTest, FieldsOfDatesAndTimestamps) {
  EXPECT_EQ(Values("SELECT year(d) FROM __THIS__"), (Strings{"2024", "2023", "null", "1969"}));
  EXPECT_EQ(Values("SELECT month(d) * 100 + day(d) FROM __THIS__"),
            (Strings{"131", "1225", "null", "720"}));
  EXPECT_EQ(Values("SELECT quarter(d) FROM __THIS__"), (Strings{"1", "4", "null", "3"}));
  // 2024-01-31 a Wednesday, 2023-12-25 a Monday, 1969-07-20 a Sunday.
  EXPECT_EQ(Values("SELECT dayofweek(d) FROM __THIS__"), (Strings{"4", "2", "null", "1"}));
  EXPECT_EQ(Values("SELECT weekday(d) FROM __THIS__"), (Strings{"2", "0", "null", "6"}));
  EXPECT_EQ(Values("SELECT dayofyear(d) FROM __THIS__"), (Strings{"31", "359", "null", "201"}));
  EXPECT_EQ(Values("SELECT weekofyear(d) FROM __THIS__"), (Strings{"5", "52", "null", "29"}));
  EXPECT_EQ(Values("SELECT hour(t) || ':' || minute(t) || ':' || second(t) FROM __THIS__"),
            (Strings{"23:59:59", "8:0:0", "0:0:0", "null"}));
  EXPECT_EQ(Values("SELECT year(s) FROM __THIS__"), (Strings{"2024", "null", "2024", "null"}));
  EXPECT_EQ(Values("SELECT hour(s) FROM __THIS__"), (Strings{"0", "null", "10", "null"}));
}

TEST(SqlDatetimeTest, MovingAndCountingDays) {
  EXPECT_EQ(Values("SELECT date_add(d, n) FROM __THIS__"),
            (Strings{"2024-02-01", "2023-12-24", "null", "null"}));
  EXPECT_EQ(Values("SELECT d + 1 FROM __THIS__"),
            (Strings{"2024-02-01", "2023-12-26", "null", "1969-07-21"}));
  EXPECT_EQ(Values("SELECT d - 365 FROM __THIS__")[0], "2023-01-31");
  EXPECT_EQ(Values("SELECT date_sub('2024-03-01', 1) FROM __THIS__")[0], "2024-02-29");
  EXPECT_EQ(Values("SELECT datediff(d, '2024-01-01') FROM __THIS__"),
            (Strings{"30", "-7", "null", "-19888"}));
  EXPECT_EQ(Values("SELECT add_months(d, 1) FROM __THIS__"),
            (Strings{"2024-02-29", "2024-01-25", "null", "1969-08-20"}));
  EXPECT_EQ(Values("SELECT last_day(d) FROM __THIS__"),
            (Strings{"2024-01-31", "2023-12-31", "null", "1969-07-31"}));
  EXPECT_EQ(Values("SELECT trunc(d, 'quarter') FROM __THIS__"),
            (Strings{"2024-01-01", "2023-10-01", "null", "1969-07-01"}));
  EXPECT_EQ(Values("SELECT trunc(d, 'week') FROM __THIS__")[0], "2024-01-29");  // its Monday
  EXPECT_EQ(Values("SELECT date_trunc('hour', t) FROM __THIS__")[0], "2024-01-31 23:00:00");
  EXPECT_EQ(Values("SELECT date_trunc('month', t) FROM __THIS__")[1], "2023-12-01 00:00:00");
  // Out of the years 0001-9999: NULL, not a wrapped date.
  EXPECT_EQ(Values("SELECT date_add(DATE '9999-12-31', 1) FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT d + 9223372036854775807 FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT make_date(2024, 2, 30) FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT make_timestamp(2024, 2, 29, 12, 30, 1.25) FROM __THIS__")[0],
            "2024-02-29 12:30:01.25");
  EXPECT_EQ(Values("SELECT date_from_unix_date(unix_date(d) + 1) FROM __THIS__")[3], "1969-07-21");
}

TEST(SqlDatetimeTest, PatternsAndEpochs) {
  EXPECT_EQ(Values("SELECT date_format(t, 'dd/MM/yyyy HH:mm') FROM __THIS__"),
            (Strings{"31/01/2024 23:59", "25/12/2023 08:00", "01/01/1970 00:00", "null"}));
  EXPECT_EQ(Values("SELECT date_format(d, 'EEE d MMM yy') FROM __THIS__")[0], "Wed 31 Jan 24");
  EXPECT_EQ(Values("SELECT to_date('31/01/2024', 'dd/MM/yyyy') FROM __THIS__")[0], "2024-01-31");
  EXPECT_EQ(Values("SELECT to_date('31/02/2024', 'dd/MM/yyyy') FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT to_timestamp('2024-01-31 10:00', 'yyyy-MM-dd HH:mm') FROM __THIS__")[0],
            "2024-01-31 10:00:00");
  EXPECT_EQ(Values("SELECT to_timestamp(s) FROM __THIS__")[2], "2024-03-01 10:00:00");
  EXPECT_EQ(Values("SELECT unix_timestamp('1970-01-02 00:00:00') FROM __THIS__")[0], "86400");
  EXPECT_EQ(Values("SELECT unix_timestamp(t) FROM __THIS__")[2], "0");
  EXPECT_EQ(Values("SELECT from_unixtime(86400) FROM __THIS__")[0], "1970-01-02 00:00:00");
  EXPECT_EQ(Values("SELECT from_unixtime(0, 'yyyy') FROM __THIS__")[0], "1970");
  EXPECT_EQ(Values("SELECT unix_millis(t) FROM __THIS__")[0], "1706745599500");
  EXPECT_EQ(Values("SELECT timestamp_millis(1706745599500) = t FROM __THIS__")[0], "true");
  EXPECT_EQ(Values("SELECT timestamp_seconds(1.5) FROM __THIS__")[0], "1970-01-01 00:00:01.5");
  // A pattern from a column: one that does not compile gives NULL.
  EXPECT_EQ(Values("SELECT date_format(t, CASE WHEN n = 1 THEN 'yyyy' ELSE 'qq' END) "
                   "FROM __THIS__"),
            (Strings{"2024", "null", "null", "null"}));
  const int64_t before = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t now = std::stoll(Values("SELECT unix_timestamp() FROM __THIS__")[0]);
  EXPECT_GE(now, before);
  EXPECT_LE(now, before + 60);
}

TEST(SqlDatetimeTest, ErrorsSayWhatIsAllowed) {
  EXPECT_EQ(ErrorOf("SELECT DATE '2024-02-30' FROM __THIS__"),
            "invalid DATE literal '2024-02-30' at position 8 (expected yyyy-mm-dd)");
  EXPECT_EQ(ErrorOf("SELECT d - d FROM __THIS__"),
            "type error at position 10: '-' of date (column 'd') and date (column 'd') is not "
            "supported: a date moves by whole days (date + n, date_add, add_months), "
            "datediff(end, start) counts the days between dates, and unix_seconds(t) turns a "
            "timestamp into a number");
  EXPECT_EQ(ErrorOf("SELECT CAST(n AS DATE) FROM __THIS__"),
            "type error at position 8: cannot CAST bigint (column 'n') to date "
            "(date_from_unix_date(n) reads days since 1970-01-01)");
  EXPECT_EQ(ErrorOf("SELECT d = 1 FROM __THIS__"),
            "type error at position 10: cannot compare date (column 'd') with bigint ('=')");
  EXPECT_EQ(ErrorOf("SELECT date_format(t, 'yyyy-MM-dd Q') FROM __THIS__"),
            "argument 2 of date_format() at position 23: datetime pattern 'yyyy-MM-dd Q': "
            "pattern letter 'Q' is not supported (the letters are y M d D H h m s S a E; quote "
            "text with '')");
  EXPECT_EQ(ErrorOf("SELECT trunc(d, 'day') FROM __THIS__"),
            "argument 2 of trunc() at position 17: unknown unit 'day'; the units are year, "
            "quarter, month, week");
  EXPECT_EQ(ErrorOf("SELECT year(n) FROM __THIS__"),
            "type error at position 13: argument 1 of year() must be a date, a timestamp or a "
            "string, found bigint (column 'n')");
  EXPECT_EQ(ErrorOf("SELECT sum(d) FROM __THIS__"),
            "SqlQuery computes each output row from one input row; DISTINCT, GROUP BY, "
            "aggregates, ORDER BY and LIMIT run over a whole frame as SqlPlan (sql/plan.h)");
}

// Plans over dates: GROUP BY a month, min and max, ORDER BY a timestamp.
TEST(SqlDatetimeTest, GroupAndOrderByDates) {
  Batch e = Events();
  Result<DataFrame> made = DataFrame::Make(e.schema(), {e.Slice(0, 2), e.Slice(2, 2)});
  ASSERT_THAT(made, IsOk());
  const DataFrame in = *made;
  auto run = [&](const std::string& sql) -> Strings {
    auto stage = SqlTransformer::Make({.statement = sql});
    EXPECT_THAT(stage, IsOk());
    auto out = (*stage)->Transform(in, ExecContext::Default());
    EXPECT_THAT(out, IsOk()) << sql;
    if (!out.ok()) return {};
    Batch b = *out->Collect();
    Strings rows;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::string line;
      for (int c = 0; c < b.num_columns(); ++c)
        line += (c ? "|" : "") + FormatValue(*b.column(c), r);
      rows.push_back(line);
    }
    return rows;
  };
  EXPECT_EQ(run("SELECT min(d), max(d), min(t), max(t), count(d) FROM __THIS__"),
            (Strings{"1969-07-20|2024-01-31|1970-01-01 00:00:00|2024-01-31 23:59:59.5|3"}));
  EXPECT_EQ(run("SELECT trunc(d, 'year') AS y, max(t) AS last FROM __THIS__ WHERE d IS NOT NULL "
                "GROUP BY trunc(d, 'year') ORDER BY y DESC"),
            (Strings{"2024-01-01|2024-01-31 23:59:59.5", "2023-01-01|2023-12-25 08:00:00",
                     "1969-01-01|null"}));
  EXPECT_EQ(run("SELECT n FROM __THIS__ ORDER BY t DESC LIMIT 2"), (Strings{"1", "-1"}));
  EXPECT_EQ(run("SELECT DISTINCT year(d) AS y FROM __THIS__ ORDER BY y"),
            (Strings{"null", "1969", "2023", "2024"}));
  auto typed = SqlTransformer::Make({.statement = "SELECT max(d) AS m FROM __THIS__"});
  ASSERT_THAT(typed, IsOk());
  auto out = (*typed)->Transform(in, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field(0).type->id(), TypeId::kDate);
  auto sum = SqlTransformer::Make({.statement = "SELECT sum(d) FROM __THIS__"});
  ASSERT_THAT(sum, IsOk());
  auto bad = (*sum)->Transform(in, ExecContext::Default());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("sum(d) at position 8 needs a numeric argument, found date"),
      std::string::npos)
      << bad.status().ToString();
}

// The calendar functions against SQLite's date functions, on random dates and times over
// the years 0001-9999.
TEST(SqlDatetimeTest, CalendarFunctionsAgreeWithSqlite) {
  std::mt19937_64 rng(11);
  const int64_t first = datetime::DaysFromCivil({1, 1, 1});
  const int64_t last = datetime::DaysFromCivil({9999, 12, 1});
  std::uniform_int_distribution<int64_t> day(first, last);
  std::uniform_int_distribution<int64_t> second(0, 86399);
  std::uniform_int_distribution<int64_t> shift(-1000, 1000);
  const int rows = 3000;
  std::vector<std::optional<std::string>> dates, times;
  std::vector<std::optional<int64_t>> shifts;
  for (int r = 0; r < rows; ++r) {
    const int64_t d = day(rng);
    dates.push_back(datetime::FormatDate(d));
    times.push_back(datetime::FormatTimestamp(d * datetime::kMicrosPerDay +
                                              second(rng) * datetime::kMicrosPerSecond));
    shifts.push_back(shift(rng));
  }
  SchemaPtr schema = *Schema::Make(
      {MakeField("d", DateType()), MakeField("t", TimestampType()), MakeField("k", Int64Type())});
  Batch in = *Batch::Make(
      schema, {DateColumn(dates, false), DateColumn(times, true), MakeColumn<int64_t>(shifts)});
  // Ember's expression, SQLite's over the same row (d and t as text, k).
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"year(d)", "CAST(strftime('%Y', d) AS INTEGER)"},
      {"month(d)", "CAST(strftime('%m', d) AS INTEGER)"},
      {"day(d)", "CAST(strftime('%d', d) AS INTEGER)"},
      {"dayofweek(d)", "CAST(strftime('%w', d) AS INTEGER) + 1"},
      {"dayofyear(d)", "CAST(strftime('%j', d) AS INTEGER)"},
      {"CAST(date_add(d, k) AS STRING)", "date(d, k || ' days')"},
      {"datediff(d, '2000-01-01')", "CAST(julianday(d) - julianday('2000-01-01') AS INTEGER)"},
      {"CAST(last_day(d) AS STRING)", "date(d, 'start of month', '+1 month', '-1 day')"},
      {"CAST(trunc(d, 'month') AS STRING)", "date(d, 'start of month')"},
      {"CAST(trunc(d, 'year') AS STRING)", "date(d, 'start of year')"},
      {"unix_seconds(t)", "CAST(strftime('%s', t) AS INTEGER)"},
      {"hour(t) * 3600 + minute(t) * 60 + second(t)",
       "CAST(strftime('%H', t) AS INTEGER) * 3600 + CAST(strftime('%M', t) AS INTEGER) * 60 + "
       "CAST(strftime('%S', t) AS INTEGER)"},
      {"CAST(t AS STRING)", "datetime(t)"},
      {"CAST(date_trunc('hour', t) AS STRING)", "strftime('%Y-%m-%d %H:00:00', t)"},
      {"date_format(t, 'dd/MM/yyyy HH:mm:ss')", "strftime('%d/%m/%Y %H:%M:%S', t)"},
      {"CAST(CAST(t AS DATE) AS STRING)", "date(t)"},
      {"CAST(to_date(date_format(d, 'yyyyMMdd'), 'yyyyMMdd') AS STRING)", "d"},
  };
  std::string select = "SELECT ";
  for (size_t c = 0; c < cases.size(); ++c)
    select += (c ? ", " : "") + cases[c].first + " AS c" + std::to_string(c);
  auto out = RunSql(select + " FROM __THIS__", in);
  ASSERT_THAT(out, IsOk());

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  std::string theirs = "SELECT ";
  for (size_t c = 0; c < cases.size(); ++c) theirs += (c ? ", " : "") + cases[c].second;
  theirs += " FROM (SELECT ?1 AS d, ?2 AS t, ?3 AS k)";
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, theirs.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  int mismatches = 0;
  for (int r = 0; r < rows && mismatches < 10; ++r) {
    sqlite3_reset(stmt);
    sqlite3_bind_text(stmt, 1, dates[r]->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, times[r]->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 3, *shifts[r]);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    for (size_t c = 0; c < cases.size(); ++c) {
      const auto* text = sqlite3_column_text(stmt, static_cast<int>(c));
      const std::string want = text ? reinterpret_cast<const char*>(text) : "null";
      const std::string got = FormatValue(*out->column(static_cast<int>(c)), r);
      // SQLite leaves years past 9999 or before 0001 as NULL too, or as text Ember refuses.
      if (got == "null" && (want.size() != 10 || want[0] == '-' || want.starts_with("0000")))
        continue;
      if (got != want) {
        ++mismatches;
        ADD_FAILURE() << cases[c].first << " on d=" << *dates[r] << " t=" << *times[r]
                      << " k=" << *shifts[r] << ": Ember " << got << ", SQLite " << want;
      }
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace ember
