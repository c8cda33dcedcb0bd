#include "ember/pipeline/partition_reduce.h"

#include <algorithm>
#include <chrono>

#include "ember/base/memory.h"
#include "ember/base/status_macros.h"

namespace ember {

template <typename T>
Status ReduceOverPartitions(
    const DataFrame& in, const ExecContext& ctx, size_t width, ReduceOp op, T init,
    const std::type_identity_t<std::function<Status(const Batch&, std::span<T> acc)>>& fn,
    std::vector<T>* out) {
  std::vector<IsolatedVector<T>> parts(in.num_partitions(), IsolatedVector<T>(width, init));
  auto run = [&](int64_t p) {
    return fn(in.partition(static_cast<int>(p)), std::span<T>(parts[p]));
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), run, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(run(p));
  }
  out->assign(width, init);
  for (const auto& part : parts) {
    for (size_t k = 0; k < width; ++k) {
      switch (op) {
        case ReduceOp::kSum:
          (*out)[k] += part[k];
          break;
        case ReduceOp::kMin:
          (*out)[k] = std::min((*out)[k], part[k]);
          break;
        case ReduceOp::kMax:
          (*out)[k] = std::max((*out)[k], part[k]);
          break;
      }
    }
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    // The communicator caps the wait with its own timeout (a dead rank fails the job).
    EMBER_RETURN_IF_ERROR(
        ctx.comm->AllReduce(std::span<T>(*out), op, Deadline::In(std::chrono::minutes(30))));
  }
  return Status::OK();
}

template Status ReduceOverPartitions<double>(
    const DataFrame&, const ExecContext&, size_t, ReduceOp, double,
    const std::function<Status(const Batch&, std::span<double>)>&, std::vector<double>*);
template Status ReduceOverPartitions<int64_t>(
    const DataFrame&, const ExecContext&, size_t, ReduceOp, int64_t,
    const std::function<Status(const Batch&, std::span<int64_t>)>&, std::vector<int64_t>*);

}  // namespace ember
