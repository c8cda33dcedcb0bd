#include "ember/sql/query.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/json_lines.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/sql/sql_transformer.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using Strings = std::vector<std::string>;

// i: int64, d: float64, s: string, b: bool, v: vector[3], sv: sparse_vector[4], l: list<int64>.
Batch TestBatch() {
  Field v = MakeField("v", DenseVectorType(3));
  SetSlotNames(&v, {"v0", "v1", "v2"});
  SchemaPtr schema =
      *Schema::Make({MakeField("i", Int64Type()), MakeField("d", Float64Type()),
                     MakeField("s", StringType()), MakeField("b", BoolType()), v,
                     MakeField("sv", SparseVectorType(4)), MakeField("l", ListType(Int64Type()))});
  auto sparse = MakeBuilder(SparseVectorType(4));
  auto list = MakeBuilder(ListType(Int64Type()));
  auto* lb = static_cast<ListBuilder*>(list.get());
  auto* lv = static_cast<NumericBuilder<int64_t>*>(lb->value_builder());
  for (int r = 0; r < 5; ++r) {
    std::vector<int32_t> idx = {1, 3};
    std::vector<double> val = {r + 0.5, -1.0 * r};
    (void)static_cast<SparseVectorBuilder*>(sparse.get())->Append(idx, val);
    if (r == 2) {
      lb->AppendNull();
    } else {
      lb->Append();
      for (int k = 0; k <= r; ++k) lv->Append(10 * r + k);
    }
  }
  return *Batch::Make(
      schema,
      {MakeColumn<int64_t>({1, 2, std::nullopt, -7, 10}),
       MakeColumn<double>({0.5, std::nullopt, 2.25, -1.5, 4.0}),
       MakeColumn<std::string>({"apple", "Banana", std::nullopt, " x ", "h\xC3\xA9llo"}),
       MakeColumn<bool>({true, false, std::nullopt, true, false}),
       MakeDenseVectorColumn({{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9, 10, 11}, {12, 13, 14}}, 3),
       sparse->Finish(), list->Finish()});
}

Result<Batch> RunSql(std::string_view sql, const Batch& in = TestBatch()) {
  EMBER_ASSIGN_OR_RETURN(auto q, SqlQuery::Compile(sql, *in.schema()));
  return q->Run(in);
}

// The values of output column `c`, formatted ("null" for NULL).
Strings Values(std::string_view sql, int c = 0) {
  Result<Batch> out = RunSql(sql);
  EXPECT_THAT(out, IsOk()) << sql;
  if (!out.ok()) return {};
  Strings v;
  for (int64_t r = 0; r < out->num_rows(); ++r) v.push_back(FormatValue(*out->column(c), r));
  return v;
}

std::string ErrorOf(std::string_view sql) {
  Result<Batch> out = RunSql(sql);
  EXPECT_FALSE(out.ok()) << sql;
  return out.ok() ? "" : std::string(out.status().message());
}

TEST(SqlQueryTest, ArithmeticTypesAndNulls) {
  auto out = RunSql("SELECT i + 1 AS a, i * d AS b, i / 2 AS c, i % 3 AS m, -i AS n FROM __THIS__");
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field(0).type->ToString(), "int64");
  EXPECT_EQ(out->schema()->field(1).type->ToString(), "float64");
  EXPECT_EQ(out->schema()->field(2).type->ToString(), "float64");
  EXPECT_EQ(Values("SELECT i + 1 FROM __THIS__"), (Strings{"2", "3", "null", "-6", "11"}));
  EXPECT_EQ(Values("SELECT i * d FROM __THIS__"), (Strings{"0.5", "null", "null", "10.5", "40"}));
  EXPECT_EQ(Values("SELECT i / 2 FROM __THIS__"), (Strings{"0.5", "1", "null", "-3.5", "5"}));
  EXPECT_EQ(Values("SELECT i % 3 FROM __THIS__"), (Strings{"1", "2", "null", "-1", "1"}));
  EXPECT_EQ(Values("SELECT i / 0, i % 0, d / 0.0 FROM __THIS__"),
            (Strings{"null", "null", "null", "null", "null"}));
  EXPECT_EQ(Values("SELECT 2 + 3 * 4 - 10 / 4 FROM __THIS__")[0], "11.5");
  EXPECT_EQ(Values("SELECT -9223372036854775808 FROM __THIS__")[0], "-9223372036854775808");
  EXPECT_EQ(Values("SELECT 9223372036854775807 + 1 FROM __THIS__")[0],
            "-9223372036854775808");  // wraps
}

