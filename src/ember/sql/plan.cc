// The plan of a SELECT across rows: the statement is taken apart into row-local SqlQuery
// statements (written from the source text of its expressions) around frame operations.
#include "ember/sql/plan.h"

#include <algorithm>
#include <map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/frame/frame_ops.h"
#include "ember/sql/internal/ast.h"
#include "ember/sql/query.h"

namespace ember {

using sql::internal::Expr;
using sql::internal::IsAggregate;
using sql::internal::SelectStatement;
using Kind = Expr::Kind;

namespace {

// `name` as a quoted identifier.
std::string Quote(const std::string& name) {
  std::string q = "`";
  for (char c : name) q += c == '`' ? std::string("``") : std::string(1, c);
  return q + "`";
}

std::string Pos(int pos) { return "position " + std::to_string(pos); }

// One partition at a time through a row-local query.
Result<DataFrame> RunQuery(const SqlQuery& q, const DataFrame& in, const ExecContext& ctx) {
  std::vector<Batch> out(static_cast<size_t>(in.num_partitions()));
  auto run = [&](int64_t p) -> Status {
    EMBER_ASSIGN_OR_RETURN(out[static_cast<size_t>(p)], q.Run(in.partition(static_cast<int>(p))));
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), run, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(run(p));
  }
  return DataFrame::Make(q.output_schema(), std::move(out));
}

struct AggregateCall {
  std::string text;  // the call's source text (calls of the same text are computed once)
  frame::Aggregate::Kind kind;
  bool star = false;  // count(*)
  int pos = 0;
};

frame::Aggregate::Kind KindOf(const std::string& name) {
  if (name == "count") return frame::Aggregate::Kind::kCount;
  if (name == "sum") return frame::Aggregate::Kind::kSum;
  if (name == "min") return frame::Aggregate::Kind::kMin;
  if (name == "max") return frame::Aggregate::Kind::kMax;
  return frame::Aggregate::Kind::kMean;  // avg, mean
}

// Rewrites expressions over the input into expressions over the groups: an aggregate call
// becomes its column, a GROUP BY expression its key column.
class GroupRewriter {
 public:
  GroupRewriter(const std::vector<std::unique_ptr<Expr>>& keys, std::vector<AggregateCall>* calls)
      : keys_(keys), calls_(calls) {}

  // Collects the aggregate calls of `e` (every one before Rewrite is called).
  Status Collect(const Expr& e) {
    if (IsAggregate(e)) {
      const bool star = e.op == "*";
      if ((star && !e.args.empty()) || (!star && e.args.size() != 1)) {
        return InvalidArgument(e.name + "() at " + Pos(e.pos) + " takes one argument" +
                               (e.name == "count" ? " or *" : ""));
      }
      if (std::none_of(calls_->begin(), calls_->end(),
                       [&](const AggregateCall& c) { return c.text == e.text; })) {
        calls_->push_back({e.text, KindOf(e.name), star, e.pos});
      }
      return Status::OK();  // an aggregate inside is the checker's error, in the pre query
    }
    for (const auto& a : e.args) EMBER_RETURN_IF_ERROR(Collect(*a));
    return Status::OK();
  }

  // The SELECT list's aliases, which HAVING may name (`HAVING n > 5` for `count(*) AS n`), as
  // SQLite and Spark allow; a grouped column of the same name wins.
  void SetAliases(std::map<std::string, const Expr*> aliases) { aliases_ = std::move(aliases); }

