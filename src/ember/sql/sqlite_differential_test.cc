// Differential test of SqlQuery against SQLite: random tables with NULLs, random typed
// expressions rendered in both dialects (they differ only where Ember follows Spark: `/` is
// always a double division, concat() is `||`, CAST AS STRING is CAST AS TEXT), results
// compared row by row. The generator avoids the places where Spark and SQLite disagree by
// design (integer overflow, string <-> number comparisons, casts of doubles to text,
// substr with position 0 or a negative length, floor and ceil returning bigint).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/sql/query.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

enum class T { kInt, kDouble, kBool, kString };

struct Sql {
  std::string ember, sqlite;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Sql Gen(T t, int depth) {
    if (depth <= 0 || Coin(0.25)) return Leaf(t);
    switch (t) {
      case T::kInt:
        return GenInt(depth - 1);
      case T::kDouble:
        return GenDouble(depth - 1);
      case T::kBool:
        return GenBool(depth - 1);
      case T::kString:
        return GenString(depth - 1);
    }
    return Leaf(t);
  }

  T AnyType() { return static_cast<T>(Pick(4)); }
  bool Coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

 private:
  static Sql Same(const std::string& s) { return {s, s}; }
  static Sql Wrap(const std::string& pre, const std::vector<Sql>& args, const std::string& sep,
                  const std::string& post) {
    Sql r{pre, pre};
    for (size_t k = 0; k < args.size(); ++k) {
      if (k) r.ember += sep, r.sqlite += sep;
      r.ember += args[k].ember;
      r.sqlite += args[k].sqlite;
    }
    r.ember += post;
    r.sqlite += post;
    return r;
  }

  Sql Leaf(T t) {
    switch (t) {
      case T::kInt:
        if (Coin(0.7)) return Same(Pick(2) ? "a" : "b");
        return Same(std::to_string(Pick(26) - 5));
      case T::kDouble:
        if (Coin(0.7)) return Same(Pick(2) ? "x" : "y");
        return Same(std::to_string(Pick(40) - 20) + ".25");
      case T::kBool:
        if (Coin(0.6)) return Same("f");
        if (Coin(0.2)) return Same("NULL");
        return Same(Pick(2) ? "TRUE" : "FALSE");
      case T::kString: {
        if (Coin(0.7)) return Same(Pick(2) ? "s" : "t");
        static const char* kLits[] = {"'ab'", "'Abc'", "' q '",
                                      "''",   "'zz'",  "'\xC3\xA9t\xC3\xA9'"};
        return Same(kLits[Pick(6)]);
      }
    }
    return Same("NULL");
  }

  Sql Numeric(int depth) { return Gen(Coin(0.5) ? T::kInt : T::kDouble, depth); }

  Sql Case(T t, int depth) {
    Sql r = Wrap("(CASE WHEN ", {Gen(T::kBool, depth)}, "", " THEN ");
    Sql then = Gen(t, depth);
    r.ember += then.ember;
    r.sqlite += then.sqlite;
    if (Coin(0.6)) {
      Sql other = Gen(t, depth);
      r.ember += " ELSE " + other.ember;
      r.sqlite += " ELSE " + other.sqlite;
    }
    r.ember += " END)";
    r.sqlite += " END)";
    return r;
  }

