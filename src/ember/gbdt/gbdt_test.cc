#include "ember/gbdt/gbdt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <random>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/gbdt/internal/test_frames.h"
#include "ember/gbdt/tree_evaluator.h"
#include "ember/gbdt/xgboost_api.h"
#include "ember/io/csv.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/vector_assembler.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using gbdt::testing::Auc;
using gbdt::testing::Doubles;
using gbdt::testing::Frame;
using gbdt::testing::SklearnData;

// `f` with a column `name` of value(global row) added.
template <typename T>
DataFrame AddColumn(const DataFrame& f, const std::string& name,
                    const std::function<std::optional<T>(int64_t)>& value) {
  SchemaPtr schema = *f.schema()->AddField(MakeField(name, CTypeTraits<T>::type()));
  std::vector<Batch> parts;
  int64_t row = 0;
  for (const Batch& b : f.partitions()) {
    std::vector<std::optional<T>> v;
    for (int64_t r = 0; r < b.num_rows(); ++r) v.push_back(value(row++));
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(MakeColumn(v));
    parts.push_back(*Batch::Make(schema, cols, b.num_rows()));
  }
  return *DataFrame::Make(schema, parts);
}

TEST(GbdtTest, BinaryClassifierLearnsAndRoundTrips) {
  const DataFrame train = Frame(1500, 6, 2, 1), test = Frame(500, 6, 2, 2);
  GBDTClassifier::Params p;
  p.common.num_iterations = 60;
  p.common.num_leaves = 15;
  p.common.num_threads = 2;
  auto est = GBDTClassifier::Make(p);
  ASSERT_THAT(est, IsOk());
  auto model = (*est)->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const auto prob = Doubles(*out, "probability", 1), label = Doubles(test, "label");
  EXPECT_GT(Auc(prob, label), 0.93);
  // Probabilities and raw margins agree; the prediction is the likelier class.
  const auto raw = Doubles(*out, "rawPrediction", 1), pred = Doubles(*out, "prediction");
  for (size_t i = 0; i < prob.size(); ++i) {
    EXPECT_NEAR(prob[i], 1 / (1 + std::exp(-raw[i])), 1e-12);
    EXPECT_EQ(pred[i], prob[i] > 0.5 ? 1.0 : 0.0);
  }
  const auto& m = static_cast<const GBDTClassificationModel&>(**model);
  EXPECT_EQ(m.booster().rounds(), 60);
  EXPECT_EQ(m.num_classes(), 2);
  // Trees grow leaf-wise to at most numLeaves leaves.
  auto dump = m.booster().xgb().DumpJson();
  ASSERT_THAT(dump, IsOk());
  for (const std::string& tree : *dump) {
    size_t leaves = 0;
    for (size_t at = tree.find("\"leaf\""); at != std::string::npos;
         at = tree.find("\"leaf\"", at + 1))
      ++leaves;
    EXPECT_LE(leaves, 15u);
  }
  // Importances: the informative features lead.
  auto gain = m.booster().FeatureImportances("gain");
  ASSERT_THAT(gain, IsOk());
  ASSERT_EQ(gain->size(), 6u);
  EXPECT_GT((*gain)[0], (*gain)[4]);
  EXPECT_GT((*gain)[1], (*gain)[5]);
  auto splits = m.booster().FeatureImportances("split");
  ASSERT_THAT(splits, IsOk());
  EXPECT_GT((*splits)[0], 0);
  EXPECT_FALSE(m.booster().FeatureImportances("cover").ok());

  const std::string dir = testing::NewTempDir("gbdt") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterGbdtStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  auto again = (*loaded)->Transform(test, ExecContext::Default());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(FramesEqual(*out, *again)) << DescribeDifference(*out, *again);
  // The saved booster is a plain XGBoost model.
  auto bytes = ReadFileToString(dir + "/data/model.ubj");
  ASSERT_THAT(bytes, IsOk());
  EXPECT_THAT(gbdt::XgbBooster::Load(*bytes), IsOk());
}

