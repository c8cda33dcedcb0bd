// The frame operations of frame_ops.h as pipeline stages: GroupBy, Distinct, Sort and Join.
// They are pipeline breakers (partition_local() is false): Transform runs the operation on
// the whole frame, over every rank of ctx.comm (1..N ranks give the same rows), and the
// kernel of Bind applies it to one batch on its own (a micro-batch in streaming, a request
// in serving). Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/frame/frame_ops.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct GroupByParams {
  std::vector<std::string> keys;
  // "fn(column) AS name": count(*) (rows), count(col) (non-null values), sum, mean, min, max
  // (numbers, as float64), collect (a list of the non-null values); without AS the output
  // is fn_column ("count" for count(*)).
  std::vector<std::string> aggregations = {"count(*) AS count"};
  static const ParamSpec<GroupByParams>& Spec();
};

class GroupBy final : public StageBase<GroupBy, Transformer, GroupByParams> {
 public:
  static constexpr std::string_view kTypeName = "GroupBy";
  static Result<std::shared_ptr<const GroupBy>> Make(Params params, std::string uid = {});
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  GroupBy(Params p, std::vector<frame::Aggregate> aggs, std::string uid)
      : StageBase(std::move(p), std::move(uid)), aggregates_(std::move(aggs)) {}
  std::vector<frame::Aggregate> aggregates_;
};

struct DistinctParams {
  std::vector<std::string> cols;  // empty: every column
  static const ParamSpec<DistinctParams>& Spec();
};

class Distinct final : public StageBase<Distinct, Transformer, DistinctParams> {
 public:
  static constexpr std::string_view kTypeName = "Distinct";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct SortParams {
  std::string key;  // numeric, bool or string; nulls first
  bool ascending = true;
  static const ParamSpec<SortParams>& Spec();
};

class Sort final : public StageBase<Sort, Transformer, SortParams> {
 public:
  static constexpr std::string_view kTypeName = "Sort";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct JoinParams {
  std::string right_path;  // the right side: a table file or folder (CSV or JSON Lines)
  std::vector<std::string> keys;
  frame::JoinType join_type = frame::JoinType::kInner;
  int64_t broadcast_max_rows = 100000;
  static const ParamSpec<JoinParams>& Spec();
};

// The input (left) joined with the table at rightPath on `keys` (frame::Join). Transform
// reads the table on every rank (each its share); the kernel reads it whole when bound.
class Join final : public StageBase<Join, Transformer, JoinParams> {
 public:
  static constexpr std::string_view kTypeName = "Join";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// The aggregations of a GroupBy param ("sum(x) AS total"); errors name the entry.
Result<std::vector<frame::Aggregate>> ParseAggregations(const std::vector<std::string>& specs);

Status RegisterFrameStages(StageRegistry* registry);

}  // namespace ember
