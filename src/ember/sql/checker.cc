// Type checking of Ember's SQL dialect: resolves columns, infers every node's type and
// reports errors with their position (see query.h).
#include "ember/sql/internal/checker.h"

#include <algorithm>
#include <regex>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/params/param_spec.h"
#include "ember/sql/internal/datetime_functions.h"

namespace ember::sql::internal {

using Kind = Expr::Kind;

SqlType ScalarTypeOf(const DataType& t) {
  switch (t.id()) {
    case TypeId::kBool:
      return SqlType::kBool;
    case TypeId::kInt32:
    case TypeId::kInt64:
      return SqlType::kInt;
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return SqlType::kDouble;
    case TypeId::kString:
      return SqlType::kString;
    case TypeId::kDate:
      return SqlType::kDate;
    case TypeId::kTimestamp:
      return SqlType::kTimestamp;
    default:
      return SqlType::kOpaque;
  }
}

bool IsNumeric(SqlType t) {
  return t == SqlType::kInt || t == SqlType::kDouble || t == SqlType::kNull;
}

// The common type of two operands (numeric widening; NULL goes with anything), or kOpaque
// when they do not mix.
SqlType Unify(SqlType a, SqlType b) {
  if (a == SqlType::kOpaque || b == SqlType::kOpaque) return SqlType::kOpaque;
  if (a == SqlType::kNull) return b;
  if (b == SqlType::kNull) return a;
  if (a == b) return a;
  if (IsNumeric(a) && IsNumeric(b)) return SqlType::kDouble;
  if (IsTemporal(a) && IsTemporal(b)) return SqlType::kTimestamp;
  return SqlType::kOpaque;
}

bool IsTemporal(SqlType t) { return t == SqlType::kDate || t == SqlType::kTimestamp; }

SqlType ComparisonType(SqlType a, SqlType b) {
  if (IsTemporal(a) && b == SqlType::kString) return a;
  if (IsTemporal(b) && a == SqlType::kString) return b;
  return Unify(a, b);
}

bool Castable(SqlType from, SqlType to) {
  if (from == SqlType::kOpaque) return false;
  if (from == SqlType::kNull || from == to || to == SqlType::kString) return true;
  switch (to) {
    case SqlType::kDate:
      return from == SqlType::kString || from == SqlType::kTimestamp;
    case SqlType::kTimestamp:
      return from == SqlType::kString || from == SqlType::kDate || IsNumeric(from);
    case SqlType::kInt:
    case SqlType::kDouble:
      return from != SqlType::kDate;  // a timestamp is its seconds since 1970 (Spark)
    case SqlType::kBool:
      return !IsTemporal(from);
    default:
      return false;
  }
}

Status TypeError(int pos, const std::string& message) {
  return InvalidArgument("type error at position " + std::to_string(pos) + ": " + message);
}

std::string Describe(const Expr& e) {
  std::string d(SqlTypeName(e.type));
  if (e.kind == Kind::kColumn) d += " (column '" + e.name + "')";
  return d;
}

namespace {

struct FunctionSig {
  int min_args, max_args;
};

const std::unordered_map<std::string, FunctionSig>& Functions() {
  static auto* f = new std::unordered_map<std::string, FunctionSig>{
      {"abs", {1, 1}},
      {"sqrt", {1, 1}},
      {"exp", {1, 1}},
      {"ln", {1, 1}},
      {"log", {1, 2}},
      {"log10", {1, 1}},
      {"pow", {2, 2}},
      {"power", {2, 2}},
      {"round", {1, 2}},
      {"floor", {1, 1}},
      {"ceil", {1, 1}},
      {"ceiling", {1, 1}},
      {"lower", {1, 1}},
      {"upper", {1, 1}},
      {"length", {1, 1}},
      {"substr", {2, 3}},
      {"substring", {2, 3}},
      {"concat", {1, 1000}},
      {"trim", {1, 1}},
      {"ltrim", {1, 1}},
      {"rtrim", {1, 1}},
      {"coalesce", {1, 1000}},
      {"nvl", {2, 2}},
      {"ifnull", {2, 2}},
      {"if", {3, 3}},
      {"iif", {3, 3}},
      {"greatest", {2, 1000}},
      {"least", {2, 1000}},
      {"replace", {2, 3}},
      {"regexp_replace", {3, 3}},
      {"regexp_extract", {2, 3}},
      {"like", {2, 2}},
  };
  static const bool with_dates = [] {
    for (const DateFunction& d : DateFunctions())
      f->emplace(d.name, FunctionSig{d.min_args, d.max_args});
    return true;
  }();
  (void)with_dates;
  return *f;
}

class Checker {
 public:
  explicit Checker(const Schema& in) : in_(in) {}

