// Model selection: search spaces, folds, TuneHyperparameters / TrainValidationSplit /
// FindBestModel, on one and two ranks.
#include "ember/automl/tune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "ember/automl/best_model.h"
#include "ember/automl/selected_model.h"
#include "ember/automl/train.h"
#include "ember/core/builder.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

const ExecContext& Ctx() { return ExecContext::Default(); }

Json J(const std::string& text) { return *Json::Parse(text); }

// x1, x2 and a string label "yes" when x1 + 0.5 x2 + noise > 0 (or, for regression, a
// number y = 3 x1 - x2 + noise), in 3 partitions.
DataFrame Data(int rows, bool regression = false) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n(0, 1);
  std::vector<std::optional<double>> x1, x2, y;
  std::vector<std::optional<std::string>> label;
  for (int r = 0; r < rows; ++r) {
    x1.push_back(n(rng));
    x2.push_back(n(rng));
    const double noise = n(rng);
    label.push_back(*x1.back() + 0.5 * *x2.back() + 0.5 * noise > 0 ? "yes" : "no");
    y.push_back(3 * *x1.back() - *x2.back() + 0.3 * noise);
  }
  SchemaPtr schema = *Schema::Make(
      {MakeField("x1", Float64Type()), MakeField("x2", Float64Type()),
       regression ? MakeField("label", Float64Type()) : MakeField("label", StringType())});
  Batch all = *Batch::Make(
      schema, {MakeColumn(x1), MakeColumn(x2), regression ? MakeColumn(y) : MakeColumn(label)});
  const int64_t third = rows / 3;
  return *DataFrame::Make(schema, {all.Slice(0, third), all.Slice(third, third),
                                   all.Slice(2 * third, rows - 2 * third)});
}

ModelSpace Space(const std::string& model, const std::string& params) {
  ModelSpace s;
  s.model = J(model);
  const Json space = J(params);
  for (const auto& [path, values] : space.as_object())
    s.params.push_back(*Hyperparam::FromJson(path, values));
  return s;
}

const char* kClassifier = R"j({"type": "TrainClassifier", "params": {"model": {"type":
    "LogisticRegression"}}})j";

// Settings ---------------------------------------------------------------------------------

TEST(SettingsTest, GridIsTheCartesianProductLastPathFastest) {
  auto s = Settings(Space(kClassifier, R"j({"model.regParam": [0.1, 1], "model.maxIter": [5, 50,
      500]})j"),
                    SearchKind::kGrid, 0, 0);
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->size(), 6u);
  EXPECT_EQ((*s)[0], J(R"j({"model.regParam": 0.1, "model.maxIter": 5})j"));
  EXPECT_EQ((*s)[1], J(R"j({"model.regParam": 0.1, "model.maxIter": 50})j"));
  EXPECT_EQ((*s)[5], J(R"j({"model.regParam": 1, "model.maxIter": 500})j"));
  // No params: one setting, the spec as it is.
  EXPECT_EQ(Settings(Space(kClassifier, "{}"), SearchKind::kGrid, 0, 0)->size(), 1u);
}

TEST(SettingsTest, RandomDrawsStayInTheirRangesAndRepeatForASeed) {
  ModelSpace space = Space(kClassifier, R"j({
      "model.regParam": {"min": 1e-4, "max": 1, "scale": "log"},
      "model.maxIter": {"min": 10, "max": 20, "type": "int"},
      "model.elasticNetParam": [0, 0.5, 1]})j");
  auto a = Settings(space, SearchKind::kRandom, 200, 7);
  auto b = Settings(space, SearchKind::kRandom, 200, 7);
  auto c = Settings(space, SearchKind::kRandom, 200, 8);
  ASSERT_THAT(a, IsOk());
  ASSERT_EQ(a->size(), 200u);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  int below_1e2 = 0, max_iter_20 = 0;
  for (const Json& s : *a) {
    const double reg = s.Find("model.regParam")->as_double();
    EXPECT_GE(reg, 1e-4);
    EXPECT_LE(reg, 1);
    below_1e2 += reg < 1e-2;
    ASSERT_TRUE(s.Find("model.maxIter")->is_int());
    const int64_t it = s.Find("model.maxIter")->as_int();
    EXPECT_GE(it, 10);
    EXPECT_LE(it, 20);
    max_iter_20 += it == 20;
    const double en = s.Find("model.elasticNetParam")->as_double();
    EXPECT_TRUE(en == 0 || en == 0.5 || en == 1);
  }
  // Log scale: half the draws below the geometric middle 1e-2; the int range includes max.
  EXPECT_GT(below_1e2, 70);
  EXPECT_LT(below_1e2, 130);
  EXPECT_GT(max_iter_20, 5);
}

