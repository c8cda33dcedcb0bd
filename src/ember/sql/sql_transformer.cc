#include "ember/sql/sql_transformer.h"

#include "ember/base/status_macros.h"
#include "ember/sql/data_conversion.h"
#include "ember/sql/plan.h"
#include "ember/sql/query.h"

namespace ember {

const ParamSpec<SqlTransformerParams>& SqlTransformerParams::Spec() {
  using P = SqlTransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("SqlTransformer")
          .Add("statement", &P::statement,
               "SELECT [DISTINCT] expr [AS name], ... FROM __THIS__ [WHERE cond] [GROUP BY ...] "
               "[HAVING cond] [ORDER BY ...] [LIMIT n]; see docs/sql.md for the dialect.",
               Validator<std::string>{[](const std::string& s) { return SqlQuery::CheckSyntax(s); },
                                      "a valid SELECT ... FROM __THIS__ statement"}));
  return spec;
}

SqlTransformer::SqlTransformer(Params p, std::string uid)
    : StageBase(std::move(p), std::move(uid)),
      across_rows_(SqlPlan::AcrossRows(params_.statement)) {}

bool SqlTransformer::partition_local() const { return !across_rows_; }

Result<DataFrame> SqlTransformer::Transform(const DataFrame& in, const ExecContext& ctx) const {
  if (!across_rows_) return Transformer::Transform(in, ctx);
  Result<std::shared_ptr<const SqlPlan>> plan = SqlPlan::Compile(params_.statement, *in.schema());
  if (!plan.ok()) return plan.status().WithContext("SqlTransformer param 'statement'");
  return (*plan)->Run(in, ctx);
}

Result<std::unique_ptr<BoundTransform>> SqlTransformer::Bind(const Schema& in) const {
  if (across_rows_) {
    // A statement across rows, on one batch (a request when serving): its rows alone.
    Result<std::shared_ptr<const SqlPlan>> p = SqlPlan::Compile(params_.statement, in);
    if (!p.ok()) return p.status().WithContext("SqlTransformer param 'statement'");
    std::shared_ptr<const SqlPlan> plan = std::move(p).value();
    return std::unique_ptr<BoundTransform>(
        new FunctionBoundTransform(plan->output_schema(), [plan](const Batch& b) -> Result<Batch> {
          EMBER_ASSIGN_OR_RETURN(DataFrame out,
                                 plan->Run(DataFrame::FromBatch(b), ExecContext::Local()));
          return out.Collect();
        }));
  }
  Result<std::shared_ptr<const SqlQuery>> q = SqlQuery::Compile(params_.statement, in);
  if (!q.ok()) return q.status().WithContext("SqlTransformer param 'statement'");
  std::shared_ptr<const SqlQuery> query = std::move(q).value();
  const SchemaPtr out = query->output_schema();
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [query](const Batch& b) { return query->Run(b); }));
}

Status RegisterSqlStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<DataConversion>(
      r, "Converts columns to another type in place (SynapseML's DataConversion)."));
  return RegisterStage<SqlTransformer>(
      r, "Selects, computes and filters columns with a SQL SELECT statement.");
}

}  // namespace ember
