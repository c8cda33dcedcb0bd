// SynapseML's EnsembleByKey: averages score columns over the rows that share key values (an
// ensemble of several models' scores for one id). `cols` (numbers or vectors; a vector's
// mean is slot by slot, a dense vector) become `colNames` (default "mean(col)"), nulls
// skipped. With collapseGroup (default) the output is one row per group: the keys, then the
// means (keys with nulls form one group). Without it every input row is kept, joined with its
// group's means (an input column named like an output is replaced; a row with a null key has
// no group, as in Spark's join, and is dropped). A pipeline breaker over every rank of
// ctx.comm, as GroupBy; its kernel averages within one batch (a served request). Immutable
// and thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct EnsembleByKeyParams {
  std::vector<std::string> keys;
  std::vector<std::string> cols;
  std::vector<std::string> col_names;  // empty: "mean(col)" for each
  std::string strategy = "mean";
  bool collapse_group = true;
  std::map<std::string, int32_t> vector_dims;  // SynapseML's hint; checked against the schema
  static const ParamSpec<EnsembleByKeyParams>& Spec();
};

class EnsembleByKey final : public StageBase<EnsembleByKey, Transformer, EnsembleByKeyParams> {
 public:
  static constexpr std::string_view kTypeName = "EnsembleByKey";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
