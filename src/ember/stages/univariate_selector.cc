#include "ember/stages/univariate_selector.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include "ember/base/status_macros.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/stages/internal/distributions.h"
#include "ember/stages/internal/vector_columns.h"
#include "ember/stages/vector_stages.h"

namespace ember {

namespace {

using P = UnivariateFeatureSelectorParams;
using stages::internal::ChiSquaredSurvival;
using stages::internal::FSurvival;

// A feature of more distinct values than this is not categorical (Spark's ChiSquareTest
// limit).
constexpr size_t kMaxCategories = 10000;

Status OneOf(const std::string& v, std::initializer_list<const char*> options) {
  std::string all;
  for (const char* o : options) {
    if (v == o) return Status::OK();
    all += std::string(all.empty() ? "" : ", ") + o;
  }
  return InvalidArgument("must be one of " + all + "; got '" + v + "'");
}

double Threshold(const P& p) {
  if (p.selection_threshold) return *p.selection_threshold;
  if (p.selection_mode == "numTopFeatures") return 50;
  if (p.selection_mode == "percentile") return 0.1;
  return 0.05;
}

struct Columns {
  int features = -1, label = -1;
  int64_t d = 0;
};

Result<Columns> Bind(const Schema& in, const P& p) {
  Columns c;
  EMBER_ASSIGN_OR_RETURN(c.features,
                         stages::internal::VectorInput(in, p.features_col, p.output_col));
  EMBER_ASSIGN_OR_RETURN(c.label, in.GetFieldIndexOfType(
                                      p.label_col, [](const DataType& t) { return t.is_numeric(); },
                                      "a numeric label column"));
  c.d = in.field(c.features).type->vector_size();
  return c;
}

// Row r's label and dense features; a null or non-finite one is an error naming its column.
Result<bool> ReadRow(const Batch& b, const Columns& c, int64_t r, const P& p, double* y,
                     std::vector<double>* x) {
  const Column& f = *b.column(c.features);
  const Column& l = *b.column(c.label);
  if (f.IsNull(r) || l.IsNull(r)) {
    return InvalidArgument("UnivariateFeatureSelector: a null in column '" +
                           (f.IsNull(r) ? p.features_col : p.label_col) + "' (row " +
                           std::to_string(r) + " of its partition); drop or impute it first");
  }
  *y = NumericValue(l, r);
  if (!std::isfinite(*y)) {
    return InvalidArgument("UnivariateFeatureSelector: label " + Json(*y).Dump() + " in column '" +
                           p.label_col + "'; labels must be finite");
  }
  std::fill(x->begin(), x->end(), 0.0);
  bool finite = true;
  ForEachVectorEntry(f, r, [&](int64_t j, double v) {
    (*x)[j] = v;
    finite = finite && std::isfinite(v);
  });
  if (!finite) {
    return InvalidArgument("UnivariateFeatureSelector: a NaN or infinite value in column '" +
                           p.features_col + "'");
  }
  return true;
}

// The distinct labels over partitions and ranks, sorted.
Result<std::vector<double>> Classes(const DataFrame& in, const Columns& c, const P& p,
                                    const ExecContext& ctx) {
  std::vector<double> mine;
  std::vector<double> x(static_cast<size_t>(c.d));
  for (const Batch& b : in.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      double y;
      EMBER_ASSIGN_OR_RETURN(bool ok, ReadRow(b, c, r, p, &y, &x));
      if (ok) mine.push_back(y);
    }
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    EMBER_ASSIGN_OR_RETURN(
        mine, AllGatherDoubles(*ctx.comm, mine, Deadline::In(std::chrono::minutes(30))));
    std::sort(mine.begin(), mine.end());
    mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  }
  return mine;
}

// Sums `width` values per row by `fn(y, x, acc)` over partitions and ranks.
Result<std::vector<double>> SumRows(
    const DataFrame& in, const ExecContext& ctx, const Columns& c, const P& p, size_t width,
    const std::function<void(double, const std::vector<double>&, std::span<double>)>& fn) {
  std::vector<double> out;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, width, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        std::vector<double> x(static_cast<size_t>(c.d));
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_ASSIGN_OR_RETURN(bool ok, ReadRow(b, c, r, p, &y, &x));
          if (ok) fn(y, x, acc);
        }
        return Status::OK();
      },
      &out));
  return out;
}

// ANOVA F-test of each feature across the label's classes.
Result<std::vector<double>> AnovaPValues(const DataFrame& in, const ExecContext& ctx,
                                         const Columns& c, const P& p) {
  EMBER_ASSIGN_OR_RETURN(std::vector<double> classes, Classes(in, c, p, ctx));
  const size_t k = classes.size();
  const auto d = static_cast<size_t>(c.d);
  auto cls = [&](double y) {
    return static_cast<size_t>(std::lower_bound(classes.begin(), classes.end(), y) -
                               classes.begin());
  };
  // Pass 1: per class, its count and feature sums.
  EMBER_ASSIGN_OR_RETURN(auto sums, SumRows(in, ctx, c, p, k * (d + 1),
                                            [&](double y, const std::vector<double>& x, auto acc) {
                                              const size_t at = cls(y) * (d + 1);
                                              acc[at] += 1;
                                              for (size_t j = 0; j < d; ++j)
                                                acc[at + 1 + j] += x[j];
                                            }));
  // Pass 2: squared deviations from the class means.
  EMBER_ASSIGN_OR_RETURN(
      auto within, SumRows(in, ctx, c, p, d, [&](double y, const std::vector<double>& x, auto acc) {
        const size_t at = cls(y) * (d + 1);
        for (size_t j = 0; j < d; ++j) {
          const double e = x[j] - sums[at + 1 + j] / sums[at];
          acc[j] += e * e;
        }
      }));
  double n = 0;
  for (size_t g = 0; g < k; ++g) n += sums[g * (d + 1)];
  std::vector<double> pv(d, 1.0);
  if (k < 2 || n <= static_cast<double>(k)) return pv;
  for (size_t j = 0; j < d; ++j) {
    double total = 0;
    for (size_t g = 0; g < k; ++g) total += sums[g * (d + 1) + 1 + j];
    const double mean = total / n;
    double between = 0;
    for (size_t g = 0; g < k; ++g) {
      const double ng = sums[g * (d + 1)];
      const double e = sums[g * (d + 1) + 1 + j] / ng - mean;
      between += ng * e * e;
    }
    const double df1 = static_cast<double>(k) - 1, df2 = n - static_cast<double>(k);
    const double f = (between / df1) / (within[j] / df2);
    pv[j] = std::isnan(f) ? 1.0 : FSurvival(f, df1, df2);
  }
  return pv;
}

// F-test of each feature's correlation with a continuous label.
Result<std::vector<double>> RegressionPValues(const DataFrame& in, const ExecContext& ctx,
                                              const Columns& c, const P& p) {
  const auto d = static_cast<size_t>(c.d);
  EMBER_ASSIGN_OR_RETURN(auto sums, SumRows(in, ctx, c, p, d + 2,
                                            [&](double y, const std::vector<double>& x, auto acc) {
                                              for (size_t j = 0; j < d; ++j) acc[j] += x[j];
                                              acc[d] += y;
                                              acc[d + 1] += 1;
                                            }));
  const double n = sums[d + 1];
  std::vector<double> pv(d, 1.0);
  if (n < 3) return pv;
  const double ybar = sums[d] / n;
  EMBER_ASSIGN_OR_RETURN(auto dev, SumRows(in, ctx, c, p, 2 * d + 1,
                                           [&](double y, const std::vector<double>& x, auto acc) {
                                             const double ey = y - ybar;
                                             for (size_t j = 0; j < d; ++j) {
                                               const double ex = x[j] - sums[j] / n;
                                               acc[j] += ex * ey;
                                               acc[d + j] += ex * ex;
                                             }
                                             acc[2 * d] += ey * ey;
                                           }));
  for (size_t j = 0; j < d; ++j) {
    const double r = dev[j] / std::sqrt(dev[d + j] * dev[2 * d]);
    const double f = r * r / (1 - r * r) * (n - 2);
    pv[j] = std::isnan(f) ? 1.0 : FSurvival(f, 1, n - 2);
  }
  return pv;
}

// Chi-squared test of independence of each feature's values and the label.
Result<std::vector<double>> ChiSquaredPValues(const DataFrame& in, const ExecContext& ctx,
                                              const Columns& c, const P& p) {
  const auto d = static_cast<size_t>(c.d);
  // Per feature: (value, label) -> count, merged over partitions then ranks.
  std::vector<std::map<std::pair<double, double>, double>> tables(d);
  std::vector<double> x(d);
  for (const Batch& b : in.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      double y;
      EMBER_ASSIGN_OR_RETURN(bool ok, ReadRow(b, c, r, p, &y, &x));
      if (!ok) continue;
      for (size_t j = 0; j < d; ++j) tables[j][{x[j], y}] += 1;
    }
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<double> mine;  // per feature: entries, then (value, label, count) each
    for (const auto& t : tables) {
      mine.push_back(static_cast<double>(t.size()));
      for (const auto& [key, n] : t) mine.insert(mine.end(), {key.first, key.second, n});
    }
    EMBER_ASSIGN_OR_RETURN(
        auto all, AllGatherDoubles(*ctx.comm, mine, Deadline::In(std::chrono::minutes(30))));
    for (auto& t : tables) t.clear();
    for (size_t at = 0; at < all.size();) {
      for (size_t j = 0; j < d; ++j) {
        for (auto e = static_cast<size_t>(all[at++]); e > 0; --e, at += 3) {
          tables[j][{all[at], all[at + 1]}] += all[at + 2];
        }
      }
    }
  }
  std::vector<double> pv(d, 1.0);
  for (size_t j = 0; j < d; ++j) {
    std::map<double, double> rows, cols;
    double n = 0;
    for (const auto& [key, count] : tables[j]) {
      rows[key.first] += count;
      cols[key.second] += count;
      n += count;
    }
    if (rows.size() > kMaxCategories) {
      return InvalidArgument("UnivariateFeatureSelector: slot " + std::to_string(j) + " of '" +
                             p.features_col + "' has " + std::to_string(rows.size()) +
                             " distinct values, more than " + std::to_string(kMaxCategories) +
                             " categories; set featureType to continuous");
    }
    const double df = static_cast<double>((rows.size() - 1) * (cols.size() - 1));
    if (df == 0) continue;
    double stat = 0;
    for (const auto& [rv, rn] : rows) {
      for (const auto& [cv, cn] : cols) {
        const double expected = rn * cn / n;
        auto it = tables[j].find({rv, cv});
        const double observed = it == tables[j].end() ? 0 : it->second;
        stat += (observed - expected) * (observed - expected) / expected;
      }
    }
    pv[j] = ChiSquaredSurvival(stat, df);
  }
  return pv;
}

}  // namespace

const ParamSpec<UnivariateFeatureSelectorParams>& UnivariateFeatureSelectorParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("UnivariateFeatureSelector")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("labelCol", &P::label_col, "The numeric label column.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The vector of the kept slots.",
               NonEmpty<std::string>())
          .Add("featureType", &P::feature_type,
               "categorical or continuous: how the features are tested (required).",
               Validator<std::string>{[](const std::string& v) {
                                        return OneOf(v, {"categorical", "continuous"});
                                      },
                                      "categorical or continuous"})
          .Add("labelType", &P::label_type, "categorical or continuous (required).",
               Validator<std::string>{[](const std::string& v) {
                                        return OneOf(v, {"categorical", "continuous"});
                                      },
                                      "categorical or continuous"})
          .Add("selectionMode", &P::selection_mode,
               "numTopFeatures, percentile, fpr, fdr or fwe: how the p-values choose.",
               Validator<std::string>{
                   [](const std::string& v) {
                     return OneOf(v, {"numTopFeatures", "percentile", "fpr", "fdr", "fwe"});
                   },
                   "numTopFeatures, percentile, fpr, fdr or fwe"})
          .Add("selectionThreshold", &P::selection_threshold,
               "The mode's number (numTopFeatures, default 50), share (percentile, default "
               "0.1) or p-value bound (fpr, fdr, fwe, default 0.05)."));
  return spec;
}

