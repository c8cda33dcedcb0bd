// The compiled kernels of pipeline/fusion.h (internal to pipeline/): what a run of lowered
// stages computes, in one loop per row over the run's input columns. fusion.cc resolves the
// run's columns into Symbols; compiled_linear.cc and compiled_trees.cc compile the run's
// model over them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/base/string_lookup.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/stage.h"

namespace ember::pipeline::internal {

// What a column of the pipeline is, in terms of the run's input columns.
struct Symbol {
  enum Kind : uint8_t { kInput, kIndex, kOneHot, kVector } kind = kInput;
  int input = -1;  // the request column it comes from (kInput, kIndex, kOneHot)
  // kIndex and kOneHot: the string indexer's lookup; `unknown` is the index of an unseen
  // value under handleInvalid "keep", -1 when unseen values are an error.
  const StringLookup* lookup = nullptr;
  int64_t unknown = -1;
  // kOneHot: categories, the invalid category under "keep" (-1: an error), vector width.
  int64_t categories = 0;
  int64_t invalid = -1;
  int64_t width = 0;
  // kVector: the assembled parts (symbols of the assembler's inputs) and their offsets,
  // the scaler's per-slot factors (empty: not scaled), and whether the assembled vector is
  // sparse (it has a one-hot part; numeric zeros are then not stored).
  std::vector<Symbol> parts;
  std::vector<int64_t> offsets;
  std::vector<double> scale;
  bool sparse = false;
};

// One part of the feature vector as the compiled loops read it.
struct Part {
  enum Kind : uint8_t { kCategory, kFloat64, kFloat32, kInt32, kInt64 } kind;
  int input;
  int64_t offset;
  const StringLookup* lookup;
  int64_t unknown, categories, invalid, width;
  // Linear models, kCategory: the margins' increments of category c at
  // contrib[c * rows .. c * rows + rows).
  std::vector<double> contrib;

  // The one-hot slot (relative to `offset`) of `value`: -1 when the value is one the
  // stages' kernels must handle (unseen or invalid under "error"), `width` or more for the
  // dropped last category (no entry).
  int64_t Category(std::string_view value) const {
    int64_t cat = lookup->Find(value);
    if (cat < 0) {
      if (unknown < 0) return -1;
      cat = unknown;
    }
    if (cat >= categories) {
      if (invalid < 0) return -1;
      cat = invalid;
    }
    return cat;
  }

  // Row r of a numeric part's column, as a double (as the assembler reads it).
  double Number(const Column& col, int64_t r) const {
    switch (kind) {
      case kFloat64:
        return col.Values<double>()[r];
      case kFloat32:
        return col.Values<float>()[r];
      case kInt32:
        return col.Values<int32_t>()[r];
      default:
        return static_cast<double>(col.Values<int64_t>()[r]);
    }
  }
};

// The parts of an assembled vector, in slot order, over the input schema.
std::vector<Part> MakeParts(const Symbol& features, const Schema& input);

// Where a reply column comes from: an output of the model, or a request column.
struct ReplySource {
  enum Kind : uint8_t { kRaw, kProbability, kPrediction, kInput } kind;
  int input = -1;
};

// A compiled run's kernel: the run's kept columns (`reply`, in the stages' order) computed
// in one loop, and the stages' own kernel (`general`) for batches the loop does not cover.
class CompiledRun : public BoundTransform {
 public:
  CompiledRun(std::unique_ptr<BoundTransform> general, std::vector<ReplySource> reply)
      : general_(std::move(general)), reply_(std::move(reply)) {
    for (const ReplySource& s : reply_) {
      if (s.kind != ReplySource::kInput) needs_[s.kind] = true;
    }
  }
  const SchemaPtr& output_schema() const override { return general_->output_schema(); }
  bool blocking() const override { return general_->blocking(); }
  // The batches handed to the stages' kernel.
  int64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

 protected:
  Result<Batch> Fallback(const Batch& in, KernelScratch& scratch) const {
    fallbacks_.fetch_add(1, std::memory_order_relaxed);
    return general_->Apply(in, scratch);
  }
  // Whether the reply has output `kind` (kRaw, kProbability, kPrediction): a kernel builds
  // only those columns (a served request should not pay for the others).
  bool needs(ReplySource::Kind kind) const { return needs_[kind]; }
  // The reply batch: the model's outputs (raw, probability, prediction; null where not
  // needed) and the kept input columns.
  Result<Batch> Reply(const Batch& in, const ColumnPtr (&made)[3]) const {
    std::vector<ColumnPtr> cols;
    cols.reserve(reply_.size());
    for (const ReplySource& s : reply_) {
      cols.push_back(s.kind == ReplySource::kInput ? in.column(s.input) : made[s.kind]);
    }
    return Batch::Make(output_schema(), std::move(cols), in.num_rows());
  }

 private:
  std::unique_ptr<BoundTransform> general_;
  std::vector<ReplySource> reply_;
  bool needs_[3] = {false, false, false};
  mutable std::atomic<int64_t> fallbacks_{0};
};

// The compiled kernel of a run ending in `model` (kLogistic or kTrees) whose features are
// `features`; FailedPrecondition saying why when the model's shape does not compile.
Result<std::unique_ptr<CompiledRun>> CompileLinear(const RowLowering& model, const Symbol& features,
                                                   const Schema& input,
                                                   std::unique_ptr<BoundTransform> general,
                                                   std::vector<ReplySource> reply);
Result<std::unique_ptr<CompiledRun>> CompileTrees(const RowLowering& model, const Symbol& features,
                                                  const Schema& input,
                                                  std::unique_ptr<BoundTransform> general,
                                                  std::vector<ReplySource> reply);

}  // namespace ember::pipeline::internal
