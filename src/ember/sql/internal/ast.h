// The syntax tree of Ember's SQL dialect and its parser. Internal to sql/: users see
// SqlQuery (query.h). Positions are 1-based character offsets into the statement, used by
// every error message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/types.h"

namespace ember::sql::internal {

// The scalar types expressions compute in. Columns of other types (vectors, lists,
// structs, binary) can only be passed through, tested for null, indexed or have a field
// taken.
// Dates (days since 1970-01-01) and timestamps (microseconds since 1970-01-01 UTC) compute
// as integers (Vec::i) and keep their own type.
enum class SqlType { kNull, kBool, kInt, kDouble, kString, kDate, kTimestamp, kOpaque };
std::string_view SqlTypeName(SqlType t);

struct Expr {
  enum class Kind {
    kColumn,   // name
    kLiteral,  // type + value fields (DATE '...' and TIMESTAMP '...': lit_int)
    kUnary,    // op: "-", "NOT"; args[0]
    kBinary,   // op: + - * / % || = <> < <= > >= AND OR; args[0], args[1]
    kIsNull,   // args[0]; negated for IS NOT NULL
    kIn,       // args[0] IN (args[1..]); negated for NOT IN
    kBetween,  // args[0] BETWEEN args[1] AND args[2]; negated
    kCase,     // args: [operand?] then pairs (when, then), then [else]; see has_operand/has_else
    kCast,     // args[0]; cast_to
    kCall,     // name(args...)
    kIndex,    // args[0][args[1]]
    kField,    // args[0].name
  };
  Kind kind;
  int pos = 0;       // where the expression starts
  int op_pos = 0;    // where its operator is (binary/unary), for error messages
  std::string text;  // the source text of the expression (default output name)
  std::string name;  // column or (lower-case) function name
  std::string op;
  std::vector<std::unique_ptr<Expr>> args;
  bool negated = false;
  bool has_operand = false;
  bool has_else = false;
  SqlType cast_to = SqlType::kNull;
  // Literal value.
  SqlType lit_type = SqlType::kNull;
  bool lit_bool = false;
  int64_t lit_int = 0;
  double lit_double = 0;
  std::string lit_string;
  // Set by type checking.
  SqlType type = SqlType::kNull;
  int column = -1;    // kColumn: the input field index
  int field = -1;     // kField: the struct field's index
  TypePtr data_type;  // kColumn, kIndex, kField: the column type of the value
};

struct SelectItem {
  bool star = false;  // SELECT *
  std::unique_ptr<Expr> expr;
  std::string alias;  // empty: named after the expression
  int pos = 0;
};

struct OrderItem {
  std::unique_ptr<Expr> expr;
  bool descending = false;
  int pos = 0;
};

struct SelectStatement {
  bool distinct = false;
  std::vector<SelectItem> items;
  std::unique_ptr<Expr> where;  // null when absent
  std::vector<std::unique_ptr<Expr>> group_by;
  std::unique_ptr<Expr> having;  // null when absent
  std::vector<OrderItem> order_by;
  int64_t limit = -1;  // -1: none
  int limit_pos = 0;
  // Whether anything looks across rows (DISTINCT, GROUP BY, HAVING, an aggregate in the
  // SELECT list or ORDER BY, ORDER BY, LIMIT): then the statement runs as a plan over the
  // whole frame (plan.h).
  bool across_rows = false;
};

// The aggregate functions a plan computes: count, sum, avg (mean), min, max. count(*) is a
// kCall "count" with op "*" and no args.
bool IsAggregate(const Expr& e);

// Parses `SELECT [DISTINCT] item, ... FROM __THIS__ [WHERE cond] [GROUP BY expr, ...]
// [HAVING cond] [ORDER BY expr [ASC|DESC], ...] [LIMIT n]`. Errors read
// "syntax error at position N: expected X, found 'Y'".
Result<SelectStatement> ParseSelect(std::string_view statement);

}  // namespace ember::sql::internal