  Status Check(Expr& e) {
    for (size_t i = 0; i < e.args.size(); ++i) {
      EMBER_RETURN_IF_ERROR(Check(*e.args[i]));
      // A struct or list taken out of a column only leads to a field or element of it.
      const bool leads_on = (e.kind == Kind::kField || e.kind == Kind::kIndex) && i == 0;
      if (!leads_on) EMBER_RETURN_IF_ERROR(MustBeScalarIfNested(*e.args[i]));
    }
    switch (e.kind) {
      case Kind::kColumn: {
        e.column = in_.FindField(e.name);
        if (e.column < 0) {
          std::vector<std::string> names;
          for (const Field& f : in_.fields()) names.push_back(f.name);
          std::string msg = "unknown column '" + e.name + "' at position " + std::to_string(e.pos);
          std::string close = ClosestName(e.name, names);
          if (!close.empty()) msg += "; did you mean '" + close + "'?";
          return NotFound(msg);
        }
        e.data_type = in_.field(e.column).type;
        e.type = ScalarTypeOf(*e.data_type);
        return Status::OK();
      }
      case Kind::kLiteral:
        e.type = e.lit_type;
        return Status::OK();
      case Kind::kUnary: {
        const Expr& a = *e.args[0];
        if (e.op == "NOT") {
          if (a.type != SqlType::kBool && a.type != SqlType::kNull) {
            return TypeError(e.op_pos, "NOT needs a boolean operand, found " + Describe(a));
          }
          e.type = SqlType::kBool;
        } else {
          if (!IsNumeric(a.type))
            return TypeError(e.op_pos, "unary '-' needs a number, found " + Describe(a));
          e.type = a.type == SqlType::kNull ? SqlType::kInt : a.type;
        }
        return Status::OK();
      }
      case Kind::kBinary:
        return CheckBinary(e);
      case Kind::kIsNull:
        e.type = SqlType::kBool;
        return Status::OK();
      case Kind::kIn:
      case Kind::kBetween:
        for (size_t k = 1; k < e.args.size(); ++k) {
          EMBER_RETURN_IF_ERROR(
              Comparable(*e.args[0], *e.args[k], e.op_pos, e.kind == Kind::kIn ? "IN" : "BETWEEN"));
        }
        e.type = SqlType::kBool;
        return Status::OK();
      case Kind::kCase:
        return CheckCase(e);
      case Kind::kCast:
        if (!Castable(e.args[0]->type, e.cast_to)) {
          std::string hint;
          if (e.args[0]->type == SqlType::kDate && e.cast_to != SqlType::kBool)
            hint = " (unix_date(d) gives a date's days since 1970-01-01)";
          if (e.cast_to == SqlType::kDate && IsNumeric(e.args[0]->type))
            hint = " (date_from_unix_date(n) reads days since 1970-01-01)";
          return TypeError(e.pos, "cannot CAST " + Describe(*e.args[0]) + " to " +
                                      std::string(SqlTypeName(e.cast_to)) + hint);
        }
        e.type = e.cast_to;
        return Status::OK();
      case Kind::kCall:
        return CheckCall(e);
      case Kind::kIndex: {
        const Expr& base = *e.args[0];
        const Expr& index = *e.args[1];
        const DataType* t = base.data_type.get();
        if (t == nullptr || (t->id() != TypeId::kVector && t->id() != TypeId::kList)) {
          return TypeError(e.op_pos,
                           "[ ] needs a vector or a list, found " +
                               (t ? t->ToString() + " ('" + base.text + "')" : Describe(base)));
        }
        if (index.type != SqlType::kInt && index.type != SqlType::kNull) {
          return TypeError(index.pos, "an index must be an integer, found " + Describe(index));
        }
        if (t->id() == TypeId::kVector) {
          e.data_type = Float64Type();
        } else {
          e.data_type = t->value_type();
        }
        e.type = ScalarTypeOf(*e.data_type);
        return Status::OK();
      }
      case Kind::kField: {
        const Expr& base = *e.args[0];
        const DataType* t = base.data_type.get();
        if (t == nullptr || t->id() != TypeId::kStruct) {
          return TypeError(e.op_pos,
                           "'." + e.name + "' needs a struct, found " +
                               (t ? t->ToString() + " ('" + base.text + "')" : Describe(base)));
        }
        std::vector<std::string> names;
        for (size_t i = 0; i < t->fields().size(); ++i) {
          if (t->fields()[i].name == e.name) {
            e.field = static_cast<int>(i);
            e.data_type = t->fields()[i].type;
            e.type = ScalarTypeOf(*e.data_type);
            return Status::OK();
          }
          names.push_back(t->fields()[i].name);
        }
        std::string msg =
            "no field '" + e.name + "' in " + t->ToString() + " ('" + base.text + "')";
        const std::string close = ClosestName(e.name, names);
        if (!close.empty()) msg += "; did you mean '" + close + "'?";
        return TypeError(e.op_pos, msg);
      }
    }
    return Internal("unhandled expression");
  }

