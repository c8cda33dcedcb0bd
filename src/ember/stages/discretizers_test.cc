#include "ember/stages/discretizers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/logger.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// Column "x" of `values` (nullopt: null) in `parts` partitions.
DataFrame Numbers(const std::vector<std::optional<double>>& values, int parts = 2) {
  SchemaPtr schema = *Schema::Make({MakeField("x", Float64Type())});
  Batch b = *Batch::Make(schema, {MakeColumn(values)}, static_cast<int64_t>(values.size()));
  std::vector<Batch> batches;
  const int64_t n = b.num_rows(), step = (n + parts - 1) / parts;
  for (int64_t at = 0; at < n; at += step) batches.push_back(b.Slice(at, std::min(step, n - at)));
  return *DataFrame::Make(schema, batches);
}

std::vector<std::optional<double>> Column(const DataFrame& f, const std::string& name) {
  Batch b = *f.Collect();
  const auto& c = *b.column(b.schema()->FindField(name));
  std::vector<std::optional<double>> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    out.push_back(c.IsNull(r) ? std::nullopt : std::optional<double>(c.Values<double>()[r]));
  }
  return out;
}

// Spark's documentation example: splits [-inf, -0.5, 0, 0.5, inf].
TEST(BucketizerTest, BucketsAreHalfOpenAndTheLastIncludesItsBound) {
  auto spec = Bucketizer::Params::Spec().FromJson(*Json::Parse(
      R"({"inputCol": "x", "outputCol": "b", "splits": ["-Infinity", -0.5, 0.0, 0.5, "Infinity"]})"));
  ASSERT_THAT(spec, IsOk());
  auto b = Bucketizer::Make(*spec);
  ASSERT_THAT(b, IsOk());
  auto out = (*b)->Transform(Numbers({-999.9, -0.5, -0.3, 0.0, 0.2, 999.9, std::nullopt}),
                             ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Column(*out, "b"),
            (std::vector<std::optional<double>>{0, 1, 1, 2, 2, 3, std::nullopt}));
  EXPECT_EQ(*NominalValues(out->schema()->field(1)),
            (std::vector<std::string>{"[-inf, -0.5)", "[-0.5, 0)", "[0, 0.5)", "[0.5, inf]"}));
  // The infinite splits survive the params' JSON.
  auto again = Bucketizer::Params::Spec().FromJson((*b)->ParamsJson());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->splits, spec->splits);
  // A finite last split closes the last bucket; a value past it is an error naming it.
  auto closed = *Bucketizer::Make({.input_col = "x", .output_col = "b", .splits = {0, 1, 2}});
  EXPECT_EQ(Column(*closed->Transform(Numbers({0, 1, 2, 1.5}), ExecContext::Default()), "b"),
            (std::vector<std::optional<double>>{0, 1, 1, 1}));
  auto outside = closed->Transform(Numbers({0.5, 2.5}), ExecContext::Default());
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("value 2.5 in column 'x' is outside the splits [0, 2]"),
            std::string::npos)
      << outside.status().message();
}

TEST(BucketizerTest, NaNIsAnErrorADroppedRowOrTheExtraBucket) {
  const DataFrame in = Numbers({0.5, NAN, 1.5});
  Bucketizer::Params p{.input_col = "x", .output_col = "b", .splits = {0, 1, 2}};
  auto error = (*Bucketizer::Make(p))->Transform(in, ExecContext::Default());
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.status().message().find("NaN in column 'x'"), std::string::npos);
  p.handle_invalid = HandleInvalid::kSkip;
  EXPECT_EQ(Column(*(*Bucketizer::Make(p))->Transform(in, ExecContext::Default()), "b"),
            (std::vector<std::optional<double>>{0, 1}));
  p.handle_invalid = HandleInvalid::kKeep;
  auto kept = (*Bucketizer::Make(p))->Transform(in, ExecContext::Default());
  EXPECT_EQ(Column(*kept, "b"), (std::vector<std::optional<double>>{0, 2, 1}));
  EXPECT_EQ(NominalValues(kept->schema()->field(1))->back(), "NaN");
}

TEST(BucketizerTest, SeveralColumnsAndBadParamsAreNamed) {
  SchemaPtr schema = *Schema::Make(
      {MakeField("a", Int64Type()), MakeField("c", Float64Type()), MakeField("s", StringType())});
  std::vector<std::optional<int64_t>> a = {1, 5, 9};
  std::vector<std::optional<double>> c = {0.1, 0.6, 0.9};
  std::vector<std::optional<std::string>> s = {"x", "y", "z"};
  const DataFrame in = *DataFrame::Make(
      schema, {*Batch::Make(schema, {MakeColumn(a), MakeColumn(c), MakeColumn(s)}, 3)});
  auto two = Bucketizer::Make({.input_cols = {"a", "c"},
                               .output_cols = {"ab", "cb"},
                               .splits_array = {{0, 4, 10}, {0, 0.5, 1}}});
  ASSERT_THAT(two, IsOk());
  auto out = (*two)->Transform(in, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Column(*out, "ab"), (std::vector<std::optional<double>>{0, 1, 1}));
  EXPECT_EQ(Column(*out, "cb"), (std::vector<std::optional<double>>{0, 1, 1}));
  auto message = [](auto r) { return std::string(r.status().message()); };
  EXPECT_NE(message(Bucketizer::Make({.input_col = "a", .output_col = "b", .splits = {0, 1}}))
                .find("at least 3 splits"),
            std::string::npos);
  EXPECT_NE(message(Bucketizer::Make({.input_col = "a", .output_col = "b", .splits = {0, 2, 1}}))
                .find("split 2 (1) is not above 2"),
            std::string::npos);
  EXPECT_NE(message(Bucketizer::Make({.input_cols = {"a", "c"},
                                      .output_cols = {"x", "y"},
                                      .splits_array = {{0, 1, 2}}}))
                .find("'splitsArray': 1 split lists for 2 inputCols"),
            std::string::npos);
  auto text = (*Bucketizer::Make({.input_col = "s", .output_col = "b", .splits = {0, 1, 2}}))
                  ->Transform(in, ExecContext::Default());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(message(text).find("'s'"), std::string::npos);
}

