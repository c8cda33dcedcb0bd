// Random forests and decision trees: each leaf holds its class fraction or mean label (the
// semantics of Spark's and scikit-learn's trees, checked exactly through leaf indices),
// accuracy on scikit-learn's data sets against scikit-learn's own forests, save and load,
// and the bad inputs.
#include "ember/gbdt/forest.h"

#include <gtest/gtest.h>

#include <map>

#include "ember/base/file_util.h"
#include "ember/gbdt/internal/test_frames.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using gbdt::testing::Auc;
using gbdt::testing::Doubles;
using gbdt::testing::Frame;
using gbdt::testing::SklearnData;

const ExecContext& Ctx() { return ExecContext::Default(); }

// `model` scoring with leaf indices too.
std::shared_ptr<const Transformer> WithLeaves(const Transformer& model) {
  if (const auto* c = dynamic_cast<const RandomForestClassificationModel*>(&model)) {
    auto p = c->params();
    p.model.leaf_prediction_col = "leaves";
    auto m = RandomForestClassificationModel::Make(p, c->shared_booster(), c->num_classes());
    EXPECT_THAT(m, IsOk());
    return *m;
  }
  const auto& r = dynamic_cast<const RandomForestRegressionModel&>(model);
  auto p = r.params();
  p.model.leaf_prediction_col = "leaves";
  auto m = RandomForestRegressionModel::Make(p, r.shared_booster());
  EXPECT_THAT(m, IsOk());
  return *m;
}

// A tree's leaves hold the (weighted) share of class 1 among the training rows that reach
// them: the probability of every row is its leaf's share, as in Spark and scikit-learn.
TEST(ForestTest, ADecisionTreesProbabilityIsItsLeafsClassShare) {
  for (const bool weighted : {false, true}) {
    const DataFrame train = Frame(1200, 5, 2, 3);
    DecisionTreeClassifier::Params p;
    p.trees.max_depth = 4;
    if (weighted) p.trees.weight_col = "w";
    auto model = (*DecisionTreeClassifier::Make(p))->Fit(train, Ctx());
    ASSERT_THAT(model, IsOk());
    auto out = WithLeaves(**model)->Transform(train, Ctx());
    ASSERT_THAT(out, IsOk());
    const auto leaf = Doubles(*out, "leaves", 0), y = Doubles(train, "label"),
               w = Doubles(train, "w"), prob = Doubles(*out, "probability", 1),
               raw = Doubles(*out, "rawPrediction", 1), pred = Doubles(*out, "prediction");
    std::map<double, std::pair<double, double>> share;  // leaf -> (weight of 1s, weight)
    for (size_t i = 0; i < y.size(); ++i) {
      const double wi = weighted ? w[i] : 1.0;
      share[leaf[i]].first += wi * y[i];
      share[leaf[i]].second += wi;
    }
    EXPECT_GT(share.size(), 8u);
    for (size_t i = 0; i < y.size(); ++i) {
      const auto& [ones, all] = share[leaf[i]];
      ASSERT_NEAR(prob[i], ones / all, 2e-7) << "row " << i << " weighted " << weighted;
      EXPECT_EQ(raw[i], prob[i]);  // one tree: the votes are the probability
      EXPECT_EQ(pred[i], prob[i] > 0.5 ? 1.0 : 0.0);
    }
  }
}

// A regression tree's leaves hold their mean label; a forest averages its trees.
TEST(ForestTest, ARegressionTreePredictsItsLeafsMeanLabel) {
  const DataFrame train = Frame(1500, 5, 0, 4);
  DecisionTreeRegressor::Params p;
  p.trees.max_depth = 5;
  p.trees.min_instances_per_node = 20;
  auto model = (*DecisionTreeRegressor::Make(p))->Fit(train, Ctx());
  ASSERT_THAT(model, IsOk());
  auto out = WithLeaves(**model)->Transform(train, Ctx());
  ASSERT_THAT(out, IsOk());
  const auto leaf = Doubles(*out, "leaves", 0), y = Doubles(train, "label"),
             pred = Doubles(*out, "prediction");
  std::map<double, std::pair<double, double>> mean;  // leaf -> (sum, count)
  for (size_t i = 0; i < y.size(); ++i) {
    mean[leaf[i]].first += y[i];
    mean[leaf[i]].second += 1;
  }
  for (const auto& [l, sc] : mean) EXPECT_GE(sc.second, 20) << "leaf " << l;
  for (size_t i = 0; i < y.size(); ++i) {
    const auto& [sum, count] = mean[leaf[i]];
    ASSERT_NEAR(pred[i], sum / count, 1e-5 * (1 + std::abs(pred[i]))) << "row " << i;
  }
  // A forest of 30 trees: the mean of its trees, each its own leaves' means.
  RandomForestRegressor::Params f;
  f.forest.num_trees = 30;
  f.trees.max_depth = 6;
  auto forest = (*RandomForestRegressor::Make(f))->Fit(train, Ctx());
  ASSERT_THAT(forest, IsOk());
  const DataFrame test = Frame(500, 5, 0, 5);
  auto scored = (*forest)->Transform(test, Ctx());
  auto tree = (*model)->Transform(test, Ctx());
  ASSERT_THAT(scored, IsOk());
  ASSERT_THAT(tree, IsOk());
  const auto truth = Doubles(test, "label"), a = Doubles(*scored, "prediction"),
             b = Doubles(*tree, "prediction");
  double forest_se = 0, tree_se = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    forest_se += (a[i] - truth[i]) * (a[i] - truth[i]);
    tree_se += (b[i] - truth[i]) * (b[i] - truth[i]);
  }
  EXPECT_LT(forest_se, tree_se);  // averaging helps on held-out rows
  EXPECT_EQ(static_cast<const RandomForestRegressionModel&>(**forest).num_trees(), 30);
}