TEST(SettingsTest, AGridRefusesARangeAndBadRangesNameTheirPath) {
  auto s = Settings(Space(kClassifier, R"j({"model.regParam": {"min": 0, "max": 1}})j"),
                    SearchKind::kGrid, 0, 0);
  EXPECT_NE(s.status().message().find("'model.regParam' is a range"), std::string::npos)
      << s.status();
  for (const char* bad : {R"j({"min": 2, "max": 1})j", R"j({"min": 0, "max": 1, "scale": "log"})j",
                          "[]", R"j({"min": 0})j", R"j({"min": 0, "max": 1, "step": 2})j", "3"}) {
    auto h = Hyperparam::FromJson("model.regParam", J(bad));
    EXPECT_FALSE(h.ok()) << bad;
    EXPECT_NE(h.status().message().find("'model.regParam'"), std::string::npos) << h.status();
  }
}

TEST(ApplySettingTest, PathsReachNestedSpecsAndPipelineStages) {
  const Json pipeline = J(R"j({"type": "Pipeline", "params": {"stages": [
      {"type": "SelectColumns", "params": {"cols": ["x1", "label"]}},
      {"type": "TrainClassifier", "params": {"model": {"type": "LogisticRegression"}}}]}})j");
  auto out = ApplySetting(pipeline, J(R"j({"stages.2.model.regParam": 0.5,
                                           "stages.2.numFeatures": 64})j"));
  ASSERT_THAT(out, IsOk());
  const Json& stage = out->Find("params")->Find("stages")->as_array()[1];
  EXPECT_EQ(*stage.Find("params")->Find("numFeatures"), Json(64));
  EXPECT_EQ(*stage.Find("params")->Find("model")->Find("params")->Find("regParam"), Json(0.5));
  // The original is untouched.
  EXPECT_EQ(
      pipeline.Find("params")->Find("stages")->as_array()[1].Find("params")->Find("numFeatures"),
      nullptr);

  auto bad_index = ApplySetting(pipeline, J(R"j({"stages.3.regParam": 1})j"));
  EXPECT_NE(bad_index.status().message().find("1 to 2"), std::string::npos) << bad_index.status();
  auto unset = ApplySetting(J(R"j({"type": "TrainClassifier"})j"), J(R"j({"model.regParam": 1})j"));
  EXPECT_NE(unset.status().message().find("'model' is not set"), std::string::npos)
      << unset.status();
}

// Folds ------------------------------------------------------------------------------------

TEST(FoldTest, FoldOfIsTheDocumentedHashSoScriptsCanReproduceIt) {
  // splitmix64(splitmix64(seed) + row) mod k, computed independently (Python integers).
  const int32_t seed7_k5[] = {1, 2, 2, 2, 3, 1, 3, 2, 4, 4, 3, 4};
  const int32_t seed0_k3[] = {0, 1, 1, 1, 2, 1, 0, 1, 1, 1, 0, 0};
  for (int64_t row = 0; row < 12; ++row) {
    EXPECT_EQ(FoldOf(7, row, 5), seed7_k5[row]) << row;
    EXPECT_EQ(FoldOf(0, row, 3), seed0_k3[row]) << row;
  }
}

TEST(FoldTest, FoldsAndSplitsAreNearTheirShares) {
  std::vector<int> sizes(5);
  int trains = 0;
  for (int64_t row = 0; row < 20000; ++row) {
    ++sizes[FoldOf(3, row, 5)];
    trains += TrainsInSplit(3, row, 0.75);
  }
  for (int s : sizes) EXPECT_NEAR(s, 4000, 200);
  EXPECT_NEAR(trains, 15000, 250);
}

// Tune -------------------------------------------------------------------------------------

TuneOptions Classifiers(const std::string& regs) {
  TuneOptions o;
  o.models = {Space(kClassifier, R"j({"model.regParam": )j" + regs + "}")};
  o.metric = "accuracy";
  o.num_folds = 3;
  o.seed = 5;
  return o;
}

