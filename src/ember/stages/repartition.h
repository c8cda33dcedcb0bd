// Repartition: redistributes the rows of a frame into `n` partitions of near-equal size,
// keeping row order. Partition counts set the parallelism of later stages. On one batch
// (streaming, serving) it is the identity. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct RepartitionParams {
  int32_t n = 1;
  bool disable = false;
  static const ParamSpec<RepartitionParams>& Spec();
};

class Repartition final : public StageBase<Repartition, Transformer, RepartitionParams> {
 public:
  static constexpr std::string_view kTypeName = "Repartition";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Row order is kept: partition k holds rows [k*N/n, (k+1)*N/n) of this rank's rows.
  // Partitions are zero-copy slices where a new partition lies within an old one.
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return params_.disable; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// Splits `in` into `n` partitions of near-equal size in row order.
Result<DataFrame> SplitEvenly(const DataFrame& in, int n);

}  // namespace ember
