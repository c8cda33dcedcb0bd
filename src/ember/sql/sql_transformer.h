// SqlTransformer: SparkML's SQLTransformer. Its one param, `statement`, is a
// `SELECT ... FROM __THIS__ [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ...] [LIMIT n]`
// over the input frame (see query.h, plan.h and docs/sql.md); it is parsed when the stage is
// made and type-checked when it is bound to a schema. A row-by-row statement runs partition
// by partition (rows filtered by WHERE are dropped); one across rows runs over the frame on
// every rank. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct SqlTransformerParams {
  std::string statement;
  static const ParamSpec<SqlTransformerParams>& Spec();
};

class SqlTransformer final : public StageBase<SqlTransformer, Transformer, SqlTransformerParams> {
 public:
  static constexpr std::string_view kTypeName = "SqlTransformer";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // A statement that looks across rows (DISTINCT, GROUP BY, aggregates, ORDER BY, LIMIT)
  // runs over the whole frame (sql/plan.h) and is not partition-local; its kernel applies it
  // to one batch alone (a served request's rows).
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override;

 private:
  friend StageBase;
  SqlTransformer(Params p, std::string uid);
  bool across_rows_;  // the statement needs a plan over the whole frame (parsed once)
};

Status RegisterSqlStages(StageRegistry* registry);

}  // namespace ember
