#include "ember/stages/random_split.h"

#include <random>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"

namespace ember {

Result<std::vector<DataFrame>> RandomSplit(const ExecContext& ctx, const DataFrame& frame,
                                           const std::vector<double>& weights, uint64_t seed) {
  if (weights.empty()) return InvalidArgument("RandomSplit: no weights");
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0)) return InvalidArgument("RandomSplit: weights must be >= 0");
    total += w;
  }
  if (!(total > 0)) return InvalidArgument("RandomSplit: weights sum to zero");
  std::vector<double> bounds;
  double acc = 0;
  for (double w : weights) bounds.push_back(acc += w / total);
  bounds.back() = 1.0;
  const int k = static_cast<int>(weights.size());
  const int rank = ctx.comm ? ctx.comm->rank() : 0;
  std::vector<std::vector<Batch>> parts(k, std::vector<Batch>(frame.num_partitions()));
  auto split = [&](int64_t p) -> Status {
    const Batch& b = frame.partition(static_cast<int>(p));
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                      static_cast<uint32_t>(rank), static_cast<uint32_t>(p)};
    std::mt19937_64 rng(seq);
    std::vector<std::vector<int64_t>> rows(k);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      // 53 random bits, uniform in [0, 1), the same on every platform.
      const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      int part = 0;
      while (part + 1 < k && u >= bounds[part]) ++part;
      rows[part].push_back(r);
    }
    for (int i = 0; i < k; ++i) {
      EMBER_ASSIGN_OR_RETURN(parts[i][p], TakeRows(b, rows[i]));
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(frame.num_partitions(), split, ctx.cancel));
  } else {
    for (int p = 0; p < frame.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(split(p));
  }
  std::vector<DataFrame> out;
  for (int i = 0; i < k; ++i) {
    EMBER_ASSIGN_OR_RETURN(DataFrame f, DataFrame::Make(frame.schema(), std::move(parts[i])));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ember
