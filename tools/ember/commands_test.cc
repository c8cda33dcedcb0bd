#include "commands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "cli_test_util.h"
#include "ember/base/file_util.h"
#if EMBER_WITH_GBDT
#include "ember/gbdt/gbdt.h"
#include "ember/gbdt/xgboost_api.h"
#endif
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::cli {
namespace {

using ::ember::testing::IsOk;

// A CSV of `rows` rows: x (number), color (3 categories), label "pos" when x + (color ==
// "red") > 1, else "neg".
std::string LabelledCsv(int rows) {
  std::string csv = "x,color,label\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int r = 0; r < rows; ++r) {
    const double x = (r * 37 % 100) / 50.0;
    const int c = r * 7 % 3;
    csv += std::to_string(x) + "," + colors[c] + "," + (x + (c == 0) > 1 ? "pos" : "neg") + "\n";
  }
  return csv;
}

TEST(CliTest, DescribeListsStagesAndParams) {
  Streams s;
  ASSERT_THAT(Describe(s.ctx(), ""), IsOk());
  EXPECT_NE(s.out.str().find("SelectColumns: Keeps the listed columns"), std::string::npos);
  Streams one;
  ASSERT_THAT(Describe(one.ctx(), "Repartition"), IsOk());
  EXPECT_NE(one.out.str().find("n (int, default 1) [in [1, 1048576]]: Number of partitions."),
            std::string::npos)
      << one.out.str();
  Streams bad;
  Status st = Describe(bad.ctx(), "SelectColumn");
  EXPECT_NE(st.message().find("did you mean 'SelectColumns'?"), std::string::npos);
}

TEST(CliTest, FitThenTransformRoundTrip) {
  std::string dir = testing::NewTempDir("cli");
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", "a,b,c\n1,x,true\n2,y,false\n3,\"z,w\",true\n"),
              IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [
      {"type": "SelectColumns", "params": {"cols": ["b", "a"]}},
      {"type": "RenameColumn", "params": {"inputCol": "b", "outputCol": "name"}}]})"),
              IsOk());
  Streams s;
  ASSERT_THAT(Fit(s.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/model", false), IsOk());
  EXPECT_NE(s.out.str().find("saved model to"), std::string::npos);
  EXPECT_NE(s.log.str().find("3 rows x 3 columns"), std::string::npos);
  // Refuses to overwrite without the flag.
  EXPECT_THAT(Fit(s.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/model", false),
              testing::StatusIs(StatusCode::kAlreadyExists));
  ASSERT_THAT(Transform(s.ctx(), dir + "/model", dir + "/train.csv", dir + "/out.jsonl"), IsOk());
  auto text = ReadFileToString(dir + "/out.jsonl");
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text,
            "{\"name\":\"x\",\"a\":1}\n{\"name\":\"y\",\"a\":2}\n{\"name\":\"z,w\",\"a\":3}\n");
}

TEST(CliTest, BadSpecIsRejectedBeforeReadingData) {
  std::string dir = testing::NewTempDir("cli_bad");
  ASSERT_THAT(
      WriteStringToFile(dir + "/spec.json",
                        R"({"stages": [{"type": "SelectColumns", "params": {"colls": ["a"]}}]})"),
      IsOk());
  Streams s;
  Status st = Fit(s.ctx(), dir + "/spec.json", dir + "/missing.csv", dir + "/model", false);
  EXPECT_NE(st.message().find("unknown param 'colls' for SelectColumns; did you mean 'cols'?"),
            std::string::npos)
      << st;
  EXPECT_NE(st.message().find("spec.json: stage 1 (SelectColumns)"), std::string::npos) << st;
  EXPECT_EQ(s.log.str(), "");  // the data was never read
  ASSERT_THAT(WriteStringToFile(dir + "/data.csv", "a\n1\n"), IsOk());
  ASSERT_THAT(
      WriteStringToFile(dir + "/spec2.json",
                        R"({"stages": [{"type": "SelectColumns", "params": {"cols": ["b"]}}]})"),
      IsOk());
  Status missing = Fit(s.ctx(), dir + "/spec2.json", dir + "/data.csv", dir + "/model", false);
  EXPECT_NE(missing.message().find("column 'b' not found; columns are: a"), std::string::npos)
      << missing;
}

TEST(CliTest, SchemaHeadAndConvert) {
  std::string dir = testing::NewTempDir("cli_io");
  ASSERT_THAT(WriteStringToFile(dir + "/t.csv", "id,v\n1,0.5\n2,\n3,1.5\n"), IsOk());
  Streams s;
  ASSERT_THAT(Schema(s.ctx(), dir + "/t.csv"), IsOk());
  EXPECT_EQ(s.out.str(), "id: int64\nv: float64\n(3 rows)\n");
  Streams h;
  ASSERT_THAT(Head(h.ctx(), dir + "/t.csv", 2), IsOk());
  EXPECT_NE(h.out.str().find("1 more rows"), std::string::npos);
  Streams c;
  ASSERT_THAT(Convert(c.ctx(), dir + "/t.csv", dir + "/t.jsonl"), IsOk());
  auto text = ReadFileToString(dir + "/t.jsonl");
  EXPECT_EQ(*text, "{\"id\":1,\"v\":0.5}\n{\"id\":2,\"v\":null}\n{\"id\":3,\"v\":1.5}\n");
  EXPECT_FALSE(Convert(c.ctx(), dir + "/t.csv", dir + "/t.parquet").ok());
}

TEST(CliTest, SplitWritesDisjointReproducibleParts) {
  std::string dir = testing::NewTempDir("cli_split");
  ASSERT_THAT(WriteStringToFile(dir + "/t.csv", LabelledCsv(1000)), IsOk());
  Streams s;
  ASSERT_THAT(Split(s.ctx(), dir + "/t.csv", {0.8, 0.2}, 7, {dir + "/a.csv", dir + "/b.csv"}),
              IsOk());
  auto a = ReadTable(ExecContext::Default(), dir + "/a.csv");
  auto b = ReadTable(ExecContext::Default(), dir + "/b.csv");
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->num_rows() + b->num_rows(), 1000);
  EXPECT_GT(a->num_rows(), 700);
  EXPECT_LT(a->num_rows(), 900);
  Streams again;
  ASSERT_THAT(Split(again.ctx(), dir + "/t.csv", {0.8, 0.2}, 7, {dir + "/c.csv", dir + "/d.csv"}),
              IsOk());
  EXPECT_EQ(*ReadFileToString(dir + "/a.csv"), *ReadFileToString(dir + "/c.csv"));
  Status mismatch = Split(s.ctx(), dir + "/t.csv", {0.5, 0.3, 0.2}, 7, {dir + "/x.csv"});
  EXPECT_NE(mismatch.message().find("as many outputs as fractions"), std::string::npos) << mismatch;
  Status negative = Split(s.ctx(), dir + "/t.csv", {0.5, -1}, 7, {dir + "/x.csv", dir + "/y.csv"});
  EXPECT_NE(negative.message().find("--fractions"), std::string::npos) << negative;
}

