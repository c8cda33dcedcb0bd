// `ember eval` off the quick start's path: numeric labels through TrainClassifier's label
// indexer, a StringIndexer of the label inside the spec, pipelines that drop the label,
// multiclass metrics, and classifiers and regressors in the wrong trainer.
#include <gtest/gtest.h>

#include <sstream>

#include "cli_test_util.h"
#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::cli {
namespace {

using ::ember::testing::IsOk;

// `rows` rows of x, z and a numeric label `target` in 0..classes-1 from x. The classes are
// not in frequency order (class 1 is the most frequent), so a label compared with the
// prediction's index space unmapped gives a wrong accuracy.
std::string NumericLabelCsv(int rows, int classes) {
  std::string csv = "x,z,target\n";
  for (int r = 0; r < rows; ++r) {
    const double x = (r * 37 % 100) / 100.0;
    const double z = (r * 13 % 7) / 7.0;
    int y = x < 0.3 ? 0 : 1;
    if (classes == 3 && x > 0.85) y = 2;
    csv += std::to_string(x) + "," + std::to_string(z) + "," + std::to_string(y) + "\n";
  }
  return csv;
}

// The value printed for `metric` ("null" when it is).
std::string Printed(const std::string& printed, const std::string& metric) {
  const std::string out = "\n" + printed;
  const size_t at = out.find("\n" + metric + " ");
  if (at == std::string::npos) return "";
  const size_t begin = out.find_first_not_of(' ', at + 1 + metric.size());
  return out.substr(begin, out.find('\n', begin) - begin);
}

class EvalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::NewTempDir("cli_eval_labels"); }

  // Fits `spec` on the data and evaluates it on the same data with `label`; the output.
  std::string FitEval(const std::string& spec, const std::string& csv, const std::string& label,
                      Status* eval_status = nullptr) {
    EXPECT_THAT(WriteStringToFile(dir_ + "/data.csv", csv), IsOk());
    EXPECT_THAT(WriteStringToFile(dir_ + "/spec.json", spec), IsOk());
    Streams fit;
    Status st = Fit(fit.ctx(), dir_ + "/spec.json", dir_ + "/data.csv", dir_ + "/model", true);
    EXPECT_THAT(st, IsOk()) << fit.log.str();
    Streams e;
    Status ev = Eval(e.ctx(), dir_ + "/model", dir_ + "/data.csv", label, "auto", "");
    if (eval_status) {
      *eval_status = ev;
    } else {
      EXPECT_THAT(ev, IsOk());
    }
    return e.out.str();
  }

  std::string dir_;
};

constexpr const char* kTrainClassifier = R"({"stages": [{"type": "TrainClassifier",
    "params": {"labelCol": "target", "model": {"type": "LogisticRegression",
               "params": {"regParam": 0.0001, "maxIter": 300}}}}]})";

TEST_F(EvalTest, NumericLabelsOfATrainClassifierAreMappedThroughItsLabelIndexer) {
  const std::string out = FitEval(kTrainClassifier, NumericLabelCsv(400, 2), "target");
  EXPECT_GT(std::stod(Printed(out, "accuracy")), 0.95) << out;
  EXPECT_GT(std::stod(Printed(out, "AUC")), 0.95) << out;
  EXPECT_EQ(Printed(out, "class_labels"), "1, 0") << out;  // frequency order
}

TEST_F(EvalTest, MulticlassNumericLabelsGivePerClassAndAveragedMetrics) {
  const std::string out = FitEval(kTrainClassifier, NumericLabelCsv(600, 3), "target");
  EXPECT_EQ(Printed(out, "evaluation_type"), "Classification (multiclass)") << out;
  EXPECT_GT(std::stod(Printed(out, "accuracy")), 0.9) << out;
  for (const char* m : {"precision", "recall", "f1", "AUC", "weighted_precision", "weighted_recall",
                        "weighted_AUC"}) {
    const std::string v = Printed(out, m);
    ASSERT_NE(v, "null") << m << "\n" << out;
    EXPECT_GT(std::stod(v), 0.8) << m << "\n" << out;
  }
  EXPECT_NE(Printed(out, "AUC_by_class").find(','), std::string::npos) << out;
}

TEST_F(EvalTest, APipelineThatDropsTheLabelIsEvaluatedWithTheInputsLabel) {
  const std::string spec = R"({"stages": [{"type": "TrainClassifier",
      "params": {"labelCol": "target", "model": {"type": "LogisticRegression",
                 "params": {"regParam": 0.0001, "maxIter": 300}}}},
      {"type": "SelectColumns", "params": {"cols": ["prediction", "probability"]}}]})";
  const std::string out = FitEval(spec, NumericLabelCsv(400, 2), "target");
  EXPECT_GT(std::stod(Printed(out, "accuracy")), 0.95) << out;
  // Rows filtered out: the label cannot be lined up with the scores, and the error says so.
  const std::string filtered = R"({"stages": [{"type": "TrainClassifier",
      "params": {"labelCol": "target"}},
      {"type": "SqlTransformer", "params": {"statement":
          "SELECT prediction, probability FROM __THIS__ WHERE x > 0.5"}}]})";
  Status st;
  FitEval(filtered, NumericLabelCsv(400, 2), "target", &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("row for row"), std::string::npos) << st;
}

TEST_F(EvalTest, AStringIndexerOfTheLabelInTheSpecEvaluatesWithEitherColumn) {
  const std::string spec = R"({"stages": [
      {"type": "StringIndexer", "params": {"inputCol": "target", "outputCol": "y"}},
      {"type": "VectorAssembler", "params": {"inputCols": ["x", "z"], "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"labelCol": "y", "regParam": 0.0001}}]})";
  const std::string indexed = FitEval(spec, NumericLabelCsv(400, 2), "y");
  const std::string original = FitEval(spec, NumericLabelCsv(400, 2), "target");
  EXPECT_GT(std::stod(Printed(indexed, "accuracy")), 0.95) << indexed;
  EXPECT_EQ(Printed(indexed, "accuracy"), Printed(original, "accuracy")) << original;
  EXPECT_EQ(Printed(indexed, "AUC"), Printed(original, "AUC"));
  Status st;
  FitEval(spec, NumericLabelCsv(50, 2), "nope", &st);
  EXPECT_NE(st.message().find("--label: column 'nope' is neither in the data"), std::string::npos)
      << st;
}

TEST_F(EvalTest, TrainersRefuseAModelOfTheWrongKind) {
  ASSERT_THAT(WriteStringToFile(dir_ + "/data.csv", NumericLabelCsv(50, 2)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir_ + "/c.json", R"({"stages": [{"type": "TrainClassifier",
      "params": {"labelCol": "target", "model": {"type": "LinearRegression"}}}]})"),
              IsOk());
  ASSERT_THAT(WriteStringToFile(dir_ + "/r.json", R"({"stages": [{"type": "TrainRegressor",
      "params": {"labelCol": "target", "model": {"type": "LogisticRegression"}}}]})"),
              IsOk());
  Streams s;
  Status c = Fit(s.ctx(), dir_ + "/c.json", dir_ + "/data.csv", dir_ + "/m", true);
  EXPECT_NE(c.message().find("'LinearRegression' is a regressor; use TrainRegressor"),
            std::string::npos)
      << c;
  Status r = Fit(s.ctx(), dir_ + "/r.json", dir_ + "/data.csv", dir_ + "/m", true);
  EXPECT_NE(r.message().find("'LogisticRegression' is a classifier; use TrainClassifier"),
            std::string::npos)
      << r;
}

}  // namespace
}  // namespace ember::cli
