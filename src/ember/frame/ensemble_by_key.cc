#include "ember/frame/ensemble_by_key.h"

#include <set>

#include "ember/base/status_macros.h"
#include "ember/frame/frame_ops.h"
#include "ember/frame/internal/frame_op_kernel.h"

namespace ember {

namespace {

using P = EnsembleByKeyParams;

std::vector<std::string> OutputNames(const P& p) {
  if (!p.col_names.empty()) return p.col_names;
  std::vector<std::string> names;
  for (const auto& c : p.cols) names.push_back(p.strategy + "(" + c + ")");
  return names;
}

}  // namespace

const ParamSpec<EnsembleByKeyParams>& EnsembleByKeyParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("EnsembleByKey")
          .Add("keys", &P::keys, "The columns whose values make the groups.",
               NonEmpty<std::vector<std::string>>())
          .Add("cols", &P::cols, "The number or vector columns to average within each group.",
               NonEmpty<std::vector<std::string>>())
          .Add("colNames", &P::col_names,
               "The output name of each col (empty: \"mean(col)\"); as many as cols.")
          .Add("strategy", &P::strategy, "How to combine a group's values: mean (the only one).",
               Validator<std::string>{[](const std::string& s) {
                                        return s == "mean" ? Status::OK()
                                                           : InvalidArgument(
                                                                 "must be 'mean', got '" + s + "'");
                                      },
                                      "mean"})
          .Add("collapseGroup", &P::collapse_group,
               "One row per group (true), or every input row with its group's means (false).")
          .Add("vectorDims", &P::vector_dims,
               "SynapseML's sizes of the vector cols; when given, checked against the schema."));
  return spec;
}

Status EnsembleByKey::Check(const Params& p) {
  if (!p.col_names.empty() && p.col_names.size() != p.cols.size()) {
    return InvalidArgument("EnsembleByKey: " + std::to_string(p.col_names.size()) +
                           " colNames for " + std::to_string(p.cols.size()) + " cols");
  }
  std::set<std::string> seen(p.keys.begin(), p.keys.end());
  for (const auto& n : OutputNames(p)) {
    if (!seen.insert(n).second) {
      return InvalidArgument("EnsembleByKey: output column '" + n + "' is a key or named twice");
    }
  }
  return Status::OK();
}

namespace {

// The group means of `in` (see the header).
Result<DataFrame> Ensemble(const P& params, const DataFrame& in, const ExecContext& ctx) {
  const Schema& s = *in.schema();
  const std::vector<std::string> names = OutputNames(params);
  std::vector<frame::Aggregate> aggs;
  for (size_t k = 0; k < params.cols.size(); ++k) {
    const std::string& c = params.cols[k];
    EMBER_ASSIGN_OR_RETURN(
        int i, s.GetFieldIndexOfType(
                   c, [](const DataType& t) { return t.is_numeric() || t.id() == TypeId::kVector; },
                   "a number or vector column"));
    auto dim = params.vector_dims.find(c);
    if (dim != params.vector_dims.end() && (s.field(i).type->id() != TypeId::kVector ||
                                            s.field(i).type->vector_size() != dim->second)) {
      return InvalidArgument("param 'vectorDims' gives column '" + c + "' " +
                             std::to_string(dim->second) + " slots; it is " +
                             s.field(i).type->ToString());
    }
    aggs.push_back({.kind = frame::Aggregate::Kind::kMean, .column = c, .output = names[k]});
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame grouped, frame::GroupBy(in, params.keys, aggs, ctx));
  if (params.collapse_group) return grouped;
  // Every row with its group's means: the input without the outputs' names, joined on keys.
  DataFrame left = in;
  std::vector<int> keep;
  for (int i = 0; i < s.num_fields(); ++i) {
    if (std::find(names.begin(), names.end(), s.field(i).name) == names.end()) keep.push_back(i);
  }
  if (static_cast<int>(keep.size()) < s.num_fields()) {
    std::vector<Field> fields;
    for (int i : keep) fields.push_back(s.field(i));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr ls, Schema::Make(std::move(fields), s.metadata()));
    std::vector<Batch> parts;
    for (const Batch& b : in.partitions()) {
      std::vector<ColumnPtr> cols;
      for (int i : keep) cols.push_back(b.column(i));
      EMBER_ASSIGN_OR_RETURN(Batch nb, Batch::Make(ls, std::move(cols), b.num_rows()));
      parts.push_back(std::move(nb));
    }
    EMBER_ASSIGN_OR_RETURN(left, DataFrame::Make(ls, std::move(parts)));
  }
  return frame::Join(left, grouped, {.type = frame::JoinType::kInner, .keys = params.keys}, ctx);
}

}  // namespace

Result<std::unique_ptr<BoundTransform>> EnsembleByKey::Bind(const Schema& in) const {
  return frame::internal::FrameOpKernel::Make(
      in, [p = params_](const DataFrame& f, const ExecContext& ctx) { return Ensemble(p, f, ctx); },
      Describe());
}

Result<DataFrame> EnsembleByKey::Transform(const DataFrame& in, const ExecContext& ctx) const {
  Result<DataFrame> out = Ensemble(params_, in, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

}  // namespace ember
