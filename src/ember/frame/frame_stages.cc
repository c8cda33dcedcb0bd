#include "ember/frame/frame_stages.h"

#include <cctype>

#include "ember/base/status_macros.h"
#include "ember/frame/ensemble_by_key.h"
#include "ember/frame/internal/frame_op_kernel.h"
#include "ember/frame/stratified_repartition.h"
#include "ember/io/table_io.h"

namespace ember {

using frame::internal::FrameOpKernel;

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

}  // namespace

Result<std::vector<frame::Aggregate>> ParseAggregations(const std::vector<std::string>& specs) {
  using Kind = frame::Aggregate::Kind;
  static const std::pair<const char*, Kind> kKinds[] = {
      {"count", Kind::kCount}, {"sum", Kind::kSum}, {"mean", Kind::kMean},
      {"min", Kind::kMin},     {"max", Kind::kMax}, {"collect", Kind::kCollect}};
  std::vector<frame::Aggregate> out;
  for (const std::string& spec : specs) {
    auto bad = [&](const std::string& why) {
      return InvalidArgument(
          "aggregation '" + spec + "': " + why +
          " (expected fn(column) [AS name], fn one of count, sum, mean, min, max, collect)");
    };
    std::string text = Trim(spec);
    std::string name;
    for (const char* as : {" AS ", " as "}) {
      const size_t at = text.rfind(as);
      if (at != std::string::npos) {
        name = Trim(text.substr(at + 4));
        text = Trim(text.substr(0, at));
        if (name.empty()) return bad("no name after AS");
        break;
      }
    }
    const size_t open = text.find('(');
    if (open == std::string::npos || text.back() != ')') return bad("no (column)");
    std::string fn = Trim(text.substr(0, open));
    for (char& ch : fn) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string column = Trim(text.substr(open + 1, text.size() - open - 2));
    frame::Aggregate a;
    bool known = false;
    for (const auto& [n, k] : kKinds) {
      if (fn == n) {
        a.kind = k;
        known = true;
      }
    }
    if (!known) return bad("unknown function '" + fn + "'");
    if (column == "*") {
      if (a.kind != Kind::kCount) return bad("only count takes *");
      column.clear();
    } else if (column.empty()) {
      return bad("no column");
    }
    a.column = column;
    a.output = !name.empty() ? name : column.empty() ? fn : fn + "_" + column;
    out.push_back(std::move(a));
  }
  return out;
}

// GroupBy ------------------------------------------------------------------------------------

const ParamSpec<GroupByParams>& GroupByParams::Spec() {
  using P = GroupByParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("GroupBy")
          .Add("keys", &P::keys,
               "The columns whose distinct values make the groups (nulls form one group).",
               NonEmpty<std::vector<std::string>>())
          .Add("aggregations", &P::aggregations,
               "What each group's row holds after its keys: \"fn(column) AS name\" with fn count "
               "(count(*) counts "
               "rows), sum, mean, min, max (float64, nulls skipped; sum and mean of a vector "
               "column: a dense vector) or collect (a list of the values).",
               NonEmpty<std::vector<std::string>>()));
  return spec;
}

Result<std::shared_ptr<const GroupBy>> GroupBy::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  Result<std::vector<frame::Aggregate>> aggs = ParseAggregations(p.aggregations);
  if (!aggs.ok()) return aggs.status().WithContext("GroupBy param 'aggregations'");
  return std::shared_ptr<const GroupBy>(
      new GroupBy(std::move(p), std::move(*aggs), std::move(uid)));
}

Result<std::unique_ptr<BoundTransform>> GroupBy::Bind(const Schema& in) const {
  return FrameOpKernel::Make(
      in,
      [keys = params_.keys, aggs = aggregates_](const DataFrame& f, const ExecContext& ctx) {
        return frame::GroupBy(f, keys, aggs, ctx);
      },
      Describe());
}