TEST(SqlQueryTest, ThreeValuedLogic) {
  // Rows: b = true, false, null, true, false; i > 1 = false, true, null, false, true.
  EXPECT_EQ(Values("SELECT b AND i > 1 FROM __THIS__"),
            (Strings{"false", "false", "null", "false", "false"}));
  EXPECT_EQ(Values("SELECT b OR i > 1 FROM __THIS__"),
            (Strings{"true", "true", "null", "true", "true"}));
  EXPECT_EQ(Values("SELECT NOT b FROM __THIS__"),
            (Strings{"false", "true", "null", "false", "true"}));
  EXPECT_EQ(Values("SELECT NULL AND FALSE, NULL OR TRUE FROM __THIS__", 0)[0], "false");
  EXPECT_EQ(Values("SELECT NULL AND FALSE, NULL OR TRUE FROM __THIS__", 1)[0], "true");
  EXPECT_EQ(Values("SELECT NULL AND TRUE FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT NULL OR FALSE FROM __THIS__")[0], "null");
  EXPECT_EQ(Values("SELECT NULL = NULL FROM __THIS__")[0], "null");
}

TEST(SqlQueryTest, PredicatesInBetweenIsNull) {
  EXPECT_EQ(Values("SELECT i IS NULL, d IS NOT NULL FROM __THIS__"),
            (Strings{"false", "false", "true", "false", "false"}));
  EXPECT_EQ(Values("SELECT i IN (1, 10) FROM __THIS__"),
            (Strings{"true", "false", "null", "false", "true"}));
  EXPECT_EQ(Values("SELECT i IN (1, NULL) FROM __THIS__"),
            (Strings{"true", "null", "null", "null", "null"}));
  EXPECT_EQ(Values("SELECT i NOT IN (1, 2) FROM __THIS__"),
            (Strings{"false", "false", "null", "true", "true"}));
  EXPECT_EQ(Values("SELECT i BETWEEN 0 AND 5 FROM __THIS__"),
            (Strings{"true", "true", "null", "false", "false"}));
  EXPECT_EQ(Values("SELECT d NOT BETWEEN 0 AND 3 FROM __THIS__"),
            (Strings{"false", "null", "false", "true", "true"}));
  EXPECT_EQ(Values("SELECT s IN ('apple', 'pear') FROM __THIS__"),
            (Strings{"true", "false", "null", "false", "false"}));
  EXPECT_EQ(Values("SELECT s < 'b' FROM __THIS__"),
            (Strings{"true", "true", "null", "true", "false"}));
  EXPECT_EQ(Values("SELECT v IS NULL FROM __THIS__")[0], "false");
}