TEST(TuneTest, PicksTheBetterSettingAndRefitsItOnEveryRow) {
  const DataFrame data = Data(600);
  auto r = Tune(Classifiers("[30, 0.001]"), data, DefaultRegistry(), Ctx());
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->trials.size(), 2u);
  EXPECT_EQ(r->metric.name, "accuracy");
  for (const Trial& t : r->trials) {
    EXPECT_EQ(t.model_type, "LogisticRegression");
    EXPECT_EQ(t.fold_metrics.size(), 3u);
    EXPECT_TRUE(t.error.empty()) << t.error;
  }
  // A penalty of 30 shrinks the model to the majority class; 0.001 learns the boundary.
  EXPECT_GT(r->trials[1].mean, 0.8);
  EXPECT_LT(r->trials[0].mean, r->trials[1].mean);
  EXPECT_EQ(r->best, 1);
  EXPECT_EQ(r->trials[1].Describe(), "LogisticRegression regParam=0.001");
  // The refitted model scores rows without a label, with the label's own values.
  ASSERT_NE(r->best_model, nullptr);
  auto scored = r->best_model->Transform(data, Ctx());
  ASSERT_THAT(scored, IsOk());
  EXPECT_GE(scored->schema()->FindField("predictedLabel"), 0);
  // Cross-validation scored every row once: the folds' held-out sizes add up.
  auto table = TrialsTable(*r);
  ASSERT_THAT(table, IsOk());
  EXPECT_EQ(table->num_rows(), 2);
  EXPECT_GE(table->schema()->FindField("accuracy_mean"), 0);
}

TEST(TuneTest, ParallelTrialsGiveTheSameResultAsOneAtATime) {
  const DataFrame data = Data(450);
  TuneOptions o = Classifiers("[0.001, 0.1, 1, 3]");
  o.parallelism = 1;
  auto one = Tune(o, data, DefaultRegistry(), Ctx());
  o.parallelism = 3;
  auto three = Tune(o, data, DefaultRegistry(), Ctx());
  ASSERT_THAT(one, IsOk());
  ASSERT_THAT(three, IsOk());
  for (size_t t = 0; t < one->trials.size(); ++t)
    EXPECT_EQ(one->trials[t].fold_metrics, three->trials[t].fold_metrics) << t;
  EXPECT_EQ(one->best, three->best);
}

TEST(TuneTest, RegressionRanksByTheMetricsDirection) {
  const DataFrame data = Data(450, /*regression=*/true);
  TuneOptions o;
  o.models = {Space(R"j({"type": "TrainRegressor", "params": {"model": {"type":
      "LinearRegression"}}})j",
                    R"j({"model.regParam": [50, 0]})j")};
  auto auto_metric = Tune(o, data, DefaultRegistry(), Ctx());
  ASSERT_THAT(auto_metric, IsOk());
  EXPECT_EQ(auto_metric->metric.name, "r2");
  EXPECT_EQ(auto_metric->best, 1);
  o.metric = "rmse";  // smaller is better
  auto rmse = Tune(o, data, DefaultRegistry(), Ctx());
  ASSERT_THAT(rmse, IsOk());
  EXPECT_FALSE(rmse->metric.larger_is_better);
  EXPECT_LT(rmse->trials[1].mean, rmse->trials[0].mean);
  EXPECT_EQ(rmse->best, 1);
  o.metric = "accuracy";  // a classification metric of regressors
  auto wrong = Tune(o, data, DefaultRegistry(), Ctx());
  EXPECT_NE(wrong.status().message().find("classification metric"), std::string::npos)
      << wrong.status();
}

TEST(TuneTest, AFailingTrialIsRecordedAndNeverChosen) {
  const DataFrame data = Data(300);
  TuneOptions o = Classifiers("[0.01]");
  o.models.push_back(Space(R"j({"type": "TrainClassifier", "params": {"inputCols": ["nope"],
      "model": {"type": "LogisticRegression"}}})j",
                           "{}"));
  auto r = Tune(o, data, DefaultRegistry(), Ctx());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->best, 0);
  EXPECT_NE(r->trials[1].error.find("nope"), std::string::npos) << r->trials[1].error;
  EXPECT_TRUE(std::isnan(r->trials[1].mean));
  // When every trial fails, the error says so with the first one's reason.
  o.models.erase(o.models.begin());
  auto none = Tune(o, data, DefaultRegistry(), Ctx());
  EXPECT_NE(none.status().message().find("every trial failed"), std::string::npos) << none.status();
}