// The smallest v with at least q x n values <= v (numpy's "inverted_cdf").
double ExactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double target = q * static_cast<double>(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (static_cast<double>(i + 1) >= target) return v[i];
  }
  return v.back();
}

TEST(QuantileDiscretizerTest, SparksExampleAndExactQuantilesAtZeroError) {
  // Spark's documentation: [18, 19, 8, 5, 2.2] in 3 buckets -> [2, 2, 1, 1, 0].
  auto q = QuantileDiscretizer::Make({.input_col = "x", .output_col = "b", .num_buckets = 3});
  ASSERT_THAT(q, IsOk());
  auto model = (*q)->Fit(Numbers({18, 19, 8, 5, 2.2}), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  EXPECT_EQ((*model)->type_name(), "Bucketizer");
  auto out = (*model)->Transform(Numbers({18, 19, 8, 5, 2.2}), ExecContext::Default());
  EXPECT_EQ(Column(*out, "b"), (std::vector<std::optional<double>>{2, 2, 1, 1, 0}));
  // Random data with repeats over 4 partitions: relativeError 0 gives the exact quantiles.
  std::mt19937 rng(3);
  std::vector<double> values;
  std::vector<std::optional<double>> column;
  for (int i = 0; i < 5000; ++i) {
    const double x = std::round(std::normal_distribution<double>(0, 10)(rng));
    values.push_back(x);
    column.push_back(x);
  }
  column.push_back(NAN);  // left out of fitting
  column.push_back(std::nullopt);
  auto exact = *QuantileDiscretizer::Make(
      {.input_col = "x", .output_col = "b", .num_buckets = 7, .relative_error = 0});
  auto fitted = exact->Fit(Numbers(column, 4), ExecContext::Default());
  ASSERT_THAT(fitted, IsOk());
  const auto& splits = static_cast<const Bucketizer&>(**fitted).params().splits;
  std::vector<double> want = {-INFINITY};
  for (int i = 1; i < 7; ++i) {
    const double v = ExactQuantile(values, i / 7.0);
    if (v > want.back()) want.push_back(v);
  }
  want.push_back(INFINITY);
  EXPECT_EQ(splits, want);
}

TEST(QuantileDiscretizerTest, ApproximateQuantilesAreWithinTheStatedRankError) {
  std::mt19937 rng(5);
  std::vector<double> values;
  std::vector<std::optional<double>> column;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(std::exponential_distribution<double>(1.0)(rng));
    column.push_back(values.back());
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(values.size());
  for (const double eps : {0.001, 0.01, 0.05}) {
    for (const int parts : {1, 3, 8}) {
      QuantileSummary merged;
      const size_t step = (values.size() + parts - 1) / parts;
      for (size_t at = 0; at < values.size(); at += step) {
        std::vector<double> part(values.begin() + at,
                                 values.begin() + std::min(values.size(), at + step));
        std::sort(part.begin(), part.end());
        merged.Merge(QuantileSummary::Of(part, eps));
      }
      EXPECT_EQ(merged.count(), n);
      // At most 2 / eps + 1 values per part (all of a part smaller than 1 / eps).
      EXPECT_LE(merged.values.size(), static_cast<size_t>(parts * (2 / eps + 1)));
      for (double q = 0.05; q < 1; q += 0.05) {
        const double v = merged.Quantile(q);
        // The rank of v: values <= v (an interval when v repeats; it does not here).
        const double rank =
            static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
        EXPECT_LE(std::abs(rank - std::ceil(q * n)), eps * n + 1)
            << "eps " << eps << " parts " << parts << " q " << q;
      }
    }
  }
}

TEST(QuantileDiscretizerTest, RepeatedQuantilesMergeAndEmptyColumnsAreErrors) {
  std::vector<std::optional<double>> mostly_ones(100, 1.0);
  mostly_ones[0] = 0.0;
  mostly_ones[99] = 2.0;
  auto q = *QuantileDiscretizer::Make({.input_col = "x", .output_col = "b", .num_buckets = 4});
  CapturingLogger log;
  ExecContext ctx = ExecContext::Default();
  ctx.log = &log;
  auto fitted = q->Fit(Numbers(mostly_ones), ctx);
  ASSERT_THAT(fitted, IsOk());
  EXPECT_EQ(static_cast<const Bucketizer&>(**fitted).params().splits,
            (std::vector<double>{-INFINITY, 1.0, INFINITY}));
  ASSERT_EQ(log.messages().size(), 1u);
  EXPECT_NE(log.messages()[0].find("2 distinct buckets of the 4 asked for"), std::string::npos)
      << log.messages()[0];
  auto none = q->Fit(Numbers({NAN, std::nullopt}), ExecContext::Default());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("column 'x' has no values"), std::string::npos);
  EXPECT_FALSE(
      QuantileDiscretizer::Make({.input_col = "x", .output_col = "b", .num_buckets = 1}).ok());
  EXPECT_FALSE(
      QuantileDiscretizer::Make({.input_col = "x", .output_col = "b", .relative_error = 2}).ok());
  auto schema = q->TransformSchema(*Schema::Make({MakeField("y", Float64Type())}).value());
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.status().message().find("'x'"), std::string::npos);
}

}  // namespace
}  // namespace ember