Result<DataFrame> GroupBy::Transform(const DataFrame& in, const ExecContext& ctx) const {
  Result<DataFrame> out = frame::GroupBy(in, params_.keys, aggregates_, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

// Distinct -----------------------------------------------------------------------------------

const ParamSpec<DistinctParams>& DistinctParams::Spec() {
  using P = DistinctParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Distinct")
          .Add(
              "cols", &P::cols,
              "The columns whose values must differ (empty: all); the first row of each is kept."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> Distinct::Bind(const Schema& in) const {
  return FrameOpKernel::Make(
      in,
      [cols = params_.cols](const DataFrame& f, const ExecContext& ctx) {
        return frame::Distinct(f, cols, ctx);
      },
      Describe());
}

Result<DataFrame> Distinct::Transform(const DataFrame& in, const ExecContext& ctx) const {
  Result<DataFrame> out = frame::Distinct(in, params_.cols, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

// Sort ---------------------------------------------------------------------------------------

const ParamSpec<SortParams>& SortParams::Spec() {
  using P = SortParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Sort")
          .Add("key", &P::key,
               "The column to sort by (numeric, bool or string; nulls first); the sort is stable.",
               NonEmpty<std::string>())
          .Add("ascending", &P::ascending, "Smallest first; false: largest first."));
  return spec;
}

Status Sort::Check(const Params& p) { return Status::OK(); }

Result<std::unique_ptr<BoundTransform>> Sort::Bind(const Schema& in) const {
  return FrameOpKernel::Make(
      in,
      [key = params_.key, asc = params_.ascending](const DataFrame& f, const ExecContext& ctx) {
        return frame::SortBy(f, key, asc, ctx);
      },
      Describe());
}

Result<DataFrame> Sort::Transform(const DataFrame& in, const ExecContext& ctx) const {
  Result<DataFrame> out = frame::SortBy(in, params_.key, params_.ascending, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

// Join ---------------------------------------------------------------------------------------

const ParamSpec<JoinParams>& JoinParams::Spec() {
  using P = JoinParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Join")
          .Add("rightPath", &P::right_path,
               "The right side: a table file or folder (CSV or JSON Lines).",
               NonEmpty<std::string>())
          .Add("keys", &P::keys, "The columns to join on, in both sides, of the same types.",
               NonEmpty<std::vector<std::string>>())
          .AddEnum("joinType", &P::join_type,
                   {{"inner", frame::JoinType::kInner}, {"left", frame::JoinType::kLeft}},
                   "inner: rows with a match; left: every input row, nulls on the right where "
                   "none matches.")
          .Add("broadcastMaxRows", &P::broadcast_max_rows,
               "A right side of at most this many rows goes whole to every rank; a larger one is "
               "hash-partitioned "
               "with the input.",
               AtLeast<int64_t>(0)));
  return spec;
}

Status Join::Check(const Params& p) { return Status::OK(); }

Result<std::unique_ptr<BoundTransform>> Join::Bind(const Schema& in) const {
  Result<DataFrame> right = ReadTable(ExecContext::Local(), params_.right_path);
  if (!right.ok()) return right.status().WithContext(Describe() + " param 'rightPath'");
  const frame::JoinOptions options{.type = params_.join_type,
                                   .keys = params_.keys,
                                   .broadcast_max_rows = params_.broadcast_max_rows};
  return FrameOpKernel::Make(
      in,
      [right = std::move(*right), options](const DataFrame& f, const ExecContext& ctx) {
        return frame::Join(f, right, options, ctx);
      },
      Describe());
}

Result<DataFrame> Join::Transform(const DataFrame& in, const ExecContext& ctx) const {
  Result<DataFrame> right = ReadTable(ctx, params_.right_path);
  if (!right.ok()) return right.status().WithContext(Describe() + " param 'rightPath'");
  Result<DataFrame> out = frame::Join(in, *right,
                                      {.type = params_.join_type,
                                       .keys = params_.keys,
                                       .broadcast_max_rows = params_.broadcast_max_rows},
                                      ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

Status RegisterFrameStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<GroupBy>(
      r, "One row per group of key values, with aggregates (a pipeline breaker)."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<Distinct>(r, "The first row of each distinct value of some columns."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<Sort>(r, "The rows sorted by one column, stably, across ranks."));
  EMBER_RETURN_IF_ERROR(RegisterStage<StratifiedRepartition>(
      r, "Resamples and deals rows so every partition holds every label (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<EnsembleByKey>(
      r, "Averages score columns over rows with the same keys (SynapseML's EnsembleByKey)."));
  return RegisterStage<Join>(r, "The input joined with a table on key columns (inner or left).");
}

}  // namespace ember
