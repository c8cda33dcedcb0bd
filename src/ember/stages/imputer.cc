#include "ember/stages/imputer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/internal/column_pairs.h"

namespace ember {

namespace {

using stages::internal::ColumnPair;

bool IsImputable(const DataType& t) { return t.is_numeric() || t.id() == TypeId::kString; }

std::string_view StrategyName(ImputeStrategy s) {
  switch (s) {
    case ImputeStrategy::kMean:
      return "mean";
    case ImputeStrategy::kMedian:
      return "median";
    case ImputeStrategy::kMode:
      return "mode";
    case ImputeStrategy::kCustom:
      return "custom value";
  }
  return "?";
}

// The input column of each pair (numeric, or string when `allow_string`), and the output
// schema: an output named like its input replaces it, others are appended.
Result<std::pair<std::vector<int>, SchemaPtr>> BindPairs(const std::string& owner, const Schema& in,
                                                         const std::vector<ColumnPair>& pairs,
                                                         bool allow_string) {
  std::vector<int> inputs;
  std::vector<Field> fields = in.fields();
  for (const auto& p : pairs) {
    EMBER_ASSIGN_OR_RETURN(int i,
                           in.GetFieldIndexOfType(p.in, IsImputable, "a numeric or string column"));
    if (!allow_string && !in.field(i).type->is_numeric()) {
      return InvalidArgument(
          owner + ": column '" + p.in + "' is " + in.field(i).type->ToString() +
          "; only numeric columns can be imputed with a statistic (use a custom value)");
    }
    inputs.push_back(i);
    Field f = in.field(i);
    f.name = p.out;
    if (p.out == p.in) {
      fields[i] = std::move(f);
      continue;
    }
    for (const Field& existing : fields) {
      if (existing.name == p.out)
        return AlreadyExists(owner + ": output column '" + p.out + "' already exists");
    }
    fields.push_back(std::move(f));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  return std::make_pair(std::move(inputs), std::move(out));
}

bool IsMissing(double v, const std::optional<double>& missing) {
  return std::isnan(v) || (missing && v == *missing);
}

// The fill value of one numeric column from its non-missing values on all ranks.
Result<double> NumericFill(const std::string& owner, const DataFrame& in, const ExecContext& ctx,
                           int col, const std::string& name, ImputeStrategy strategy,
                           const std::optional<double>& missing) {
  const Deadline deadline = Deadline::In(std::chrono::minutes(10));
  const bool multi = ctx.comm && ctx.comm->size() > 1;
  if (strategy == ImputeStrategy::kMean) {
    std::vector<double> acc = {0.0, 0.0};  // sum, count
    for (const Batch& b : in.partitions()) {
      const Column& c = *b.column(col);
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (c.IsNull(r)) continue;
        const double v = NumericValue(c, r);
        if (IsMissing(v, missing)) continue;
        acc[0] += v;
        acc[1] += 1;
      }
    }
    if (multi)
      EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(acc), ReduceOp::kSum, deadline));
    if (acc[1] == 0) {
      return InvalidArgument(
          owner + ": column '" + name +
          "' has no value to compute the mean from (all null, NaN or missingValue)");
    }
    return acc[0] / acc[1];
  }
  std::vector<double> values;
  for (const Batch& b : in.partitions()) {
    const Column& c = *b.column(col);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (c.IsNull(r)) continue;
      const double v = NumericValue(c, r);
      if (!IsMissing(v, missing)) values.push_back(v);
    }
  }
  if (multi) {
    EMBER_ASSIGN_OR_RETURN(values, AllGatherDoubles(*ctx.comm, values, deadline));
  }
  if (values.empty()) {
    return InvalidArgument(owner + ": column '" + name + "' has no value to compute the " +
                           std::string(StrategyName(strategy)) +
                           " from (all null, NaN or missingValue)");
  }
  std::sort(values.begin(), values.end());
  if (strategy == ImputeStrategy::kMedian)
    return values[(values.size() - 1) / 2];  // rank ceil(n/2)
  double best = values[0];
  size_t best_run = 0;
  for (size_t i = 0; i < values.size();) {  // sorted: the first longest run is the smallest mode
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    if (j - i > best_run) best_run = j - i, best = values[i];
    i = j;
  }
  return best;
}