TEST(SqlQueryTest, CaseCoalesceCast) {
  EXPECT_EQ(
      Values(
          "SELECT CASE WHEN i > 1 THEN 'big' WHEN i < 0 THEN 'neg' ELSE 'small' END FROM __THIS__"),
      (Strings{"small", "big", "small", "neg", "big"}));
  EXPECT_EQ(Values("SELECT CASE i WHEN 1 THEN 1.5 WHEN 2 THEN 2 END FROM __THIS__"),
            (Strings{"1.5", "2", "null", "null", "null"}));
  EXPECT_EQ(Values("SELECT COALESCE(d, i, 0) FROM __THIS__"),
            (Strings{"0.5", "2", "2.25", "-1.5", "4"}));
  EXPECT_EQ(Values("SELECT CAST(d AS BIGINT) FROM __THIS__"),
            (Strings{"0", "null", "2", "-1", "4"}));
  EXPECT_EQ(Values("SELECT CAST(d AS STRING) FROM __THIS__"),
            (Strings{"0.5", "null", "2.25", "-1.5", "4.0"}));
  EXPECT_EQ(Values("SELECT CAST(b AS STRING), CAST(b AS INT) FROM __THIS__")[0], "true");
  EXPECT_EQ(
      Values("SELECT CAST('12' AS INT), CAST(' 1.5 ' AS INT), CAST('x1' AS INT) FROM __THIS__",
             0)[0],
      "12");
  EXPECT_EQ(
      Values("SELECT CAST('12' AS INT), CAST(' 1.5 ' AS INT), CAST('x1' AS INT) FROM __THIS__",
             1)[0],
      "1");
  EXPECT_EQ(
      Values("SELECT CAST('12' AS INT), CAST(' 1.5 ' AS INT), CAST('x1' AS INT) FROM __THIS__",
             2)[0],
      "null");
  EXPECT_EQ(Values("SELECT CAST('yes' AS BOOLEAN), CAST(1e7 AS STRING) FROM __THIS__", 0)[0],
            "true");
  EXPECT_EQ(Values("SELECT CAST('yes' AS BOOLEAN), CAST(1e7 AS STRING) FROM __THIS__", 1)[0],
            "1.0E7");
  EXPECT_EQ(Values("SELECT CAST(1e30 AS BIGINT) FROM __THIS__")[0], "9223372036854775807");
}

TEST(SqlQueryTest, NumericFunctions) {
  EXPECT_EQ(Values("SELECT abs(i) FROM __THIS__"), (Strings{"1", "2", "null", "7", "10"}));
  EXPECT_EQ(Values("SELECT sqrt(d) FROM __THIS__"),
            (Strings{"0.7071067811865476", "null", "1.5", "null", "2"}));
  EXPECT_EQ(
      Values("SELECT ln(0), ln(exp(1)), log10(1000), log(2, 8), pow(2, 10) FROM __THIS__", 0)[0],
      "null");
  EXPECT_EQ(
      Values("SELECT ln(0), ln(exp(1)), log10(1000), log(2, 8), pow(2, 10) FROM __THIS__", 1)[0],
      "1");
  EXPECT_EQ(
      Values("SELECT ln(0), ln(exp(1)), log10(1000), log(2, 8), pow(2, 10) FROM __THIS__", 2)[0],
      "3");
  EXPECT_EQ(
      Values("SELECT ln(0), ln(exp(1)), log10(1000), log(2, 8), pow(2, 10) FROM __THIS__", 3)[0],
      "3");
  EXPECT_EQ(
      Values("SELECT ln(0), ln(exp(1)), log10(1000), log(2, 8), pow(2, 10) FROM __THIS__", 4)[0],
      "1024");
  EXPECT_EQ(Values("SELECT round(d) FROM __THIS__"),
            (Strings{"1", "null", "2", "-2", "4"}));  // half away from 0
  EXPECT_EQ(Values("SELECT round(d, 1) FROM __THIS__")[2], "2.3");
  EXPECT_EQ(Values("SELECT round(i, -1) FROM __THIS__"), (Strings{"0", "0", "null", "-10", "10"}));
  EXPECT_EQ(Values("SELECT floor(d), ceil(d) FROM __THIS__"),
            (Strings{"0", "null", "2", "-2", "4"}));
  EXPECT_EQ(Values("SELECT floor(d), ceil(d) FROM __THIS__", 1),
            (Strings{"1", "null", "3", "-1", "4"}));
  auto types = RunSql("SELECT floor(d), round(d), abs(i), pow(i, 2) FROM __THIS__");
  ASSERT_THAT(types, IsOk());
  EXPECT_EQ(types->schema()->field(0).type->ToString(), "int64");
  EXPECT_EQ(types->schema()->field(1).type->ToString(), "float64");
  EXPECT_EQ(types->schema()->field(2).type->ToString(), "int64");
  EXPECT_EQ(types->schema()->field(3).type->ToString(), "float64");
}