  Sql GenInt(int d) {
    switch (Pick(13)) {
      case 11: {
        Sql r = Wrap("IF(", {Gen(T::kBool, d), Gen(T::kInt, d), Gen(T::kInt, d)}, ", ", ")");
        r.sqlite = "iif(" + r.sqlite.substr(3);
        return r;
      }
      case 12: {
        Sql r = Wrap("nvl(", {Gen(T::kInt, d), Gen(T::kInt, d)}, ", ", ")");
        r.sqlite = "ifnull(" + r.sqlite.substr(4);
        return r;
      }
      case 0:
        return Wrap("(", {Gen(T::kInt, d), Gen(T::kInt, d)}, " + ", ")");
      case 1:
        return Wrap("(", {Gen(T::kInt, d), Gen(T::kInt, d)}, " - ", ")");
      case 2:
        return Wrap("(", {Gen(T::kInt, d), Gen(T::kInt, d)}, " * ", ")");
      case 3:
        return Wrap("(", {Gen(T::kInt, d), Gen(T::kInt, d)}, " % ", ")");
      case 4:
        return Wrap("abs(", {Gen(T::kInt, d)}, "", ")");
      case 5:
        return Wrap("(- ", {Gen(T::kInt, d)}, "", ")");  // "--" would start a comment
      case 6:
        return Case(T::kInt, d);
      case 7:
        return Wrap("COALESCE(", {Gen(T::kInt, d), Gen(T::kInt, d)}, ", ", ")");
      case 8:
        return Wrap("length(", {Gen(T::kString, d)}, "", ")");
      case 9:
        return Wrap("CAST(", {Same(Pick(2) ? "x" : "y")}, "", " AS BIGINT)");
      default: {
        // Spark's floor and ceil return bigint; SQLite's return a real for a real.
        Sql r = Wrap(Pick(2) ? "floor(" : "ceil(", {Same(Pick(2) ? "x" : "y")}, "", ")");
        r.sqlite = "CAST(" + r.sqlite + " AS INTEGER)";
        return r;
      }
    }
  }

  Sql GenDouble(int d) {
    switch (Pick(12)) {
      case 0:
        return Wrap("(", {Numeric(d), Gen(T::kDouble, d)}, " + ", ")");
      case 1:
        return Wrap("(", {Gen(T::kDouble, d), Numeric(d)}, " - ", ")");
      case 2:
        return Wrap("(", {Gen(T::kDouble, d), Numeric(d)}, " * ", ")");
      case 3: {
        Sql a = Numeric(d), b = Numeric(d);
        return {"(" + a.ember + " / " + b.ember + ")",
                "(CAST(" + a.sqlite + " AS REAL) / " + b.sqlite + ")"};
      }
      case 4:
        return Wrap("abs(", {Gen(T::kDouble, d)}, "", ")");
      case 5:
        return Wrap("sqrt(", {Numeric(d)}, "", ")");
      case 6:
        return Wrap("ln(", {Numeric(d)}, "", ")");
      case 7:
        return Wrap("round(", {Gen(T::kDouble, d)}, "", Pick(2) ? ")" : ", 1)");
      case 8:
        return Wrap("pow(", {Gen(T::kDouble, d), Same(std::to_string(Pick(3)))}, ", ", ")");
      case 9:
        return Case(T::kDouble, d);
      case 10:
        return Wrap("COALESCE(", {Gen(T::kDouble, d), Numeric(d)}, ", ", ")");
      default: {
        Sql a = Gen(T::kInt, d);
        return {"CAST(" + a.ember + " AS DOUBLE)", "CAST(" + a.sqlite + " AS REAL)"};
      }
    }
  }

