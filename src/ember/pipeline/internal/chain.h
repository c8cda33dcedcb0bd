// The kernels a PipelineModel binds to (internal to pipeline/): a chain of stage kernels
// run one after another, and a chain that keeps only some columns, run on blocks of rows.
// Both immutable and thread-safe, like every kernel.
#pragma once

#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/pipeline/stage.h"

namespace ember::pipeline::internal {

class ChainBound final : public BoundTransform {
 public:
  ChainBound(std::vector<std::unique_ptr<BoundTransform>> parts, SchemaPtr out)
      : parts_(std::move(parts)), out_(std::move(out)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override {
    for (const auto& p : parts_) {
      if (p->blocking()) return true;
    }
    return false;
  }
  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    Batch cur = in;
    for (const auto& p : parts_) {
      EMBER_ASSIGN_OR_RETURN(cur, p->Apply(cur, scratch));
    }
    return cur;
  }

 private:
  std::vector<std::unique_ptr<BoundTransform>> parts_;
  SchemaPtr out_;
};

// A chain whose output keeps only some columns. It runs on blocks of kSelectBlockRows rows,
// so the columns it drops (the intermediate features of a scoring pipeline) live only in
// the cache for one block and are never built for a whole partition; the kept columns of
// the blocks are concatenated, and kept input columns that no stage replaced are passed
// through whole, without a copy. A chain that builds no intermediate columns (a compiled run
// alone) is made with `block_rows` 0: it runs on the whole partition, with nothing to
// concatenate.
class SelectingChainBound final : public BoundTransform {
 public:
  static constexpr int64_t kSelectBlockRows = 4096;

  static Result<std::unique_ptr<BoundTransform>> Make(std::unique_ptr<ChainBound> chain,
                                                      const Schema& in,
                                                      std::span<const std::string> columns,
                                                      int64_t block_rows = kSelectBlockRows) {
    const Schema& full = *chain->output_schema();
    std::vector<Field> fields;
    std::vector<int> from, input;
    for (const std::string& name : columns) {
      const int i = full.FindField(name);
      if (i < 0) {
        return NotFound("output column '" + name +
                        "' is not produced; the columns are: " + full.NamesForMessage());
      }
      for (int f : from) {
        if (f == i) return InvalidArgument("output column '" + name + "' is listed twice");
      }
      from.push_back(i);
      input.push_back(in.FindField(name));
      fields.push_back(full.field(i));
    }
    EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), full.metadata()));
    return std::unique_ptr<BoundTransform>(
        new SelectingChainBound(std::move(chain), std::move(out), std::move(from), std::move(input),
                                block_rows > 0 ? block_rows : std::numeric_limits<int64_t>::max()));
  }

  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return chain_->blocking(); }

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const size_t k = from_.size();
    const int64_t n = in.num_rows();
    if (n <= block_rows_) {  // one block (a served request): take the columns, no concatenation
      EMBER_ASSIGN_OR_RETURN(Batch out, chain_->Apply(in, scratch));
      std::vector<ColumnPtr> cols;
      cols.reserve(k);
      for (size_t j = 0; j < k; ++j) cols.push_back(out.column(from_[j]));
      return Batch::Make(out_, std::move(cols), out.num_rows());
    }
    std::vector<std::vector<ColumnPtr>> parts(k);
    std::vector<bool> passed(k, true);  // still the input column, unchanged, in every block
    int64_t rows = 0;                   // stages may drop rows
    for (int64_t off = 0; off < n; off += block_rows_) {
      const Batch slice = in.Slice(off, block_rows_);
      EMBER_ASSIGN_OR_RETURN(Batch out, chain_->Apply(slice, scratch));
      rows += out.num_rows();
      for (size_t j = 0; j < k; ++j) {
        const ColumnPtr& c = out.column(from_[j]);
        passed[j] = passed[j] && input_[j] >= 0 && c == slice.column(input_[j]);
        parts[j].push_back(c);
      }
    }
    std::vector<ColumnPtr> cols(k);
    for (size_t j = 0; j < k; ++j) {
      if (passed[j]) {
        cols[j] = in.column(input_[j]);
      } else {
        EMBER_ASSIGN_OR_RETURN(cols[j], Concat(parts[j]));
      }
    }
    return Batch::Make(out_, std::move(cols), rows);
  }

 private:
  SelectingChainBound(std::unique_ptr<ChainBound> chain, SchemaPtr out, std::vector<int> from,
                      std::vector<int> input, int64_t block_rows)
      : chain_(std::move(chain)),
        out_(std::move(out)),
        from_(std::move(from)),
        input_(std::move(input)),
        block_rows_(block_rows) {}
  std::unique_ptr<ChainBound> chain_;
  SchemaPtr out_;
  std::vector<int> from_;   // index of each kept column in the chain's output
  std::vector<int> input_;  // its index in the input, or -1
  int64_t block_rows_;
};

// Binds `stages` in turn from `in`; errors name the stage.
Result<std::unique_ptr<ChainBound>> BindChain(
    std::span<const std::shared_ptr<const Transformer>> stages, const Schema& in);

}  // namespace ember::pipeline::internal