  Result<std::string> Rewrite(const Expr& e, const std::vector<std::string>& agg_sql) const {
    if (IsAggregate(e)) {
      for (size_t j = 0; j < calls_->size(); ++j) {
        if ((*calls_)[j].text == e.text) return agg_sql[j];
      }
      return Internal("an aggregate call was not collected: " + e.text);
    }
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (SameExpr(*keys_[i], e)) return Quote("__group" + std::to_string(i));
    }
    if (e.kind == Kind::kColumn && aliases_.count(e.name)) {
      GroupRewriter items(keys_, calls_);  // without aliases: an item cannot name another
      EMBER_ASSIGN_OR_RETURN(std::string item, items.Rewrite(*aliases_.at(e.name), agg_sql));
      return "(" + item + ")";
    }
    if (e.kind == Kind::kColumn) {
      return InvalidArgument("column '" + e.name + "' at " + Pos(e.pos) +
                             " must be in GROUP BY or inside an aggregate function");
    }
    // The expression's text with each argument's span rewritten (in parentheses).
    std::string out;
    size_t at = 0;
    for (const auto& a : e.args) {
      const int offset = a->pos - e.pos;
      if (offset < 0 || static_cast<size_t>(offset) < at ||
          static_cast<size_t>(offset) + a->text.size() > e.text.size()) {
        return InvalidArgument("the expression at " + Pos(e.pos) +
                               " cannot be computed over groups");
      }
      EMBER_ASSIGN_OR_RETURN(std::string inner, Rewrite(*a, agg_sql));
      out += e.text.substr(at, static_cast<size_t>(offset) - at) + "(" + inner + ")";
      at = static_cast<size_t>(offset) + a->text.size();
    }
    return out + e.text.substr(at);
  }

 private:
  // The same expression: the same column, or the same source text.
  static bool SameExpr(const Expr& key, const Expr& e) {
    if (key.kind == Kind::kColumn && e.kind == Kind::kColumn) return key.name == e.name;
    return key.text == e.text;
  }

  const std::vector<std::unique_ptr<Expr>>& keys_;
  std::vector<AggregateCall>* calls_;
  std::map<std::string, const Expr*> aliases_;
};

}  // namespace

struct SqlPlan::Impl {
  std::shared_ptr<const SqlQuery> pre;  // WHERE, then the output (or keys and arguments)
  bool grouped = false;
  bool global = false;  // aggregates with no GROUP BY: one group, one row even of no rows
  std::vector<std::string> keys;
  std::vector<frame::Aggregate> aggregates;
  std::shared_ptr<const SqlQuery> post;  // over the groups: the output and HAVING
  bool distinct = false;
  std::vector<std::string> visible;  // the output columns (hidden sort keys follow them)
  std::vector<frame::SortKey> order;
  int64_t limit = -1;
  SchemaPtr out;
};

SqlPlan::SqlPlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqlPlan::~SqlPlan() = default;
const SchemaPtr& SqlPlan::output_schema() const { return impl_->out; }

bool SqlPlan::AcrossRows(std::string_view statement) {
  Result<SelectStatement> st = sql::internal::ParseSelect(statement);
  return st.ok() && st->across_rows;
}