  Sql GenBool(int d) {
    static const char* kCmp[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};
    static const char* kLike[] = {"'%b%'", "'A_c'", "'_'", "'%'", "''", "'%\xC3\xA9%'", "'a%'"};
    switch (Pick(11)) {
      case 10:
        return Wrap("(", {Gen(T::kString, d)}, "",
                    std::string(Pick(2) ? " LIKE " : " NOT LIKE ") + kLike[Pick(7)] + ")");
      case 0:
        return Wrap("(", {Numeric(d), Numeric(d)}, kCmp[Pick(6)], ")");
      case 1:
        return Wrap("(", {Gen(T::kString, d), Gen(T::kString, d)}, kCmp[Pick(6)], ")");
      case 2:
        return Wrap("(", {Gen(T::kBool, d), Gen(T::kBool, d)}, " AND ", ")");
      case 3:
        return Wrap("(", {Gen(T::kBool, d), Gen(T::kBool, d)}, " OR ", ")");
      case 4:
        return Wrap("(NOT ", {Gen(T::kBool, d)}, "", ")");
      case 5:
        return Wrap("(", {Gen(AnyType(), d)}, "", Pick(2) ? " IS NULL)" : " IS NOT NULL)");
      case 6: {
        Sql r = Wrap("(", {Numeric(d)}, "", Pick(2) ? " IN (" : " NOT IN (");
        Sql items =
            Wrap("", {Numeric(d), Same(std::to_string(Pick(10))), Same(Coin(0.3) ? "NULL" : "3")},
                 ", ", "))");
        return {r.ember + items.ember, r.sqlite + items.sqlite};
      }
      case 7: {
        Sql r = Wrap("(", {Numeric(d)}, "", Pick(2) ? " BETWEEN " : " NOT BETWEEN ");
        Sql rest = Wrap("", {Numeric(d), Numeric(d)}, " AND ", ")");
        return {r.ember + rest.ember, r.sqlite + rest.sqlite};
      }
      case 8:
        return Wrap("(", {Gen(T::kString, d)}, "", " IN ('ab', 'zz', NULL))");
      default:
        return Case(T::kBool, d);
    }
  }

  Sql GenString(int d) {
    switch (Pick(10)) {
      case 8: {
        static const char* kFrom[] = {"'a'", "'b'", "' '", "'\xC3\xA9'"};
        return Wrap("replace(", {Gen(T::kString, d)}, "",
                    std::string(", ") + kFrom[Pick(4)] + ", " + (Pick(2) ? "'X'" : "''") + ")");
      }
      case 9: {
        Sql r = Wrap("ifnull(", {Gen(T::kString, d), Gen(T::kString, d)}, ", ", ")");
        return r;
      }
      case 0:
        return Wrap(Pick(2) ? "lower(" : "upper(", {Gen(T::kString, d)}, "", ")");
      case 1:
        return Wrap("trim(", {Gen(T::kString, d)}, "", ")");
      case 2: {
        std::string pos = std::to_string(1 + Pick(4));
        if (Coin(0.3)) pos = "-" + std::to_string(1 + Pick(3));
        const std::string len = Coin(0.3) ? "" : ", " + std::to_string(Pick(4));
        return Wrap("substr(", {Gen(T::kString, d)}, "", ", " + pos + len + ")");
      }
      case 3: {
        Sql a = Gen(T::kString, d), b = Gen(T::kString, d);
        return {"concat(" + a.ember + ", " + b.ember + ")",
                "(" + a.sqlite + " || " + b.sqlite + ")"};
      }
      case 4:
        return Wrap("(", {Gen(T::kString, d), Gen(T::kString, d)}, " || ", ")");
      case 5:
        return Case(T::kString, d);
      case 6:
        return Wrap("COALESCE(", {Gen(T::kString, d), Gen(T::kString, d)}, ", ", ")");
      default: {
        Sql a = Gen(T::kInt, d);
        return {"CAST(" + a.ember + " AS STRING)", "CAST(" + a.sqlite + " AS TEXT)"};
      }
    }
  }

  std::mt19937_64 rng_;
};

struct Table {
  Batch batch;
  sqlite3* db = nullptr;
  Table() = default;
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table() { sqlite3_close(db); }
};

struct Statement {
  sqlite3_stmt* st = nullptr;
  ~Statement() { sqlite3_finalize(st); }
};

