// SQL across rows (sql/plan.h): DISTINCT, GROUP BY and aggregates, HAVING, ORDER BY, LIMIT,
// through SqlTransformer; differential against SQLite on random grouped queries; the same
// result on 1 and 3 ranks.
#include "ember/sql/plan.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>
#include <thread>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/sql/sql_transformer.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// k: string key, g: int64 group, v: float64 value (some null), n: int64 (some null); in 3
// partitions.
DataFrame Sales() {
  std::vector<std::optional<std::string>> k;
  std::vector<std::optional<int64_t>> g, n;
  std::vector<std::optional<double>> v;
  const char* keys[] = {"b", "a", "c", "a", "b", "a", "c", "a", "b"};
  for (int r = 0; r < 9; ++r) {
    k.push_back(keys[r]);
    g.push_back(r % 2);
    n.push_back(r == 4 ? std::nullopt : std::optional<int64_t>(r * 10));
    v.push_back(r == 2 ? std::nullopt : std::optional<double>(r + 0.5));
  }
  SchemaPtr schema = *Schema::Make({MakeField("k", StringType()), MakeField("g", Int64Type()),
                                    MakeField("v", Float64Type()), MakeField("n", Int64Type())});
  Batch all = *Batch::Make(schema, {MakeColumn(k), MakeColumn(g), MakeColumn(v), MakeColumn(n)});
  return *DataFrame::Make(schema, {all.Slice(0, 3), all.Slice(3, 4), all.Slice(7, 2)});
}

Result<DataFrame> Sql(const std::string& statement, const DataFrame& in = Sales()) {
  EMBER_ASSIGN_OR_RETURN(auto stage, SqlTransformer::Make({.statement = statement}));
  return stage->Transform(in, ExecContext::Default());
}

// The frame's rows as "a|b|c" lines.
std::vector<std::string> Rows(const DataFrame& f) {
  std::vector<std::string> out;
  Batch b = *f.Collect();
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    for (int c = 0; c < b.num_columns(); ++c) line += (c ? "|" : "") + FormatValue(*b.column(c), r);
    out.push_back(line);
  }
  return out;
}

using Lines = std::vector<std::string>;

TEST(SqlPlanTest, GroupByWithAggregatesHavingAndOrder) {
  auto out =
      Sql("SELECT k, count(*) AS rows, count(v) AS vs, sum(n) AS total, avg(v), min(n), max(v) "
          "FROM __THIS__ GROUP BY k HAVING count(*) > 1 ORDER BY total DESC, k;");
  ASSERT_THAT(out, IsOk());
  // a: rows 1,3,5,7 (n 10,30,50,70; v 1.5,3.5,5.5,7.5); b: rows 0,4,8 (n 0,null,80;
  // v 0.5,4.5,8.5); c (2 rows: 2, 6) has v null once.
  EXPECT_EQ(Rows(*out),
            (Lines{"a|4|4|160|4.5|10|7.5", "b|3|3|80|4.5|0|8.5", "c|2|1|80|6.5|20|6.5"}));
  EXPECT_EQ(out->schema()->field(3).type->id(), TypeId::kInt64);  // sum of integers
  EXPECT_EQ(out->schema()->field(4).name, "avg(v)");
  EXPECT_EQ(out->schema()->field(4).type->id(), TypeId::kFloat64);
}

TEST(SqlPlanTest, HavingMayNameTheSelectListsAliases) {
  auto out =
      Sql("SELECT k, count(*) AS rows, sum(n) AS total FROM __THIS__ GROUP BY k "
          "HAVING rows > 2 AND total > 100 ORDER BY k");
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Rows(*out), (Lines{"a|4|160"}));
  // A grouped column wins over an alias of the same name.
  auto grouped = Sql("SELECT k, max(g) AS g FROM __THIS__ GROUP BY k, g HAVING g = 0 ORDER BY k");
  ASSERT_THAT(grouped, IsOk());
  EXPECT_EQ(Rows(*grouped), (Lines{"b|0", "c|0"}));
}

TEST(SqlPlanTest, GroupKeysMayBeExpressionsAndAggregatesNestInExpressions) {
  auto out =
      Sql("SELECT g + 1 AS g1, round(sum(v) / count(*), 2) AS mean_v, max(n) - 1 AS top "
          "FROM __THIS__ WHERE k <> 'c' GROUP BY g + 1 ORDER BY 1");
  ASSERT_THAT(out, IsOk());
  // k <> 'c' drops rows 2 and 6: g 0 holds rows 0, 4, 8; g 1 rows 1, 3, 5, 7.
  EXPECT_EQ(Rows(*out), (Lines{"1|4.5|79", "2|4.5|69"}));
}

