// Propagation macros for Status and Result<T>.
#pragma once

#include "ember/base/result.h"
#include "ember/base/status.h"

#define EMBER_CONCAT_INNER(a, b) a##b
#define EMBER_CONCAT(a, b) EMBER_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define EMBER_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::ember::Status _ember_status = (expr);        \
    if (!_ember_status.ok()) return _ember_status; \
  } while (false)

// `EMBER_ASSIGN_OR_RETURN(auto x, MakeX());` declares/assigns x or returns the error.
#define EMBER_ASSIGN_OR_RETURN(lhs, rexpr) \
  EMBER_ASSIGN_OR_RETURN_IMPL(EMBER_CONCAT(_ember_result_, __COUNTER__), lhs, rexpr)

// `lhs` may be a declaration ("auto x"), so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define EMBER_ASSIGN_OR_RETURN_IMPL(result, lhs, rexpr) \
  auto result = (rexpr);                                \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()
// NOLINTEND(bugprone-macro-parentheses)
