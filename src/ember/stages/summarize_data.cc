#include "ember/stages/summarize_data.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/stages/discretizers.h"    // QuantileSummary
#include "ember/stages/string_indexer.h"  // LabelText

namespace ember {

namespace {

using P = SummarizeDataParams;

const std::vector<std::string> kCounts = {"Count", "Unique_Value_Count", "Missing_Value_Count"};
const std::vector<std::string> kBasic = {"Min", "1st_Quartile", "Median", "3rd_Quartile", "Max"};
const std::vector<double> kBasicQ = {0, 0.25, 0.5, 0.75, 1};
const std::vector<std::string> kSample = {"Sample_Variance", "Sample_Standard_Deviation",
                                          "Sample_Skewness", "Sample_Kurtosis"};
const std::vector<std::string> kPercentiles = {"P0_5", "P1", "P5", "P95", "P99", "P99_5"};
const std::vector<double> kPercentilesQ = {0.005, 0.01, 0.05, 0.95, 0.99, 0.995};

Result<SchemaPtr> OutputSchema(const P& p) {
  std::vector<Field> fields = {MakeField("Feature", StringType(), false)};
  auto add = [&](bool on, const std::vector<std::string>& names) {
    if (!on) return;
    for (const auto& n : names) fields.push_back(MakeField(n, Float64Type()));
  };
  add(p.counts, kCounts);
  add(p.basic, kBasic);
  add(p.sample, kSample);
  add(p.percentiles, kPercentiles);
  return Schema::Make(std::move(fields));
}

bool Numeric(const DataType& t) { return t.is_numeric(); }

bool Missing(const Column& c, int64_t r) {
  if (!c.IsValid(r)) return true;
  if (c.type_id() == TypeId::kFloat64) return std::isnan(c.Values<double>()[r]);
  if (c.type_id() == TypeId::kFloat32) return std::isnan(c.Values<float>()[r]);
  return false;
}

// One column's partial statistics (a partition's, then a rank's, then all).
struct ColumnStats {
  double rows = 0, missing = 0, sum = 0;
  double m2 = 0, m3 = 0, m4 = 0;  // second pass: sums of powers of deviations from the mean
  std::set<std::string> distinct;
  QuantileSummary quantiles;
};

template <typename F>
Status ForPartitions(const DataFrame& in, const ExecContext& ctx, F f) {
  if (ctx.pool) return ctx.pool->ParallelFor(in.num_partitions(), f, ctx.cancel);
  for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(f(p));
  return Status::OK();
}

// Sums `v` (one entry per column, then anything else) over ranks.
Result<std::vector<double>> SumOverRanks(std::vector<double> v, const ExecContext& ctx) {
  if (!ctx.comm || ctx.comm->size() <= 1) return v;
  EMBER_ASSIGN_OR_RETURN(auto all,
                         AllGatherDoubles(*ctx.comm, v, Deadline::In(std::chrono::minutes(30))));
  std::vector<double> sum(v.size(), 0.0);
  for (size_t i = 0; i < all.size(); ++i) sum[i % v.size()] += all[i];
  return sum;
}

Result<std::vector<ColumnStats>> Collect(const DataFrame& in, const P& p, const ExecContext& ctx) {
  const Schema& s = *in.schema();
  const int k = s.num_fields();
  const bool numbers = p.basic || p.sample || p.percentiles;
  std::vector<std::vector<ColumnStats>> partial(in.num_partitions(), std::vector<ColumnStats>(k));
  EMBER_RETURN_IF_ERROR(ForPartitions(in, ctx, [&](int64_t part) -> Status {
    const Batch& b = in.partition(static_cast<int>(part));
    std::string buf;
    std::vector<double> values;
    for (int j = 0; j < k; ++j) {
      const Column& c = *b.column(j);
      ColumnStats& st = partial[part][j];
      const bool scalar =
          c.type()->is_numeric() || c.type()->is_binary_like() || c.type_id() == TypeId::kBool;
      const bool numeric = numbers && Numeric(*c.type());
      values.clear();
      st.rows = static_cast<double>(b.num_rows());
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (Missing(c, r)) {
          ++st.missing;
          continue;
        }
        if (p.counts) st.distinct.emplace(scalar ? LabelText(c, r, &buf) : FormatValue(c, r));
        if (numeric) {
          values.push_back(NumericValue(c, r));
          st.sum += values.back();
        }
      }
      if (numeric) {
        std::sort(values.begin(), values.end());
        st.quantiles = QuantileSummary::Of(values, p.error_threshold);
      }
    }
    return Status::OK();
  }));
  std::vector<ColumnStats> total(k);
  for (auto& part : partial) {
    for (int j = 0; j < k; ++j) {
      total[j].rows += part[j].rows;
      total[j].missing += part[j].missing;
      total[j].sum += part[j].sum;
      total[j].distinct.merge(part[j].distinct);
      total[j].quantiles.Merge(part[j].quantiles);
    }
  }
  std::vector<double> sums;
  for (const auto& t : total) {
    sums.insert(sums.end(), {t.rows, t.missing, t.sum});
  }
  EMBER_ASSIGN_OR_RETURN(sums, SumOverRanks(std::move(sums), ctx));
  std::vector<QuantileSummary> summaries;
  for (int j = 0; j < k; ++j) {
    total[j].rows = sums[3 * j];
    total[j].missing = sums[3 * j + 1];
    total[j].sum = sums[3 * j + 2];
    summaries.push_back(std::move(total[j].quantiles));
  }
  EMBER_RETURN_IF_ERROR(MergeSummariesOverRanks(&summaries, ctx));
  for (int j = 0; j < k; ++j) total[j].quantiles = std::move(summaries[j]);
  if (p.counts && ctx.comm && ctx.comm->size() > 1) {
    // Distinct values over ranks: per column its number, then the values.
    std::vector<std::string_view> names;
    std::vector<double> sizes;
    for (const auto& t : total) {
      sizes.push_back(static_cast<double>(t.distinct.size()));
      names.insert(names.end(), t.distinct.begin(), t.distinct.end());
    }
    const Deadline deadline = Deadline::In(std::chrono::minutes(30));
    EMBER_ASSIGN_OR_RETURN(auto all_sizes, AllGatherDoubles(*ctx.comm, sizes, deadline));
    EMBER_ASSIGN_OR_RETURN(auto all_names, AllGatherStrings(*ctx.comm, names, deadline));
    size_t at = 0;
    for (size_t i = 0; i < all_sizes.size(); ++i) {
      auto& d = total[i % total.size()].distinct;
      for (auto n = static_cast<size_t>(all_sizes[i]); n > 0; --n) d.insert(all_names[at++]);
    }
  }
  if (p.sample) {
    // Second pass: powers of deviations from the global mean (exact, no cancellation).
    std::vector<std::vector<std::array<double, 3>>> dev(in.num_partitions(),
                                                        std::vector<std::array<double, 3>>(k));
    EMBER_RETURN_IF_ERROR(ForPartitions(in, ctx, [&](int64_t part) -> Status {
      const Batch& b = in.partition(static_cast<int>(part));
      for (int j = 0; j < k; ++j) {
        const Column& c = *b.column(j);
        if (!Numeric(*c.type())) continue;
        const double n = total[j].rows - total[j].missing;
        const double mean = n > 0 ? total[j].sum / n : 0;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (Missing(c, r)) continue;
          const double d = NumericValue(c, r) - mean;
          dev[part][j][0] += d * d;
          dev[part][j][1] += d * d * d;
          dev[part][j][2] += d * d * d * d;
        }
      }
      return Status::OK();
    }));
    std::vector<double> m(3 * static_cast<size_t>(k), 0.0);
    for (const auto& part : dev) {
      for (int j = 0; j < k; ++j) {
        for (int e = 0; e < 3; ++e) m[3 * j + e] += part[j][e];
      }
    }
    EMBER_ASSIGN_OR_RETURN(m, SumOverRanks(std::move(m), ctx));
    for (int j = 0; j < k; ++j) {
      total[j].m2 = m[3 * j];
      total[j].m3 = m[3 * j + 1];
      total[j].m4 = m[3 * j + 2];
    }
  }
  return total;
}