TEST(CliTest, EvalPrintsMetricsOfATrainClassifierModel) {
  std::string dir = testing::NewTempDir("cli_eval");
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", LabelledCsv(300)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/test.csv", LabelledCsv(101)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [{"type": "TrainClassifier",
      "params": {"numFeatures": 16, "model": {"type": "LogisticRegression", "params": {"regParam": 0.0001}}}}]})"),
              IsOk());
  Streams s;
  ASSERT_THAT(Fit(s.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/model", false), IsOk());
  Streams e;
  ASSERT_THAT(
      Eval(e.ctx(), dir + "/model", dir + "/test.csv", "label", "auto", dir + "/metrics.jsonl"),
      IsOk());
  const std::string out = e.out.str();
  const size_t at = out.find("accuracy");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_GT(std::stod(out.substr(at + 26, 6)), 0.9) << out;
  EXPECT_NE(out.find("confusion_matrix"), std::string::npos) << out;
  EXPECT_NE(out.find("class_labels              pos, neg"), std::string::npos) << out;
  auto written = ReadFileToString(dir + "/metrics.jsonl");
  ASSERT_THAT(written, IsOk());
  EXPECT_NE(written->find("\"AUC\""), std::string::npos);
  Streams bad;
  Status st = Eval(bad.ctx(), dir + "/model", dir + "/test.csv", "labl", "auto", "");
  EXPECT_NE(st.message().find("--label"), std::string::npos) << st;
  EXPECT_NE(st.message().find("'labl'"), std::string::npos) << st;
  Status metric = Eval(bad.ctx(), dir + "/model", dir + "/test.csv", "label", "ranking", "");
  EXPECT_NE(metric.message().find("evaluationMetric"), std::string::npos) << metric;
}

// `ember fit` says how each iterative fit ended, naming the stage by its place in the spec;
// one stopped by maxIter is a warning (before, it said nothing and saved the model).
TEST(CliTest, FitWarnsWhenAStageDidNotConverge) {
  std::string dir = testing::NewTempDir("cli_converge");
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", LabelledCsv(300)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/stopped.json", R"({"stages": [
      {"type": "SelectColumns", "params": {"cols": ["x", "color", "label"]}},
      {"type": "TrainClassifier", "params": {"numFeatures": 16,
        "model": {"type": "LogisticRegression", "params": {"maxIter": 3}}}}]})"),
              IsOk());
  Streams s;
  ASSERT_THAT(Fit(s.ctx(), dir + "/stopped.json", dir + "/train.csv", dir + "/m1", false), IsOk());
  EXPECT_NE(s.log.str().find("warning: stage 2 (TrainClassifier): LogisticRegression: did not "
                             "converge in 3 iterations"),
            std::string::npos)
      << s.log.str();
  ASSERT_THAT(WriteStringToFile(dir + "/default.json",
                                R"({"stages": [{"type": "TrainClassifier", "params": {}}]})"),
              IsOk());
  Streams d;
  ASSERT_THAT(Fit(d.ctx(), dir + "/default.json", dir + "/train.csv", dir + "/m2", false), IsOk());
  EXPECT_NE(d.log.str().find("stage 1 (TrainClassifier): LogisticRegression converged in"),
            std::string::npos)
      << d.log.str();
  EXPECT_EQ(d.log.str().find("warning"), std::string::npos) << d.log.str();
}