Result<std::shared_ptr<const Transformer>> FitImputer(
    const std::string& owner, const DataFrame& in, const ExecContext& ctx,
    const std::vector<ColumnPair>& pairs, ImputeStrategy strategy,
    const std::optional<double>& missing, const std::string& custom, const std::string& uid) {
  EMBER_ASSIGN_OR_RETURN(
      auto bound, BindPairs(owner, *in.schema(), pairs, strategy == ImputeStrategy::kCustom));
  std::vector<Json> fill;
  for (size_t k = 0; k < pairs.size(); ++k) {
    const int col = bound.first[k];
    const bool numeric = in.schema()->field(col).type->is_numeric();
    if (strategy != ImputeStrategy::kCustom) {
      EMBER_ASSIGN_OR_RETURN(double v,
                             NumericFill(owner, in, ctx, col, pairs[k].in, strategy, missing));
      fill.push_back(Json(v));
    } else if (!numeric) {
      fill.push_back(Json(custom));
    } else {
      double v = 0;
      auto [p, ec] = std::from_chars(custom.data(), custom.data() + custom.size(), v);
      if (ec != std::errc() || p != custom.data() + custom.size() || custom.empty()) {
        return InvalidArgument(owner + " param 'customValue': '" + custom +
                               "' is not a number, but column '" + pairs[k].in + "' is numeric");
      }
      fill.push_back(Json(v));
    }
  }
  ImputerModel::Params mp;
  for (const auto& p : pairs) {
    mp.input_cols.push_back(p.in);
    mp.output_cols.push_back(p.out);
  }
  mp.missing_value = missing;
  EMBER_ASSIGN_OR_RETURN(auto model, ImputerModel::Make(std::move(mp), std::move(fill), uid));
  return std::shared_ptr<const Transformer>(std::move(model));
}

template <typename T>
ColumnPtr FillNumeric(const Column& c, double fill, const std::optional<double>& missing) {
  NumericBuilder<T> out(c.type());
  const T f = static_cast<T>(fill);
  const T* v = c.Values<T>();
  for (int64_t r = 0; r < c.length(); ++r) {
    const bool is_missing = c.IsNull(r) || IsMissing(static_cast<double>(v[r]), missing);
    out.Append(is_missing ? f : v[r]);
  }
  return out.Finish();
}

ColumnPtr FillColumn(const Column& c, const Json& fill, const std::optional<double>& missing) {
  switch (c.type_id()) {
    case TypeId::kInt32:
      return FillNumeric<int32_t>(c, fill.as_double(), missing);
    case TypeId::kInt64:
      return FillNumeric<int64_t>(c, fill.as_double(), missing);
    case TypeId::kFloat32:
      return FillNumeric<float>(c, fill.as_double(), missing);
    case TypeId::kFloat64:
      return FillNumeric<double>(c, fill.as_double(), missing);
    default: {
      StringBuilder out;
      const std::string& f = fill.as_string();
      for (int64_t r = 0; r < c.length(); ++r)
        out.Append(c.IsNull(r) ? std::string_view(f) : c.StringValue(r));
      return out.Finish();
    }
  }
}

const std::vector<std::pair<std::string, ImputeStrategy>>& StrategyNames() {
  static const auto* names =
      new std::vector<std::pair<std::string, ImputeStrategy>>{{"mean", ImputeStrategy::kMean},
                                                              {"median", ImputeStrategy::kMedian},
                                                              {"mode", ImputeStrategy::kMode}};
  return *names;
}

}  // namespace

// Params -----------------------------------------------------------------------------------