TEST(SqlPlanTest, AggregatesWithoutGroupByGiveOneRowEvenOfNoRows) {
  auto all = Sql("SELECT count(*) AS c, sum(n) AS s, max(v) AS m FROM __THIS__");
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(Rows(*all), (Lines{"9|320|8.5"}));
  auto none = Sql("SELECT count(*) AS c, sum(n) AS s FROM __THIS__ WHERE g > 5");
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(Rows(*none), (Lines{"0|null"}));
}

TEST(SqlPlanTest, DistinctOrderByAndLimit) {
  auto distinct = Sql("SELECT DISTINCT k FROM __THIS__ ORDER BY k");
  ASSERT_THAT(distinct, IsOk());
  EXPECT_EQ(Rows(*distinct), (Lines{"a", "b", "c"}));
  // ORDER BY a column not selected, two keys, DESC; LIMIT across partitions.
  auto top = Sql("SELECT k, n FROM __THIS__ ORDER BY g DESC, v DESC LIMIT 3");
  ASSERT_THAT(top, IsOk());
  EXPECT_EQ(Rows(*top), (Lines{"a|70", "a|50", "a|30"}));
  EXPECT_EQ(top->schema()->num_fields(), 2);  // the sort keys are not output
  auto limited = Sql("SELECT * FROM __THIS__ LIMIT 4");
  ASSERT_THAT(limited, IsOk());
  EXPECT_EQ(limited->num_rows(), 4);
  auto zero = Sql("SELECT k FROM __THIS__ LIMIT 0");
  ASSERT_THAT(zero, IsOk());
  EXPECT_EQ(zero->num_rows(), 0);
  // Nulls first ascending, last descending (as SQLite and Spark).
  auto nulls = Sql("SELECT n FROM __THIS__ ORDER BY n LIMIT 2");
  ASSERT_THAT(nulls, IsOk());
  EXPECT_EQ(Rows(*nulls), (Lines{"null", "0"}));
}

TEST(SqlPlanTest, MistakesAreNamed) {
  struct Case {
    const char* sql;
    const char* message;
  } cases[] = {
      {"SELECT k, v FROM __THIS__ GROUP BY k", "column 'v' at position 11 must be in GROUP BY"},
      {"SELECT * FROM __THIS__ GROUP BY k", "SELECT * at position 8 cannot be grouped"},
      {"SELECT k FROM __THIS__ WHERE sum(v) > 1", "only allowed in SELECT, HAVING and ORDER BY"},
      {"SELECT sum(k) FROM __THIS__", "sum(k) at position 8 needs a numeric argument"},
      {"SELECT stddev(v) FROM __THIS__", "stddev() at position 8 is not supported"},
      {"SELECT count(DISTINCT k) FROM __THIS__", "is not supported"},
      {"SELECT DISTINCT k FROM __THIS__ ORDER BY v", "with SELECT DISTINCT"},
      {"SELECT k FROM __THIS__ ORDER BY 2", "the SELECT list has 1 columns"},
      {"SELECT k FROM __THIS__ LIMIT 5 OFFSET 2", "OFFSET is not supported"},
      {"SELECT k FROM __THIS__ LIMIT x", "expected a row count after LIMIT"},
      {"SELECT sum(v, n) FROM __THIS__", "takes one argument"},
  };
  for (const Case& c : cases) {
    auto out = Sql(c.sql);
    EXPECT_FALSE(out.ok()) << c.sql;
    EXPECT_NE(out.status().message().find(c.message), std::string::npos)
        << c.sql << ": " << out.status();
  }
}

TEST(SqlPlanTest, AcrossRowsIsNotPartitionLocalAndItsKernelSeesOneBatch) {
  auto grouped =
      SqlTransformer::Make({.statement = "SELECT k, count(*) AS c FROM __THIS__ GROUP BY k"});
  auto row_wise = SqlTransformer::Make({.statement = "SELECT k FROM __THIS__ WHERE g = 1"});
  ASSERT_THAT(grouped, IsOk());
  ASSERT_THAT(row_wise, IsOk());
  EXPECT_FALSE((*grouped)->partition_local());
  EXPECT_TRUE((*row_wise)->partition_local());
  const DataFrame in = Sales();
  auto kernel = (*grouped)->Bind(*in.schema());
  ASSERT_THAT(kernel, IsOk());
  auto schema = (*grouped)->TransformSchema(*in.schema());
  ASSERT_THAT(schema, IsOk());
  EXPECT_TRUE((*schema)->Equals(*(*kernel)->output_schema()));
  auto one = (*kernel)->Apply(in.partition(0), KernelScratch::ForThisThread());  // b, a, c
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->num_rows(), 3);
}

