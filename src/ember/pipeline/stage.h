// The stage interfaces of Ember's pipeline API, after SparkML:
//   Transformer  maps a DataFrame to a DataFrame; binds to an input schema once, giving a
//                BoundTransform kernel that maps batch to batch with no per-call lookups.
//   Estimator    fits on a DataFrame and returns a fitted model (a Transformer).
// Stages are immutable after construction: every method is const and safe to call from
// many threads at once. A kernel that needs state across calls (a network, buffers)
// declares it per thread (StatefulKernel); one that waits or runs long says so (blocking()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

// The per-thread state of one bound kernel: a network, a tokenizer's buffers, a row
// buffer. Made by the kernel the first time a thread runs it, then reused by that thread
// for every partition and request until the kernel is gone. A state is only ever touched by
// the thread that owns it, so it needs no locks.
class KernelState {
 public:
  virtual ~KernelState() = default;
};

class BoundTransform;

// The kernel states of one thread: a thread-pool worker, a serving event loop, or a caller
// running kernels inline. Owned by that thread and never shared. Kernels reach their own
// state, typed, through StatefulKernel::StateOf; the states of kernels that are gone are
// freed when this thread next makes a state, or with the scratch.
class KernelScratch {
 public:
  KernelScratch() = default;
  KernelScratch(const KernelScratch&) = delete;
  KernelScratch& operator=(const KernelScratch&) = delete;

  // The scratch of the calling thread (thread-local; what RunBound and the pools use).
  static KernelScratch& ForThisThread();
  // How many kernel states this scratch holds (kernels still alive or not yet purged).
  size_t num_states() const { return slots_.size(); }

 private:
  template <typename S>
  friend class StatefulKernel;
  // The state of `kernel` on this thread, made by `make` on first use.
  KernelState& StateOf(const BoundTransform& kernel,
                       const std::function<std::unique_ptr<KernelState>()>& make);
  void PurgeStale();

  struct Slot {
    std::weak_ptr<const void> alive;  // expires with the kernel
    std::unique_ptr<KernelState> state;
  };
  std::unordered_map<uint64_t, Slot> slots_;  // by kernel id (never reused, unlike addresses)
};

// A transformer bound to one input schema. Immutable and thread-safe; Apply may be called
// concurrently from threads with their own scratch.
class BoundTransform {
 public:
  BoundTransform();
  virtual ~BoundTransform() = default;
  BoundTransform(const BoundTransform&) = delete;
  BoundTransform& operator=(const BoundTransform&) = delete;

  virtual const SchemaPtr& output_schema() const = 0;
  // Precondition: `in` has the schema this kernel was bound to. Per-row problems become
  // data (error columns) where the stage supports it; a returned error fails the batch.
  // `scratch` is the calling thread's (see KernelScratch).
  virtual Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const = 0;
  // True when Apply waits (a network call) or runs long (milliseconds per row, a deep
  // network's forward pass). Serving runs such kernels on its compute pool and never on an
  // event loop, which must keep answering other connections and /health. Composite kernels
  // (pipelines) block when any part does.
  virtual bool blocking() const { return false; }

  // Unique in the process for its lifetime: how a thread's scratch finds this kernel's state.
  uint64_t kernel_id() const { return id_; }
  // Expires when this kernel is destroyed.
  std::weak_ptr<const void> liveness() const { return alive_; }

 private:
  uint64_t id_;
  std::shared_ptr<const void> alive_;
};

// A kernel with per-thread state of type S (derived from KernelState). MakeState builds a
// thread's state; Run gets it. The state is typed by construction: the slot of this kernel
// in any scratch was made by this kernel's MakeState.
template <typename S>
class StatefulKernel : public BoundTransform {
  static_assert(std::is_base_of_v<KernelState, S>, "a kernel's state derives from KernelState");

 public:
  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const final {
    return Run(in, StateOf(scratch));
  }

 protected:
  // A new state for one thread.
  virtual std::unique_ptr<S> MakeState() const = 0;
  virtual Result<Batch> Run(const Batch& in, S& state) const = 0;
  // This thread's state of this kernel, made on first use.
  S& StateOf(KernelScratch& scratch) const {
    return static_cast<S&>(
        scratch.StateOf(*this, [this]() -> std::unique_ptr<KernelState> { return MakeState(); }));
  }
};

enum class StageKind { kTransformer, kEstimator };