TEST(GbdtTest, MulticlassWithThresholdsAndWeights) {
  const DataFrame train = Frame(1200, 5, 3, 3), test = Frame(300, 5, 3, 4);
  GBDTClassifier::Params p;  // objective "binary" with three labels switches to multiclass
  p.common.num_iterations = 40;
  p.common.weight_col = "w";
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  EXPECT_EQ(static_cast<const GBDTClassificationModel&>(**model).num_classes(), 3);
  auto out = (*model)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const auto pred = Doubles(*out, "prediction"), label = Doubles(test, "label");
  int right = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    double sum = 0;
    for (int c = 0; c < 3; ++c) sum += Doubles(*out, "probability", c)[i];
    ASSERT_NEAR(sum, 1.0, 1e-9);
    right += pred[i] == label[i];
  }
  EXPECT_GT(right, 0.8 * static_cast<double>(pred.size()));

  // A zero threshold always wins its class.
  p.thresholds = {1, 0, 1};
  auto thresholded = (*(*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default()))
                         ->Transform(test, ExecContext::Default());
  ASSERT_THAT(thresholded, IsOk());
  for (double v : Doubles(*thresholded, "prediction")) EXPECT_EQ(v, 1.0);
  p.thresholds = {1, 1};
  auto wrong = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("'thresholds': has 2 values for 3 classes"),
            std::string::npos)
      << wrong.status().ToString();
}

TEST(GbdtTest, RegressionObjectives) {
  const DataFrame train = Frame(1500, 4, 0, 5), test = Frame(400, 4, 0, 6);
  const auto y = Doubles(test, "label");
  double mean = 0, var = 0;
  for (double v : y) mean += v / static_cast<double>(y.size());
  for (double v : y) var += (v - mean) * (v - mean) / static_cast<double>(y.size());
  for (const std::string objective : {"regression", "regression_l1", "huber"}) {
    // By name, as a spec gives it (the names are LightGBM's).
    auto parsed = GBDTRegressor::Params::Spec().FromJson(
        *Json::Parse(R"({"objective": ")" + objective + "\"}"));
    ASSERT_THAT(parsed, IsOk()) << objective;
    GBDTRegressor::Params p = *parsed;
    p.common.num_iterations = 80;
    p.alpha = 1.0;
    auto model = (*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default());
    ASSERT_THAT(model, IsOk()) << objective;
    auto out = (*model)->Transform(test, ExecContext::Default());
    ASSERT_THAT(out, IsOk());
    const auto pred = Doubles(*out, "prediction");
    double mse = 0;
    for (size_t i = 0; i < y.size(); ++i)
      mse += (pred[i] - y[i]) * (pred[i] - y[i]) / static_cast<double>(y.size());
    EXPECT_LT(mse, 0.25 * var) << objective;
  }
  // Quantile regression: about alpha of the training labels fall below the prediction (the
  // pinball loss's optimum in every leaf).
  const auto y_train = Doubles(train, "label");
  for (const double alpha : {0.2, 0.9}) {
    GBDTRegressor::Params q;
    q.objective = GbdtRegressorObjective::kQuantile;
    q.alpha = alpha;
    q.common.num_iterations = 200;
    q.common.learning_rate = 0.2;
    auto model = (*GBDTRegressor::Make(q))->Fit(train, ExecContext::Default());
    ASSERT_THAT(model, IsOk());
    auto out = (*model)->Transform(train, ExecContext::Default());
    ASSERT_THAT(out, IsOk());
    const auto pred = Doubles(*out, "prediction");
    double below = 0;
    for (size_t i = 0; i < y_train.size(); ++i) {
      below += y_train[i] < pred[i] ? 1.0 / static_cast<double>(y_train.size()) : 0;
    }
    EXPECT_NEAR(below, alpha, 0.05);
  }
  // Log-link objectives predict on the label's scale and need non-negative labels.
  GBDTRegressor::Params p;
  p.objective = GbdtRegressorObjective::kPoisson;
  auto negative = (*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("objective 'poisson' needs labels >= 0"),
            std::string::npos);
}

TEST(GbdtTest, SparseFeaturesAreScoredAsTrained) {
  const DataFrame train = Frame(1200, 8, 2, 7, /*sparse=*/true), test = Frame(300, 8, 2, 8, true);
  GBDTClassifier::Params p;
  p.common.num_iterations = 30;
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_GT(Auc(Doubles(*out, "probability", 1), Doubles(test, "label")), 0.8);
  // Partitioning does not change the predictions.
  auto one = (*model)->Transform(DataFrame::FromBatch(*ConcatBatches(test.partitions())),
                                 ExecContext::Default());
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(Doubles(*out, "probability", 1), Doubles(*one, "probability", 1));
}

