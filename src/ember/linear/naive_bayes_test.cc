// NaiveBayes against scikit-learn's MultinomialNB, BernoulliNB, ComplementNB and GaussianNB
// on the same rows (python3-sklearn at test time), then save/load, ranks and bad inputs.
#include "ember/linear/naive_bayes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

struct Rows {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

// 600 rows of 5 features of 3 classes: counts (Poisson around class-dependent rates), 0/1
// (present when the count is), or real values (normal around class means).
Rows MakeRows(NaiveBayesType type, uint32_t seed) {
  std::mt19937 rng(seed);
  Rows rows;
  const double rates[3][5] = {{4, 1, 0.5, 2, 0.2}, {1, 3, 2, 0.5, 0.2}, {0.5, 0.5, 4, 1, 3}};
  for (int i = 0; i < 600; ++i) {
    const int c = static_cast<int>(rng() % 3);
    std::vector<double> row(5);
    for (int j = 0; j < 5; ++j) {
      if (type == NaiveBayesType::kGaussian) {
        row[j] = std::normal_distribution<double>(rates[c][j] * 10, 1 + j)(rng);
      } else {
        const double count = std::poisson_distribution<int>(rates[c][j])(rng);
        row[j] = type == NaiveBayesType::kBernoulli ? (count > 0 ? 1 : 0) : count;
      }
    }
    rows.x.push_back(row);
    rows.y.push_back(c);
  }
  return rows;
}

DataFrame ToFrame(const Rows& d, bool sparse = false, int parts = 3) {
  return testing::LabeledVectors(d.x, d.y, parts, sparse);
}

const char* Name(NaiveBayesType t) {
  switch (t) {
    case NaiveBayesType::kMultinomial:
      return "multinomial";
    case NaiveBayesType::kBernoulli:
      return "bernoulli";
    case NaiveBayesType::kComplement:
      return "complement";
    case NaiveBayesType::kGaussian:
      return "gaussian";
  }
  return "";
}

TEST(NaiveBayesTest, EachTypeEqualsScikitLearns) {
  for (const NaiveBayesType type : {NaiveBayesType::kMultinomial, NaiveBayesType::kBernoulli,
                                    NaiveBayesType::kComplement, NaiveBayesType::kGaussian}) {
    for (const double smoothing : {1.0, 0.3}) {
      if (type == NaiveBayesType::kGaussian && smoothing != 1.0) continue;
      SCOPED_TRACE(std::string(Name(type)) + " smoothing " + std::to_string(smoothing));
      const Rows rows = MakeRows(type, 7);
      const Json want = linear::internal::RunSklearnReference(
          "sklearn_nb.py", rows.x, rows.y,
          std::string(Name(type)) + " " + std::to_string(smoothing));
      ASSERT_TRUE(want.is_object());
      for (const bool sparse : {false, true}) {
        NaiveBayes::Params p;
        p.model_type = type;
        p.smoothing = smoothing;
        auto model = (*NaiveBayes::Make(p))->Fit(ToFrame(rows, sparse), ExecContext::Default());
        ASSERT_THAT(model, IsOk());
        const auto& nb = static_cast<const NaiveBayesModel&>(**model);
        ASSERT_EQ(nb.num_classes(), 3);
        const auto& theta = want.Find("theta")->as_array();
        ASSERT_EQ(theta.size(), nb.theta().size());
        for (size_t i = 0; i < theta.size(); ++i) {
          EXPECT_NEAR(nb.theta()[i], theta[i].as_double(), 1e-9 * (1 + std::abs(nb.theta()[i])))
              << "theta " << i;
        }
        if (type == NaiveBayesType::kGaussian) {
          const auto& sigma = want.Find("sigma")->as_array();
          for (size_t i = 0; i < sigma.size(); ++i)
            EXPECT_NEAR(nb.sigma()[i], sigma[i].as_double(), 1e-9 * nb.sigma()[i]) << i;
        }
        auto out = (*model)->Transform(ToFrame(rows, sparse), ExecContext::Default());
        ASSERT_THAT(out, IsOk());
        const Batch b = *out->Collect();
        const Column& prob = *b.column(b.schema()->FindField("probability"));
        const auto& probability = want.Find("probability")->as_array();
        double worst = 0;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          for (int c = 0; c < 3; ++c) {
            worst =
                std::max(worst, std::abs(prob.DenseRow(r)[c] - probability[r * 3 + c].as_double()));
          }
        }
        EXPECT_LT(worst, 1e-9);
      }
    }
  }
}

TEST(NaiveBayesTest, SavedAndLoadedScoresTheSameAndRanksAgree) {
  const Rows rows = MakeRows(NaiveBayesType::kGaussian, 8);
  NaiveBayes::Params p;
  p.model_type = NaiveBayesType::kGaussian;
  p.thresholds = {1, 0.5, 1};
  auto model = (*NaiveBayes::Make(p))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const std::string dir = testing::NewTempDir("nb") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterNaiveBayesStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  auto a = (*model)->Transform(ToFrame(rows), ExecContext::Default());
  auto b = (*loaded)->Transform(ToFrame(rows), ExecContext::Default());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(FramesEqual(*a, *b));
  // The same rows split over more partitions give the same model (sums in partition order
  // are not bit-identical, so to 1e-12).
  auto more = (*NaiveBayes::Make(p))->Fit(ToFrame(rows, false, 7), ExecContext::Default());
  ASSERT_THAT(more, IsOk());
  const auto& x = static_cast<const NaiveBayesModel&>(**model);
  const auto& y = static_cast<const NaiveBayesModel&>(**more);
  for (size_t i = 0; i < x.theta().size(); ++i) {
    EXPECT_NEAR(x.theta()[i], y.theta()[i], 1e-12 * (1 + std::abs(x.theta()[i])));
    EXPECT_NEAR(x.sigma()[i], y.sigma()[i], 1e-12 * x.sigma()[i]);
  }
}

TEST(NaiveBayesTest, BadInputsNameTheColumnAndValue) {
  Rows rows = MakeRows(NaiveBayesType::kMultinomial, 9);
  rows.x[10][2] = -1;
  auto fit = (*NaiveBayes::Make({}))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("negative value -1"), std::string::npos)
      << fit.status().message();
  rows.x[10][2] = 2;
  NaiveBayes::Params bern;
  bern.model_type = NaiveBayesType::kBernoulli;
  fit = (*NaiveBayes::Make(bern))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("bernoulli needs 0 or 1"), std::string::npos);
  rows.y[3] = 1.5;
  fit = (*NaiveBayes::Make({}))->Fit(ToFrame(rows), ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("not a class index"), std::string::npos);
  EXPECT_FALSE(NaiveBayes::Make({.smoothing = -1}).ok());
  // A model scores only counts it can take.
  const Rows good = MakeRows(NaiveBayesType::kMultinomial, 10);
  auto model = (*NaiveBayes::Make({}))->Fit(ToFrame(good), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  Rows negative = good;
  negative.x[0][0] = -3;
  auto scored = (*model)->Transform(ToFrame(negative), ExecContext::Default());
  ASSERT_FALSE(scored.ok());
  EXPECT_NE(scored.status().message().find("'features'"), std::string::npos);
}

}  // namespace
}  // namespace ember
