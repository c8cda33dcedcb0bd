#include "ember/sql/sql_transformer.h"

#include "ember/base/status_macros.h"
#include "ember/sql/query.h"

namespace ember {

const ParamSpec<SqlTransformerParams>& SqlTransformerParams::Spec() {
  using P = SqlTransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("SqlTransformer")
          .Add("statement", &P::statement,
               "SELECT expr [AS name], ... FROM __THIS__ [WHERE cond]; see docs/sql.md for the "
               "dialect.",
               Validator<std::string>{[](const std::string& s) { return SqlQuery::CheckSyntax(s); },
                                      "a valid SELECT ... FROM __THIS__ statement"}));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> SqlTransformer::Bind(const Schema& in) const {
  Result<std::shared_ptr<const SqlQuery>> q = SqlQuery::Compile(params_.statement, in);
  if (!q.ok()) return q.status().WithContext("SqlTransformer param 'statement'");
  std::shared_ptr<const SqlQuery> query = std::move(q).value();
  const SchemaPtr out = query->output_schema();
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [query](const Batch& b) { return query->Run(b); }));
}

Status RegisterSqlStages(StageRegistry* r) {
  return RegisterStage<SqlTransformer>(
      r, "Selects, computes and filters columns with a SQL SELECT statement.");
}

}  // namespace ember
