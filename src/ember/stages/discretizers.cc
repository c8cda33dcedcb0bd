#include "ember/stages/discretizers.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/stages/internal/column_pairs.h"

namespace ember {

namespace {

using stages::internal::ColumnPair;
using stages::internal::ResolveColumnPairs;

std::vector<std::pair<std::string, HandleInvalid>> HandleInvalidNames() {
  return {{"error", HandleInvalid::kError},
          {"skip", HandleInvalid::kSkip},
          {"keep", HandleInvalid::kKeep}};
}

// A split as the interval labels show it: shortest round-trip digits, -inf and inf.
std::string SplitText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

// The buckets' nominal values: "[a, b)" for each but the last, "[a, b]" for the last, and
// "NaN" for the extra bucket of handleInvalid "keep".
std::vector<std::string> BucketLabels(const std::vector<double>& splits, bool keep) {
  std::vector<std::string> labels;
  for (size_t i = 0; i + 1 < splits.size(); ++i) {
    labels.push_back("[" + SplitText(splits[i]) + ", " + SplitText(splits[i + 1]) +
                     (i + 2 == splits.size() ? "]" : ")"));
  }
  if (keep) labels.push_back("NaN");
  return labels;
}

Status CheckSplits(const std::vector<double>& s, const std::string& owner,
                   const std::string& param) {
  auto error = [&](const std::string& what) {
    return InvalidArgument(owner + " param '" + param + "': " + what);
  };
  if (s.size() < 3) {
    return error("needs at least 3 splits (2 buckets), got " + std::to_string(s.size()));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::isnan(s[i])) return error("split " + std::to_string(i) + " is NaN");
    if (i > 0 && !(s[i] > s[i - 1])) {
      return error("splits must increase strictly: split " + std::to_string(i) + " (" +
                   SplitText(s[i]) + ") is not above " + SplitText(s[i - 1]));
    }
  }
  return Status::OK();
}

// The input and output columns with each one's splits.
Result<std::vector<ColumnPair>> Pairs(const BucketizerParams& p) {
  return ResolveColumnPairs("Bucketizer", p.input_col, p.output_col, p.input_cols, p.output_cols);
}

// The numeric input columns of `pairs` in `in`, and `in` with a float64 output per pair
// (with the buckets' intervals as nominal values when `splits` is given: before fitting a
// QuantileDiscretizer has none). Errors name `owner` and the column.
Result<std::pair<std::vector<int>, SchemaPtr>> BucketColumns(
    const Schema& in, const std::vector<ColumnPair>& pairs,
    const std::vector<std::vector<double>>* splits, bool keep, const std::string& owner) {
  std::vector<int> inputs;
  std::vector<Field> fields = in.fields();
  for (size_t k = 0; k < pairs.size(); ++k) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                      pairs[k].in, [](const DataType& t) { return t.is_numeric(); },
                                      "a numeric column"));
    if (in.FindField(pairs[k].out) >= 0) {
      return AlreadyExists(owner + ": output column '" + pairs[k].out + "' already exists");
    }
    inputs.push_back(i);
    fields.push_back(MakeField(pairs[k].out, Float64Type()));
    if (splits) SetNominalValues(&fields.back(), BucketLabels((*splits)[k], keep));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  return std::make_pair(std::move(inputs), std::move(out));
}

}  // namespace

// Bucketizer ------------------------------------------------------------------------------

const ParamSpec<BucketizerParams>& BucketizerParams::Spec() {
  using P = BucketizerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Bucketizer")
          .Add("inputCol", &P::input_col, "The numeric column to bucket.")
          .Add("outputCol", &P::output_col, "The float64 bucket index column to add.")
          .Add("inputCols", &P::input_cols, "Several columns to bucket (instead of inputCol).")
          .Add("outputCols", &P::output_cols, "The bucket columns, one per inputCols entry.")
          .Add("splits", &P::splits,
               "n + 1 increasing split points of n buckets [s0, s1), ..., [s(n-1), sn] "
               "(\"-Infinity\" and \"Infinity\" allowed) for inputCol.")
          .Add("splitsArray", &P::splits_array, "The splits of each of inputCols.")
          .AddEnum("handleInvalid", &P::handle_invalid, HandleInvalidNames(),
                   "NaN values: fail, drop the row, or put them in bucket n. A value outside "
                   "the splits is always an error."));
  return spec;
}

