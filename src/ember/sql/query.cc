// Compilation and running of SqlQuery: type checking is in checker.cc, the vectorized
// evaluator in internal/evaluator.h.
#include "ember/sql/query.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <set>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/sql/internal/ast.h"
#include "ember/sql/internal/checker.h"
#include "ember/sql/internal/evaluator.h"
#include "ember/sql/internal/values.h"

namespace ember {

using sql::internal::Describe;
using sql::internal::Expr;
using sql::internal::IsNumeric;
using sql::internal::ScalarTypeOf;
using sql::internal::SelectStatement;
using sql::internal::SqlType;
using sql::internal::SqlTypeName;
using sql::internal::TypeError;
using sql::internal::Unify;
using Kind = Expr::Kind;
using namespace sql::internal::values;  // NOLINT: the evaluator is built on these conversions
using sql::internal::Arena;
using sql::internal::Evaluator;
using sql::internal::Vec;

namespace {

TypePtr OutputType(SqlType t) {
  switch (t) {
    case SqlType::kBool:
      return BoolType();
    case SqlType::kInt:
      return Int64Type();
    case SqlType::kDouble:
      return Float64Type();
    case SqlType::kDate:
      return DateType();
    case SqlType::kTimestamp:
      return TimestampType();
    default:
      return StringType();  // strings, and expressions that are always NULL
  }
}

ColumnPtr ToColumn(const Vec& v, const TypePtr& type) {
  std::unique_ptr<ColumnBuilder> builder = MakeBuilder(type);
  for (size_t k = 0; k < v.size(); ++k) {
    if (!v.valid[k]) {
      builder->AppendNull();
      continue;
    }
    switch (v.type) {
      case SqlType::kBool:
        static_cast<BoolBuilder*>(builder.get())->Append(v.b[k]);
        break;
      case SqlType::kInt:
        static_cast<NumericBuilder<int64_t>*>(builder.get())->Append(v.i[k]);
        break;
      case SqlType::kDouble:
        static_cast<NumericBuilder<double>*>(builder.get())->Append(v.d[k]);
        break;
      case SqlType::kDate:
        static_cast<NumericBuilder<int32_t>*>(builder.get())->Append(static_cast<int32_t>(v.i[k]));
        break;
      case SqlType::kTimestamp:
        static_cast<NumericBuilder<int64_t>*>(builder.get())->Append(v.i[k]);
        break;
      case SqlType::kString:
        static_cast<StringBuilder*>(builder.get())->Append(v.s[k]);
        break;
      default:
        builder->AppendNull();
    }
  }
  return builder->Finish();
}

}  // namespace

// -----------------------------------------------------------------------------------------

struct SqlQuery::Impl {
  SchemaPtr out;
  SelectStatement statement;
  // Per output column: the input column passed through, or the expression to evaluate.
  struct Output {
    int passthrough = -1;
    const Expr* expr = nullptr;
  };
  std::vector<Output> outputs;
};

SqlQuery::SqlQuery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlQuery::~SqlQuery() = default;
const SchemaPtr& SqlQuery::output_schema() const { return impl_->out; }

Status SqlQuery::CheckSyntax(std::string_view statement) {
  return sql::internal::ParseSelect(statement).status();
}

Result<std::shared_ptr<const SqlQuery>> SqlQuery::Compile(std::string_view statement,
                                                          const Schema& in) {
  auto impl = std::make_unique<Impl>();
  EMBER_ASSIGN_OR_RETURN(impl->statement, sql::internal::ParseSelect(statement));
  if (impl->statement.across_rows) {
    return InvalidArgument(
        "SqlQuery computes each output row from one input row; DISTINCT, GROUP BY, "
        "aggregates, ORDER BY and LIMIT run over a whole frame as SqlPlan (sql/plan.h)");
  }
  std::vector<Field> fields;
  std::set<std::string> names;
  auto add = [&](Field f, Impl::Output o, int pos) -> Status {
    if (!names.insert(f.name).second) {
      return InvalidArgument("duplicate output column '" + f.name + "' at position " +
                             std::to_string(pos) + "; give it another name with AS");
    }
    fields.push_back(std::move(f));
    impl->outputs.push_back(o);
    return Status::OK();
  };
  for (auto& item : impl->statement.items) {
    if (item.star) {
      for (int i = 0; i < in.num_fields(); ++i)
        EMBER_RETURN_IF_ERROR(add(in.field(i), {i, nullptr}, item.pos));
      continue;
    }
    EMBER_RETURN_IF_ERROR(sql::internal::CheckExpr(*item.expr, in));
    const Expr& e = *item.expr;
    const std::string name =
        item.alias.empty() ? (e.kind == Kind::kColumn ? e.name : e.text) : item.alias;
    if (e.kind == Kind::kColumn) {
      Field f = in.field(e.column);
      f.name = name;
      EMBER_RETURN_IF_ERROR(add(std::move(f), {e.column, nullptr}, item.pos));
    } else {
      EMBER_RETURN_IF_ERROR(add(MakeField(name, OutputType(e.type)), {-1, &e}, item.pos));
    }
  }
  if (impl->statement.where) {
    Expr& w = *impl->statement.where;
    EMBER_RETURN_IF_ERROR(sql::internal::CheckExpr(w, in));
    if (w.type != SqlType::kBool && w.type != SqlType::kNull) {
      return TypeError(w.pos, "WHERE needs a boolean condition, found " + Describe(w));
    }
  }
  EMBER_ASSIGN_OR_RETURN(impl->out, Schema::Make(std::move(fields), in.metadata()));
  return std::shared_ptr<const SqlQuery>(new SqlQuery(std::move(impl)));
}

Result<Batch> SqlQuery::Run(const Batch& in) const {
  const Impl& q = *impl_;
  Arena arena;
  Evaluator ev(in, arena);
  Batch source = in;
  if (q.statement.where) {
    Vec cond = ev.Cast(ev.Eval(*q.statement.where), SqlType::kBool);
    std::vector<int64_t> keep;
    for (size_t k = 0; k < cond.size(); ++k) {
      if (cond.valid[k] && cond.b[k]) keep.push_back(static_cast<int64_t>(k));
    }
    if (static_cast<int64_t>(keep.size()) != in.num_rows()) {
      EMBER_ASSIGN_OR_RETURN(source, TakeRows(in, keep));
    }
  }
  Arena arena2;
  Evaluator ev2(source, arena2);
  std::vector<ColumnPtr> cols;
  cols.reserve(q.outputs.size());
  for (size_t k = 0; k < q.outputs.size(); ++k) {
    const auto& o = q.outputs[k];
    if (o.passthrough >= 0) {
      cols.push_back(source.column(o.passthrough));
    } else {
      cols.push_back(ToColumn(ev2.Eval(*o.expr), q.out->field(static_cast<int>(k)).type));
    }
  }
  return Batch::Make(q.out, std::move(cols), source.num_rows());
}

}  // namespace ember
