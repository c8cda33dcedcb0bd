// SqlTransformer: SparkML's SQLTransformer. Its one param, `statement`, is a
// `SELECT ... FROM __THIS__ [WHERE ...]` over the input frame (see query.h and docs/sql.md);
// it is parsed when the stage is made and type-checked when it is bound to a schema, then
// runs partition by partition (rows filtered by WHERE are dropped). Immutable and
// thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember {

struct SqlTransformerParams {
  std::string statement;
  static const ParamSpec<SqlTransformerParams>& Spec();
};

class SqlTransformer final : public Transformer {
 public:
  using Params = SqlTransformerParams;
  static constexpr std::string_view kTypeName = "SqlTransformer";
  static Result<std::shared_ptr<const SqlTransformer>> Make(Params params, std::string uid = {});
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  SqlTransformer(Params p, std::string uid)
      : Transformer(std::move(uid), kTypeName), params_(std::move(p)) {}
  Params params_;
};

Status RegisterSqlStages(StageRegistry* registry);

}  // namespace ember
