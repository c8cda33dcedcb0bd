// `ember tune`: the space file on a TrainClassifier spec and on a spec that ends in a bare
// estimator, the table and the saved best pipeline, and the errors a user meets first.
#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::cli {
namespace {

using ::ember::testing::IsOk;

// x, z and a 0/1 label `target` from x with some noise.
std::string Csv(int rows) {
  std::string csv = "x,z,target\n";
  for (int r = 0; r < rows; ++r) {
    const double x = (r * 37 % 100) / 100.0;
    const double z = (r * 13 % 7) / 7.0;
    const int y = (x + 0.3 * ((r * 7919 % 10) / 10.0) > 0.6) ? 1 : 0;
    csv += std::to_string(x) + "," + std::to_string(z) + "," + std::to_string(y) + "\n";
  }
  return csv;
}

class TuneCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("cli_tune");
    ASSERT_THAT(WriteStringToFile(dir_ + "/data.csv", Csv(400)), IsOk());
  }

  Status Run(const std::string& spec, const std::string& space, Streams* s, TuneArgs args = {}) {
    EXPECT_THAT(WriteStringToFile(dir_ + "/spec.json", spec), IsOk());
    EXPECT_THAT(WriteStringToFile(dir_ + "/space.json", space), IsOk());
    args.spec_path = dir_ + "/spec.json";
    args.space_path = dir_ + "/space.json";
    args.data = dir_ + "/data.csv";
    args.out_dir = dir_ + "/best";
    args.label = "target";
    args.folds = 3;
    return Tune(s->ctx(), args);
  }

  std::string dir_;
};

constexpr const char* kTrainClassifier =
    R"({"stages": [{"type": "TrainClassifier", "params": {"labelCol": "target"}}]})";

TEST_F(TuneCliTest, PrintsTheTrialsBestFirstAndSavesTheBestPipelineRefitted) {
  Streams s;
  TuneArgs args;
  args.metric = "auc";
  args.trials_out = dir_ + "/trials.csv";
  ASSERT_THAT(Run(kTrainClassifier, R"({"models": [
      {"type": "LogisticRegression", "space": {"regParam": [100, 0.001]}},
      {"type": "LogisticRegression", "params": {"elasticNetParam": 1}, "space": {"regParam": [0.01]}}]})",
                  &s, args),
              IsOk())
      << s.log.str();
  const std::string out = s.out.str();
  EXPECT_NE(out.find("AUC (mean +- std)"), std::string::npos) << out;
  EXPECT_NE(out.find("best: trial "), std::string::npos) << out;
  // Best first: rank 1 is not the regParam 100 trial (which predicts one class).
  const std::string first = out.substr(out.find('\n') + 1, out.find('\n', out.find('\n') + 1));
  EXPECT_EQ(first.find("regParam=100"), std::string::npos) << out;
  EXPECT_NE(s.log.str().find("trial 3/3"), std::string::npos) << s.log.str();
  // The saved pipeline is a fitted pipeline `ember eval` takes.
  Streams e;
  ASSERT_THAT(Eval(e.ctx(), dir_ + "/best", dir_ + "/data.csv", "target", "auto", ""), IsOk());
  EXPECT_NE(e.out.str().find("AUC"), std::string::npos);
  auto trials = ReadFileToString(dir_ + "/trials.csv");
  ASSERT_THAT(trials, IsOk());
  EXPECT_EQ(trials->substr(0, trials->find('\n')),
            "model,type,setting,AUC_mean,AUC_stddev,AUC_folds,seconds,error");
  // The same search again is the same table (folds from the seed).
  Streams again;
  args.overwrite = true;
  ASSERT_THAT(Run(kTrainClassifier, R"({"models": [
      {"type": "LogisticRegression", "space": {"regParam": [100, 0.001]}},
      {"type": "LogisticRegression", "params": {"elasticNetParam": 1}, "space": {"regParam": [0.01]}}]})",
                  &again, args),
              IsOk());
  auto strip_seconds = [](const std::string& table) {
    std::string rows;
    for (size_t at = 0; at < table.size();) {
      const size_t end = table.find('\n', at);
      const std::string line = table.substr(at, end - at);
      rows += line.substr(0, line.rfind(' ')) + "\n";
      at = end == std::string::npos ? table.size() : end + 1;
    }
    return rows;
  };
  EXPECT_EQ(strip_seconds(again.out.str()), strip_seconds(out));
}

TEST_F(TuneCliTest, TunesABareEstimatorStageAndSwapsInAnotherKeepingItsColumns) {
  const std::string spec = R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["x", "z"], "outputCol": "vec"}},
      {"type": "LogisticRegression", "params": {"featuresCol": "vec", "labelCol": "target",
                                                "maxIter": 50}}]})";
  Streams s;
  TuneArgs args;
  args.search = "random";
  args.runs = 3;
  ASSERT_THAT(Run(spec, R"({"models": [
      {"space": {"regParam": {"min": 0.0001, "max": 1, "scale": "log"}}},
      {"type": "LogisticRegression", "params": {"fitIntercept": false}}]})",
                  &s, args),
              IsOk())
      << s.log.str();
  // 3 random draws of the first, 3 of the second (no params: the same setting each run).
  EXPECT_NE(s.log.str().find("trial 6/6"), std::string::npos) << s.log.str();
  EXPECT_NE(s.out.str().find("(as in the spec)"), std::string::npos) << s.out.str();
  EXPECT_NE(s.out.str().find("accuracy (mean +- std)"), std::string::npos) << s.out.str();
}

TEST_F(TuneCliTest, SpaceMistakesAreNamedBeforeTheDataIsRead) {
  struct Case {
    const char* space;
    const char* message;
  } cases[] = {
      {R"({"model": []})", "'models' must be a non-empty array"},
      {R"({"models": [{"type": "LogisticRegression", "spcae": {}}]})", "unknown key 'spcae'"},
      {R"({"models": [{"stage": 4}]})", "1 to 1"},
      {R"({"models": [{"type": "NoSuchModel"}]})", "NoSuchModel"},
      {R"({"models": [{"type": "LogisticRegression", "space": {"regParam": [-1]}}]})", "regParam"},
      {R"({"models": [{"type": "LogisticRegression", "space": {"regParam": {"min": 0, "max": 1}}}]})",
       "a grid needs a list"},
  };
  for (const Case& c : cases) {
    Streams s;
    Status st = Run(kTrainClassifier, c.space, &s);
    EXPECT_FALSE(st.ok()) << c.space;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << c.space << ": " << st;
    EXPECT_NE(st.message().find("space.json"), std::string::npos) << st;
    EXPECT_EQ(s.log.str().find("read "), std::string::npos) << "the data was read for " << c.space;
  }
  Streams s;
  TuneArgs args;
  args.metric = "speed";
  Status st = Run(kTrainClassifier, R"({"models": [{"type": "LogisticRegression"}]})", &s, args);
  EXPECT_NE(st.message().find("--metric: unknown metric 'speed'"), std::string::npos) << st;
}

}  // namespace
}  // namespace ember::cli
