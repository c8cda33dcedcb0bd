// SynapseML's StratifiedRepartition: redistributes rows so that every partition (on every
// rank) holds rows of every label, for learners that need each class on each worker. The
// labels (any scalar column, as StringIndexer reads them; null is a label of its own) are
// resampled by `mode`:
//   - original: every row once;
//   - equal: each label to M = max(the largest label count, the number of partitions) rows,
//     so every partition gets every label;
//   - mixed (default): equal's fractions M / c divided by their mean, so that they average 1:
//     every label gets the same count, M / mean(M / c), smaller than equal's (rare labels
//     grow less, common ones shrink). SynapseML's code divides the counts rather than the
//     fractions, which multiplies the common labels and thins the rare ones; Ember does what
//     its normalisation is named for.
// Sampling is exact and even: a label of c rows that should have n gets row i of it
// floor((i+1)n/c) - floor(in/c) times. The copies of each label are dealt round-robin over
// all partitions of all ranks (in rank, partition and row order), starting at a slot chosen
// by `seed` and the label, so each partition holds floor(n/S) or ceil(n/S) rows of each label
// (S partitions in all); each rank keeps its number of partitions. On one batch (a served
// request, a micro-batch) rows pass unchanged. Immutable and thread-safe.
#pragma once

#include <string>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class StratifyMode { kOriginal, kEqual, kMixed };

struct StratifiedRepartitionParams {
  std::string label_col = "label";
  StratifyMode mode = StratifyMode::kMixed;
  int64_t seed = 0;
  static const ParamSpec<StratifiedRepartitionParams>& Spec();
};

class StratifiedRepartition final
    : public StageBase<StratifiedRepartition, Transformer, StratifiedRepartitionParams> {
 public:
  static constexpr std::string_view kTypeName = "StratifiedRepartition";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