class Stage {
 public:
  virtual ~Stage() = default;
  // The registry name, e.g. "SelectColumns".
  virtual std::string_view type_name() const = 0;
  virtual StageKind kind() const = 0;
  const std::string& uid() const { return uid_; }
  // Every param by its JSON name (what metadata.json stores).
  virtual Json ParamsJson() const = 0;
  // Writes learned state or sub-stages under `stage_dir` (in data/ or stages/). The default
  // writes nothing.
  virtual Status SaveContents(const std::string& stage_dir) const { return Status::OK(); }
  // Extra top-level keys for metadata.json (an object, or null for none).
  virtual Json ExtraMetadata() const { return Json(); }
  // "SelectColumns 'SelectColumns_1a2b'": how messages name this stage.
  std::string Describe() const;

 protected:
  // An empty uid is replaced with a new one; an invalid uid is replaced too (see IsValidUid).
  explicit Stage(std::string uid, std::string_view prefix);

 private:
  std::string uid_;
};

struct RowLowering;

// What an iterative fit did, as SparkML's training summary: the models of estimators that
// iterate to a tolerance (LogisticRegression, LinearRegression) report it, saved with them.
struct TrainingSummary {
  int32_t total_iterations = 0;
  bool converged = false;
  int32_t max_iter = 0;  // the limit the fit ran under
  double tol = 0;        // the relative objective change that counts as converged
  // The objective before the first step, then after each iteration.
  std::vector<double> objective_history;
  // "did not converge in N iterations (objective X, last relative change Y > tol Z)".
  std::string Describe() const;
};

class Transformer : public Stage {
 public:
  StageKind kind() const final { return StageKind::kTransformer; }

  // Resolves columns and checks types against `in`; errors name the stage and the column.
  virtual Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const = 0;
  // The output schema for `in`. The default binds and asks the kernel.
  virtual Result<SchemaPtr> TransformSchema(const Schema& in) const;
  // The default binds once and runs the kernel on every partition in parallel.
  virtual Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const;
  // False for stages that change partitioning or look across partitions (Repartition); such
  // stages override Transform, and their kernel is the identity for one batch.
  virtual bool partition_local() const { return true; }
  // This stage's row-level lowering for input `in` (row_lowering.h), which lets the
  // pipeline fuse it with its neighbours into one loop per row. The default returns
  // Unimplemented; a stage whose settings it cannot lower (handleInvalid 'skip' drops rows)
  // returns FailedPrecondition saying why. Either way the pipeline runs the stage's own
  // kernel.
  virtual Result<RowLowering> Lower(const Schema& in) const;
  // The fit's summary when this model came from an iterative fit (null otherwise, and for
  // models saved before summaries were kept).
  virtual const TrainingSummary* training_summary() const { return nullptr; }
  // A tree model's feature importances, one per slot of its features column: "gain" (the
  // total gain of the splits on the slot) or "split" (how many splits use it). NotFound for
  // a stage that has none; a PipelineModel gives those of its last stage that has them.
  virtual Result<std::vector<double>> FeatureImportances(const std::string& type) const;

 protected:
  using Stage::Stage;
};

class Estimator : public Stage {
 public:
  StageKind kind() const final { return StageKind::kEstimator; }
  // The schema the fitted model will produce from `in`; checks `in` like Fit would.
  virtual Result<SchemaPtr> TransformSchema(const Schema& in) const = 0;
  // Fits on every rank's partitions (SPMD through ctx.comm) and returns the model; every
  // rank gets the same model.
  virtual Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                         const ExecContext& ctx) const = 0;

 protected:
  using Stage::Stage;
};

// Runs `bound` on every partition of `in` in parallel on ctx.pool; the first failing
// partition's error is returned with its index.
Result<DataFrame> RunBound(const BoundTransform& bound, const DataFrame& in,
                           const ExecContext& ctx);

// A BoundTransform built from a function, for stages whose kernel is small.
class FunctionBoundTransform final : public BoundTransform {
 public:
  using Fn = std::function<Result<Batch>(const Batch&)>;
  FunctionBoundTransform(SchemaPtr out, Fn fn) : out_(std::move(out)), fn_(std::move(fn)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  Result<Batch> Apply(const Batch& in, KernelScratch&) const override { return fn_(in); }

 private:
  SchemaPtr out_;
  Fn fn_;
};

// A small kernel from a function with per-thread state S (default-constructed per thread).
template <typename S>
class FunctionStatefulKernel final : public StatefulKernel<S> {
 public:
  using Fn = std::function<Result<Batch>(const Batch&, S&)>;
  FunctionStatefulKernel(SchemaPtr out, Fn fn) : out_(std::move(out)), fn_(std::move(fn)) {}
  const SchemaPtr& output_schema() const override { return out_; }

 protected:
  std::unique_ptr<S> MakeState() const override { return std::make_unique<S>(); }
  Result<Batch> Run(const Batch& in, S& state) const override { return fn_(in, state); }

 private:
  SchemaPtr out_;
  Fn fn_;
};

}  // namespace ember