TEST(SqlQueryTest, StringFunctions) {
  EXPECT_EQ(Values("SELECT lower(s), upper(s) FROM __THIS__"),
            (Strings{"apple", "banana", "null", " x ", "h\xC3\xA9llo"}));
  EXPECT_EQ(Values("SELECT upper(s) FROM __THIS__")[1], "BANANA");
  EXPECT_EQ(Values("SELECT length(s) FROM __THIS__"),
            (Strings{"5", "6", "null", "3", "5"}));  // characters
  EXPECT_EQ(Values("SELECT substr(s, 2, 3) FROM __THIS__"),
            (Strings{"ppl", "ana", "null", "x ", "\xC3\xA9ll"}));
  EXPECT_EQ(Values("SELECT substr(s, -3) FROM __THIS__")[0], "ple");
  EXPECT_EQ(Values("SELECT substring(s, 0, 2) FROM __THIS__")[0], "ap");
  EXPECT_EQ(Values("SELECT trim(s), ltrim(s), rtrim(s) FROM __THIS__", 0)[3], "x");
  EXPECT_EQ(Values("SELECT trim(s), ltrim(s), rtrim(s) FROM __THIS__", 1)[3], "x ");
  EXPECT_EQ(Values("SELECT trim(s), ltrim(s), rtrim(s) FROM __THIS__", 2)[3], " x");
  EXPECT_EQ(Values("SELECT concat(s, '-', i) FROM __THIS__"),
            (Strings{"apple-1", "Banana-2", "null", " x --7", "h\xC3\xA9llo-10"}));
  EXPECT_EQ(Values("SELECT s || d FROM __THIS__")[0], "apple0.5");
  EXPECT_EQ(Values("SELECT 'it''s' FROM __THIS__")[0], "it's");
}

TEST(SqlQueryTest, ElementAccessOnVectorsAndLists) {
  EXPECT_EQ(Values("SELECT v[1] FROM __THIS__"), (Strings{"1", "4", "7", "10", "13"}));
  EXPECT_EQ(Values("SELECT v[3], v[-1], v[i] FROM __THIS__", 0),
            (Strings{"null", "null", "null", "null", "null"}));
  EXPECT_EQ(Values("SELECT v[3], v[-1], v[i] FROM __THIS__", 2),
            (Strings{"1", "5", "null", "null", "null"}));
  EXPECT_EQ(Values("SELECT sv[1], sv[2] FROM __THIS__", 0),
            (Strings{"0.5", "1.5", "2.5", "3.5", "4.5"}));
  EXPECT_EQ(Values("SELECT sv[1], sv[2] FROM __THIS__", 1), (Strings{"0", "0", "0", "0", "0"}));
  EXPECT_EQ(Values("SELECT l[1] FROM __THIS__"), (Strings{"null", "11", "null", "31", "41"}));
  EXPECT_EQ(Values("SELECT v[0] * 2 + l[0] AS z FROM __THIS__"),
            (Strings{"0", "16", "null", "48", "64"}));
}