Status Bucketizer::Check(const Params& p) {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(p));
  if (!p.input_col.empty()) {
    if (!p.splits_array.empty()) {
      return InvalidArgument("Bucketizer param 'splitsArray': use 'splits' with inputCol");
    }
    return CheckSplits(p.splits, "Bucketizer", "splits");
  }
  if (!p.splits.empty()) {
    return InvalidArgument("Bucketizer param 'splits': use 'splitsArray' with inputCols");
  }
  if (p.splits_array.size() != pairs.size()) {
    return InvalidArgument(
        "Bucketizer param 'splitsArray': " + std::to_string(p.splits_array.size()) +
        " split lists for " + std::to_string(pairs.size()) + " inputCols");
  }
  for (size_t k = 0; k < pairs.size(); ++k) {
    EMBER_RETURN_IF_ERROR(
        CheckSplits(p.splits_array[k], "Bucketizer", "splitsArray[" + std::to_string(k) + "]"));
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> Bucketizer::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  const bool keep = params_.handle_invalid == HandleInvalid::kKeep;
  std::vector<std::vector<double>> splits = params_.input_col.empty()
                                                ? params_.splits_array
                                                : std::vector<std::vector<double>>{params_.splits};
  EMBER_ASSIGN_OR_RETURN(auto bound, BucketColumns(in, pairs, &splits, keep, "Bucketizer"));
  const std::vector<int> inputs = bound.first;
  const SchemaPtr out = bound.second;
  const HandleInvalid mode = params_.handle_invalid;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, inputs, splits, pairs, mode](const Batch& b) -> Result<Batch> {
        const int64_t n = b.num_rows();
        std::vector<ColumnPtr> cols = b.columns();
        std::vector<bool> drop;
        for (size_t k = 0; k < inputs.size(); ++k) {
          const Column& c = *b.column(inputs[k]);
          const std::vector<double>& s = splits[k];
          const double buckets = static_cast<double>(s.size() - 1);
          BufferBuilder values;
          values.ResizeUninitialized(n * 8);
          double* v = values.mutable_data_as<double>();
          for (int64_t r = 0; r < n; ++r) {
            if (c.IsNull(r)) {
              v[r] = 0;
              continue;
            }
            const double x = NumericValue(c, r);
            if (std::isnan(x)) {
              if (mode == HandleInvalid::kError) {
                return InvalidArgument("Bucketizer: NaN in column '" + pairs[k].in +
                                       "'; set handleInvalid to 'skip' or 'keep'");
              }
              if (mode == HandleInvalid::kSkip) {
                if (drop.empty()) drop.assign(n, false);
                drop[r] = true;
              }
              v[r] = buckets;  // keep: the extra bucket
              continue;
            }
            if (x < s.front() || x > s.back()) {
              return InvalidArgument("Bucketizer: value " + SplitText(x) + " in column '" +
                                     pairs[k].in + "' is outside the splits [" +
                                     SplitText(s.front()) + ", " + SplitText(s.back()) +
                                     "]; widen them (\"-Infinity\" and \"Infinity\" are "
                                     "allowed)");
            }
            // The last split closes the last bucket.
            const auto at = std::upper_bound(s.begin(), s.end(), x) - s.begin();
            v[r] = std::min(static_cast<double>(at - 1), buckets - 1);
          }
          cols.push_back(NumericColumnFromBuffers(Float64Type(), n, values.Finish(),
                                                  CopyValidity(c), c.null_count()));
        }
        EMBER_ASSIGN_OR_RETURN(Batch result, Batch::Make(out, std::move(cols), n));
        if (drop.empty()) return result;
        std::vector<int64_t> rows;
        for (int64_t r = 0; r < n; ++r) {
          if (!drop[r]) rows.push_back(r);
        }
        return TakeRows(result, rows);
      }));
}

// Quantile summaries ----------------------------------------------------------------------