const ParamSpec<ImputerParams>& ImputerParams::Spec() {
  using P = ImputerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Imputer")
          .Add("inputCol", &P::input_col, "The numeric column to impute.")
          .Add("outputCol", &P::output_col, "The imputed column (the input's name replaces it).")
          .Add("inputCols", &P::input_cols, "Several columns to impute (instead of inputCol).")
          .Add("outputCols", &P::output_cols, "The imputed columns, one per inputCols entry.")
          .AddEnum("strategy", &P::strategy, StrategyNames(),
                   "The statistic that fills missing values.")
          .Add("missingValue", &P::missing_value,
               "A value that also counts as missing (null and NaN always do); null for none."));
  return spec;
}

const ParamSpec<CleanMissingDataParams>& CleanMissingDataParams::Spec() {
  using P = CleanMissingDataParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("CleanMissingData")
          .Add("inputCols", &P::input_cols, "The columns to clean.",
               NonEmpty<std::vector<std::string>>())
          .Add("outputCols", &P::output_cols,
               "The cleaned columns, one per inputCols entry (the same names replace them).",
               NonEmpty<std::vector<std::string>>())
          .AddEnum("cleaningMode", &P::cleaning_mode,
                   {{"Mean", ImputeStrategy::kMean},
                    {"Median", ImputeStrategy::kMedian},
                    {"Custom", ImputeStrategy::kCustom}},
                   "Fill with each column's mean, median, or customValue.")
          .Add("customValue", &P::custom_value,
               "The fill value of cleaningMode Custom (a number for numeric columns)."));
  return spec;
}

const ParamSpec<ImputerModel::Params>& ImputerModel::Params::Spec() {
  using P = ImputerModel::Params;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("ImputerModel")
                    .Add("inputCols", &P::input_cols, "The columns to impute.",
                         NonEmpty<std::vector<std::string>>())
                    .Add("outputCols", &P::output_cols, "The imputed columns.",
                         NonEmpty<std::vector<std::string>>())
                    .Add("missingValue", &P::missing_value,
                         "A value that also counts as missing; null for none."));
  return spec;
}

// Imputer ------------------------------------------------------------------------------------

namespace {
Result<std::vector<ColumnPair>> ImputerPairs(const ImputerParams& p) {
  return stages::internal::ResolveColumnPairs("Imputer", p.input_col, p.output_col, p.input_cols,
                                              p.output_cols);
}
Result<std::vector<ColumnPair>> CleanPairs(const CleanMissingDataParams& p) {
  return stages::internal::ResolveColumnPairs("CleanMissingData", "", "", p.input_cols,
                                              p.output_cols);
}
}  // namespace

Status Imputer::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(ImputerPairs(p).status());
  return Status::OK();
}

Result<SchemaPtr> Imputer::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, ImputerPairs(params_));
  EMBER_ASSIGN_OR_RETURN(auto bound, BindPairs("Imputer", in, pairs, false));
  return bound.second;
}

Result<std::shared_ptr<const Transformer>> Imputer::Fit(const DataFrame& in,
                                                        const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, ImputerPairs(params_));
  return FitImputer("Imputer", in, ctx, pairs, params_.strategy, params_.missing_value, "", uid());
}

// CleanMissingData ---------------------------------------------------------------------------

Result<std::shared_ptr<const CleanMissingData>> CleanMissingData::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_RETURN_IF_ERROR(CleanPairs(p).status());
  return std::shared_ptr<const CleanMissingData>(
      new CleanMissingData(std::move(p), std::move(uid)));
}

Result<SchemaPtr> CleanMissingData::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, CleanPairs(params_));
  EMBER_ASSIGN_OR_RETURN(auto bound, BindPairs("CleanMissingData", in, pairs,
                                               params_.cleaning_mode == ImputeStrategy::kCustom));
  return bound.second;
}

Result<std::shared_ptr<const Transformer>> CleanMissingData::Fit(const DataFrame& in,
                                                                 const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, CleanPairs(params_));
  return FitImputer("CleanMissingData", in, ctx, pairs, params_.cleaning_mode, std::nullopt,
                    params_.custom_value, uid());
}

