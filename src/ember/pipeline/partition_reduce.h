// Folding a distributed DataFrame into a few numbers: the per-partition sums (or minima,
// maxima) that estimators fit from, combined over threads and ranks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <type_traits>
#include <vector>

#include "ember/base/status.h"
#include "ember/core/batch.h"
#include "ember/exec/communicator.h"
#include "ember/exec/exec_context.h"

namespace ember {

// Runs fn(partition, acc) over this rank's partitions on ctx's pool, each partition into an
// accumulator of `width` values that start at `init`; combines them with `op` in partition
// order (the result does not depend on which thread ran what), then over ranks, into *out.
// The first error of fn (by partition) is returned, and nothing is combined.
//
// Each accumulator is an IsolatedVector: partitions next to each other run at the same time
// on different threads, and accumulators sharing a cache line would make every update a
// cache miss on both threads.
// T is double or int64_t.
template <typename T>
Status ReduceOverPartitions(
    const DataFrame& in, const ExecContext& ctx, size_t width, ReduceOp op, T init,
    const std::type_identity_t<std::function<Status(const Batch&, std::span<T> acc)>>& fn,
    std::vector<T>* out);

extern template Status ReduceOverPartitions<double>(
    const DataFrame&, const ExecContext&, size_t, ReduceOp, double,
    const std::function<Status(const Batch&, std::span<double>)>&, std::vector<double>*);
extern template Status ReduceOverPartitions<int64_t>(
    const DataFrame&, const ExecContext&, size_t, ReduceOp, int64_t,
    const std::function<Status(const Batch&, std::span<int64_t>)>&, std::vector<int64_t>*);

}  // namespace ember