// Fields of structs and elements of lists, nested: a chat-completions reply as the HTTP
// stages parse it. A null or a missing element anywhere on the way gives NULL.
TEST(SqlQueryTest, FieldsAndElementsOfNestedColumns) {
  const std::string lines =
      R"({"id": 1, "reply": {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi!"}}], "usage": {"total_tokens": 12}}})"
      "\n"
      R"({"id": 2, "reply": {"choices": [{"index": 0, "message": null}, {"index": 1, "message": {"role": "a", "content": "two"}}], "usage": {"total_tokens": 3}}})"
      "\n"
      R"({"id": 3, "reply": null})"
      "\n"
      R"({"id": 4, "reply": {"choices": [], "usage": null}})"
      "\n";
  auto parsed = ParseJsonLines(ExecContext::Default(), lines, "replies.jsonl");
  ASSERT_THAT(parsed, IsOk());
  auto batch = parsed->frame.Collect();
  ASSERT_THAT(batch, IsOk());
  auto values = [&](std::string_view sql, int c = 0) {
    Result<Batch> out = RunSql(sql, *batch);
    EXPECT_THAT(out, IsOk()) << sql;
    Strings v;
    for (int64_t r = 0; out.ok() && r < out->num_rows(); ++r)
      v.push_back(FormatValue(*out->column(c), r));
    return v;
  };
  EXPECT_EQ(values("SELECT reply.choices[0].message.content AS text FROM __THIS__"),
            (Strings{"Hi!", "null", "null", "null"}));
  EXPECT_EQ(values("SELECT reply.choices[1].message.content FROM __THIS__"),
            (Strings{"null", "two", "null", "null"}));
  EXPECT_EQ(values("SELECT reply.usage.total_tokens * 2 FROM __THIS__"),
            (Strings{"24", "6", "null", "null"}));
  EXPECT_EQ(values("SELECT id FROM __THIS__ WHERE reply.choices[id - 1].index = id - 1"),
            (Strings{"1", "2"}));
  EXPECT_EQ(values("SELECT `reply`.\"usage\".total_tokens IS NULL FROM __THIS__"),
            (Strings{"false", "false", "true", "true"}));
  // A sliced batch: the struct's rows start past its offset.
  Result<Batch> sliced = RunSql(
      "SELECT reply.choices[0].index, reply.usage.total_tokens FROM __THIS__", batch->Slice(1, 3));
  ASSERT_THAT(sliced, IsOk());
  EXPECT_EQ(FormatValue(*sliced->column(1), 0), "3");
  EXPECT_EQ(FormatValue(*sliced->column(0), 0), "0");
  EXPECT_EQ(FormatValue(*sliced->column(1), 1), "null");
  // What does not fit is named.
  auto error = [&](std::string_view sql) {
    Result<Batch> out = RunSql(sql, *batch);
    EXPECT_FALSE(out.ok()) << sql;
    return out.ok() ? "" : std::string(out.status().message());
  };
  EXPECT_EQ(error("SELECT reply.choice FROM __THIS__"),
            "type error at position 13: no field 'choice' in struct<choices: list<struct<index: "
            "int64, message: "
            "struct<role: string, content: string>>>, usage: struct<total_tokens: int64>> "
            "('reply'); did you mean "
            "'choices'?");
  EXPECT_EQ(error("SELECT reply.usage FROM __THIS__"),
            "type error at position 8: 'reply.usage' is struct<total_tokens: int64>: take a field "
            "('.name') or an "
            "element ('[i]') of it down to a scalar");
  EXPECT_EQ(
      error("SELECT length(reply.choices[0]) FROM __THIS__"),
      "type error at position 15: 'reply.choices[0]' is struct<index: int64, message: struct<role: "
      "string, "
      "content: string>>: take a field ('.name') or an element ('[i]') of it down to a scalar");
  EXPECT_EQ(error("SELECT id.x FROM __THIS__"),
            "type error at position 10: '.x' needs a struct, found int64 ('id')");
  EXPECT_EQ(error("SELECT reply. FROM __THIS__"),
            "syntax error at position 15: expected a field name after '.', found 'FROM'");
}