TEST(SqlPlanTest, TheSameOnOneAndThreeRanks) {
  const char* statements[] = {
      "SELECT k, g, count(*) AS c, sum(v) AS s FROM __THIS__ GROUP BY k, g ORDER BY k, g",
      "SELECT DISTINCT g FROM __THIS__ ORDER BY g DESC",
      "SELECT k, n FROM __THIS__ ORDER BY n DESC LIMIT 5",
      "SELECT count(*) AS c, avg(n) AS a FROM __THIS__ WHERE g = 0",
  };
  const DataFrame in = Sales();
  for (const char* sql : statements) {
    auto expected = Sql(sql);
    ASSERT_THAT(expected, IsOk()) << sql;
    auto comms = LocalCommunicator::MakeGroup(3);
    std::vector<Result<DataFrame>> outs(3, Internal("not run"));
    std::vector<std::thread> threads;
    for (int r = 0; r < 3; ++r) {
      threads.emplace_back([&, r] {
        ExecContext ctx = ExecContext::Default();
        ctx.comm = comms[r].get();
        auto stage = SqlTransformer::Make({.statement = sql});
        outs[r] = (*stage)->Transform(*DataFrame::Make(in.schema(), {in.partition(r)}), ctx);
      });
    }
    for (auto& t : threads) t.join();
    std::vector<std::string> all;
    for (auto& o : outs) {
      ASSERT_THAT(o, IsOk()) << sql;
      for (const std::string& line : Rows(*o)) all.push_back(line);
    }
    std::vector<std::string> want = Rows(*expected);
    if (std::string(sql).find("GROUP BY") == std::string::npos &&
        std::string(sql).find("ORDER BY") == std::string::npos) {
      std::sort(all.begin(), all.end());
      std::sort(want.begin(), want.end());
    }
    EXPECT_EQ(all, want) << sql;
  }
}

// Differential against SQLite -------------------------------------------------------------

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close(db); }
};

// id, a, b: int64; x: float64; s: string; f: bool; about 15% nulls; 3 partitions.
DataFrame RandomTable(int rows, uint64_t seed, Db* db) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  auto null = [&] { return pick(100) < 15; };
  const char* words[] = {"ab", "Abc", "", "zz", "b"};
  std::vector<std::optional<int64_t>> id, a, b;
  std::vector<std::optional<double>> x;
  std::vector<std::optional<std::string>> s;
  std::vector<std::optional<bool>> f;
  EXPECT_EQ(sqlite3_open(":memory:", &db->db), SQLITE_OK);
  sqlite3_exec(db->db, "PRAGMA case_sensitive_like = ON", nullptr, nullptr, nullptr);  // Spark's
  sqlite3_exec(db->db,
               "CREATE TABLE t(id INTEGER, a INTEGER, b INTEGER, x REAL, s TEXT, f INTEGER)",
               nullptr, nullptr, nullptr);
  std::string insert = "INSERT INTO t VALUES ";
  for (int r = 0; r < rows; ++r) {
    id.push_back(r);
    a.push_back(null() ? std::nullopt : std::optional<int64_t>(pick(21) - 10));
    b.push_back(null() ? std::nullopt : std::optional<int64_t>(pick(4)));
    x.push_back(null() ? std::nullopt : std::optional<double>((pick(81) - 40) * 0.25));
    s.push_back(null() ? std::nullopt : std::optional<std::string>(words[pick(5)]));
    f.push_back(null() ? std::nullopt : std::optional<bool>(pick(2) == 1));
    auto val = [](const auto& v) {
      if (!v) return std::string("NULL");
      if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, std::string>)
        return "'" + *v + "'";
      else
        return std::to_string(*v);
    };
    insert += (r ? ",(" : "(") + val(id[r]) + "," + val(a[r]) + "," + val(b[r]) + "," + val(x[r]) +
              "," + val(s[r]) + "," + (f[r] ? std::to_string(*f[r] ? 1 : 0) : "NULL") + ")";
  }
  EXPECT_EQ(sqlite3_exec(db->db, insert.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  SchemaPtr schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("a", Int64Type()),
                                    MakeField("b", Int64Type()), MakeField("x", Float64Type()),
                                    MakeField("s", StringType()), MakeField("f", BoolType())});
  Batch all = *Batch::Make(schema, {MakeColumn(id), MakeColumn(a), MakeColumn(b), MakeColumn(x),
                                    MakeColumn(s), MakeColumn(f)});
  const int64_t third = rows / 3;
  return *DataFrame::Make(schema, {all.Slice(0, third), all.Slice(third, third),
                                   all.Slice(2 * third, rows - 2 * third)});
}