TEST(GbdtTest, ErrorsNameTheParamColumnAndRow) {
  GBDTClassifier::Params p;
  p.common.pass_through_args = "max_bin=16 oops";
  auto bad_args = (*GBDTClassifier::Make(p))->Fit(Frame(50, 3, 2, 9), ExecContext::Default());
  ASSERT_FALSE(bad_args.ok());
  EXPECT_NE(bad_args.status().message().find("'passThroughArgs': 'oops' is not key=value"),
            std::string::npos);

  const DataFrame real = Frame(50, 3, 0, 10);
  auto fractional = (*GBDTClassifier::Make({}))->Fit(real, ExecContext::Default());
  ASSERT_FALSE(fractional.ok());
  EXPECT_NE(fractional.status().message().find("column 'label' row 0: label"), std::string::npos)
      << fractional.status().ToString();

  GBDTClassifier::Params wrong_col;
  wrong_col.common.features_col = "nope";
  auto missing = (*GBDTClassifier::Make(wrong_col))->Fit(real, ExecContext::Default());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().ToString().find("nope"), std::string::npos);

  // goss has no XGBoost counterpart: the param names the choices.
  auto goss = GBDTClassifier::Params::Spec().FromJson(*Json::Parse(R"({"boostingType": "goss"})"));
  ASSERT_FALSE(goss.ok());
  EXPECT_NE(goss.status().message().find("GBDTClassifier param 'boostingType'"), std::string::npos)
      << goss.status();
  EXPECT_NE(goss.status().message().find("gbdt|dart"), std::string::npos) << goss.status();
  GBDTClassifier::Params q;
  q.common.bagging_fraction = 0;
  EXPECT_FALSE(GBDTClassifier::Make(q).ok());
}