TEST(SqlQueryTest, StarWherePassThroughAndNames) {
  Batch in = TestBatch();
  auto out = RunSql("SELECT *, i * 2 AS twice FROM __THIS__ WHERE b", in);
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->num_rows(), 2);  // NULL conditions drop the row, as false
  EXPECT_EQ(out->schema()->num_fields(), 8);
  EXPECT_EQ(*SlotNames(out->schema()->field(4)), (Strings{"v0", "v1", "v2"}));  // metadata kept
  EXPECT_EQ(FormatValue(*out->column(7), 1), "-14");
  auto all = RunSql("SELECT i, s AS name, d + 1 FROM __THIS__", in);
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->column(0).get(), in.column(0).get());  // shared, not copied
  EXPECT_EQ(all->schema()->field_names(), (Strings{"i", "name", "d + 1"}));
  auto lower = RunSql("select i from __this__ where i > 1 and s is not null", in);
  ASSERT_THAT(lower, IsOk());
  EXPECT_EQ(lower->num_rows(), 2);
  auto quoted = RunSql("SELECT `i` AS \"select\", i x FROM __THIS__", in);
  ASSERT_THAT(quoted, IsOk());
  EXPECT_EQ(quoted->schema()->field_names(), (Strings{"select", "x"}));
  auto none = RunSql("SELECT i FROM __THIS__ WHERE FALSE", in);
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->num_rows(), 0);
}

TEST(SqlQueryTest, ErrorsNamePositionAndExpectation) {
  EXPECT_EQ(ErrorOf("SELECT i + FROM __THIS__"),
            "syntax error at position 12: expected an expression, found 'FROM'");
  EXPECT_EQ(
      ErrorOf("SELECT i FROM t"),
      "syntax error at position 15: expected __THIS__ (the input frame) after FROM, found 't'");
  EXPECT_EQ(ErrorOf("SELECT i FROM __THIS__ WHERE"),
            "syntax error at position 29: expected an expression, found the end of the statement");
  EXPECT_EQ(ErrorOf("SELECT 'abc FROM __THIS__"),
            "syntax error at position 8: unterminated string literal");
  EXPECT_EQ(ErrorOf("SELECT i FROM __THIS__ LIMIT 3 OFFSET 1"),
            "SQL at position 32: OFFSET is not supported: SqlTransformer reads one table (the "
            "input frame); joins, set operations, OFFSET and windows are not in its dialect "
            "(docs/sql.md)");
  // A statement across rows is a plan over the frame (plan.h), not a row-by-row query.
  EXPECT_EQ(ErrorOf("SELECT i FROM __THIS__ ORDER BY i"),
            "SqlQuery computes each output row from one input row; DISTINCT, GROUP BY, "
            "aggregates, ORDER BY and LIMIT run over a whole frame as SqlPlan (sql/plan.h)");
  EXPECT_EQ(ErrorOf("SELECT CAST(i AS DECIMAL) FROM __THIS__"),
            "syntax error at position 18: expected a type name (BIGINT, DOUBLE, STRING, "
            "BOOLEAN, DATE or TIMESTAMP), found 'DECIMAL'");
  EXPECT_EQ(ErrorOf("SELECT ii FROM __THIS__"),
            "unknown column 'ii' at position 8; did you mean 'i'?");
  EXPECT_EQ(ErrorOf("SELECT i + s FROM __THIS__"),
            "type error at position 10: '+' needs numeric operands, found string (column 's')");
  EXPECT_EQ(ErrorOf("SELECT i = 'a' FROM __THIS__"),
            "type error at position 10: cannot compare bigint (column 'i') with string ('=')");
  EXPECT_EQ(ErrorOf("SELECT sqr(d) FROM __THIS__"),
            "unknown function 'sqr' at position 8; did you mean 'sqrt'?");
  EXPECT_EQ(ErrorOf("SELECT pow(d) FROM __THIS__"),
            "function pow() at position 8 takes 2 argument(s), got 1");
  EXPECT_EQ(ErrorOf("SELECT lower(i) FROM __THIS__"),
            "type error at position 14: argument 1 of lower() must be a string, found bigint "
            "(column 'i')");
  EXPECT_EQ(
      ErrorOf("SELECT i FROM __THIS__ WHERE i"),
      "type error at position 30: WHERE needs a boolean condition, found bigint (column 'i')");
  EXPECT_EQ(ErrorOf("SELECT i, d AS i FROM __THIS__"),
            "duplicate output column 'i' at position 11; give it another name with AS");
  EXPECT_EQ(ErrorOf("SELECT s[0] FROM __THIS__"),
            "type error at position 9: [ ] needs a vector or a list, found string ('s')");
  EXPECT_EQ(ErrorOf("SELECT v + 1 FROM __THIS__"),
            "type error at position 10: '+' needs numeric operands, found non-scalar (column 'v')");
  EXPECT_EQ(ErrorOf("SELECT CASE WHEN b THEN 1 ELSE 'x' END FROM __THIS__"),
            "type error at position 32: CASE results must have one type: bigint and string");
  EXPECT_EQ(ErrorOf("SELECT round(d, i) FROM __THIS__"),
            "type error at position 17: argument 2 of round() must be an integer literal, found "
            "bigint (column 'i')");
}

