// SqlQuery: a SELECT statement over one input schema, parsed and type-checked once, then
// run on batches by vectorized kernels (one pass per expression node over the whole batch).
//
//   SELECT expr [AS name], ... FROM __THIS__ [WHERE cond]
//
// The dialect is Spark SQL's, restricted to one table: column references (quote names with
// `back ticks` or "double quotes"), literals, + - * / % (/ always divides as double), ||,
// comparisons, AND / OR / NOT with SQL's three-valued null logic, IS [NOT] NULL,
// [NOT] IN (...), [NOT] BETWEEN, CASE [x] WHEN ... END, CAST(x AS BIGINT | DOUBLE | STRING |
// BOOLEAN), COALESCE, numeric functions (abs, sqrt, exp, ln, log, log10, pow, round, floor,
// ceil), string functions (lower, upper, length, substr, concat, trim, ltrim, rtrim) and
// 0-based element access on vector and list columns (`probability[1]`). `SELECT *` keeps
// every input column. docs/sql.md has the full reference.
//
// Errors name the position in the statement: "syntax error at position 17: expected an
// expression, found 'FROM'", "type error at position 8: '+' needs numeric operands, found
// string". Immutable and thread-safe once compiled.
#pragma once

#include <memory>
#include <string_view>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/core/schema.h"

namespace ember {

class SqlQuery {
 public:
  // Parses `statement` and checks it against `in`.
  static Result<std::shared_ptr<const SqlQuery>> Compile(std::string_view statement,
                                                         const Schema& in);
  // Parses `statement` only (no column or type checks).
  static Status CheckSyntax(std::string_view statement);

  ~SqlQuery();
  const SchemaPtr& output_schema() const;
  // Evaluates the query on one batch of the input schema.
  Result<Batch> Run(const Batch& in) const;

 private:
  struct Impl;
  explicit SqlQuery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember
