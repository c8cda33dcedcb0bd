#include "ember/stages/scalers.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Vectors() {
  SchemaPtr s = *Schema::Make({MakeField("v", DenseVectorType(3))});
  Batch a = *Batch::Make(s, {MakeDenseVectorColumn({{1, 10, 5}, {2, 20, 5}}, 3)});
  Batch b = *Batch::Make(s, {MakeDenseVectorColumn({{3, 60, 5}, {6, 30, 5}}, 3)});
  return *DataFrame::Make(s, {a, b});
}

std::vector<std::vector<double>> Rows(const DataFrame& f, int col) {
  Batch b = *f.Collect();
  std::vector<std::vector<double>> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    auto row = b.column(col)->DenseRow(r);
    out.emplace_back(row.begin(), row.end());
  }
  return out;
}

TEST(StandardScalerTest, MatchesSampleStatistics) {
  // Slot 0: 1 2 3 6, mean 3, sample sd sqrt(14/3); slot 2 is constant.
  auto model = (*StandardScaler::Make({.input_col = "v", .output_col = "s", .with_mean = true}))
                   ->Fit(Vectors(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto rows = Rows(*(*model)->Transform(Vectors(), ExecContext::Default()), 1);
  const double sd0 = std::sqrt(14.0 / 3.0);
  EXPECT_NEAR(rows[0][0], (1 - 3) / sd0, 1e-12);
  EXPECT_NEAR(rows[3][0], (6 - 3) / sd0, 1e-12);
  EXPECT_EQ(rows[1][2], 0.0);  // zero deviation gives 0
  auto no_mean = (*StandardScaler::Make({.input_col = "v", .output_col = "s"}))
                     ->Fit(Vectors(), ExecContext::Default());
  EXPECT_NEAR(Rows(*(*no_mean)->Transform(Vectors(), ExecContext::Default()), 1)[0][0], 1 / sd0,
              1e-12);
}

TEST(StandardScalerTest, SparseStaysSparseAndAgreesWithDense) {
  SparseVectorBuilder sb(2);
  ASSERT_TRUE(sb.Append(std::vector<int32_t>{0}, std::vector<double>{2}).ok());
  ASSERT_TRUE(sb.Append(std::vector<int32_t>{1}, std::vector<double>{4}).ok());
  ASSERT_TRUE(sb.Append(std::vector<int32_t>{0, 1}, std::vector<double>{4, 8}).ok());
  DataFrame sparse = DataFrame::FromBatch(
      *Batch::Make(*Schema::Make({MakeField("v", SparseVectorType(2))}), {sb.Finish()}));
  DataFrame dense =
      DataFrame::FromBatch(*Batch::Make(*Schema::Make({MakeField("v", DenseVectorType(2))}),
                                        {MakeDenseVectorColumn({{2, 0}, {0, 4}, {4, 8}}, 2)}));
  auto scaler = *StandardScaler::Make({.input_col = "v", .output_col = "s"});
  auto ms = *scaler->Fit(sparse, ExecContext::Default());
  auto md = *scaler->Fit(dense, ExecContext::Default());
  const auto& a = static_cast<const ScalerModel&>(*ms).scale();
  const auto& b = static_cast<const ScalerModel&>(*md).scale();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_NEAR(a[0], b[0], 1e-12);
  EXPECT_NEAR(a[1], b[1], 1e-12);
  auto out = *ms->Transform(sparse, ExecContext::Default());
  EXPECT_TRUE(out.schema()->field(1).type->sparse());
  // The scaled values, also from a slice (an offset into the input's buffers) and with a
  // null row (the other code path).
  auto scaled = [&](const Batch& b) {
    Batch o = *(*ms->Transform(DataFrame::FromBatch(b), ExecContext::Default())).Collect();
    std::vector<std::string> v;
    for (int64_t r = 0; r < o.num_rows(); ++r) v.push_back(FormatValue(*o.column(1), r));
    return v;
  };
  Batch all = *sparse.Collect();
  const std::vector<std::string> full = scaled(all);
  ASSERT_EQ(full.size(), 3u);
  EXPECT_EQ(scaled(all.Slice(1, 2)), (std::vector<std::string>{full[1], full[2]}));
  SparseVectorBuilder with_null(2);
  ASSERT_TRUE(with_null.Append(std::vector<int32_t>{1}, std::vector<double>{4}).ok());
  with_null.AppendNull();
  Batch nb =
      *Batch::Make(*Schema::Make({MakeField("v", SparseVectorType(2))}), {with_null.Finish()});
  EXPECT_EQ(scaled(nb), (std::vector<std::string>{full[1], "null"}));
}

TEST(MinMaxScalerTest, RescalesAndCentersConstantSlots) {
  auto model = (*MinMaxScaler::Make({.input_col = "v", .output_col = "m", .min = -1, .max = 1}))
                   ->Fit(Vectors(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto rows = Rows(*(*model)->Transform(Vectors(), ExecContext::Default()), 1);
  EXPECT_DOUBLE_EQ(rows[0][0], -1);
  EXPECT_DOUBLE_EQ(rows[3][0], 1);
  EXPECT_DOUBLE_EQ(rows[2][1], 1);  // 60 is the max of slot 1
  EXPECT_DOUBLE_EQ(rows[0][2], 0);  // constant slot: (min + max) / 2
  EXPECT_NE(MinMaxScaler::Make({.input_col = "v", .output_col = "m", .min = 1, .max = 1})
                .status()
                .message()
                .find("'max'"),
            std::string::npos);
}

TEST(ScalersTest, FitOnRanksEqualsSingleFit) {
  DataFrame all = Vectors();
  auto models = testing::FitOnRanks(
      all, **StandardScaler::Make({.input_col = "v", .output_col = "s", .with_mean = true}), 2);
  std::vector<std::vector<double>> scales;
  for (auto& m : models) {
    ASSERT_THAT(m, IsOk());
    scales.push_back(static_cast<const ScalerModel&>(**m).scale());
  }
  auto single = *(*StandardScaler::Make({.input_col = "v", .output_col = "s", .with_mean = true}))
                     ->Fit(all, ExecContext::Default());
  EXPECT_EQ(scales[0], static_cast<const ScalerModel&>(*single).scale());
  EXPECT_EQ(scales[1], scales[0]);
}

}  // namespace
}  // namespace ember