Result<std::shared_ptr<const SqlPlan>> SqlPlan::Compile(std::string_view statement,
                                                        const Schema& in) {
  EMBER_ASSIGN_OR_RETURN(SelectStatement st, sql::internal::ParseSelect(statement));
  auto impl = std::make_unique<Impl>();
  impl->distinct = st.distinct;
  impl->limit = st.limit;
  std::vector<AggregateCall> calls;
  GroupRewriter groups(st.group_by, &calls);
  for (const auto& item : st.items) {
    if (item.expr) EMBER_RETURN_IF_ERROR(groups.Collect(*item.expr));
  }
  if (st.having) EMBER_RETURN_IF_ERROR(groups.Collect(*st.having));
  for (const auto& o : st.order_by) EMBER_RETURN_IF_ERROR(groups.Collect(*o.expr));
  impl->grouped = !st.group_by.empty() || !calls.empty() || st.having;
  impl->global = impl->grouped && st.group_by.empty();

  // The output columns' names, as SqlQuery names them.
  std::vector<std::string> names;
  for (const auto& item : st.items) {
    if (item.star) {
      if (impl->grouped) {
        return InvalidArgument("SELECT * at " + Pos(item.pos) +
                               " cannot be grouped; list the GROUP BY columns and aggregates");
      }
      for (const Field& f : in.fields()) names.push_back(f.name);
    } else if (!item.alias.empty()) {
      names.push_back(item.alias);
    } else {
      names.push_back(item.expr->kind == Kind::kColumn ? item.expr->name : item.expr->text);
    }
  }
  impl->visible = names;

  // ORDER BY: an output column (by position or name), else a hidden column computed beside
  // the output.
  std::vector<std::pair<std::string, const Expr*>> hidden;  // name, expression
  for (size_t i = 0; i < st.order_by.size(); ++i) {
    const Expr& e = *st.order_by[i].expr;
    std::string column;
    if (e.kind == Kind::kLiteral && e.lit_type == sql::internal::SqlType::kInt) {
      if (e.lit_int < 1 || e.lit_int > static_cast<int64_t>(names.size())) {
        return InvalidArgument("ORDER BY " + std::to_string(e.lit_int) + " at " + Pos(e.pos) +
                               ": the SELECT list has " + std::to_string(names.size()) +
                               " columns");
      }
      column = names[static_cast<size_t>(e.lit_int - 1)];
    } else if (e.kind == Kind::kColumn &&
               std::find(names.begin(), names.end(), e.name) != names.end()) {
      column = e.name;
    } else if (st.distinct) {
      return InvalidArgument("ORDER BY at " + Pos(e.pos) +
                             ": with SELECT DISTINCT, order by columns of the SELECT list");
    } else {
      column = "__order" + std::to_string(i);
      hidden.emplace_back(column, &e);
    }
    impl->order.push_back({column, !st.order_by[i].descending});
  }
  const std::string where = st.where ? " WHERE " + st.where->text : "";

  if (!impl->grouped) {
    std::string sql = "SELECT ";
    size_t n = 0;
    for (size_t i = 0; i < st.items.size(); ++i) {
      const auto& item = st.items[i];
      if (i) sql += ", ";
      if (item.star) {
        sql += "*";
        n += static_cast<size_t>(in.num_fields());
      } else {
        sql += item.expr->text + " AS " + Quote(names[n++]);
      }
    }
    for (const auto& [name, e] : hidden) sql += ", " + e->text + " AS " + Quote(name);
    sql += " FROM __THIS__" + where;
    Result<std::shared_ptr<const SqlQuery>> pre = SqlQuery::Compile(sql, in);
    if (!pre.ok()) return pre.status();
    impl->pre = std::move(*pre);
  } else {
    // Before grouping: the keys and the aggregates' arguments. The groups hold numbers, so
    // the min or max of a date or timestamp is taken of its days or microseconds (`wrap`).
    std::vector<std::string> wrap(calls.size());
    auto compile_pre = [&]() -> Status {
      std::string sql = "SELECT ";
      std::vector<std::string> cols;
      for (size_t i = 0; i < st.group_by.size(); ++i)
        cols.push_back(st.group_by[i]->text + " AS " + Quote("__group" + std::to_string(i)));
      if (impl->global) cols.push_back("0 AS " + Quote("__group0"));
      for (size_t j = 0; j < calls.size(); ++j) {
        if (calls[j].star) continue;
        // The argument's text: the call's text from its opening parenthesis.
        const std::string& t = calls[j].text;
        const size_t open = t.find('(');
        std::string arg = t.substr(open + 1, t.rfind(')') - open - 1);
        if (!wrap[j].empty()) arg = wrap[j] + "(" + arg + ")";
        cols.push_back(arg + " AS " + Quote("__arg" + std::to_string(j)));
      }
      for (size_t i = 0; i < cols.size(); ++i) sql += (i ? ", " : "") + cols[i];
      sql += " FROM __THIS__" + where;
      Result<std::shared_ptr<const SqlQuery>> pre = SqlQuery::Compile(sql, in);
      if (!pre.ok()) return pre.status();
      impl->pre = std::move(*pre);
      return Status::OK();
    };
    EMBER_RETURN_IF_ERROR(compile_pre());
    std::vector<std::string> unwrap(calls.size());
    for (size_t j = 0; j < calls.size(); ++j) {
      if (calls[j].star || (calls[j].kind != frame::Aggregate::Kind::kMin &&
                            calls[j].kind != frame::Aggregate::Kind::kMax))
        continue;
      const Schema& ps = *impl->pre->output_schema();
      const TypeId id = ps.field(ps.FindField("__arg" + std::to_string(j))).type->id();
      if (id == TypeId::kDate) {
        wrap[j] = "unix_date";
        unwrap[j] = "date_from_unix_date";
      } else if (id == TypeId::kTimestamp) {
        wrap[j] = "unix_micros";
        unwrap[j] = "timestamp_micros";
      }
    }
    if (std::any_of(wrap.begin(), wrap.end(), [](const std::string& w) { return !w.empty(); }))
      EMBER_RETURN_IF_ERROR(compile_pre());
    const Schema& ps = *impl->pre->output_schema();
    const size_t num_keys = impl->global ? 1 : st.group_by.size();
    for (size_t i = 0; i < num_keys; ++i) impl->keys.push_back("__group" + std::to_string(i));
    std::vector<std::string> agg_sql;
    for (size_t j = 0; j < calls.size(); ++j) {
      const std::string out = "__agg" + std::to_string(j);
      frame::Aggregate a{calls[j].kind, calls[j].star ? "" : "__arg" + std::to_string(j), out};
      std::string ref = Quote(out);
      if (!calls[j].star) {
        const DataType& t = *ps.field(ps.FindField(a.column)).type;
        const bool numeric = t.is_numeric() || t.id() == TypeId::kBool;
        if (a.kind != frame::Aggregate::Kind::kCount && !numeric) {
          return InvalidArgument(
              calls[j].text + " at " + Pos(calls[j].pos) + " needs a " +
              (a.kind == frame::Aggregate::Kind::kSum || a.kind == frame::Aggregate::Kind::kMean
                   ? "numeric argument"
                   : "number, date or timestamp") +
              ", found " + t.ToString());
        }
        // sum, min and max of integers stay integers (as in SQL); the groups hold doubles.
        const bool integer =
            t.id() == TypeId::kInt64 || t.id() == TypeId::kInt32 || t.id() == TypeId::kBool;
        if (integer &&
            (a.kind == frame::Aggregate::Kind::kSum || a.kind == frame::Aggregate::Kind::kMin ||
             a.kind == frame::Aggregate::Kind::kMax)) {
          ref = "CAST(" + ref + " AS BIGINT)";
        }
        if (!unwrap[j].empty()) ref = unwrap[j] + "(" + ref + ")";
      }
      impl->aggregates.push_back(std::move(a));
      agg_sql.push_back(std::move(ref));
    }
    // The groups' schema, from grouping no rows.
    EMBER_ASSIGN_OR_RETURN(DataFrame none, DataFrame::Make(impl->pre->output_schema(), {}));
    EMBER_ASSIGN_OR_RETURN(DataFrame grouped, frame::GroupBy(none, impl->keys, impl->aggregates,
                                                             ExecContext::Local()));
    // After grouping: the SELECT list (and hidden sort keys) over the groups, HAVING.
    std::string post = "SELECT ";
    for (size_t i = 0; i < st.items.size(); ++i) {
      EMBER_ASSIGN_OR_RETURN(std::string e, groups.Rewrite(*st.items[i].expr, agg_sql));
      post += (i ? ", " : "") + e + " AS " + Quote(names[i]);
    }
    for (const auto& [name, e] : hidden) {
      EMBER_ASSIGN_OR_RETURN(std::string r, groups.Rewrite(*e, agg_sql));
      post += ", " + r + " AS " + Quote(name);
    }
    post += " FROM __THIS__";
    if (st.having) {
      std::map<std::string, const Expr*> aliases;
      for (const auto& item : st.items) {
        if (!item.alias.empty()) aliases.emplace(item.alias, item.expr.get());
      }
      groups.SetAliases(std::move(aliases));
      EMBER_ASSIGN_OR_RETURN(std::string h, groups.Rewrite(*st.having, agg_sql));
      post += " WHERE " + h;
    }
    Result<std::shared_ptr<const SqlQuery>> q = SqlQuery::Compile(post, *grouped.schema());
    if (!q.ok()) {
      return InvalidArgument("over the groups (the SELECT list and HAVING, as " + post +
                             "): " + q.status().message());
    }
    impl->post = std::move(*q);
  }
  const SchemaPtr& last = impl->grouped ? impl->post->output_schema() : impl->pre->output_schema();
  std::vector<Field> fields;
  for (const std::string& name : impl->visible)
    fields.push_back(last->field(last->FindField(name)));
  EMBER_ASSIGN_OR_RETURN(impl->out, Schema::Make(std::move(fields), in.metadata()));
  return std::shared_ptr<const SqlPlan>(new SqlPlan(std::move(impl)));
}