TEST(GbdtTest, PassThroughArgsWin) {
  GBDTClassifier::Params p;
  p.common.num_iterations = 5;
  p.common.pass_through_args = "max_leaves=3,eta=0.3";
  auto model = (*GBDTClassifier::Make(p))->Fit(Frame(600, 4, 2, 11), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto dump = static_cast<const GBDTClassificationModel&>(**model).booster().xgb().DumpJson();
  ASSERT_THAT(dump, IsOk());
  for (const std::string& tree : *dump) {
    size_t leaves = 0;
    for (size_t at = tree.find("\"leaf\""); at != std::string::npos;
         at = tree.find("\"leaf\"", at + 1))
      ++leaves;
    EXPECT_LE(leaves, 3u);
  }
}

TEST(GbdtTest, EarlyStoppingKeepsTheBestRounds) {
  // Noisy labels overfit: the validation loss turns up long before 300 rounds.
  DataFrame all =
      AddColumn<bool>(Frame(1600, 6, 2, 12), "is_valid", [](int64_t r) { return r % 4 == 0; });
  GBDTClassifier::Params p;
  p.common.num_iterations = 300;
  p.common.learning_rate = 0.3;
  p.common.num_leaves = 31;
  p.common.min_sum_hessian_in_leaf = 0;
  p.common.validation_indicator_col = "is_valid";
  p.common.early_stopping_round = 10;
  p.common.metric = GbdtMetric::kBinaryLogloss;
  auto model = (*GBDTClassifier::Make(p))->Fit(all, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const int rounds = static_cast<const GBDTClassificationModel&>(**model).booster().rounds();
  EXPECT_LT(rounds, 100);
  EXPECT_GE(rounds, 1);
  // Without validation rows early stopping is an error that says what is missing.
  GBDTClassifier::Params q = p;
  q.common.validation_indicator_col = "";
  auto no_valid = GBDTClassifier::Make(q);
  ASSERT_THAT(no_valid, IsOk());
  auto fit = (*no_valid)->Fit(all, ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("'earlyStoppingRound': needs validation rows"),
            std::string::npos)
      << fit.status().ToString();
}

TEST(GbdtTest, LeafIndicesAndShapValues) {
  const DataFrame train = Frame(800, 4, 2, 13), test = Frame(50, 4, 2, 14);
  GBDTClassifier::Params p;
  p.common.num_iterations = 12;
  p.common.leaf_prediction_col = "leaves";
  p.common.features_shap_col = "shap";
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const Field& leaves = out->schema()->field(out->schema()->FindField("leaves"));
  const Field& shap = out->schema()->field(out->schema()->FindField("shap"));
  EXPECT_EQ(leaves.type->vector_size(), 12);
  EXPECT_EQ(shap.type->vector_size(), 5);  // 4 features + the bias
  // The estimator announces the same schema before fitting.
  auto announced = (*GBDTClassifier::Make(p))->TransformSchema(*test.schema());
  ASSERT_THAT(announced, IsOk());
  EXPECT_TRUE((*announced)->Equals(*out->schema()))
      << (*announced)->ToString() << " vs " << out->schema()->ToString();
  // SHAP values (with the bias) sum to the margin.
  const auto margin = Doubles(*out, "rawPrediction", 1);
  for (size_t i = 0; i < margin.size(); ++i) {
    double sum = 0;
    for (int j = 0; j < 5; ++j) sum += Doubles(*out, "shap", j)[i];
    EXPECT_NEAR(sum, margin[i], 1e-4);
  }
  // Leaf indices are node ids of each tree.
  for (double leaf : Doubles(*out, "leaves", 0)) EXPECT_GE(leaf, 1);
}

TEST(GbdtTest, InitialScoresShiftTheStart) {
  // Boosting from a good initial score needs fewer rounds to fit the same labels.
  DataFrame train = Frame(1000, 4, 0, 15);
  const auto y = Doubles(train, "label");
  train = AddColumn<double>(train, "init", [&](int64_t r) { return y[r]; });
  GBDTRegressor::Params p;
  p.common.num_iterations = 1;
  p.common.init_score_col = "init";
  p.common.learning_rate = 0.01;
  auto model = (*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  // One small round from a perfect start adds almost nothing: predictions stay near 0 (the
  // init scores are not part of the model).
  auto out = (*model)->Transform(train, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  for (double v : Doubles(*out, "prediction")) EXPECT_NEAR(v, 0.0, 0.05);
  // Without them, the first round starts from the mean.
  p.common.init_score_col = "";
  auto plain = (*(*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default()))
                   ->Transform(train, ExecContext::Default());
  ASSERT_THAT(plain, IsOk());
  double spread = 0;
  for (double v : Doubles(*plain, "prediction")) spread = std::max(spread, std::abs(v));
  EXPECT_GT(spread, 0.05);
}

TEST(GbdtTest, RankerOrdersWithinGroups) {
  // 60 groups of 20 rows; the relevance grade follows the features.
  DataFrame raw = Frame(1200, 5, 0, 16);
  const auto score = Doubles(raw, "label");
  DataFrame grouped = AddColumn<int64_t>(raw, "query", [](int64_t r) { return r % 60; });
  DataFrame graded = AddColumn<double>(grouped, "grade", [&](int64_t r) {
    return score[r] > 1.5 ? 3.0 : score[r] > 0.5 ? 2.0 : score[r] > -0.5 ? 1.0 : 0.0;
  });
  GBDTRanker::Params p;
  p.common.label_col = "grade";
  p.group_col = "query";
  p.common.num_iterations = 30;
  auto model = (*GBDTRanker::Make(p))->Fit(graded, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(graded, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  // Higher grades score higher: the rank correlation is strongly positive.
  const auto pred = Doubles(*out, "prediction"), grade = Doubles(graded, "grade");
  double agree = 0, pairs = 0;
  for (size_t i = 0; i < pred.size(); i += 7) {
    for (size_t j = 0; j < pred.size(); j += 11) {
      if (grade[i] > grade[j]) {
        pairs += 1;
        agree += pred[i] > pred[j] ? 1 : 0;
      }
    }
  }
  EXPECT_GT(agree / pairs, 0.85);
  // The saved model reloads as a GBDTRankerModel.
  const std::string dir = testing::NewTempDir("gbdt_ranker") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterGbdtStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ((*loaded)->type_name(), "GBDTRankerModel");
}

TEST(GbdtTest, CustomObjectiveFromCpp) {
  // Squared error written by hand boosts the same trees as XGBoost's own.
  const DataFrame train = Frame(800, 4, 0, 17), test = Frame(100, 4, 0, 18);
  GBDTRegressor::Params p;
  p.common.num_iterations = 20;
  p.common.num_threads = 1;
  auto builtin = (*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(builtin, IsOk());
  p.objective = GbdtRegressorObjective::kCustom;
  auto squared = [](float margin, float label, float w, float* g, float* h) {
    *g = w * (margin - label);
    *h = w;
  };
  auto est = GBDTRegressor::Make(p, squared);
  ASSERT_THAT(est, IsOk());
  auto custom = (*est)->Fit(train, ExecContext::Default());
  ASSERT_THAT(custom, IsOk());
  const auto a = Doubles(*(*builtin)->Transform(test, ExecContext::Default()), "prediction");
  const auto b = Doubles(*(*custom)->Transform(test, ExecContext::Default()), "prediction");
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4);
  // "custom" without the C++ function (a loaded estimator) cannot fit, and says why.
  auto bare = (*GBDTRegressor::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.status().message().find("needs the C++ objective"), std::string::npos);
  p.objective = GbdtRegressorObjective::kRegression;
  EXPECT_FALSE(GBDTRegressor::Make(p, squared).ok());
}

// The compiled trees give XGBoost's margins, missing values included.
void ExpectCompiledEqualsXgboost(const GbdtBooster& b, uint32_t seed) {
  ASSERT_NE(b.evaluator(), nullptr) << b.compile_problem();
  const int64_t d = b.num_features(), n = 400;
  const int k = b.num_outputs();
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(static_cast<size_t>(n * d));
  for (float& v : x) v = rng() % 7 == 0 ? NAN : g(rng);
  auto xgb = b.xgb().PredictDense(x.data(), n, d, 1, 0);
  ASSERT_THAT(xgb, IsOk());
  ASSERT_EQ(xgb->values.size(), static_cast<size_t>(n * k));
  std::vector<float> out(static_cast<size_t>(k));
  int exact = 0;
  for (int64_t r = 0; r < n; ++r) {
    b.evaluator()->Predict(x.data() + r * d, out.data());
    for (int c = 0; c < k; ++c) {
      const float want = xgb->values[r * k + c];
      EXPECT_NEAR(out[c], want, 1e-6) << "seed " << seed << " row " << r << " output " << c;
      exact += out[c] == want;
    }
  }
  EXPECT_GT(exact, 0.99 * static_cast<double>(n * k)) << "seed " << seed;
}

TEST(GbdtTest, CompiledTreesMatchXgboost) {
  GBDTClassifier::Params c;
  c.common.num_iterations = 100;
  auto binary = (*GBDTClassifier::Make(c))->Fit(Frame(1500, 28 / 4, 2, 19), ExecContext::Default());
  ASSERT_THAT(binary, IsOk());
  ExpectCompiledEqualsXgboost(static_cast<const GBDTClassificationModel&>(**binary).booster(), 1);
  auto multi = (*GBDTClassifier::Make(c))->Fit(Frame(900, 5, 3, 20), ExecContext::Default());
  ASSERT_THAT(multi, IsOk());
  ExpectCompiledEqualsXgboost(static_cast<const GBDTClassificationModel&>(**multi).booster(), 2);
  GBDTRegressor::Params r;
  r.common.num_iterations = 50;
  auto regression = (*GBDTRegressor::Make(r))->Fit(Frame(900, 5, 0, 21), ExecContext::Default());
  ASSERT_THAT(regression, IsOk());
  ExpectCompiledEqualsXgboost(static_cast<const GBDTRegressionModel&>(**regression).booster(), 3);
  // A log link: the base score is stored as a mean, compiled as its log.
  DataFrame counts =
      AddColumn<double>(Frame(900, 5, 0, 22), "count", [](int64_t row) { return double(row % 5); });
  r.objective = GbdtRegressorObjective::kPoisson;
  r.common.label_col = "count";
  auto poisson = (*GBDTRegressor::Make(r))->Fit(counts, ExecContext::Default());
  ASSERT_THAT(poisson, IsOk());
  ExpectCompiledEqualsXgboost(static_cast<const GBDTRegressionModel&>(**poisson).booster(), 4);
  // Sparse rows: unstored entries are missing, both ways (Transform uses the compiled trees;
  // XGBoost scores the same rows as CSR).
  auto sparse = (*GBDTClassifier::Make(c))->Fit(Frame(900, 8, 2, 23, true), ExecContext::Default());
  ASSERT_THAT(sparse, IsOk());
  const GbdtBooster& sb = static_cast<const GBDTClassificationModel&>(**sparse).booster();
  const DataFrame test = Frame(200, 8, 2, 24, true);
  auto out = (*sparse)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  std::vector<size_t> indptr = {0};
  std::vector<uint32_t> indices;
  std::vector<float> values;
  for (const Batch& b : test.partitions()) {
    for (int64_t row = 0; row < b.num_rows(); ++row) {
      auto idx = b.column(0)->SparseIndices(row);
      auto val = b.column(0)->SparseValues(row);
      for (size_t e = 0; e < idx.size(); ++e) {
        indices.push_back(static_cast<uint32_t>(idx[e]));
        values.push_back(static_cast<float>(val[e]));
      }
      indptr.push_back(values.size());
    }
  }
  auto m = gbdt::XgbMatrix::FromCsr(indptr, indices, values, 8);
  ASSERT_THAT(m, IsOk());
  auto want = sb.xgb().Predict(*m, 1, 0, 0);
  ASSERT_THAT(want, IsOk());
  const auto got = Doubles(*out, "rawPrediction", 1);
  ASSERT_EQ(got.size(), want->values.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want->values[i], 1e-6) << i;
  // A dart booster is not compiled; XGBoost scores it.
  c.common.boosting_type = GbdtBoosting::kDart;
  c.common.num_iterations = 5;
  auto dart = (*GBDTClassifier::Make(c))->Fit(Frame(300, 4, 2, 25), ExecContext::Default());
  ASSERT_THAT(dart, IsOk());
  const GbdtBooster& db = static_cast<const GBDTClassificationModel&>(**dart).booster();
  EXPECT_EQ(db.evaluator(), nullptr);
  EXPECT_NE(db.compile_problem().find("dart"), std::string::npos);
  EXPECT_THAT((*dart)->Transform(Frame(20, 4, 2, 26), ExecContext::Default()), IsOk());
}

TEST(GbdtTest, ImportsXgboostModelFiles) {
  const DataFrame train = Frame(600, 5, 3, 27), test = Frame(100, 5, 3, 28);
  GBDTClassifier::Params p;
  p.common.num_iterations = 10;
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const GbdtBooster& b = static_cast<const GBDTClassificationModel&>(**model).booster();
  // The booster as XGBoost's own JSON file, as Python's save_model("model.json") writes it.
  const std::string dir = testing::NewTempDir("gbdt_import");
  auto json = b.xgb().Save("json");
  ASSERT_THAT(json, IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/model.json", *json), IsOk());
  auto imported = ImportXgboostModel(dir + "/model.json");
  ASSERT_THAT(imported, IsOk());
  EXPECT_EQ((*imported)->type_name(), "GBDTClassificationModel");
  auto a = (*model)->Transform(test, ExecContext::Default());
  auto c = (*imported)->Transform(test, ExecContext::Default());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(FramesEqual(*a, *c)) << DescribeDifference(*a, *c);

  ASSERT_THAT(WriteStringToFile(dir + "/broken.json", "{\"learner\": 3}"), IsOk());
  auto broken = ImportXgboostModel(dir + "/broken.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().ToString().find("broken.json"), std::string::npos)
      << broken.status().ToString();
  EXPECT_FALSE(ImportXgboostModel(dir + "/missing.json").ok());
}

// Slot 0 holds a category code 0..9 whose effect is not monotone (3, 5 and 8 are positive);
// slot 1 is noise. `names` records slot names ("cat", "x").
DataFrame CategoryFrame(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  Field features = MakeField("features", DenseVectorType(2));
  SetSlotNames(&features, {"cat", "x"});
  auto schema = *Schema::Make({features, MakeField("label", Float64Type())});
  DenseVectorBuilder fb(2);
  std::vector<std::optional<double>> labels;
  for (int r = 0; r < n; ++r) {
    const double cat = static_cast<double>(rng() % 10);
    const double x = g(rng);
    EXPECT_THAT(fb.Append(std::vector<double>{cat, x}), IsOk());
    labels.push_back((cat == 3 || cat == 5 || cat == 8) != (rng() % 20 == 0) ? 1.0 : 0.0);
  }
  return DataFrame::FromBatch(*Batch::Make(schema, {fb.Finish(), MakeColumn(labels)}, n));
}

TEST(GbdtTest, CategoricalSlotsSplitByCategorySets) {
  const DataFrame train = CategoryFrame(3000, 29), test = CategoryFrame(500, 30);
  GBDTClassifier::Params p;
  p.common.num_iterations = 3;
  p.common.num_leaves = 2;  // one split per tree: only a category set can separate {3, 5, 8}
  p.common.learning_rate = 1.0;
  p.common.categorical_slot_names = {"cat"};
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const auto pred = Doubles(*out, "prediction"), label = Doubles(test, "label");
  int right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == label[i];
  EXPECT_GT(right, 0.9 * static_cast<double>(pred.size()));
  // The same by index; the compiled trees follow XGBoost's category decisions (and invalid
  // categories: negative, beyond every set).
  p.common.categorical_slot_names.clear();
  p.common.categorical_slot_indexes = {0};
  p.common.max_cat_to_onehot = 1;
  auto by_index = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(by_index, IsOk());
  const GbdtBooster& b = static_cast<const GBDTClassificationModel&>(**by_index).booster();
  ASSERT_NE(b.evaluator(), nullptr) << b.compile_problem();
  std::vector<float> rows;
  for (float cat : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f, 12.f, 100.f, -1.f, NAN}) {
    rows.push_back(cat);
    rows.push_back(0.3f);
  }
  const int64_t n = static_cast<int64_t>(rows.size() / 2);
  auto xgb = b.xgb().PredictDense(rows.data(), n, 2, 1, 0);
  ASSERT_THAT(xgb, IsOk());
  for (int64_t r = 0; r < n; ++r) {
    float margin;
    b.evaluator()->Predict(rows.data() + 2 * r, &margin);
    EXPECT_EQ(margin, xgb->values[r]) << "category " << rows[2 * r];
  }
  // Unknown names and slots are errors naming the param.
  p.common.categorical_slot_indexes = {7};
  auto bad = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'categoricalSlotIndexes': slot 7 is outside"),
            std::string::npos);
  p.common.categorical_slot_indexes.clear();
  p.common.categorical_slot_names = {"colour"};
  bad = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no slot named 'colour'"), std::string::npos);
}

// Accuracy baselines on fixed real data: what this split scored when the stages were
// written (GBDT training is deterministic); a drop below is a regression. python3-xgboost
// with the params Ember sends gives the same figures on this split (breast cancer: AUC
// 0.95794, 100 of 114 right; LightGBM's defaults without its minDataInLeaf overfit 455 rows).
TEST(GbdtTest, BaselinesOnScikitLearnData) {
  constexpr double kBreastAuc = 0.95794;
  constexpr int kBreastRight = 100;
  constexpr int kIrisRight = 29;
  DataFrame train, test;
  SklearnData("breast_cancer.csv", 30, &train, &test);
  GBDTClassifier::Params p;
  p.common.num_iterations = 100;
  p.common.num_leaves = 15;
  auto model = (*GBDTClassifier::Make(p))->Fit(train, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(test, ExecContext::Default());
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
  std::printf("breast cancer: AUC %.5f, accuracy %.4f\n", auc,
              right / static_cast<double>(pred.size()));
  EXPECT_GE(auc, kBreastAuc - 0.002);
  EXPECT_GE(right, kBreastRight);

  SklearnData("iris.csv", 4, &train, &test);
  GBDTClassifier::Params q;
  q.common.num_iterations = 50;
  q.common.num_leaves = 4;
  q.common.min_sum_hessian_in_leaf = 0.1;
  auto iris = (*GBDTClassifier::Make(q))->Fit(train, ExecContext::Default());
  ASSERT_THAT(iris, IsOk());
  auto iris_out = (*iris)->Transform(test, ExecContext::Default());
  ASSERT_THAT(iris_out, IsOk());
  const auto iris_pred = Doubles(*iris_out, "prediction");
  int iris_right = 0;
  int64_t row = 0;
  for (const Batch& b : test.partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r, ++row) {
      iris_right += iris_pred[row] == static_cast<double>(b.column(4)->Values<int64_t>()[r]);
    }
  }
  std::printf("iris: %d of %zu right\n", iris_right, iris_pred.size());
  EXPECT_GE(iris_right, kIrisRight);
}

// The label's nominal values (a StringIndexer's labels) reach the prediction column, before
// fitting (TransformSchema), after, and after save and load; IndexToString then needs none.
TEST(GbdtTest, ThePredictionCarriesTheLabelsNominalValues) {
  DataFrame f = Frame(300, 4, 3, 21, false, 1);
  std::vector<Field> fields = f.schema()->fields();
  SetNominalValues(&fields[1], {"low", "mid", "high"});
  auto schema = *Schema::Make(fields);
  DataFrame named = *DataFrame::Make(
      schema, {*Batch::Make(schema, f.partition(0).columns(), f.partition(0).num_rows())});
  GBDTClassifier::Params p;
  p.common.num_iterations = 5;
  auto est = *GBDTClassifier::Make(p);
  auto expected = est->TransformSchema(*schema);
  ASSERT_THAT(expected, IsOk());
  auto before = NominalValues((*expected)->field((*expected)->FindField("prediction")));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(*before, (std::vector<std::string>{"low", "mid", "high"}));
  auto model = est->Fit(named, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const std::string dir = testing::NewTempDir("gbdt_labels") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterGbdtStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  for (const auto& m : {*model, *loaded}) {
    auto out = m->TransformSchema(*schema);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(NominalValues((*out)->field((*out)->FindField("prediction"))), before);
  }
}

// Params are declared once: designated initialisers reach the shared group, the closed sets
// are enums written by their LightGBM names, and XGBoost's metric names are aliases.
TEST(GbdtParamsTest, GroupsAndEnumsRoundTripByName) {
  GBDTRegressor::Params p{
      .common = {.num_iterations = 200, .num_leaves = 63, .metric = GbdtMetric::kL2},
      .objective = GbdtRegressorObjective::kQuantile,
      .alpha = 0.9};
  const Json j = GBDTRegressor::Params::Spec().ToJson(p);
  EXPECT_EQ(j.Find("numLeaves")->as_int(), 63);
  EXPECT_EQ(j.Find("objective")->as_string(), "quantile");
  EXPECT_EQ(j.Find("metric")->as_string(), "l2");
  auto back = GBDTRegressor::Params::Spec().FromJson(j);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->common.num_leaves, 63);
  EXPECT_EQ(back->objective, GbdtRegressorObjective::kQuantile);
  auto alias = GBDTClassifier::Params::Spec().FromJson(*Json::Parse(R"({"metric": "logloss"})"));
  ASSERT_THAT(alias, IsOk());
  EXPECT_EQ(alias->common.metric, GbdtMetric::kBinaryLogloss);
  auto unknown = GBDTClassifier::Params::Spec().FromJson(*Json::Parse(R"({"metric": "ndcg@3"})"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("GBDTClassifier param 'metric'"), std::string::npos)
      << unknown.status();
  auto wrong_type = GBDTRanker::Params::Spec().FromJson(*Json::Parse(R"({"numLeaves": "many"})"));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("GBDTRanker param 'numLeaves'"), std::string::npos)
      << wrong_type.status();
  // Every objective name of each estimator parses and prints back as itself.
  for (const char* name : {"regression", "regression_l1", "huber", "quantile", "poisson", "tweedie",
                           "gamma", "custom"}) {
    auto r = GBDTRegressor::Params::Spec().FromJson(
        *Json::Parse(std::string(R"({"objective": ")") + name + "\"}"));
    ASSERT_THAT(r, IsOk()) << name;
    EXPECT_EQ(GBDTRegressor::Params::Spec().ToJson(*r).Find("objective")->as_string(), name);
  }
}

}  // namespace
}  // namespace ember
