#include "ember/linear/logistic_regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// n rows of d features on different scales; labels from a noisy linear model.
struct Data {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

Data Make(int n, int classes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Data d;
  const double scales[4] = {1.0, 10.0, 0.1, 3.0};
  for (int i = 0; i < n; ++i) {
    std::vector<double> row(4);
    for (int j = 0; j < 4; ++j) row[j] = (g(rng) + 0.3 * j) * scales[j];
    double s[3] = {0.8 * row[0] - 0.05 * row[1] + 2 * row[2], -0.3 * row[0] + 0.1 * row[3],
                   0.2 * row[1] / 10};
    int label;
    if (classes == 2) {
      label = s[0] + 0.5 * g(rng) > 0 ? 1 : 0;
    } else {
      label = 0;
      for (int c = 1; c < 3; ++c) {
        if (s[c] + 0.5 * g(rng) > s[label]) label = c;
      }
    }
    d.x.push_back(row);
    d.y.push_back(label);
  }
  return d;
}

DataFrame ToFrame(const Data& d, int parts = 3) {
  SchemaPtr s =
      *Schema::Make({MakeField("features", DenseVectorType(4)), MakeField("label", Float64Type())});
  std::vector<Batch> batches;
  const size_t n = d.y.size();
  for (int p = 0; p < parts; ++p) {
    size_t lo = n * p / parts, hi = n * (p + 1) / parts;
    std::vector<std::vector<double>> xs(d.x.begin() + lo, d.x.begin() + hi);
    std::vector<std::optional<double>> ys(d.y.begin() + lo, d.y.begin() + hi);
    batches.push_back(*Batch::Make(s, {MakeDenseVectorColumn(xs, 4), MakeColumn(ys)}));
  }
  return *DataFrame::Make(s, batches);
}

Json Sklearn(const Data& d, double reg, double alpha, bool multi) {
  return linear::internal::RunSklearnReference(
      "sklearn_logreg.py", d.x, d.y,
      std::to_string(reg) + " " + std::to_string(alpha) + " " + (multi ? "1" : "0"));
}

const LogisticRegressionModel& Fit(const DataFrame& f, LogisticRegressionParams p,
                                   std::shared_ptr<const Transformer>* keep) {
  ExecContext ctx = ExecContext::Default();
  static StderrLogger info(LogLevel::kInfo);
  if (std::getenv("EMBER_DEBUG_FIT")) ctx.log = &info;
  auto m = (*LogisticRegression::Make(p))->Fit(f, ctx);
  EXPECT_THAT(m, IsOk());
  *keep = *m;
  return static_cast<const LogisticRegressionModel&>(**keep);
}

void ExpectMatches(const LogisticRegressionModel& m, const Json& sk, double tol) {
  const auto& c = sk.Find("coefficients")->as_array();
  const auto& i = sk.Find("intercepts")->as_array();
  ASSERT_EQ(c.size(), m.coefficients().size());
  for (size_t k = 0; k < c.size(); ++k)
    EXPECT_NEAR(m.coefficients()[k], c[k].as_double(), tol) << "coefficient " << k;
  for (size_t k = 0; k < i.size(); ++k)
    EXPECT_NEAR(m.intercepts()[k], i[k].as_double(), tol) << "intercept " << k;
}

TEST(LogisticRegressionTest, BinomialL2MatchesScikitLearn) {
  Data d = Make(500, 2, 1);
  std::shared_ptr<const Transformer> keep;
  const auto& m =
      Fit(ToFrame(d), {.max_iter = 1000, .reg_param = 0.01, .tol = 1e-14, .standardization = false},
          &keep);
  ExpectMatches(m, Sklearn(d, 0.01, 0.0, false), 1e-4);
}

TEST(LogisticRegressionTest, MultinomialL2MatchesScikitLearn) {
  Data d = Make(600, 3, 2);
  std::shared_ptr<const Transformer> keep;
  const auto& m =
      Fit(ToFrame(d), {.max_iter = 2000, .reg_param = 0.02, .tol = 1e-15, .standardization = false},
          &keep);
  EXPECT_EQ(m.num_classes(), 3);
  ExpectMatches(m, Sklearn(d, 0.02, 0.0, true), 1e-4);
}

TEST(LogisticRegressionTest, ElasticNetMatchesScikitLearn) {
  Data d = Make(400, 2, 3);
  std::shared_ptr<const Transformer> keep;
  const auto& m = Fit(ToFrame(d),
                      {.max_iter = 3000,
                       .reg_param = 0.05,
                       .elastic_net_param = 0.5,
                       .tol = 1e-15,
                       .standardization = false},
                      &keep);
  ExpectMatches(m, Sklearn(d, 0.05, 0.5, false), 1e-4);
}

TEST(LogisticRegressionTest, OutputsAreConsistent) {
  Data d = Make(300, 3, 4);
  DataFrame f = ToFrame(d);
  std::shared_ptr<const Transformer> keep;
  Fit(f, {.reg_param = 0.01}, &keep);
  auto out = keep->Transform(f, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(),
            (std::vector<std::string>{"features", "label", "rawPrediction", "probability",
                                      "prediction"}));
  Batch b = *out->Collect();
  int correct = 0;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    auto p = b.column(3)->DenseRow(r);
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
    const double pred = b.column(4)->Values<double>()[r];
    EXPECT_EQ(pred, static_cast<double>(std::max_element(p.begin(), p.end()) - p.begin()));
    correct += pred == b.column(1)->Values<double>()[r];
  }
  EXPECT_GT(correct, 200);  // well above chance (100)
}