// The reader flags: scikit-learn's CSVs (a counts line first) and its space-separated
// .csv.gz read with documented flags; a bad flag value names the flag.
TEST(CliTest, ReaderFlagsReadScikitLearnsFiles) {
  const std::string dir = testing::NewTempDir("cli_read");
  ASSERT_THAT(WriteStringToFile(dir + "/iris.csv",
                                "150,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n"
                                "7.0,3.2,4.7,1.4,1\n"),
              IsOk());
  ReadArgs args;
  args.skip_lines = 1;
  args.no_header = true;
  args.names = {"sepal_length", "sepal_width", "petal_length", "petal_width", "species"};
  auto read = ReadOptionsFrom(args);
  ASSERT_THAT(read, IsOk());
  Streams s;
  CliContext c = s.ctx();
  c.read = *read;
  ASSERT_THAT(Schema(c, dir + "/iris.csv"), IsOk());
  EXPECT_NE(s.out.str().find("sepal_length: float64"), std::string::npos) << s.out.str();
  EXPECT_NE(s.out.str().find("species: int64"), std::string::npos) << s.out.str();
  EXPECT_NE(s.out.str().find("2 rows"), std::string::npos) << s.out.str();

  // Space-separated and gzip-compressed, as scikit-learn's diabetes_data_raw.csv.gz.
  const std::string gz = dir + "/diabetes.csv.gz";
  ASSERT_EQ(std::system(("printf '59 2 32.1 101.0\\n48 1  21.6 87.0\\n' | gzip > " + gz).c_str()),
            0);
  ReadArgs ws;
  ws.delimiter = "whitespace";
  ws.no_header = true;
  ws.schema = "age:int64,sex:int64,bmi:float64,bp:float64";
  auto ws_read = ReadOptionsFrom(ws);
  ASSERT_THAT(ws_read, IsOk());
  Streams h;
  CliContext hc = h.ctx();
  hc.read = *ws_read;
  ASSERT_THAT(Head(hc, gz, 5), IsOk());
  EXPECT_NE(h.out.str().find("21.6"), std::string::npos) << h.out.str();
  EXPECT_NE(h.out.str().find("age: int64"), std::string::npos) << h.out.str();

  // Null tokens: the empty field by default, a list, or pandas'.
  ReadArgs nulls;
  nulls.pandas_nulls = true;
  EXPECT_EQ(ReadOptionsFrom(nulls)->csv.null_values.size(),
            CsvReadOptions::PandasNullValues().size());
  nulls.null_values_given = true;
  nulls.null_values = {"NA", ""};
  EXPECT_EQ(ReadOptionsFrom(nulls)->csv.null_values, (std::vector<std::string>{"NA", ""}));

  ReadArgs bad;
  bad.delimiter = "::";
  EXPECT_NE(ReadOptionsFrom(bad).status().message().find("--delimiter '::'"), std::string::npos);
  bad = {};
  bad.schema = "age";
  EXPECT_NE(ReadOptionsFrom(bad).status().message().find("--schema: expected name:type"),
            std::string::npos);
  bad.schema = "age:integer";
  EXPECT_NE(ReadOptionsFrom(bad).status().message().find("column 'age'"), std::string::npos)
      << ReadOptionsFrom(bad).status();
  bad = {};
  bad.compression = "zip";
  EXPECT_NE(ReadOptionsFrom(bad).status().message().find("--compression 'zip'"), std::string::npos);
}