Status MergeSummariesOverRanks(std::vector<QuantileSummary>* merged, const ExecContext& ctx) {
  if (!ctx.comm || ctx.comm->size() <= 1) return Status::OK();
  // Every rank's summaries: per column, its size, then values and weights.
  std::vector<double> mine;
  for (const QuantileSummary& s : *merged) {
    mine.push_back(static_cast<double>(s.values.size()));
    mine.insert(mine.end(), s.values.begin(), s.values.end());
    mine.insert(mine.end(), s.weights.begin(), s.weights.end());
  }
  EMBER_ASSIGN_OR_RETURN(std::vector<double> all,
                         AllGatherDoubles(*ctx.comm, mine, Deadline::In(std::chrono::minutes(10))));
  const size_t k = merged->size();
  for (auto& s : *merged) s = {};
  for (size_t at = 0; at < all.size();) {
    for (size_t j = 0; j < k; ++j) {
      const auto size = static_cast<size_t>(all[at++]);
      QuantileSummary s;
      s.values.assign(all.begin() + at, all.begin() + at + size);
      s.weights.assign(all.begin() + at + size, all.begin() + at + 2 * size);
      at += 2 * size;
      (*merged)[j].Merge(s);
    }
  }
  return Status::OK();
}

QuantileSummary QuantileSummary::Of(const std::vector<double>& sorted, double eps) {
  QuantileSummary s;
  const size_t n = sorted.size();
  const size_t step = std::max<size_t>(1, static_cast<size_t>(eps * static_cast<double>(n)));
  for (size_t i = 0; i < n; i += step) {
    s.values.push_back(sorted[i]);
    s.weights.push_back(static_cast<double>(std::min(step, n - i)));
  }
  return s;
}

void QuantileSummary::Merge(const QuantileSummary& o) {
  QuantileSummary m;
  m.values.reserve(values.size() + o.values.size());
  m.weights.reserve(values.size() + o.values.size());
  size_t i = 0, j = 0;
  while (i < values.size() || j < o.values.size()) {
    const bool mine = j == o.values.size() || (i < values.size() && values[i] <= o.values[j]);
    m.values.push_back(mine ? values[i] : o.values[j]);
    m.weights.push_back(mine ? weights[i++] : o.weights[j++]);
  }
  *this = std::move(m);
}

double QuantileSummary::count() const {
  double n = 0;
  for (double w : weights) n += w;
  return n;
}

double QuantileSummary::Quantile(double q) const {
  if (values.empty()) return std::nan("");
  const double target = q * count();
  double seen = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    seen += weights[i];
    if (seen >= target) return values[i];
  }
  return values.back();
}

// QuantileDiscretizer ---------------------------------------------------------------------

const ParamSpec<QuantileDiscretizerParams>& QuantileDiscretizerParams::Spec() {
  using P = QuantileDiscretizerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("QuantileDiscretizer")
          .Add("inputCol", &P::input_col, "The numeric column to bucket.")
          .Add("outputCol", &P::output_col, "The float64 bucket index column to add.")
          .Add("inputCols", &P::input_cols, "Several columns to bucket (instead of inputCol).")
          .Add("outputCols", &P::output_cols, "The bucket columns, one per inputCols entry.")
          .Add("numBuckets", &P::num_buckets, "Buckets (at most; repeated quantiles merge).",
               AtLeast<int32_t>(2))
          .Add("numBucketsArray", &P::num_buckets_array, "The buckets of each of inputCols.",
               Each(AtLeast<int32_t>(2)))
          .Add("relativeError", &P::relative_error,
               "Each quantile's rank is within relativeError x rows of the exact one (0: exact).",
               InRange(0.0, 1.0))
          .AddEnum("handleInvalid", &P::handle_invalid, HandleInvalidNames(),
                   "NaN values when transforming: fail, drop the row, or put them in an extra "
                   "bucket."));
  return spec;
}

Status QuantileDiscretizer::Check(const Params& p) {
  EMBER_ASSIGN_OR_RETURN(auto pairs, ResolveColumnPairs("QuantileDiscretizer", p.input_col,
                                                        p.output_col, p.input_cols, p.output_cols));
  if (!p.input_col.empty() && !p.num_buckets_array.empty()) {
    return InvalidArgument(
        "QuantileDiscretizer param 'numBucketsArray': use 'numBuckets' with inputCol");
  }
  if (!p.num_buckets_array.empty() && p.num_buckets_array.size() != pairs.size()) {
    return InvalidArgument("QuantileDiscretizer param 'numBucketsArray': " +
                           std::to_string(p.num_buckets_array.size()) + " counts for " +
                           std::to_string(pairs.size()) + " inputCols");
  }
  return Status::OK();
}