TEST(LogisticRegressionTest, WeightTwoEqualsDuplicatedRows) {
  Data d = Make(200, 2, 5);
  Data twice = d;
  twice.x.insert(twice.x.end(), d.x.begin(), d.x.begin() + 50);
  twice.y.insert(twice.y.end(), d.y.begin(), d.y.begin() + 50);
  SchemaPtr s = *Schema::Make({MakeField("features", DenseVectorType(4)),
                               MakeField("label", Float64Type()), MakeField("w", Float64Type())});
  std::vector<std::optional<double>> ys(d.y.begin(), d.y.end()), ws(200, 1.0);
  for (int i = 0; i < 50; ++i) ws[i] = 2.0;
  DataFrame weighted = DataFrame::FromBatch(
      *Batch::Make(s, {MakeDenseVectorColumn(d.x, 4), MakeColumn(ys), MakeColumn(ws)}));
  std::shared_ptr<const Transformer> k1, k2;
  const auto& a =
      Fit(weighted, {.weight_col = "w", .max_iter = 1000, .reg_param = 0.01, .tol = 1e-14}, &k1);
  const auto& b = Fit(ToFrame(twice), {.max_iter = 1000, .reg_param = 0.01, .tol = 1e-14}, &k2);
  for (size_t i = 0; i < a.coefficients().size(); ++i)
    EXPECT_NEAR(a.coefficients()[i], b.coefficients()[i], 1e-6);
}

TEST(LogisticRegressionTest, FitOnRanksEqualsSingleFit) {
  Data d = Make(300, 2, 6);
  DataFrame all = ToFrame(d, 2);
  auto models = testing::FitOnRanks(all, **LogisticRegression::Make({.reg_param = 0.1}), 2);
  std::vector<std::vector<double>> coef;
  for (auto& m : models) {
    ASSERT_THAT(m, IsOk());
    coef.push_back(static_cast<const LogisticRegressionModel&>(**m).coefficients());
  }
  std::shared_ptr<const Transformer> keep;
  const auto& single = Fit(all, {.reg_param = 0.1}, &keep);
  ASSERT_EQ(coef[0].size(), 4u);
  EXPECT_EQ(coef[0], coef[1]);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(coef[0][i], single.coefficients()[i], 1e-12);
}

TEST(LogisticRegressionTest, BadLabelsAndColumnsAreNamed) {
  SchemaPtr s =
      *Schema::Make({MakeField("features", DenseVectorType(1)), MakeField("label", Float64Type())});
  DataFrame f = DataFrame::FromBatch(
      *Batch::Make(s, {MakeDenseVectorColumn({{1}, {2}}, 1), MakeColumn<double>({0, 1.5})}));
  auto r = (*LogisticRegression::Make({}))->Fit(f, ExecContext::Default());
  EXPECT_NE(r.status().message().find("label 1.500000 in column 'label' is not a class index"),
            std::string::npos)
      << r.status();
  auto missing = (*LogisticRegression::Make({.label_col = "y"}))->Fit(f, ExecContext::Default());
  EXPECT_NE(missing.status().message().find("column 'y' not found"), std::string::npos);
  EXPECT_FALSE(LogisticRegression::Make({.elastic_net_param = 2}).ok());
}

}  // namespace
}  // namespace ember