Result<DataFrame> SqlPlan::Run(const DataFrame& in, const ExecContext& ctx) const {
  const Impl& p = *impl_;
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, RunQuery(*p.pre, in, ctx));
  if (p.grouped) {
    EMBER_ASSIGN_OR_RETURN(DataFrame groups, frame::GroupBy(frame, p.keys, p.aggregates, ctx));
    if (p.global) {
      // SQL gives one row of aggregates even over no rows (count 0, the others null).
      int64_t rows = groups.num_rows();
      if (ctx.comm && ctx.comm->size() > 1) {
        EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<int64_t>(&rows, 1), ReduceOp::kSum,
                                                  Deadline::In(frame::kExchangeTimeout)));
      }
      const bool root = ctx.comm == nullptr || ctx.comm->rank() == 0;
      if (rows == 0 && root) {
        std::vector<ColumnPtr> cols;
        for (const Field& f : groups.schema()->fields()) {
          std::unique_ptr<ColumnBuilder> b = MakeBuilder(f.type);
          if (f.type->id() == TypeId::kInt64) {
            static_cast<NumericBuilder<int64_t>*>(b.get())->Append(0);
          } else {
            b->AppendNull();
          }
          cols.push_back(b->Finish());
        }
        EMBER_ASSIGN_OR_RETURN(Batch one, Batch::Make(groups.schema(), std::move(cols), 1));
        groups = DataFrame::FromBatch(std::move(one));
      }
    }
    EMBER_ASSIGN_OR_RETURN(frame, RunQuery(*p.post, groups, ctx));
  }
  if (p.distinct) {
    EMBER_ASSIGN_OR_RETURN(frame, frame::Distinct(frame, p.visible, ctx));
  }
  if (!p.order.empty()) {
    EMBER_ASSIGN_OR_RETURN(frame, frame::SortBy(frame, p.order, ctx));
  }
  if (p.limit >= 0) {
    EMBER_ASSIGN_OR_RETURN(frame, frame::Limit(frame, p.limit, ctx));
  }
  // The output columns, without the hidden sort keys.
  std::vector<int> cols;
  for (const std::string& name : p.visible) cols.push_back(frame.schema()->FindField(name));
  std::vector<Batch> parts;
  for (const Batch& b : frame.partitions()) {
    std::vector<ColumnPtr> c;
    for (int i : cols) c.push_back(b.column(i));
    EMBER_ASSIGN_OR_RETURN(Batch out, Batch::Make(p.out, std::move(c), b.num_rows()));
    parts.push_back(std::move(out));
  }
  return DataFrame::Make(p.out, std::move(parts));
}

}  // namespace ember