// SQLite's rows of `sql` as "a|b" lines (numbers as Ember formats them, within 1e-9).
std::vector<std::string> SqliteRows(sqlite3* db, const std::string& sql, const Schema& types) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  std::vector<std::string> out;
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    std::string line;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      std::string v;
      if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        v = "null";
      } else if (types.field(c).type->id() == TypeId::kFloat64) {
        v = FormatValue(*MakeColumn<double>({sqlite3_column_double(st, c)}), 0);
      } else if (types.field(c).type->id() == TypeId::kBool) {
        v = sqlite3_column_int64(st, c) ? "true" : "false";
      } else {
        v = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      }
      line += (c ? "|" : "") + v;
    }
    out.push_back(line);
  }
  sqlite3_finalize(st);
  return out;
}

TEST(SqlPlanDifferentialTest, RandomGroupedQueriesAgreeWithSqlite) {
  Db db;
  const DataFrame table = RandomTable(400, 20261207, &db);
  std::mt19937_64 rng(3);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const char* keys[] = {"a", "b", "s", "f", "b % 2", "lower(s)"};
  const char* aggs[] = {"count(*)", "count(x)", "sum(a)",     "sum(x)",     "min(a)",
                        "max(x)",   "min(b)",   "max(a + b)", "sum(x * 2)", "count(s)"};
  const char* wheres[] = {"", " WHERE a > 0", " WHERE x IS NOT NULL AND b <> 1",
                          " WHERE s LIKE 'a%'"};
  int compared = 0;
  // Ember's rows of `sql` against SQLite's (the same statement on table t).
  auto compare = [&](const std::string& sql) {
    auto ours = Sql(sql, table);
    ASSERT_THAT(ours, IsOk()) << sql;
    std::string theirs = sql;
    theirs.replace(theirs.find("__THIS__"), 8, "t");
    EXPECT_EQ(Rows(*ours), SqliteRows(db.db, theirs, *ours->schema())) << sql;
    compared += static_cast<int>(ours->num_rows());
  };
  for (int q = 0; q < 300; ++q) {
    const int nkeys = pick(3);  // 0: one row over everything
    std::vector<std::string> ks;
    for (int i = 0; i < nkeys; ++i) {
      std::string k = keys[pick(6)];
      if (std::find(ks.begin(), ks.end(), k) == ks.end()) ks.push_back(k);
    }
    std::string select, group, order;
    for (size_t i = 0; i < ks.size(); ++i) {
      select += (i ? ", " : "") + ks[i] + " AS k" + std::to_string(i);
      group += (i ? ", " : "") + ks[i];
      order += (i ? ", " : "") + std::string("k") + std::to_string(i) + (pick(2) ? " DESC" : "");
    }
    const int naggs = 1 + pick(3);
    for (int j = 0; j < naggs; ++j)
      select +=
          (select.empty() ? "" : ", ") + std::string(aggs[pick(10)]) + " AS v" + std::to_string(j);
    std::string sql = "SELECT " + select + " FROM __THIS__" + wheres[pick(4)];
    if (!ks.empty()) sql += " GROUP BY " + group;
    if (!ks.empty() && pick(3) == 0) sql += " HAVING count(*) > " + std::to_string(pick(20));
    if (!ks.empty()) sql += " ORDER BY " + order;
    if (!ks.empty() && pick(3) == 0) sql += " LIMIT " + std::to_string(pick(6));
    compare(sql);
  }
  // DISTINCT, and ORDER BY with LIMIT over rows.
  for (const char* sql :
       {"SELECT DISTINCT s, b FROM __THIS__ ORDER BY s, b",
        "SELECT DISTINCT f FROM __THIS__ ORDER BY f DESC",
        "SELECT id, x * a AS p FROM __THIS__ WHERE x IS NOT NULL ORDER BY p DESC, id LIMIT 25",
        "SELECT id FROM __THIS__ ORDER BY s, a DESC, id LIMIT 40"}) {
    compare(sql);
  }
  EXPECT_GT(compared, 1500);
}

}  // namespace
}  // namespace ember