 private:
  Status Comparable(const Expr& a, const Expr& b, int pos, std::string_view op) {
    if (ComparisonType(a.type, b.type) == SqlType::kOpaque) {
      return TypeError(pos, "cannot compare " + Describe(a) + " with " + Describe(b) + " (" +
                                std::string(op) + ")");
    }
    return Status::OK();
  }

  Status CheckBinary(Expr& e) {
    const Expr& a = *e.args[0];
    const Expr& b = *e.args[1];
    const std::string& op = e.op;
    if (op == "AND" || op == "OR") {
      for (const Expr* x : {&a, &b}) {
        if (x->type != SqlType::kBool && x->type != SqlType::kNull) {
          return TypeError(e.op_pos, op + " needs boolean operands, found " + Describe(*x));
        }
      }
      e.type = SqlType::kBool;
    } else if (op == "||") {
      for (const Expr* x : {&a, &b}) {
        if (x->type == SqlType::kOpaque)
          return TypeError(e.op_pos, "|| cannot concatenate " + Describe(*x));
      }
      e.type = SqlType::kString;
    } else if ((op == "+" || op == "-") && (IsTemporal(a.type) || IsTemporal(b.type))) {
      // date +- days (Spark's date_add / date_sub); nothing else moves dates or timestamps.
      const bool date_days =
          (a.type == SqlType::kDate && IsNumeric(b.type) && b.type != SqlType::kDouble) ||
          (op == "+" && b.type == SqlType::kDate && IsNumeric(a.type) &&
           a.type != SqlType::kDouble);
      if (!date_days) {
        return TypeError(e.op_pos, "'" + op + "' of " + Describe(a) + " and " + Describe(b) +
                                       " is not supported: a date moves by whole days "
                                       "(date + n, date_add, add_months), datediff(end, start) "
                                       "counts the days between dates, and unix_seconds(t) "
                                       "turns a timestamp into a number");
      }
      e.type = SqlType::kDate;
    } else if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
      for (const Expr* x : {&a, &b}) {
        if (!IsNumeric(x->type)) {
          return TypeError(e.op_pos, "'" + op + "' needs numeric operands, found " + Describe(*x));
        }
      }
      if (op == "/") {
        e.type = SqlType::kDouble;
      } else {
        e.type = (a.type == SqlType::kDouble || b.type == SqlType::kDouble) ? SqlType::kDouble
                                                                            : SqlType::kInt;
      }
    } else {  // comparison
      EMBER_RETURN_IF_ERROR(Comparable(a, b, e.op_pos, "'" + op + "'"));
      e.type = SqlType::kBool;
    }
    return Status::OK();
  }