Status UnivariateFeatureSelector::Check(const Params& p) {
  if (p.feature_type == "categorical" && p.label_type == "continuous") {
    return InvalidArgument(
        "UnivariateFeatureSelector: categorical features with a continuous label have no test "
        "(as in Spark); treat the features as continuous");
  }
  const double t = Threshold(p);
  if (p.selection_mode == "numTopFeatures") {
    if (!(t >= 1) || t != std::floor(t)) {
      return InvalidArgument(
          "UnivariateFeatureSelector param 'selectionThreshold': "
          "numTopFeatures needs a whole number >= 1, got " +
          Json(t).Dump());
    }
  } else if (!(t >= 0 && t <= 1)) {
    return InvalidArgument("UnivariateFeatureSelector param 'selectionThreshold': " +
                           p.selection_mode + " needs a value in [0, 1], got " + Json(t).Dump());
  }
  return Status::OK();
}

Result<std::vector<double>> UnivariatePValues(const DataFrame& in, const P& p,
                                              const ExecContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Columns c, Bind(*in.schema(), p));
  if (p.feature_type == "categorical") return ChiSquaredPValues(in, ctx, c, p);
  if (p.label_type == "categorical") return AnovaPValues(in, ctx, c, p);
  return RegressionPValues(in, ctx, c, p);
}

Result<SchemaPtr> UnivariateFeatureSelector::TransformSchema(const Schema& in) const {
  // The width is known after fitting: a vector of unknown width until then.
  EMBER_RETURN_IF_ERROR(Bind(in, params_).status());
  return in.AddField(MakeField(params_.output_col, DenseVectorType(0)));
}

Result<std::shared_ptr<const Transformer>> UnivariateFeatureSelector::Fit(
    const DataFrame& in, const ExecContext& ctx) const {
  const P& p = params_;
  EMBER_ASSIGN_OR_RETURN(std::vector<double> pv, UnivariatePValues(in, p, ctx));
  const size_t d = pv.size();
  std::vector<size_t> order(d);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pv[a] < pv[b]; });
  const double t = Threshold(p);
  std::vector<int64_t> keep;
  if (p.selection_mode == "numTopFeatures" || p.selection_mode == "percentile") {
    const auto k = p.selection_mode == "numTopFeatures"
                       ? std::min(d, static_cast<size_t>(t))
                       : static_cast<size_t>(static_cast<double>(d) * t);
    for (size_t i = 0; i < k; ++i) keep.push_back(static_cast<int64_t>(order[i]));
  } else if (p.selection_mode == "fdr") {
    // Benjamini-Hochberg: the most p-values whose largest is <= t * rank / d.
    size_t last = 0;
    for (size_t i = 0; i < d; ++i) {
      if (pv[order[i]] <= t * static_cast<double>(i + 1) / static_cast<double>(d)) last = i + 1;
    }
    for (size_t i = 0; i < last; ++i) keep.push_back(static_cast<int64_t>(order[i]));
  } else {
    const double bound = p.selection_mode == "fpr" ? t : t / static_cast<double>(d);
    for (size_t j = 0; j < d; ++j) {
      if (pv[j] < bound) keep.push_back(static_cast<int64_t>(j));
    }
  }
  if (keep.empty()) {
    const double best = d ? pv[order[0]] : 1.0;
    return InvalidArgument("UnivariateFeatureSelector: no slot of '" + p.features_col +
                           "' passes selectionMode " + p.selection_mode + " at " + Json(t).Dump() +
                           " (the smallest p-value is " + Json(best).Dump() + ")");
  }
  std::sort(keep.begin(), keep.end());
  VectorSlicerParams slicer{.input_col = p.features_col, .output_col = p.output_col};
  slicer.indices = std::move(keep);
  EMBER_ASSIGN_OR_RETURN(auto model, VectorSlicer::Make(std::move(slicer), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

}  // namespace ember