TEST(SqlQueryTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep =
      "SELECT " + std::string(5000, '(') + "1" + std::string(5000, ')') + " FROM __THIS__";
  EXPECT_NE(ErrorOf(deep).find("nested too deeply"), std::string::npos);
  std::string minus = "SELECT ";
  for (int k = 0; k < 5000; ++k) minus += "- ";
  minus += "1 FROM __THIS__";
  EXPECT_NE(ErrorOf(minus).find("nested too deeply"), std::string::npos);
}

TEST(SqlTransformerTest, StatementIsCheckedAtMakeAndColumnsAtBind) {
  auto bad = SqlTransformer::Make({.statement = "SELECT FROM __THIS__"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SqlTransformer param 'statement'"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("position 8"), std::string::npos) << bad.status();
  auto t = *SqlTransformer::Make({.statement = "SELECT id, x * 2 AS x2 FROM __THIS__ WHERE flag"});
  auto out = t->Transform(testing::MixedFrame(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->num_rows(), 8);
  auto unbound = (*SqlTransformer::Make({.statement = "SELECT nope FROM __THIS__"}))
                     ->Transform(testing::MixedFrame(), ExecContext::Default());
  ASSERT_FALSE(unbound.ok());
  EXPECT_NE(unbound.status().message().find("unknown column 'nope'"), std::string::npos)
      << unbound.status();
}

TEST(SqlTransformerTest, RunsInsideASavedAndReloadedPipeline) {
  auto t = *SqlTransformer::Make(
      {.statement = "SELECT id, upper(name) AS n FROM __THIS__ WHERE id % 2 = 0"});
  auto pipeline = *Pipeline::Make({t});
  auto model = pipeline->Fit(testing::MixedFrame(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const std::string dir = testing::NewTempDir("sql_pipeline") + "/model";
  ASSERT_THAT(SaveStage(**model, dir), IsOk());
  auto loaded = LoadTransformer(dir, DefaultRegistry());
  ASSERT_THAT(loaded, IsOk());
  auto a = (*model)->Transform(testing::MixedFrame(), ExecContext::Default());
  auto b = (*loaded)->Transform(testing::MixedFrame(), ExecContext::Default());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(FramesEqual(*a, *b));
  EXPECT_EQ(a->num_rows(), 8);
}

// What users write beyond the first dialect: IF, nvl/ifnull, greatest/least, replace,
// regexp_replace/regexp_extract, LIKE, a trailing semicolon; and clauses that look across
// rows say "not supported" (before, DISTINCT was "unknown column 'DISTINCT'").
TEST(SqlQueryTest, FunctionsUsersWriteAndClearNotSupported) {
  // s: apple, Banana, NULL, " x ", héllo; i: 1, 2, NULL, -7, 10; d: 0.5, NULL, 2.25, -1.5, 4
  EXPECT_EQ(Values("SELECT IF(i > 1, 'big', 'small') FROM __THIS__"),
            (Strings{"small", "big", "small", "small", "big"}));
  EXPECT_EQ(Values("SELECT iif(b, i, 0) FROM __THIS__"), (Strings{"1", "0", "0", "-7", "0"}));
  EXPECT_EQ(Values("SELECT nvl(d, -1), ifnull(s, '?') FROM __THIS__"),
            (Strings{"0.5", "-1", "2.25", "-1.5", "4"}));
  EXPECT_EQ(Values("SELECT ifnull(s, '?') FROM __THIS__"),
            (Strings{"apple", "Banana", "?", " x ", "h\xC3\xA9llo"}));
  EXPECT_EQ(Values("SELECT greatest(i, d, 0) FROM __THIS__"),
            (Strings{"1", "2", "2.25", "0", "10"}));
  EXPECT_EQ(Values("SELECT least(i, d) FROM __THIS__"),
            (Strings{"0.5", "2", "2.25", "-7", "4"}));  // NULLs are skipped
  EXPECT_EQ(Values("SELECT replace(s, 'p', 'P'), replace(s, 'a') FROM __THIS__", 0),
            (Strings{"aPPle", "Banana", "null", " x ", "h\xC3\xA9llo"}));
  EXPECT_EQ(Values("SELECT replace(s, 'a') FROM __THIS__"),
            (Strings{"pple", "Bnn", "null", " x ", "h\xC3\xA9llo"}));
  EXPECT_EQ(Values("SELECT regexp_replace(s, '[aeiou]', '_') FROM __THIS__"),
            (Strings{"_ppl_", "B_n_n_", "null", " x ", "h\xC3\xA9ll_"}));
  EXPECT_EQ(Values("SELECT regexp_replace(s, '(p+)(l)', '$2$1') FROM __THIS__"),
            (Strings{"alppe", "Banana", "null", " x ", "h\xC3\xA9llo"}));
  EXPECT_EQ(Values("SELECT regexp_extract(s, '([a-z])([a-z])', 2) FROM __THIS__"),
            (Strings{"p", "n", "null", "", "l"}));  // Banana: "an" (B is upper case)
  EXPECT_EQ(Values("SELECT s LIKE '%a%', s NOT LIKE 'B_n%' FROM __THIS__", 0),
            (Strings{"true", "true", "null", "false", "false"}));
  EXPECT_EQ(Values("SELECT s NOT LIKE 'B_n%' FROM __THIS__"),
            (Strings{"true", "false", "null", "true", "true"}));
  EXPECT_EQ(Values("SELECT s LIKE 'h_llo', s LIKE '' FROM __THIS__ WHERE s LIKE '%l%'"),
            (Strings{"false", "true"}));
  EXPECT_EQ(Values("SELECT i FROM __THIS__ WHERE s LIKE '\\ x %' ;"), (Strings{"-7"}));
  for (const auto& [sql, clause] : std::vector<std::pair<std::string, std::string>>{
           {"SELECT s FROM __THIS__ t JOIN u", "syntax error"},
           {"SELECT s FROM __THIS__ UNION SELECT s FROM __THIS__", "UNION is not supported"},
           {"SELECT variance(i) FROM __THIS__",
            "aggregate function variance() at position 8 is not"},
           {"SELECT i FROM __THIS__ WHERE sum(i) > 0", "sum() at position 30 is only allowed in"},
           {"SELECT regexp_replace(s, '(', '') FROM __THIS__", "not a valid regular expression"}}) {
    auto r = RunSql(sql);
    ASSERT_FALSE(r.ok()) << sql;
    EXPECT_NE(r.status().message().find(clause), std::string::npos) << r.status();
  }
}

}  // namespace
}  // namespace ember
