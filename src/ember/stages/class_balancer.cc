#include "ember/stages/class_balancer.h"

#include <algorithm>
#include <chrono>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"
#include "ember/stages/string_indexer.h"  // LabelText

namespace ember {

namespace {

using P = ClassBalancerParams;

struct BalancerState {
  std::vector<std::string> classes;
  std::vector<double> weights;
  static const StateSpec<BalancerState>& Spec() {
    static const StateSpec<BalancerState> spec =
        std::move(StateSpec<BalancerState>("ClassBalancerModel", "model.json", 1)
                      .Field("classes", &BalancerState::classes)
                      .Field("weights", &BalancerState::weights));
    return spec;
  }
};

Result<int> ScalarInput(const Schema& in, const P& p, const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                    p.input_col,
                                    [](const DataType& t) {
                                      return t.is_numeric() || t.is_binary_like() ||
                                             t.id() == TypeId::kBool;
                                    },
                                    "a string, number or boolean column"));
  if (in.FindField(p.output_col) >= 0) {
    return AlreadyExists(owner + ": output column '" + p.output_col + "' already exists");
  }
  return i;
}

}  // namespace

const ParamSpec<ClassBalancerParams>& ClassBalancerParams::Spec() {
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("ClassBalancer")
                    .Add("inputCol", &P::input_col, "The label column whose classes to balance.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &P::output_col, "The float64 weight column to add.",
                         NonEmpty<std::string>())
                    .Add("broadcastJoin", &P::broadcast_join,
                         "SynapseML's join hint; accepted for compatibility, changes nothing."));
  return spec;
}

Result<SchemaPtr> ClassBalancer::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(ScalarInput(in, params_, "ClassBalancer").status());
  return in.AddField(MakeField(params_.output_col, Float64Type()));
}

Result<std::shared_ptr<const Transformer>> ClassBalancer::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, ScalarInput(*in.schema(), params_, "ClassBalancer"));
  std::vector<std::map<std::string, double>> partial(in.num_partitions());
  auto count = [&](int64_t p) -> Status {
    const Batch& b = in.partition(static_cast<int>(p));
    const Column& c = *b.column(col);
    std::string buf;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (c.IsValid(r)) partial[p][std::string(LabelText(c, r, &buf))] += 1;
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), count, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(count(p));
  }
  std::map<std::string, double> counts;
  for (const auto& part : partial) {
    for (const auto& [label, n] : part) counts[label] += n;
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<std::string_view> labels;
    std::vector<double> ns;
    for (const auto& [label, n] : counts) {
      labels.push_back(label);
      ns.push_back(n);
    }
    const Deadline deadline = Deadline::In(std::chrono::minutes(10));
    EMBER_ASSIGN_OR_RETURN(auto all_labels, AllGatherStrings(*ctx.comm, labels, deadline));
    EMBER_ASSIGN_OR_RETURN(auto all_counts, AllGatherDoubles(*ctx.comm, ns, deadline));
    counts.clear();
    for (size_t i = 0; i < all_labels.size(); ++i) counts[all_labels[i]] += all_counts[i];
  }
  if (counts.empty()) {
    return InvalidArgument("ClassBalancer: column '" + params_.input_col +
                           "' has no values to count (all null, or no rows)");
  }
  double most = 0;
  for (const auto& [label, n] : counts) most = std::max(most, n);
  std::map<std::string, double> weights;
  for (const auto& [label, n] : counts) weights[label] = most / n;
  EMBER_ASSIGN_OR_RETURN(auto model, ClassBalancerModel::Make(params_, std::move(weights), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const ClassBalancerModel>> ClassBalancerModel::Make(
    Params p, std::map<std::string, double> weights, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  for (const auto& [label, w] : weights) {
    if (!(w >= 1)) {
      return InvalidArgument("ClassBalancerModel: class '" + label + "' has weight " +
                             Json(w).Dump() + "; weights are >= 1");
    }
  }
  return std::shared_ptr<const ClassBalancerModel>(
      new ClassBalancerModel(std::move(p), std::move(weights), std::move(uid)));
}

Status ClassBalancerModel::SaveContents(const std::string& dir) const {
  BalancerState s;
  for (const auto& [label, w] : weights_) {
    s.classes.push_back(label);
    s.weights.push_back(w);
  }
  return BalancerState::Spec().Save(s, dir);
}

Result<std::shared_ptr<const ClassBalancerModel>> ClassBalancerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(BalancerState s, BalancerState::Spec().Load(ctx));
  if (s.classes.size() != s.weights.size()) {
    return DataLoss("ClassBalancerModel: " + std::to_string(s.classes.size()) + " classes and " +
                    std::to_string(s.weights.size()) + " weights in " + ctx.dir);
  }
  std::map<std::string, double> weights;
  for (size_t i = 0; i < s.classes.size(); ++i) weights[s.classes[i]] = s.weights[i];
  return Make(std::move(p), std::move(weights), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> ClassBalancerModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, ScalarInput(in, params_, "ClassBalancerModel"));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField(params_.output_col, Float64Type())));
  const auto weights = weights_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, col, weights](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        std::vector<std::optional<double>> w(static_cast<size_t>(b.num_rows()));
        std::string buf;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (!c.IsValid(r)) continue;
          auto it = weights.find(std::string(LabelText(c, r, &buf)));
          if (it != weights.end()) w[r] = it->second;
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(MakeColumn(w));
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterClassBalancerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<ClassBalancer>(
      r, "A weight column balancing a label's classes (SynapseML's ClassBalancer)."));
  return RegisterStage<ClassBalancerModel>(r, "A fitted ClassBalancer: each class's weight.");
}

}  // namespace ember