// Differential against scikit-learn on its own data sets (the split of gbdt_test.cc: rows
// with index % 5 == 0 are the test rows). scikit-learn 1.2's RandomForestClassifier with 50
// trees of depth 5 over seeds 0-9 (/usr/bin/python3, as bench/forest/ runs it): breast cancer
// AUC mean 0.97044 (min 0.96149), 109 of 114 right; iris 29 of 30; wine 35 of 36 (min 35).
TEST(ForestTest, AccuracyOnScikitLearnDataMatchesScikitLearnsForests) {
  DataFrame train, test;
  SklearnData("breast_cancer.csv", 30, &train, &test);
  RandomForestClassifier::Params p;
  p.forest.num_trees = 50;
  auto model = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, Ctx());
  ASSERT_THAT(out, IsOk());
  const auto pred = Doubles(*out, "prediction");
  std::vector<double> label;
  for (const Batch& b : test.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r)
      label.push_back(static_cast<double>(b.column(30)->Values<int64_t>()[r]));
  }
  int right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == label[i];
  const double auc = Auc(Doubles(*out, "probability", 1), label);
  std::printf("breast cancer: AUC %.5f, %d of %zu right\n", auc, right, pred.size());
  EXPECT_GE(auc, 0.97044 - 0.01);
  EXPECT_GE(right, 107);
  for (const auto& [name, d, classes, least] :
       {std::tuple{"iris.csv", 4, 3, 28}, std::tuple{"wine_data.csv", 13, 3, 34}}) {
    SklearnData(name, d, &train, &test);
    auto m = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
    ASSERT_THAT(m, IsOk()) << name;
    auto o = (*m)->Transform(test, Ctx());
    ASSERT_THAT(o, IsOk());
    const auto predicted = Doubles(*o, "prediction");
    const auto raw = Doubles(*o, "rawPrediction", 0);
    int hits = 0;
    int64_t row = 0;
    for (const Batch& b : test.partitions()) {
      for (int64_t r = 0; r < b.num_rows(); ++r, ++row)
        hits += predicted[row] == static_cast<double>(b.column(d)->Values<int64_t>()[r]);
    }
    std::printf("%s: %d of %zu right\n", name, hits, predicted.size());
    EXPECT_GE(hits, least) << name;
    // Probabilities sum to 1 and the votes are numTrees times them.
    const Batch all = *o->Collect();
    const Column& prob = *all.column(all.schema()->FindField("probability"));
    for (int64_t r = 0; r < all.num_rows(); ++r) {
      double sum = 0;
      for (int c = 0; c < classes; ++c) sum += prob.DenseRow(r)[c];
      EXPECT_NEAR(sum, 1.0, 1e-12);
      EXPECT_NEAR(raw[r], 50 * prob.DenseRow(r)[0], 1e-9);
    }
  }
}

