// FrameOpKernel: the kernel of a frame stage (GroupBy, Join, EnsembleByKey, ...), which
// applies the frame operation to one batch on its own (a micro-batch in streaming, a request
// in serving); its output schema is the operation's on an empty frame of the input schema.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ember/base/status_macros.h"
#include "ember/pipeline/stage.h"

namespace ember::frame::internal {

// A kernel that applies a frame operation to one batch on its own; its output schema is the
// operation's on an empty frame of the input schema.
class FrameOpKernel final : public BoundTransform {
 public:
  using Op = std::function<Result<DataFrame>(const DataFrame&, const ExecContext&)>;
  static Result<std::unique_ptr<BoundTransform>> Make(const Schema& in, Op op,
                                                      const std::string& owner) {
    EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(in.fields(), in.metadata()));
    EMBER_ASSIGN_OR_RETURN(DataFrame empty, DataFrame::Make(schema, {}));
    Result<DataFrame> shaped = op(empty, ExecContext::Local());
    if (!shaped.ok()) return shaped.status().WithContext(owner);
    return std::unique_ptr<BoundTransform>(new FrameOpKernel(shaped->schema(), std::move(op)));
  }
  const SchemaPtr& output_schema() const override { return out_; }
  Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
    EMBER_ASSIGN_OR_RETURN(DataFrame out, op_(DataFrame::FromBatch(in), ExecContext::Local()));
    return out.Collect();
  }

 private:
  FrameOpKernel(SchemaPtr out, Op op) : out_(std::move(out)), op_(std::move(op)) {}
  SchemaPtr out_;
  Op op_;
};

}  // namespace ember::frame::internal