TEST(CliTest, TransformWritesOnlyTheChosenColumns) {
  std::string dir = testing::NewTempDir("cli_cols");
  ASSERT_THAT(WriteStringToFile(dir + "/t.csv", LabelledCsv(20)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [
      {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "color_idx"}},
      {"type": "SqlTransformer", "params": {"statement": "SELECT *, x * 2 AS x2 FROM __THIS__"}}]})"),
              IsOk());
  Streams fit;
  ASSERT_THAT(Fit(fit.ctx(), dir + "/spec.json", dir + "/t.csv", dir + "/model", false), IsOk());
  Streams s;
  ASSERT_THAT(Transform(s.ctx(), dir + "/model", dir + "/t.csv", dir + "/out.csv",
                        {"x2", "label", "color_idx"}),
              IsOk());
  auto written = ReadFileToString(dir + "/out.csv");
  ASSERT_THAT(written, IsOk());
  EXPECT_EQ(written->substr(0, written->find('\n')), "x2,label,color_idx");
  EXPECT_EQ(std::count(written->begin(), written->end(), '\n'), 21);
  Streams bad;
  Status st = Transform(bad.ctx(), dir + "/model", dir + "/t.csv", dir + "/out2.csv", {"x2", "x3"});
  EXPECT_NE(st.message().find("output column 'x3' is not produced"), std::string::npos) << st;
}

TEST(CliTest, ServeRejectsBadArgumentsBeforeStarting) {
  Streams s;
  ServeArgs no_model;
  EXPECT_NE(
      Serve(s.ctx(), no_model).message().find("give a model directory or at least one --route"),
      std::string::npos);
  ServeArgs bad_route;
  bad_route.routes = {"/score"};
  EXPECT_NE(Serve(s.ctx(), bad_route).message().find("--route '/score': expected /PATH=MODEL_DIR"),
            std::string::npos);
  const std::string dir = testing::NewTempDir("cli_serve");
  ASSERT_THAT(WriteStringToFile(dir + "/key", "\nsecret\n"), IsOk());
  ServeArgs empty_key;
  empty_key.model_dir = dir + "/model";
  empty_key.api_key_file = dir + "/key";
  EXPECT_NE(Serve(s.ctx(), empty_key).message().find("the first line is empty"), std::string::npos);
  ServeArgs missing;
  missing.model_dir = dir + "/no_model";
  missing.port = 0;
  const Status st = Serve(s.ctx(), missing);
  EXPECT_NE(st.message().find(dir + "/no_model"), std::string::npos) << st;
}

TEST(CliTest, ProgressBarOnTerminalsPlainLinesOtherwise) {
  std::string dir = testing::NewTempDir("cli_bar");
  ASSERT_THAT(WriteStringToFile(dir + "/t.csv", LabelledCsv(50)), IsOk());
  ASSERT_THAT(
      WriteStringToFile(dir + "/spec.json",
                        R"({"stages": [{"type": "SelectColumns", "params": {"cols": ["x"]}}]})"),
      IsOk());
  Streams fit;
  ASSERT_THAT(Fit(fit.ctx(), dir + "/spec.json", dir + "/t.csv", dir + "/model", false), IsOk());
  Streams tty;
  tty.bar = true;
  ASSERT_THAT(Transform(tty.ctx(), dir + "/model", dir + "/t.csv", dir + "/out.csv"), IsOk());
  EXPECT_NE(tty.log.str().find("\rtransform: 50 rows, "), std::string::npos) << tty.log.str();
  EXPECT_NE(tty.log.str().find(" rows/s, "), std::string::npos) << tty.log.str();
  Streams plain;
  ASSERT_THAT(Transform(plain.ctx(), dir + "/model", dir + "/t.csv", dir + "/out2.csv"), IsOk());
  EXPECT_EQ(plain.log.str().find('\r'), std::string::npos);
  EXPECT_NE(plain.log.str().find("transformed 50 rows"), std::string::npos) << plain.log.str();
}