TEST(TuneTest, BadInputIsRefusedBeforeAnyFit) {
  const DataFrame data = Data(30);
  TuneOptions o = Classifiers("[0.01]");
  o.label_col = "target";
  EXPECT_EQ(Tune(o, data, DefaultRegistry(), Ctx()).status().code(), StatusCode::kNotFound);
  o = Classifiers("[-1]");  // LogisticRegression refuses a negative regParam
  auto negative = PlanTrials(o, DefaultRegistry());
  EXPECT_NE(negative.status().message().find("regParam"), std::string::npos) << negative.status();
  EXPECT_NE(negative.status().message().find("model 1"), std::string::npos) << negative.status();
  o = Classifiers("[0.01]");
  o.num_folds = 40;  // 30 rows: some fold holds out nothing
  auto few = Tune(o, Data(30), DefaultRegistry(), Ctx());
  EXPECT_NE(few.status().message().find("too few"), std::string::npos) << few.status();
}

// The stages -------------------------------------------------------------------------------

TuneHyperparametersParams StageParams() {
  TuneHyperparametersParams p;
  p.models =
      J(R"j([{"type": "TrainClassifier", "params": {"model": {"type": "LogisticRegression"}}},
                    {"type": "TrainClassifier", "params": {"model": {"type": "LogisticRegression",
                       "params": {"regParam": 0.1}}}}])j");
  p.param_space = J(R"j([{"model.regParam": [30, 0.001]}, {}])j");
  p.evaluation_metric = "log_loss";
  p.num_folds = 3;
  return p;
}

TEST(TuneHyperparametersTest, FitsInAPipelineAndSavesItsTrials) {
  const DataFrame data = Data(450);
  auto pipeline = Pipeline::Make({*TuneHyperparameters::Make(StageParams(), DefaultRegistry())});
  ASSERT_THAT(pipeline, IsOk());
  auto model = (*pipeline)->Fit(data, Ctx());
  ASSERT_THAT(model, IsOk());
  const auto& tuned =
      static_cast<const SelectedModel&>(*static_cast<const PipelineModel&>(**model).stages()[0]);
  EXPECT_EQ(tuned.type_name(), "TuneHyperparametersModel");
  const Json& record = tuned.record();
  EXPECT_EQ(*record.Find("metric"), Json("log_loss"));
  ASSERT_EQ(record.Find("trials")->as_array().size(), 3u);
  EXPECT_EQ(*record.Find("best"), Json(1));  // regParam 0.001: the smallest log loss

  const std::string dir = testing::NewTempDir("tuned") + "/model";
  ASSERT_THAT(SaveStage(**model, dir), IsOk());
  auto loaded = LoadTransformer(dir, DefaultRegistry());
  ASSERT_THAT(loaded, IsOk());
  auto a = (*model)->Transform(data, Ctx());
  auto b = (*loaded)->Transform(data, Ctx());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(DescribeDifference(*a, *b), "");
}

// Fits `stage` on 2 thread ranks, each holding a contiguous share of `data`'s rows in order
// (rank 0 the first partition, rank 1 the others), as `ember` under mpirun reads a file.
std::vector<Result<std::shared_ptr<const Transformer>>> FitOnTwoRanks(const DataFrame& data,
                                                                      const Estimator& stage) {
  auto comms = LocalCommunicator::MakeGroup(2);
  std::vector<Result<std::shared_ptr<const Transformer>>> models(2, Internal("not run"));
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx = ExecContext::Default();
      ctx.comm = comms[r].get();
      std::vector<Batch> mine;
      for (int p = r == 0 ? 0 : 1; p < (r == 0 ? 1 : data.num_partitions()); ++p)
        mine.push_back(data.partition(p));
      models[r] = stage.Fit(*DataFrame::Make(data.schema(), std::move(mine)), ctx);
    });
  }
  for (auto& t : threads) t.join();
  return models;
}