// id, a, b: int64; x, y: float64; s, t: string; f: bool. About 15% NULLs.
void FillTable(int rows, uint64_t seed, Table* out) {
  Table& table = *out;
  std::mt19937_64 rng(seed);
  auto null = [&] { return std::uniform_int_distribution<int>(0, 99)(rng) < 15; };
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  static const char* kWords[] = {"ab",    "Abc", " q ", "", "zz", "\xC3\xA9t\xC3\xA9",
                                 "abc d", "ZZ",  "b"};
  std::vector<std::optional<int64_t>> id, a, b;
  std::vector<std::optional<double>> x, y;
  std::vector<std::optional<std::string>> s, t;
  std::vector<std::optional<bool>> f;
  for (int r = 0; r < rows; ++r) {
    id.push_back(r);
    a.push_back(null() ? std::nullopt : std::optional<int64_t>(pick(41) - 20));
    b.push_back(null() ? std::nullopt : std::optional<int64_t>(pick(11) - 5));
    x.push_back(null() ? std::nullopt : std::optional<double>((pick(81) - 40) * 0.25));
    y.push_back(null() ? std::nullopt : std::optional<double>((pick(41) - 20) * 0.5));
    s.push_back(null() ? std::nullopt : std::optional<std::string>(kWords[pick(9)]));
    t.push_back(null() ? std::nullopt : std::optional<std::string>(kWords[pick(9)]));
    f.push_back(null() ? std::nullopt : std::optional<bool>(pick(2) == 1));
  }
  SchemaPtr schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("a", Int64Type()),
                                    MakeField("b", Int64Type()), MakeField("x", Float64Type()),
                                    MakeField("y", Float64Type()), MakeField("s", StringType()),
                                    MakeField("t", StringType()), MakeField("f", BoolType())});
  table.batch = *Batch::Make(schema, {MakeColumn(id), MakeColumn(a), MakeColumn(b), MakeColumn(x),
                                      MakeColumn(y), MakeColumn(s), MakeColumn(t), MakeColumn(f)});
  EXPECT_EQ(sqlite3_open(":memory:", &table.db), SQLITE_OK);
  // Spark's LIKE is case-sensitive; SQLite's is not unless asked.
  sqlite3_exec(table.db, "PRAGMA case_sensitive_like = ON", nullptr, nullptr, nullptr);
  sqlite3_exec(
      table.db,
      "CREATE TABLE t(id INTEGER, a INTEGER, b INTEGER, x REAL, y REAL, s TEXT, t TEXT, f INTEGER)",
      nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(table.db, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &ins, nullptr);
  for (int r = 0; r < rows; ++r) {
    sqlite3_reset(ins);
    auto bind_int = [&](int k, const std::optional<int64_t>& v) {
      v ? sqlite3_bind_int64(ins, k, *v) : sqlite3_bind_null(ins, k);
    };
    bind_int(1, id[r]);
    bind_int(2, a[r]);
    bind_int(3, b[r]);
    x[r] ? sqlite3_bind_double(ins, 4, *x[r]) : sqlite3_bind_null(ins, 4);
    y[r] ? sqlite3_bind_double(ins, 5, *y[r]) : sqlite3_bind_null(ins, 5);
    s[r] ? sqlite3_bind_text(ins, 6, s[r]->c_str(), -1, SQLITE_TRANSIENT)
         : sqlite3_bind_null(ins, 6);
    t[r] ? sqlite3_bind_text(ins, 7, t[r]->c_str(), -1, SQLITE_TRANSIENT)
         : sqlite3_bind_null(ins, 7);
    bind_int(8, f[r] ? std::optional<int64_t>(*f[r]) : std::nullopt);
    EXPECT_EQ(sqlite3_step(ins), SQLITE_DONE);
  }
  sqlite3_finalize(ins);
}

