// The stage interfaces of Ember's pipeline API, after SparkML:
//   Transformer  maps a DataFrame to a DataFrame; binds to an input schema once, giving a
//                BoundTransform kernel that maps batch to batch with no per-call lookups.
//   Estimator    fits on a DataFrame and returns a fitted model (a Transformer).
// Stages are immutable after construction: every method is const and safe to call from
// many threads at once. Per-call state lives in the caller's KernelScratch.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ember/base/json.h"
#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

// Per-thread reusable memory for kernels, keyed by the kernel that owns each slot. One
// scratch per thread; never shared. Lets hot paths (serving) avoid re-allocating buffers.
class KernelScratch {
 public:
  template <typename T>
  T& Get(const void* owner) {
    auto& slot = slots_[owner];
    if (!slot) slot = std::make_unique<Holder<T>>();
    return static_cast<Holder<T>*>(slot.get())->value;
  }

 private:
  struct Base {
    virtual ~Base() = default;
  };
  template <typename T>
  struct Holder final : Base {
    T value{};
  };
  std::unordered_map<const void*, std::unique_ptr<Base>> slots_;
};

// A transformer bound to one input schema. Immutable and thread-safe; Apply may be called
// concurrently with different scratch objects.
class BoundTransform {
 public:
  virtual ~BoundTransform() = default;
  virtual const SchemaPtr& output_schema() const = 0;
  // Precondition: `in` has the schema this kernel was bound to. Per-row problems become
  // data (error columns) where the stage supports it; a returned error fails the batch.
  virtual Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const = 0;
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
  using Fn = std::function<Result<Batch>(const Batch&, KernelScratch&)>;
  FunctionBoundTransform(SchemaPtr out, Fn fn) : out_(std::move(out)), fn_(std::move(fn)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    return fn_(in, scratch);
  }

 private:
  SchemaPtr out_;
  Fn fn_;
};

}  // namespace ember