// ImputerModel -------------------------------------------------------------------------------

Result<std::shared_ptr<const ImputerModel>> ImputerModel::Make(Params p, std::vector<Json> fill,
                                                               std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_RETURN_IF_ERROR(
      stages::internal::ResolveColumnPairs("ImputerModel", "", "", p.input_cols, p.output_cols)
          .status());
  if (fill.size() != p.input_cols.size()) {
    return InvalidArgument("ImputerModel: " + std::to_string(fill.size()) + " fill values for " +
                           std::to_string(p.input_cols.size()) + " columns");
  }
  for (size_t k = 0; k < fill.size(); ++k) {
    if (!fill[k].is_number() && !fill[k].is_string()) {
      return InvalidArgument("ImputerModel: the fill value of column '" + p.input_cols[k] +
                             "' must be a number or a string");
    }
  }
  return std::shared_ptr<const ImputerModel>(
      new ImputerModel(std::move(p), std::move(fill), std::move(uid)));
}

namespace {

// ImputerModel's learned state (format version 1): the value each output is filled with.
struct ImputerState {
  std::vector<Json> fill;
  static const StateSpec<ImputerState>& Spec() {
    static const StateSpec<ImputerState> spec =
        std::move(StateSpec<ImputerState>("ImputerModel", "model.json", 1)
                      .Field("fill", &ImputerState::fill));
    return spec;
  }
};

}  // namespace

Status ImputerModel::SaveContents(const std::string& dir) const {
  return ImputerState::Spec().Save({fill_}, dir);
}

Result<std::shared_ptr<const ImputerModel>> ImputerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(ImputerState s, ImputerState::Spec().Load(ctx));
  Result<std::shared_ptr<const ImputerModel>> m = Make(std::move(p), std::move(s.fill), ctx.uid);
  if (!m.ok()) return m.status().WithContext(ctx.dir + "/data/model.json");
  return m;
}

Result<std::unique_ptr<BoundTransform>> ImputerModel::Bind(const Schema& in) const {
  std::vector<ColumnPair> pairs;
  for (size_t k = 0; k < params_.input_cols.size(); ++k)
    pairs.push_back({params_.input_cols[k], params_.output_cols[k]});
  EMBER_ASSIGN_OR_RETURN(auto bound, BindPairs("ImputerModel", in, pairs, true));
  for (size_t k = 0; k < pairs.size(); ++k) {
    const bool numeric = in.field(bound.first[k]).type->is_numeric();
    if (numeric != fill_[k].is_number()) {
      return InvalidArgument("ImputerModel: column '" + pairs[k].in + "' is " +
                             in.field(bound.first[k]).type->ToString() + " but was fitted on a " +
                             (fill_[k].is_number() ? "numeric" : "string") + " column");
    }
  }
  const SchemaPtr out = bound.second;
  const std::vector<int> inputs = bound.first;
  std::vector<int> targets;  // where each output goes in the output schema
  for (const auto& p : pairs) targets.push_back(out->FindField(p.out));
  const auto fill = fill_;
  const auto missing = params_.missing_value;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, inputs, targets, fill, missing](const Batch& b) -> Result<Batch> {
        std::vector<ColumnPtr> cols = b.columns();
        cols.resize(static_cast<size_t>(out->num_fields()));
        for (size_t k = 0; k < inputs.size(); ++k) {
          cols[static_cast<size_t>(targets[k])] =
              FillColumn(*b.column(inputs[k]), fill[k], missing);
        }
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterImputerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<Imputer>(r, "Fills missing numeric values with the mean, median or mode."));
  EMBER_RETURN_IF_ERROR(RegisterStage<CleanMissingData>(
      r, "Fills missing values with the mean, the median or a custom value (SynapseML)."));
  return RegisterStage<ImputerModel>(r, "A fitted imputer: one fill value per column.");
}

}  // namespace ember