Result<Batch> Table(const Schema& in, const std::vector<ColumnStats>& stats, const P& p,
                    const SchemaPtr& out) {
  std::vector<std::unique_ptr<ColumnBuilder>> b;
  for (const Field& f : out->fields()) b.push_back(MakeBuilder(f.type));
  for (int j = 0; j < in.num_fields(); ++j) {
    const ColumnStats& st = stats[j];
    const bool numeric = Numeric(*in.field(j).type);
    const double n = st.rows - st.missing;
    std::vector<std::optional<double>> row;
    if (p.counts) row.insert(row.end(), {n, static_cast<double>(st.distinct.size()), st.missing});
    auto quantiles = [&](const std::vector<double>& qs) {
      for (double q : qs) {
        row.push_back(numeric && n > 0 ? std::optional(st.quantiles.Quantile(q)) : std::nullopt);
      }
    };
    if (p.basic) quantiles(kBasicQ);
    if (p.sample) {
      std::optional<double> var, sd, skew, kurt;
      if (numeric && n >= 2) {
        var = st.m2 / (n - 1);
        sd = std::sqrt(*var);
      }
      if (numeric && n >= 1 && st.m2 > 0) {
        skew = std::sqrt(n) * st.m3 / std::pow(st.m2, 1.5);
        kurt = n * st.m4 / (st.m2 * st.m2) - 3;
      }
      row.insert(row.end(), {var, sd, skew, kurt});
    }
    if (p.percentiles) quantiles(kPercentilesQ);
    static_cast<StringBuilder*>(b[0].get())->Append(in.field(j).name);
    for (size_t i = 0; i < row.size(); ++i) {
      if (row[i]) {
        static_cast<Float64Builder*>(b[i + 1].get())->Append(*row[i]);
      } else {
        b[i + 1]->AppendNull();
      }
    }
  }
  std::vector<ColumnPtr> cols;
  for (auto& x : b) cols.push_back(x->Finish());
  return Batch::Make(out, std::move(cols), in.num_fields());
}