Result<SchemaPtr> QuantileDiscretizer::TransformSchema(const Schema& in) const {
  // The splits come with fitting, and the outputs' nominal values with them.
  EMBER_ASSIGN_OR_RETURN(
      auto pairs, ResolveColumnPairs("QuantileDiscretizer", params_.input_col, params_.output_col,
                                     params_.input_cols, params_.output_cols));
  EMBER_ASSIGN_OR_RETURN(auto bound,
                         BucketColumns(in, pairs, nullptr, false, "QuantileDiscretizer"));
  return bound.second;
}

Result<std::shared_ptr<const Transformer>> QuantileDiscretizer::Fit(const DataFrame& in,
                                                                    const ExecContext& ctx) const {
  const std::string owner = Describe();
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  EMBER_ASSIGN_OR_RETURN(
      auto pairs, ResolveColumnPairs("QuantileDiscretizer", params_.input_col, params_.output_col,
                                     params_.input_cols, params_.output_cols));
  const size_t k = pairs.size();
  std::vector<int> cols;
  for (const auto& p : pairs) cols.push_back(in.schema()->FindField(p.in));
  const double eps = params_.relative_error;
  // A summary per partition and column, in parallel.
  std::vector<std::vector<QuantileSummary>> partial(in.num_partitions(),
                                                    std::vector<QuantileSummary>(k));
  auto summarize = [&](int64_t p) -> Status {
    const Batch& b = in.partition(static_cast<int>(p));
    std::vector<double> v;
    for (size_t j = 0; j < k; ++j) {
      const Column& c = *b.column(cols[j]);
      v.clear();
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (c.IsNull(r)) continue;
        const double x = NumericValue(c, r);
        if (!std::isnan(x)) v.push_back(x);
      }
      std::sort(v.begin(), v.end());
      partial[p][j] = QuantileSummary::Of(v, eps);
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), summarize, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(summarize(p));
  }
  std::vector<QuantileSummary> merged(k);
  for (auto& part : partial) {
    for (size_t j = 0; j < k; ++j) merged[j].Merge(part[j]);
  }
  EMBER_RETURN_IF_ERROR(MergeSummariesOverRanks(&merged, ctx));
  BucketizerParams b{.input_col = params_.input_col,
                     .output_col = params_.output_col,
                     .input_cols = params_.input_cols,
                     .output_cols = params_.output_cols,
                     .handle_invalid = params_.handle_invalid};
  for (size_t j = 0; j < k; ++j) {
    if (merged[j].values.empty()) {
      return InvalidArgument(owner + ": column '" + pairs[j].in +
                             "' has no values to take quantiles of (all null or NaN, or no rows)");
    }
    const int buckets =
        params_.num_buckets_array.empty() ? params_.num_buckets : params_.num_buckets_array[j];
    std::vector<double> splits = {-INFINITY};
    for (int i = 1; i < buckets; ++i) {
      const double q = merged[j].Quantile(static_cast<double>(i) / buckets);
      if (q > splits.back()) splits.push_back(q);
    }
    if (splits.back() == INFINITY) splits.pop_back();
    splits.push_back(INFINITY);
    if (splits.size() < 3) splits.insert(splits.begin() + 1, merged[j].values.front());
    if (static_cast<int>(splits.size()) - 1 < buckets && ctx.log) {
      ctx.log->Warning(owner + ": column '" + pairs[j].in + "' has " +
                       std::to_string(splits.size() - 1) + " distinct buckets of the " +
                       std::to_string(buckets) + " asked for (repeated quantiles)");
    }
    if (params_.input_col.empty()) {
      b.splits_array.push_back(std::move(splits));
    } else {
      b.splits = std::move(splits);
    }
  }
  EMBER_ASSIGN_OR_RETURN(auto model, Bucketizer::Make(std::move(b), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Status RegisterDiscretizerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<Bucketizer>(
      r, "Numbers into bucket indices by given splits (Spark's Bucketizer)."));
  return RegisterStage<QuantileDiscretizer>(
      r, "Numbers into buckets of equal counts by approximate quantiles (fits a Bucketizer).");
}

}  // namespace ember