// Compares Ember's value at (col, row) with SQLite's column k of the current row; returns
// "" when they agree.
std::string Disagreement(const Column& col, int64_t row, sqlite3_stmt* st, int k) {
  const int st_type = sqlite3_column_type(st, k);
  const std::string ours = FormatValue(col, row);
  std::string theirs =
      st_type == SQLITE_NULL ? "null" : reinterpret_cast<const char*>(sqlite3_column_text(st, k));
  if (col.IsNull(row) || st_type == SQLITE_NULL) {
    return col.IsNull(row) && st_type == SQLITE_NULL ? "" : ours + " vs " + theirs;
  }
  double a = 0;
  switch (col.type_id()) {
    case TypeId::kString:
      return ours == theirs ? "" : "'" + ours + "' vs '" + theirs + "'";
    case TypeId::kBool:
      a = col.BoolValue(row);
      break;
    case TypeId::kInt64:
      a = static_cast<double>(col.Values<int64_t>()[row]);
      break;
    default:
      a = col.Values<double>()[row];
  }
  if (st_type != SQLITE_INTEGER && st_type != SQLITE_FLOAT) return ours + " vs '" + theirs + "'";
  const double b = sqlite3_column_double(st, k);
  if (a == b || std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)})) return "";
  return ours + " vs " + theirs;
}

TEST(SqliteDifferentialTest, RandomQueriesAgreeWithSqlite) {
  constexpr int kRows = 300;
  constexpr int kQueries = 1000;
  Table table;
  FillTable(kRows, 20261124, &table);
  Generator gen(7);
  int compared = 0, failures = 0;
  for (int q = 0; q < kQueries && failures < 5; ++q) {
    std::vector<Sql> exprs;
    for (int e = 0; e < 3; ++e) exprs.push_back(gen.Gen(gen.AnyType(), 3));
    std::optional<Sql> where;
    if (gen.Coin(0.4)) where = gen.Gen(T::kBool, 2);
    std::string ours = "SELECT id", theirs = "SELECT id";
    for (size_t e = 0; e < exprs.size(); ++e) {
      ours += ", " + exprs[e].ember + " AS e" + std::to_string(e);
      theirs += ", " + exprs[e].sqlite + " AS e" + std::to_string(e);
    }
    ours += " FROM __THIS__";
    theirs += " FROM t";
    if (where) {
      ours += " WHERE " + where->ember;
      theirs += " WHERE " + where->sqlite;
    }
    theirs += " ORDER BY id";
    // Run on a slice, so columns with an offset are exercised too.
    const Batch input = q % 2 ? table.batch.Slice(0, kRows) : table.batch;
    auto compiled = SqlQuery::Compile(ours, *input.schema());
    ASSERT_TRUE(compiled.ok()) << ours << "\n" << compiled.status();
    auto out = (*compiled)->Run(input);
    ASSERT_TRUE(out.ok()) << ours << "\n" << out.status();
    Statement stmt;
    ASSERT_EQ(sqlite3_prepare_v2(table.db, theirs.c_str(), -1, &stmt.st, nullptr), SQLITE_OK)
        << theirs << "\n"
        << sqlite3_errmsg(table.db);
    sqlite3_stmt* st = stmt.st;
    int64_t row = 0;
    while (sqlite3_step(st) == SQLITE_ROW && failures < 5) {
      if (row >= out->num_rows()) {
        ADD_FAILURE() << "SQLite returned more rows than Ember (" << out->num_rows() << ")\n"
                      << ours << "\n"
                      << theirs;
        ++failures;
        break;
      }
      EXPECT_EQ(out->column(0)->Values<int64_t>()[row], sqlite3_column_int64(st, 0)) << ours;
      for (int k = 1; k < 4; ++k) {
        std::string diff = Disagreement(*out->column(k), row, st, k);
        ++compared;
        if (!diff.empty()) {
          ADD_FAILURE() << "row id " << sqlite3_column_int64(st, 0) << ", e" << k - 1 << ": Ember "
                        << diff << "\nEmber:  " << ours << "\nSQLite: " << theirs;
          ++failures;
          break;
        }
      }
      ++row;
    }
    if (failures == 0 && row != out->num_rows()) {
      ADD_FAILURE() << "Ember returned " << out->num_rows() << " rows, SQLite " << row << "\n"
                    << ours;
      ++failures;
    }
  }
  EXPECT_GT(compared, 100000);
}

}  // namespace
}  // namespace ember