Result<DataFrame> Summarize(const DataFrame& in, const P& p, const SchemaPtr& out,
                            const ExecContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(std::vector<ColumnStats> stats, Collect(in, p, ctx));
  if (ctx.comm && ctx.comm->rank() != 0) return DataFrame::Make(out, {});
  EMBER_ASSIGN_OR_RETURN(Batch table, Table(*in.schema(), stats, p, out));
  return DataFrame::FromBatch(std::move(table));
}

}  // namespace

const ParamSpec<SummarizeDataParams>& SummarizeDataParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("SummarizeData")
          .Add("counts", &P::counts, "Count, Unique_Value_Count and Missing_Value_Count.")
          .Add("basic", &P::basic, "Min, quartiles, median and Max of numeric columns.")
          .Add("sample", &P::sample,
               "Sample variance, standard deviation, skewness and kurtosis of numeric columns.")
          .Add("percentiles", &P::percentiles,
               "The 0.5, 1, 5, 95, 99 and 99.5 percentiles of numeric columns.")
          .Add("errorThreshold", &P::error_threshold,
               "The quantiles' rank error as a share of the values (0: exact).",
               InRange(0.0, 1.0)));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> SummarizeData::Bind(const Schema&) const {
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, OutputSchema(params_));
  const P p = params_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, p](const Batch& b) -> Result<Batch> {
        EMBER_ASSIGN_OR_RETURN(DataFrame t,
                               Summarize(DataFrame::FromBatch(b), p, out, ExecContext::Local()));
        return t.Collect();
      }));
}

Result<DataFrame> SummarizeData::Transform(const DataFrame& in, const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, OutputSchema(params_));
  Result<DataFrame> table = Summarize(in, params_, out, ctx);
  if (!table.ok()) return table.status().WithContext(Describe());
  return table;
}

}  // namespace ember