TEST(ForestTest, SavedAndLoadedScoresTheSameAndSeedsDecideTheTrees) {
  const DataFrame train = Frame(800, 6, 3, 6, /*sparse=*/true), test = Frame(300, 6, 3, 7, true);
  RandomForestClassifier::Params p;
  p.forest.num_trees = 15;
  p.forest.feature_subset_strategy = "0.5";
  auto model = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
  ASSERT_THAT(model, IsOk());
  const std::string dir = ember::testing::NewTempDir("forest") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterGbdtStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ((*loaded)->type_name(), "RandomForestClassificationModel");
  auto a = (*model)->Transform(test, Ctx());
  auto b = (*loaded)->Transform(test, Ctx());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(FramesEqual(*a, *b)) << DescribeDifference(*a, *b);
  const auto& forest = static_cast<const RandomForestClassificationModel&>(**model);
  EXPECT_EQ(forest.num_trees(), 15);
  EXPECT_EQ(forest.booster().num_trees(), 45);  // a tree per class per forest tree
  // The same seed grows the same trees; another seed others.
  auto again = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(static_cast<const RandomForestClassificationModel&>(**again).booster().bytes(),
            forest.booster().bytes());
  p.trees.seed = 9;
  auto other = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(static_cast<const RandomForestClassificationModel&>(**other).booster().bytes(),
            forest.booster().bytes());
  // Feature importances: the label depends on the first three features only.
  auto gain = BoosterOf(**model)->FeatureImportances("gain");
  ASSERT_THAT(gain, IsOk());
  EXPECT_GT((*gain)[0], (*gain)[4]);
  EXPECT_GT((*gain)[1], (*gain)[5]);
}

TEST(ForestTest, BadInputsAreErrorsNamingTheParamOrColumn) {
  auto message = [](const Status& s) { return std::string(s.message()); };
  RandomForestClassifier::Params p;
  p.forest.feature_subset_strategy = "most";
  auto bad = RandomForestClassifier::Make(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(message(bad.status()).find("'featureSubsetStrategy'"), std::string::npos)
      << message(bad.status());
  for (const char* s : {"0", "1.5", "-2", "0.0", ""}) {
    p.forest.feature_subset_strategy = s;
    EXPECT_FALSE(RandomForestClassifier::Make(p).ok()) << s;
  }
  p.forest.feature_subset_strategy = "auto";
  p.impurity = "entropy";
  bad = RandomForestClassifier::Make(p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(message(bad.status()).find("\"entropy\" is not supported"), std::string::npos);
  p.impurity = "gini";
  p.trees.max_depth = 0;
  EXPECT_FALSE(RandomForestClassifier::Make(p).ok());
  p.trees.max_depth = 5;
  p.forest.subsampling_rate = 0;
  EXPECT_FALSE(RandomForestClassifier::Make(p).ok());
  p.forest.subsampling_rate = 1;
  // A label that is not a class index names the column and row; thresholds the class count.
  const DataFrame reg = Frame(100, 3, 0, 8);
  auto fit = (*RandomForestClassifier::Make(p))->Fit(reg, Ctx());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(message(fit.status()).find("'label'"), std::string::npos) << message(fit.status());
  p.thresholds = {0.5, 0.5, 0.5};
  fit = (*RandomForestClassifier::Make(p))->Fit(Frame(100, 3, 2, 8), Ctx());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(message(fit.status()).find("'thresholds'"), std::string::npos);
  // A string feature column, a missing label column.
  DecisionTreeRegressor::Params t;
  t.trees.features_col = "label";
  auto schema = (*DecisionTreeRegressor::Make(t))->TransformSchema(*reg.schema());
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(message(schema.status()).find("'label'"), std::string::npos);
  t.trees.features_col = "features";
  t.trees.label_col = "y";
  schema = (*DecisionTreeRegressor::Make(t))->TransformSchema(*reg.schema());
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(message(schema.status()).find("'y'"), std::string::npos);
  // No rows at all.
  t.trees.label_col = "label";
  auto empty = (*DecisionTreeRegressor::Make(t))->Fit(*DataFrame::Make(reg.schema(), {}), Ctx());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(message(empty.status()).find("DecisionTreeRegressor"), std::string::npos)
      << message(empty.status());
}

// Empty partitions and one-row partitions train as the rows do.
TEST(ForestTest, EmptyPartitionsDoNotChangeTheForest) {
  const DataFrame train = Frame(600, 4, 2, 10, false, 1);
  std::vector<Batch> parts = {train.partitions()[0].Slice(0, 0), train.partitions()[0],
                              train.partitions()[0].Slice(0, 0)};
  const DataFrame padded = *DataFrame::Make(train.schema(), parts);
  RandomForestClassifier::Params p;
  p.forest.num_trees = 5;
  p.forest.bootstrap = false;
  auto a = (*RandomForestClassifier::Make(p))->Fit(train, Ctx());
  auto b = (*RandomForestClassifier::Make(p))->Fit(padded, Ctx());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(BoosterOf(**a)->bytes(), BoosterOf(**b)->bytes());
}

}  // namespace
}  // namespace ember
