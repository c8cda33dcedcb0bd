#include "ember/pipeline/stage.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "ember/base/status_macros.h"
#include "ember/base/uid.h"
#include "ember/pipeline/row_lowering.h"

namespace ember {

BoundTransform::BoundTransform() : alive_(std::make_shared<const char>(0)) {
  static std::atomic<uint64_t> next{1};
  id_ = next.fetch_add(1, std::memory_order_relaxed);
}

KernelScratch& KernelScratch::ForThisThread() {
  // Destroyed at thread exit: a pool worker's states go with the pool, the main thread's
  // before static destructors run.
  thread_local KernelScratch scratch;
  return scratch;
}

KernelState& KernelScratch::StateOf(const BoundTransform& kernel,
                                    const std::function<std::unique_ptr<KernelState>()>& make) {
  auto it = slots_.find(kernel.kernel_id());
  if (it != slots_.end()) return *it->second.state;
  PurgeStale();  // making a state is rare: the moment to free those of kernels that are gone
  Slot slot{kernel.liveness(), make()};
  return *slots_.emplace(kernel.kernel_id(), std::move(slot)).first->second.state;
}

void KernelScratch::PurgeStale() {
  std::erase_if(slots_, [](const auto& entry) { return entry.second.alive.expired(); });
}

Stage::Stage(std::string uid, std::string_view prefix)
    : uid_(IsValidUid(uid) ? std::move(uid) : MakeUid(prefix)) {}

std::string Stage::Describe() const { return std::string(type_name()) + " '" + uid_ + "'"; }

Result<SchemaPtr> Transformer::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto bound, Bind(in));
  return bound->output_schema();
}

std::string TrainingSummary::Describe() const {
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return std::string(buf);
  };
  std::string s = (converged ? "converged in " : "did not converge in ") +
                  std::to_string(total_iterations) + " iterations";
  if (!objective_history.empty()) s += " (objective " + num(objective_history.back());
  const size_t n = objective_history.size();
  if (n >= 2) {
    const double a = objective_history[n - 2], b = objective_history[n - 1];
    const double rel = std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1.0});
    s += ", last relative change " + num(rel) +
         (converged   ? ""
          : rel > tol ? " > tol " + num(tol)
                      : " after a step the line search shortened");
  }
  if (!objective_history.empty()) s += ")";
  return s;
}

Result<std::vector<double>> Transformer::FeatureImportances(const std::string&) const {
  return NotFound("stage " + Describe() + " has no feature importances (tree models have them)");
}

Result<RowLowering> Transformer::Lower(const Schema&) const {
  return Unimplemented("stage " + Describe() + " has no row-level lowering");
}

Result<DataFrame> Transformer::Transform(const DataFrame& in, const ExecContext& ctx) const {
  if (!in.schema()) return InvalidArgument(Describe() + ": input frame has no schema");
  Result<std::unique_ptr<BoundTransform>> bound = Bind(*in.schema());
  if (!bound.ok()) return bound.status().WithContext(Describe());
  Result<DataFrame> out = RunBound(**bound, in, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

Result<DataFrame> RunBound(const BoundTransform& bound, const DataFrame& in,
                           const ExecContext& ctx) {
  std::vector<Batch> out(in.num_partitions());
  auto run_one = [&](int64_t i) -> Status {
    // The worker's own scratch: kernel states live across partitions (and transforms).
    Result<Batch> b =
        bound.Apply(in.partition(static_cast<int>(i)), KernelScratch::ForThisThread());
    if (!b.ok()) return b.status().WithContext("partition " + std::to_string(i));
    if (ctx.progress != nullptr)
      ctx.progress->AddRows(in.partition(static_cast<int>(i)).num_rows());
    out[i] = std::move(*b);
    return Status::OK();
  };
  if (ctx.pool != nullptr) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), run_one, ctx.cancel));
  } else {
    for (int i = 0; i < in.num_partitions(); ++i) EMBER_RETURN_IF_ERROR(run_one(i));
  }
  return DataFrame::Make(bound.output_schema(), std::move(out));
}

}  // namespace ember
