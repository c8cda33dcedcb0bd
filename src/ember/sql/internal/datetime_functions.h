// SQL's date and timestamp functions (Spark's names and semantics; internal to sql/): their
// arity for the checker's table, their type checking and their vectorized evaluation.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/status.h"
#include "ember/sql/internal/ast.h"
#include "ember/sql/internal/vec.h"

namespace ember::sql::internal {

struct DateFunction {
  std::string name;
  int min_args, max_args;
};
const std::vector<DateFunction>& DateFunctions();
bool IsDateFunction(std::string_view name);

// Sets e.type from its (checked) arguments; errors name the argument's position. A literal
// pattern or unit is checked here.
Status CheckDateCall(Expr& e);

// Evaluates a checked call over `args` (one Vec per argument, as evaluated); `cast` is the
// evaluator's CAST. Values outside the years 0001-9999 and unreadable text are NULL.
Vec EvalDateCall(const Expr& e, std::vector<Vec> args, const std::function<Vec(Vec, SqlType)>& cast,
                 Arena& arena, size_t n);

}  // namespace ember::sql::internal
