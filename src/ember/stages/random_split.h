// RandomSplit: splits a frame's rows at random into parts with the given relative weights,
// as SparkML's randomSplit. Each row draws one uniform number from a generator seeded by
// (seed, rank, partition index), so a split is reproducible for the same seed and
// partitioning, and the parts are disjoint and cover every row. Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

// InvalidArgument if a weight is negative or all are zero. Part k gets about
// weights[k] / sum(weights) of the rows.
Result<std::vector<DataFrame>> RandomSplit(const ExecContext& ctx, const DataFrame& frame,
                                           const std::vector<double>& weights, uint64_t seed);

}  // namespace ember