TEST(TuneHyperparametersTest, TrialsAreTheSameOnOneAndTwoRanks) {
  const DataFrame data = Data(450);
  auto stage = TuneHyperparameters::Make(StageParams(), DefaultRegistry());
  ASSERT_THAT(stage, IsOk());
  auto one = (*stage)->Fit(data, Ctx());
  ASSERT_THAT(one, IsOk());
  const Json& expected = static_cast<const SelectedModel&>(**one).record();
  for (auto& model : FitOnTwoRanks(data, **stage)) {
    ASSERT_THAT(model, IsOk());
    const Json& got = static_cast<const SelectedModel&>(**model).record();
    EXPECT_EQ(*got.Find("best"), *expected.Find("best"));
    const auto& t1 = expected.Find("trials")->as_array();
    const auto& t2 = got.Find("trials")->as_array();
    ASSERT_EQ(t1.size(), t2.size());
    for (size_t t = 0; t < t1.size(); ++t) {
      const auto& f1 = t1[t].Find("folds")->as_array();
      const auto& f2 = t2[t].Find("folds")->as_array();
      ASSERT_EQ(f1.size(), f2.size());
      for (size_t f = 0; f < f1.size(); ++f)  // converged fits: the same folds, near-equal losses
        EXPECT_NEAR(f1[f].as_double(), f2[f].as_double(), 1e-6) << t << " " << f;
    }
  }
}

TEST(TrainValidationSplitTest, SearchesOnOneHeldOutSplit) {
  TrainValidationSplitParams p;
  static_cast<ModelSearchParams&>(p) = StageParams();
  p.train_ratio = 0.8;
  auto stage = TrainValidationSplit::Make(p, DefaultRegistry());
  ASSERT_THAT(stage, IsOk());
  auto model = (*stage)->Fit(Data(450), Ctx());
  ASSERT_THAT(model, IsOk());
  const Json& record = static_cast<const SelectedModel&>(**model).record();
  EXPECT_EQ((*model)->type_name(), "TrainValidationSplitModel");
  for (const Json& t : record.Find("trials")->as_array())
    EXPECT_EQ(t.Find("folds")->as_array().size(), 1u);
  EXPECT_EQ(*record.Find("best"), Json(1));
}

TEST(FindBestModelTest, KeepsTheBestByTheMetricsDirection) {
  const DataFrame data = Data(450);
  auto fit = [&](double reg) {
    TrainClassifierParams p;
    p.model = J(R"j({"type": "LogisticRegression", "params": {"regParam": )j" +
                std::to_string(reg) + "}}");
    return *(*TrainClassifier::Make(p, DefaultRegistry()))->Fit(data, Ctx());
  };
  const std::vector<std::shared_ptr<const Transformer>> models = {fit(30), fit(0.001)};
  for (const char* metric : {"accuracy", "log_loss", "AUC"}) {
    auto find = FindBestModel::FromModels({.evaluation_metric = metric}, models);
    ASSERT_THAT(find, IsOk());
    auto best = (*find)->Fit(data, Ctx());
    ASSERT_THAT(best, IsOk());
    const Json& record = static_cast<const SelectedModel&>(**best).record();
    EXPECT_EQ(*record.Find("best"), Json(1)) << metric;
    const auto& compared = record.Find("models")->as_array();
    ASSERT_EQ(compared.size(), 2u);
    EXPECT_NE(compared[0].Find("metrics")->Find("log_loss"), nullptr);
    EXPECT_EQ(static_cast<const SelectedModel&>(**best).best_model(), models[1]);
  }
  auto bad = FindBestModel::FromModels({.evaluation_metric = "speed"}, models);
  EXPECT_NE(bad.status().message().find("unknown metric 'speed'"), std::string::npos)
      << bad.status();
}

TEST(EvaluateTest, MetricNamesTakeSparkAndScikitLearnSpellings) {
  EXPECT_EQ(ParseSelectionMetric("areaUnderROC")->name, "AUC");
  EXPECT_EQ(ParseSelectionMetric("roc_auc")->name, "AUC");
  EXPECT_EQ(ParseSelectionMetric("auc")->name, "AUC");
  EXPECT_FALSE(ParseSelectionMetric("RMSE")->larger_is_better);
  EXPECT_EQ(ParseSelectionMetric("R^2")->column, "R^2");
  auto unknown = ParseSelectionMetric("speed");
  EXPECT_NE(unknown.status().message().find("known: auto, AUC"), std::string::npos)
      << unknown.status();
}

}  // namespace
}  // namespace ember