#if EMBER_WITH_GBDT
TEST(CliTest, ImportXgboostThenTransform) {
  std::string dir = testing::NewTempDir("cli_xgb");
  // A model fitted by Ember, exported as XGBoost's JSON file, then imported.
  ASSERT_THAT(
      WriteStringToFile(dir + "/train.csv",
                        "a,b,label\n1,2,0\n2,1,1\n3,5,0\n4,1,1\n5,6,0\n6,2,1\n7,8,0\n8,1,1\n"),
      IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["a", "b"], "outputCol": "features"}},
      {"type": "GBDTClassifier", "params": {"numIterations": 3, "numLeaves": 2, "minSumHessianInLeaf": 0}}]})"),
              IsOk());
  Streams io;
  ASSERT_THAT(Fit(io.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/fitted", false),
              IsOk());
  auto fitted = LoadTransformer(dir + "/fitted", DefaultRegistry());
  ASSERT_THAT(fitted, IsOk());
  const auto& stages = static_cast<const PipelineModel&>(**fitted).stages();
  auto json = BoosterOf(*stages.back())->xgb().Save("json");
  ASSERT_THAT(json, IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/xgb.json", *json), IsOk());
  ASSERT_THAT(ImportXgboost(io.ctx(), dir + "/xgb.json", dir + "/imported", "features", false),
              IsOk());
  EXPECT_NE(io.out.str().find("as GBDTClassificationModel"), std::string::npos) << io.out.str();
  auto schema = LoadInputSchema(dir + "/imported");
  ASSERT_THAT(schema, IsOk());
  EXPECT_EQ((*schema)->field(0).name, "features");
  // Refuses to replace a directory without --overwrite, and names a missing file.
  EXPECT_FALSE(
      ImportXgboost(io.ctx(), dir + "/xgb.json", dir + "/imported", "features", false).ok());
  Status missing = ImportXgboost(io.ctx(), dir + "/nope.json", dir + "/other", "features", false);
  EXPECT_NE(missing.ToString().find("nope.json"), std::string::npos) << missing.ToString();
}

// `ember describe MODEL_DIR`: the stages with their fits' summaries, and a tree model's
// feature importances (the slot that decides the label first).
TEST(CliTest, DescribeASavedModel) {
  std::string dir = testing::NewTempDir("cli_describe");
  std::string csv = "a,b,label\n";
  for (int r = 0; r < 200; ++r) {
    csv += std::to_string(r % 17) + "," + std::to_string(r % 10) + "," + (r % 10 < 5 ? "0" : "1") +
           "\n";
  }
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", csv), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["a", "b"], "outputCol": "features"}},
      {"type": "RandomForestClassifier", "params": {"numTrees": 5, "maxDepth": 3}}]})"),
              IsOk());
  Streams io;
  ASSERT_THAT(Fit(io.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/forest", false),
              IsOk());
  Streams d;
  ASSERT_THAT(Describe(d.ctx(), dir + "/forest"), IsOk());
  const std::string out = d.out.str();
  EXPECT_NE(out.find("PipelineModel"), std::string::npos) << out;
  EXPECT_NE(out.find("  RandomForestClassificationModel"), std::string::npos) << out;
  const size_t at = out.find("feature importances");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_EQ(out.find("  slot 1 (b): "), out.find("\n", at) + 1) << out;  // b first
  // A linear model: its summary, no importances.
  ASSERT_THAT(WriteStringToFile(dir + "/linear.json", R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["a", "b"], "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"regParam": 0.1}}]})"),
              IsOk());
  ASSERT_THAT(Fit(io.ctx(), dir + "/linear.json", dir + "/train.csv", dir + "/linear", false),
              IsOk());
  Streams l;
  ASSERT_THAT(Describe(l.ctx(), dir + "/linear"), IsOk());
  EXPECT_NE(l.out.str().find("LogisticRegressionModel"), std::string::npos) << l.out.str();
  EXPECT_NE(l.out.str().find("converged in"), std::string::npos) << l.out.str();
  EXPECT_EQ(l.out.str().find("feature importances"), std::string::npos) << l.out.str();
}
#else
// Without the gbdt module: a spec naming a GBDT stage and import-xgboost both say which
// module and build option provide them.
TEST(CliTest, GbdtWithoutTheModuleNamesTheOption) {
  std::string dir = testing::NewTempDir("cli_no_gbdt");
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", "a,label\n1,0\n2,1\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json",
                                R"({"stages": [{"type": "GBDTClassifier", "params": {}}]})"),
              IsOk());
  Streams io;
  Status fit = Fit(io.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/fitted", false);
  EXPECT_NE(fit.message().find("-DEMBER_WITH_GBDT=ON"), std::string::npos) << fit;
  Status import = ImportXgboost(io.ctx(), dir + "/xgb.json", dir + "/imported", "features", false);
  EXPECT_NE(import.message().find("-DEMBER_WITH_GBDT=ON"), std::string::npos) << import;
}
#endif

}  // namespace
}  // namespace ember::cli
