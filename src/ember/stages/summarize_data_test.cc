#include "ember/stages/summarize_data.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// Two skewed numeric columns (one with repeated values), in 3 partitions.
std::vector<std::vector<double>> Rows(int n) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> e(0.5);
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < n; ++i) rows.push_back({e(rng), std::floor(e(rng) * 3)});
  return rows;
}

DataFrame Frame(const std::vector<std::vector<double>>& rows) {
  SchemaPtr s = *Schema::Make({MakeField("x", Float64Type()), MakeField("k", Int64Type()),
                               MakeField("name", StringType())});
  std::vector<std::optional<double>> x;
  std::vector<std::optional<int64_t>> k;
  std::vector<std::optional<std::string>> name;
  for (size_t i = 0; i < rows.size(); ++i) {
    x.push_back(rows[i][0]);
    k.push_back(static_cast<int64_t>(rows[i][1]));
    name.push_back("n" + std::to_string(i % 7));
  }
  // Missing values: a null and a NaN in x, a null name.
  x.push_back(std::nullopt);
  x.push_back(NAN);
  k.push_back(std::nullopt);
  k.push_back(std::nullopt);
  name.push_back(std::nullopt);
  name.push_back("n0");
  Batch b = *Batch::Make(s, {MakeColumn(x), MakeColumn(k), MakeColumn(name)});
  const int64_t n = b.num_rows();
  return *DataFrame::Make(
      s, {b.Slice(0, n / 3), b.Slice(n / 3, n / 3), b.Slice(2 * (n / 3), n - 2 * (n / 3))});
}

std::optional<double> Cell(const Batch& t, int row, const std::string& col) {
  const Column& c = *t.column(t.schema()->FindField(col));
  if (c.IsNull(row)) return std::nullopt;
  return c.Values<double>()[row];
}

// Moments and exact quantiles equal NumPy's and SciPy's (Spark's definitions).
TEST(SummarizeDataTest, EqualsNumPyAndSciPy) {
  const auto rows = Rows(1000);
  const Json want = linear::internal::RunSklearnReference(
      "numpy_summary.py", rows, std::vector<double>(rows.size(), 0.0), "");
  ASSERT_TRUE(want.is_object());
  auto out = (*SummarizeData::Make({}))->Transform(Frame(rows), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch t = *out->Collect();
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column(0)->StringValue(0), "x");
  const std::vector<std::string> q = {"Min", "1st_Quartile", "Median", "3rd_Quartile",
                                      "Max", "P0_5",         "P1",     "P5",
                                      "P95", "P99",          "P99_5"};
  for (int j = 0; j < 2; ++j) {
    const Json& w = want.Find("columns")->as_array()[j];
    EXPECT_EQ(Cell(t, j, "Count"), 1000);
    EXPECT_EQ(Cell(t, j, "Missing_Value_Count"), 2);
    EXPECT_EQ(Cell(t, j, "Unique_Value_Count"), w.Find("unique")->as_double());
    EXPECT_NEAR(*Cell(t, j, "Sample_Variance"), w.Find("variance")->as_double(), 1e-9);
    EXPECT_NEAR(*Cell(t, j, "Sample_Standard_Deviation"), w.Find("std")->as_double(), 1e-9);
    EXPECT_NEAR(*Cell(t, j, "Sample_Skewness"), w.Find("skewness")->as_double(), 1e-9);
    EXPECT_NEAR(*Cell(t, j, "Sample_Kurtosis"), w.Find("kurtosis")->as_double(), 1e-9);
    for (size_t i = 0; i < q.size(); ++i) {
      EXPECT_EQ(Cell(t, j, q[i]), w.Find("quantiles")->as_array()[i].as_double()) << q[i];
    }
  }
  // A string column has counts only.
  EXPECT_EQ(Cell(t, 2, "Count"), 1001);
  EXPECT_EQ(Cell(t, 2, "Unique_Value_Count"), 7);
  EXPECT_EQ(Cell(t, 2, "Missing_Value_Count"), 1);
  EXPECT_EQ(Cell(t, 2, "Median"), std::nullopt);
  EXPECT_EQ(Cell(t, 2, "Sample_Variance"), std::nullopt);
}

// On 3 thread ranks, rank 0 holds the same table; the others none.
TEST(SummarizeDataTest, SameTableOnRanks) {
  const DataFrame f = Frame(Rows(300));
  auto stage = *SummarizeData::Make({.percentiles = false});
  auto one = stage->Transform(f, ExecContext::Default());
  ASSERT_THAT(one, IsOk());
  auto comms = LocalCommunicator::MakeGroup(3);
  std::vector<DataFrame> outs(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx;
      ctx.comm = comms[r].get();
      auto out = stage->Transform(*DataFrame::Make(f.schema(), {f.partition(r)}), ctx);
      EXPECT_THAT(out, IsOk());
      if (out.ok()) outs[r] = *out;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(outs[1].num_rows(), 0);
  EXPECT_EQ(outs[2].num_rows(), 0);
  // Moments are summed in another order: equal to rounding.
  EXPECT_EQ(testing::DescribeDifferenceWithin(outs[0], *one, 1e-12), "");
  // Param groups select columns; errorThreshold is checked.
  EXPECT_EQ(
      (*SummarizeData::Make({.basic = false, .sample = false, .percentiles = false}))
          ->Transform(f, ExecContext::Default())
          ->schema()
          ->field_names(),
      (std::vector<std::string>{"Feature", "Count", "Unique_Value_Count", "Missing_Value_Count"}));
  EXPECT_FALSE(SummarizeData::Make({.error_threshold = 1.5}).ok());
}

// Approximate quantiles stay within errorThreshold x n ranks of the exact ones.
TEST(SummarizeDataTest, ApproximateQuantilesWithinTheirError) {
  const auto rows = Rows(5000);
  auto out = (*SummarizeData::Make({.counts = false, .sample = false, .error_threshold = 0.01}))
                 ->Transform(Frame(rows), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch t = *out->Collect();
  std::vector<double> x;
  for (const auto& r : rows) x.push_back(r[0]);
  std::sort(x.begin(), x.end());
  for (const auto& [name, q] : std::vector<std::pair<std::string, double>>{
           {"1st_Quartile", 0.25}, {"Median", 0.5}, {"P95", 0.95}, {"P99", 0.99}}) {
    const double v = *Cell(t, 0, name);
    const auto rank = std::lower_bound(x.begin(), x.end(), v) - x.begin();
    EXPECT_LE(std::abs(static_cast<double>(rank) - std::ceil(q * 5000) + 1), 0.01 * 5000 + 1)
        << name;
  }
}

}  // namespace
}  // namespace ember