  Status CheckCase(Expr& e) {
    size_t k = 0;
    const Expr* operand = nullptr;
    if (e.has_operand) operand = e.args[k++].get();
    const size_t end = e.args.size() - (e.has_else ? 1 : 0);
    SqlType result = SqlType::kNull;
    auto add_result = [&](const Expr& r) -> Status {
      SqlType u = Unify(result, r.type);
      if (u == SqlType::kOpaque) {
        return TypeError(r.pos, "CASE results must have one type: " +
                                    std::string(SqlTypeName(result)) + " and " + Describe(r));
      }
      result = u;
      return Status::OK();
    };
    for (; k + 1 < end; k += 2) {
      const Expr& when = *e.args[k];
      if (operand) {
        EMBER_RETURN_IF_ERROR(Comparable(*operand, when, when.pos, "CASE ... WHEN"));
      } else if (when.type != SqlType::kBool && when.type != SqlType::kNull) {
        return TypeError(when.pos, "WHEN needs a boolean condition, found " + Describe(when));
      }
      EMBER_RETURN_IF_ERROR(add_result(*e.args[k + 1]));
    }
    if (e.has_else) EMBER_RETURN_IF_ERROR(add_result(*e.args.back()));
    e.type = result;
    return Status::OK();
  }

  Status CheckCall(Expr& e) {
    const auto& fns = Functions();
    auto it = fns.find(e.name);
    static constexpr std::string_view kOtherAggregates[] = {
        "stddev", "variance", "collect_list", "collect_set", "first", "last"};
    if (IsAggregate(e)) {  // the plan (plan.cc) takes aggregates out of what it checks
      return InvalidArgument("aggregate function " + e.name + "() at position " +
                             std::to_string(e.pos) +
                             " is only allowed in SELECT, HAVING and ORDER BY, not in WHERE, "
                             "GROUP BY or another aggregate (for a scalar of several values "
                             "use greatest() or least())");
    }
    if (it == fns.end() && std::find(std::begin(kOtherAggregates), std::end(kOtherAggregates),
                                     e.name) != std::end(kOtherAggregates)) {
      return InvalidArgument("aggregate function " + e.name + "() at position " +
                             std::to_string(e.pos) +
                             " is not supported; the aggregates are count, sum, avg (mean), "
                             "min and max");
    }
    if (it == fns.end()) {
      std::vector<std::string> names;
      for (const auto& [name, sig] : fns) names.push_back(name);
      std::sort(names.begin(), names.end());
      std::string msg = "unknown function '" + e.name + "' at position " + std::to_string(e.pos);
      std::string close = ClosestName(e.name, names);
      if (!close.empty()) msg += "; did you mean '" + close + "'?";
      return NotFound(msg);
    }
    const int n = static_cast<int>(e.args.size());
    if (n < it->second.min_args || n > it->second.max_args) {
      std::string want =
          it->second.min_args == it->second.max_args
              ? std::to_string(it->second.min_args)
              : std::to_string(it->second.min_args) + " to " +
                    (it->second.max_args >= 1000 ? std::string("any number of")
                                                 : std::to_string(it->second.max_args));
      return InvalidArgument("function " + e.name + "() at position " + std::to_string(e.pos) +
                             " takes " + want + " argument(s), got " + std::to_string(n));
    }
    auto arg_must = [&](int k, bool ok, std::string_view what) -> Status {
      if (ok) return Status::OK();
      return TypeError(e.args[k]->pos, "argument " + std::to_string(k + 1) + " of " + e.name +
                                           "() must be " + std::string(what) + ", found " +
                                           Describe(*e.args[k]));
    };
    const std::string& f = e.name;
    if (IsDateFunction(f)) return CheckDateCall(e);
    auto is_string = [&](int k) {
      return e.args[k]->type == SqlType::kString || e.args[k]->type == SqlType::kNull;
    };
    if (f == "if" || f == "iif") {
      EMBER_RETURN_IF_ERROR(arg_must(
          0, e.args[0]->type == SqlType::kBool || e.args[0]->type == SqlType::kNull, "a boolean"));
      const SqlType t = Unify(e.args[1]->type, e.args[2]->type);
      EMBER_RETURN_IF_ERROR(arg_must(2, t != SqlType::kOpaque, "of one type with argument 2"));
      e.type = t;
      return Status::OK();
    }
    if (f == "greatest" || f == "least") {
      SqlType t = SqlType::kNull;
      for (int k = 0; k < n; ++k) {
        const SqlType u = Unify(t, e.args[k]->type);
        EMBER_RETURN_IF_ERROR(arg_must(k, u != SqlType::kOpaque && u != SqlType::kBool,
                                       "a number or string of one type with the others"));
        t = u;
      }
      e.type = t;
      return Status::OK();
    }
    if (f == "replace" || f == "regexp_replace" || f == "regexp_extract" || f == "like") {
      const int strings = f == "regexp_extract" ? 2 : n;
      for (int k = 0; k < strings; ++k)
        EMBER_RETURN_IF_ERROR(arg_must(k, is_string(k), "a string"));
      if (f == "regexp_extract" && n == 3) {
        EMBER_RETURN_IF_ERROR(
            arg_must(2, e.args[2]->type == SqlType::kInt || e.args[2]->type == SqlType::kNull,
                     "an integer (the group)"));
      }
      if (f == "regexp_replace" || f == "regexp_extract") {
        const Expr& pattern = *e.args[1];
        if (pattern.kind == Kind::kLiteral && pattern.lit_type == SqlType::kString) {
          try {
            std::regex check(pattern.lit_string);
          } catch (const std::regex_error& err) {
            return InvalidArgument("argument 2 of " + f + "() at position " +
                                   std::to_string(pattern.pos) +
                                   " is not a valid regular "
                                   "expression ('" +
                                   pattern.lit_string + "'): " + err.what());
          }
        }
      }
      e.type = f == "like" ? SqlType::kBool : SqlType::kString;
      return Status::OK();
    }
    if (f == "coalesce" || f == "nvl" || f == "ifnull") {
      SqlType t = SqlType::kNull;
      for (int k = 0; k < n; ++k) {
        SqlType u = Unify(t, e.args[k]->type);
        EMBER_RETURN_IF_ERROR(arg_must(k, u != SqlType::kOpaque, "of one type with the others"));
        t = u;
      }
      e.type = t;
    } else if (f == "concat") {
      for (int k = 0; k < n; ++k)
        EMBER_RETURN_IF_ERROR(arg_must(k, e.args[k]->type != SqlType::kOpaque, "a scalar"));
      e.type = SqlType::kString;
    } else if (f == "lower" || f == "upper" || f == "trim" || f == "ltrim" || f == "rtrim" ||
               f == "length") {
      EMBER_RETURN_IF_ERROR(arg_must(
          0, e.args[0]->type == SqlType::kString || e.args[0]->type == SqlType::kNull, "a string"));
      e.type = f == "length" ? SqlType::kInt : SqlType::kString;
    } else if (f == "substr" || f == "substring") {
      EMBER_RETURN_IF_ERROR(arg_must(
          0, e.args[0]->type == SqlType::kString || e.args[0]->type == SqlType::kNull, "a string"));
      for (int k = 1; k < n; ++k) {
        EMBER_RETURN_IF_ERROR(
            arg_must(k, e.args[k]->type == SqlType::kInt || e.args[k]->type == SqlType::kNull,
                     "an integer"));
      }
      e.type = SqlType::kString;
    } else {  // numeric functions
      for (int k = 0; k < n; ++k)
        EMBER_RETURN_IF_ERROR(arg_must(k, IsNumeric(e.args[k]->type), "a number"));
      const SqlType a = e.args[0]->type == SqlType::kNull ? SqlType::kInt : e.args[0]->type;
      if (f == "abs") {
        e.type = a;
      } else if (f == "floor" || f == "ceil" || f == "ceiling") {
        e.type = SqlType::kInt;
      } else if (f == "round") {
        if (n == 2) {
          const Expr& d = *e.args[1];
          EMBER_RETURN_IF_ERROR(arg_must(1, d.kind == Kind::kLiteral && d.lit_type == SqlType::kInt,
                                         "an integer literal"));
        }
        e.type = a;
      } else {
        e.type = SqlType::kDouble;
      }
    }
    return Status::OK();
  }

  const Schema& in_;
};

}  // namespace

Status MustBeScalarIfNested(const Expr& e) {
  if ((e.kind == Kind::kField || e.kind == Kind::kIndex) && e.type == SqlType::kOpaque) {
    return TypeError(e.pos,
                     "'" + e.text + "' is " + e.data_type->ToString() +
                         ": take a field ('.name') or an element ('[i]') of it down to a scalar");
  }
  return Status::OK();
}

Status CheckExpr(Expr& e, const Schema& in) {
  EMBER_RETURN_IF_ERROR(Checker(in).Check(e));
  return MustBeScalarIfNested(e);
}

}  // namespace ember::sql::internal
