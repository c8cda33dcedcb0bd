// UnivariateFeatureSelector: its p-values against scikit-learn's and SciPy's tests on the
// same rows, the selection modes, ranks and bad inputs; the tail functions against known
// values.
#include "ember/stages/univariate_selector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/linear/internal/sklearn_reference.h"
#include "ember/stages/internal/distributions.h"
#include "ember/stages/vector_stages.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

struct Rows {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
};

// 6 features: 0 and 3 depend on the label strongly, 1 weakly, the rest not at all;
// `categorical` rounds them to a few levels.
Rows MakeRows(int n, bool categorical_label, bool categorical_features, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Rows rows;
  for (int i = 0; i < n; ++i) {
    const double t = categorical_label ? static_cast<double>(rng() % 3) : g(rng);
    std::vector<double> x = {t + 0.5 * g(rng), 0.1 * t + g(rng), g(rng),
                             -2 * t + g(rng),  g(rng) * 3,       g(rng) + 5};
    if (categorical_features) {
      for (double& v : x) v = std::max(-2.0, std::min(2.0, std::round(v / 2)));
    }
    rows.x.push_back(x);
    rows.y.push_back(t);
  }
  return rows;
}

DataFrame ToFrame(const Rows& d, int parts = 3) { return testing::LabeledVectors(d.x, d.y, parts); }

void ExpectPValues(const std::vector<double>& ours, const Json& want) {
  const auto& p = want.Find("p")->as_array();
  ASSERT_EQ(ours.size(), p.size());
  for (size_t j = 0; j < p.size(); ++j) {
    const double w = p[j].as_double();
    EXPECT_NEAR(ours[j], w, 1e-9 * w + 1e-300) << "slot " << j;
  }
}

TEST(UnivariateFeatureSelectorTest, PValuesAreScikitLearnsAndSciPys) {
  struct Case {
    const char* test;
    const char* feature_type;
    const char* label_type;
    bool cat_label, cat_features;
  };
  for (const Case& k : {Case{"anova", "continuous", "categorical", true, false},
                        Case{"regression", "continuous", "continuous", false, false},
                        Case{"chi2", "categorical", "categorical", true, true}}) {
    const Rows rows = MakeRows(500, k.cat_label, k.cat_features, 3);
    const Json want =
        linear::internal::RunSklearnReference("sklearn_univariate.py", rows.x, rows.y, k.test);
    ASSERT_TRUE(want.is_object());
    auto pv = UnivariatePValues(ToFrame(rows),
                                {.feature_type = k.feature_type, .label_type = k.label_type},
                                ExecContext::Default());
    ASSERT_THAT(pv, IsOk());
    SCOPED_TRACE(k.test);
    ExpectPValues(*pv, want);
  }
}

std::vector<int64_t> Selected(const UnivariateFeatureSelectorParams& p, const DataFrame& f) {
  auto model = (*UnivariateFeatureSelector::Make(p))->Fit(f, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  if (!model.ok()) return {};
  return static_cast<const VectorSlicer&>(**model).params().indices;
}

TEST(UnivariateFeatureSelectorTest, SelectionModes) {
  const DataFrame f = ToFrame(MakeRows(500, true, false, 3));
  UnivariateFeatureSelectorParams p{.feature_type = "continuous", .label_type = "categorical"};
  p.selection_threshold = 2;
  EXPECT_EQ(Selected(p, f), (std::vector<int64_t>{0, 3}));
  p.selection_mode = "percentile";
  p.selection_threshold = 0.5;
  EXPECT_EQ(Selected(p, f).size(), 3u);
  p.selection_mode = "fwe";
  p.selection_threshold = 1e-10;
  EXPECT_EQ(Selected(p, f), (std::vector<int64_t>{0, 3}));
  // The selection fits a VectorSlicer whose output keeps the chosen slots.
  p.selection_mode = "numTopFeatures";
  p.selection_threshold = 1;
  auto model = (*UnivariateFeatureSelector::Make(p))->Fit(f, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(f, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field(2).type->vector_size(), 1);
  // Nothing passes: an error saying the smallest p-value.
  p.selection_mode = "fpr";
  p.selection_threshold = 0;
  auto none = (*UnivariateFeatureSelector::Make(p))->Fit(f, ExecContext::Default());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("smallest p-value"), std::string::npos);
}

// Benjamini-Hochberg keeps the most p-values whose largest is under t * rank / d.
TEST(UnivariateFeatureSelectorTest, FdrAgainstItsDefinition) {
  const DataFrame f = ToFrame(MakeRows(200, false, false, 9));
  UnivariateFeatureSelectorParams p{
      .feature_type = "continuous", .label_type = "continuous", .selection_mode = "fdr"};
  auto pv = *UnivariatePValues(f, p, ExecContext::Default());
  for (double t : {0.01, 0.05, 0.5, 0.99}) {
    p.selection_threshold = t;
    std::vector<double> sorted = pv;
    std::sort(sorted.begin(), sorted.end());
    size_t last = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (sorted[i] <= t * static_cast<double>(i + 1) / 6) last = i + 1;
    }
    EXPECT_EQ(Selected(p, f).size(), last) << t;
  }
}

