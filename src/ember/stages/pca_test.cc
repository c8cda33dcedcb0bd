// PCA against scikit-learn's (python3-sklearn at test time): the same components (signed
// alike) and explained variance ratios; Spark's projection without centering.
#include "ember/stages/pca.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// Correlated rows: 5 slots from 3 latent factors plus noise.
std::vector<std::vector<double>> Rows(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < n; ++i) {
    const double a = 3 * g(rng), b = 1.5 * g(rng), c = 0.5 * g(rng);
    rows.push_back({a + b + 4, a - c, 2 * b + 0.1 * g(rng), c - a + 1, 0.3 * g(rng) + b});
  }
  return rows;
}

DataFrame ToFrame(const std::vector<std::vector<double>>& rows, bool sparse) {
  SchemaPtr s = *Schema::Make({MakeField("v", sparse ? SparseVectorType(5) : DenseVectorType(5))});
  std::unique_ptr<ColumnBuilder> b = MakeBuilder(s->field(0).type);
  for (const auto& row : rows) {
    if (sparse) {
      std::vector<int32_t> idx;
      std::vector<double> val;
      for (int j = 0; j < 5; ++j) {
        if (row[j] != 0) {
          idx.push_back(j);
          val.push_back(row[j]);
        }
      }
      EXPECT_THAT(static_cast<SparseVectorBuilder*>(b.get())->Append(idx, val), IsOk());
    } else {
      EXPECT_THAT(static_cast<DenseVectorBuilder*>(b.get())->Append(row), IsOk());
    }
  }
  Batch batch = *Batch::Make(s, {b->Finish()});
  const int64_t n = batch.num_rows();
  return *DataFrame::Make(s, {batch.Slice(0, n / 3), batch.Slice(n / 3, n - n / 3)});
}

TEST(PCATest, ComponentsAndVarianceAreScikitLearnsAndTheProjectionIsSparks) {
  const auto rows = Rows(800, 3);
  const Json want = linear::internal::RunSklearnReference(
      "sklearn_pca.py", rows, std::vector<double>(rows.size(), 0.0), "3");
  ASSERT_TRUE(want.is_object());
  for (const bool sparse : {false, true}) {
    auto model = (*PCA::Make({.input_col = "v", .output_col = "p", .k = 3}))
                     ->Fit(ToFrame(rows, sparse), ExecContext::Default());
    ASSERT_THAT(model, IsOk());
    const auto& pca = static_cast<const PCAModel&>(**model);
    const auto& comp = want.Find("components")->as_array();
    for (int t = 0; t < 3; ++t) {
      for (int j = 0; j < 5; ++j)
        EXPECT_NEAR(pca.components()[t][j], comp[t * 5 + j].as_double(), 1e-9) << t << " " << j;
      EXPECT_NEAR(pca.explained_variance()[t], want.Find("ratio")->as_array()[t].as_double(),
                  1e-12);
    }
    // Each row projected as it is: x . component (no centering).
    auto out = (*model)->Transform(ToFrame(rows, sparse), ExecContext::Default());
    ASSERT_THAT(out, IsOk());
    const Batch b = *out->Collect();
    for (int64_t r = 0; r < b.num_rows(); r += 37) {
      for (int t = 0; t < 3; ++t) {
        double dot = 0;
        for (int j = 0; j < 5; ++j) dot += rows[r][j] * pca.components()[t][j];
        EXPECT_NEAR(b.column(1)->DenseRow(r)[t], dot, 1e-9);
      }
    }
  }
}

TEST(PCATest, EigenOfAKnownMatrixAndBadInputs) {
  // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1) and (1, -1) over sqrt 2.
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  SymmetricEigen({2, 1, 1, 2}, 2, &values, &vectors);
  EXPECT_NEAR(values[0], 3, 1e-12);
  EXPECT_NEAR(values[1], 1, 1e-12);
  EXPECT_NEAR(vectors[0][0], std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(vectors[0][1], std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(std::abs(vectors[1][0]), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(vectors[1][0], -vectors[1][1], 1e-12);
  const auto rows = Rows(10, 4);
  auto too_many = (*PCA::Make({.input_col = "v", .output_col = "p", .k = 6}))
                      ->Fit(ToFrame(rows, false), ExecContext::Default());
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("'k'"), std::string::npos);
  EXPECT_FALSE(PCA::Make({.input_col = "v", .output_col = "p", .k = 0}).ok());
  auto one_row =
      (*PCA::Make({.input_col = "v", .output_col = "p", .k = 2}))
          ->Fit(*DataFrame::Make(ToFrame(rows, false).schema(), {}), ExecContext::Default());
  EXPECT_FALSE(one_row.ok());
}

}  // namespace
}  // namespace ember
