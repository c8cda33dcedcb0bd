// Type checking of Ember's SQL dialect, shared by the compiler and the evaluator. Internal
// to sql/.
#pragma once

#include <string>

#include "ember/base/status.h"
#include "ember/core/schema.h"
#include "ember/sql/internal/ast.h"

namespace ember::sql::internal {

// The SQL type of a column type (kOpaque for vectors, lists, structs and binary).
SqlType ScalarTypeOf(const DataType& t);
bool IsNumeric(SqlType t);  // bigint, double or NULL
// The common type of two operands (numeric widening; NULL goes with anything), or kOpaque
// when they do not mix.
SqlType Unify(SqlType a, SqlType b);
bool IsTemporal(SqlType t);  // date or timestamp
// The type two operands are compared in: Unify's, except that text compared with a date or
// timestamp is read as one (Spark: d = '2024-03-01').
SqlType ComparisonType(SqlType a, SqlType b);
// Whether CAST(from AS to) is allowed.
bool Castable(SqlType from, SqlType to);
// "type error at position N: message".
Status TypeError(int pos, const std::string& message);
// "bigint (column 'x')": an expression's type, and its column when it is one.
std::string Describe(const Expr& e);

// Resolves the columns of `e` and its children against `in` and sets their types; errors
// name the position in the statement.
Status CheckExpr(Expr& e, const Schema& in);
// A field or element of a column that is itself a struct, list or vector (only the base of
// a further field or element): an error naming it.
Status MustBeScalarIfNested(const Expr& e);

}  // namespace ember::sql::internal