// The same p-values on 3 thread ranks as on one.
TEST(UnivariateFeatureSelectorTest, SameOnRanks) {
  for (const bool chi : {false, true}) {
    const Rows rows = MakeRows(300, true, chi, 4);
    const DataFrame f = ToFrame(rows, 3);
    UnivariateFeatureSelectorParams p{.feature_type = chi ? "categorical" : "continuous",
                                      .label_type = "categorical"};
    auto one = *UnivariatePValues(f, p, ExecContext::Default());
    auto comms = LocalCommunicator::MakeGroup(3);
    std::vector<std::vector<double>> outs(3);
    std::vector<std::thread> threads;
    for (int r = 0; r < 3; ++r) {
      threads.emplace_back([&, r] {
        ExecContext ctx;
        ctx.comm = comms[r].get();
        auto pv = UnivariatePValues(*DataFrame::Make(f.schema(), {f.partition(r)}), p, ctx);
        EXPECT_THAT(pv, IsOk());
        if (pv.ok()) outs[r] = *pv;
      });
    }
    for (auto& t : threads) t.join();
    for (int r = 0; r < 3; ++r) {
      for (size_t j = 0; j < one.size(); ++j)
        EXPECT_NEAR(outs[r][j], one[j], 1e-12 * one[j] + 1e-300);
    }
  }
}

TEST(UnivariateFeatureSelectorTest, BadParamsAndInput) {
  EXPECT_FALSE(UnivariateFeatureSelector::Make({}).ok());  // the types are required
  EXPECT_FALSE(
      UnivariateFeatureSelector::Make({.feature_type = "categorical", .label_type = "continuous"})
          .ok());
  UnivariateFeatureSelectorParams p{.feature_type = "continuous", .label_type = "continuous"};
  p.selection_threshold = 2.5;
  EXPECT_FALSE(UnivariateFeatureSelector::Make(p).ok());
  p.selection_mode = "fpr";
  EXPECT_FALSE(UnivariateFeatureSelector::Make(p).ok());
  // A continuous feature tested as categorical has too many values.
  auto many = UnivariatePValues(ToFrame(MakeRows(20000, true, false, 1)),
                                {.feature_type = "categorical", .label_type = "categorical"},
                                ExecContext::Default());
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.status().message().find("set featureType to continuous"), std::string::npos);
}

// Tail probabilities against values from SciPy (chi2.sf, f.sf).
TEST(DistributionsTest, TailsMatchSciPy) {
  using stages::internal::ChiSquaredSurvival;
  using stages::internal::FSurvival;
  EXPECT_NEAR(ChiSquaredSurvival(3.84, 1), 0.05004352124870519, 1e-15);
  EXPECT_NEAR(ChiSquaredSurvival(10, 4), 0.04042768199451279, 1e-15);
  EXPECT_NEAR(ChiSquaredSurvival(500, 3) / 4.771672031912771e-108, 1, 1e-11);
  EXPECT_NEAR(FSurvival(4, 2, 10), 0.05292214940134466, 1e-14);
  EXPECT_NEAR(FSurvival(0.5, 3, 7), 0.6940363875688136, 1e-14);
  EXPECT_NEAR(FSurvival(300, 1, 98) / 1.3835653659287785e-31, 1, 1e-11);
  EXPECT_EQ(ChiSquaredSurvival(0, 2), 1);
  EXPECT_EQ(FSurvival(INFINITY, 2, 3), 0);
}

}  // namespace
}  // namespace ember
