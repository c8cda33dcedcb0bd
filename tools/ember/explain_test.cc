// `ember explain`: explanations of a saved pipeline's predictions without a spec; the columns
// the model reads found by themselves (not the label), the binary target's positive class,
// both methods, and the errors a user meets first.
#include <gtest/gtest.h>

#include "cli_test_util.h"
#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/io/table_io.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::cli {
namespace {

using ::ember::testing::IsOk;

class ExplainCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("cli_explain");
    std::string csv = "x,z,color,label\n";
    for (int r = 0; r < 200; ++r) {
      const double x = (r * 37 % 100) / 50.0 - 1, z = (r * 13 % 7) / 7.0;
      const char* color = r % 3 ? "red" : "blue";
      const bool yes = x + 0.5 * z + (r % 3 ? 0.3 : -0.3) > 0.2;
      csv += std::to_string(x) + "," + std::to_string(z) + "," + color + "," +
             (yes ? "yes" : "no") + "\n";
    }
    ASSERT_THAT(WriteStringToFile(dir_ + "/data.csv", csv), IsOk());
    ASSERT_THAT(WriteStringToFile(dir_ + "/spec.json", R"({"stages": [
        {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "color_idx"}},
        {"type": "StringIndexer", "params": {"inputCol": "label", "outputCol": "y"}},
        {"type": "VectorAssembler", "params": {"inputCols": ["x", "z", "color_idx"],
                                               "outputCol": "features"}},
        {"type": "LogisticRegression", "params": {"labelCol": "y"}}]})"),
                IsOk());
    Streams s;
    ASSERT_THAT(Fit(s.ctx(), dir_ + "/spec.json", dir_ + "/data.csv", dir_ + "/model", false),
                IsOk());
  }
  ExplainArgs Args(const std::string& out) {
    ExplainArgs a;
    a.model_dir = dir_ + "/model";
    a.data = dir_ + "/data.csv";
    a.out = dir_ + "/" + out;
    return a;
  }
  Batch Read(const std::string& out) {
    auto frame = ReadTable(ExecContext::Default(), dir_ + "/" + out);
    EXPECT_THAT(frame, IsOk());
    return *frame->Collect();
  }
  std::string dir_;
};

TEST_F(ExplainCliTest, ShapAndLimeOverTheColumnsTheModelReads) {
  Streams s;
  ASSERT_THAT(Explain(s.ctx(), Args("shap.jsonl")), IsOk());
  EXPECT_NE(s.log.str().find("explaining probability[1] with TabularSHAP over 3 columns"),
            std::string::npos)
      << s.log.str();  // x, z, color: not the label, which only training read
  EXPECT_NE(s.log.str().find("background: 100 rows"), std::string::npos);
  EXPECT_NE(s.log.str().find("explained 200 of 200 rows"), std::string::npos);
  EXPECT_NE(s.out.str().find("wrote 200 rows"), std::string::npos);
  Batch shap = Read("shap.jsonl");
  ASSERT_EQ(shap.num_rows(), 200);
  const Column& e = *shap.column(shap.schema()->FindField("explanation"));
  const Column& r2 = *shap.column(shap.schema()->FindField("r2"));
  for (int64_t r = 0; r < 200; ++r) {
    ASSERT_FALSE(e.IsNull(r));
    EXPECT_EQ(e.Offsets()[r + 1] - e.Offsets()[r], 1);  // one class
    const Column& inner = *e.child(0);
    EXPECT_EQ(inner.Offsets()[e.Offsets()[r] + 1] - inner.Offsets()[e.Offsets()[r]], 4);
    EXPECT_NEAR(NumericValue(*r2.child(0), r2.Offsets()[r]), 1.0, 1e-6);  // 3 features: exact
  }
  ExplainArgs lime = Args("lime.csv");
  lime.method = "lime";
  lime.samples = 300;
  Streams l;
  ASSERT_THAT(Explain(l.ctx(), lime), IsOk());
  EXPECT_NE(l.log.str().find("TabularLIME over 3 columns"), std::string::npos) << l.log.str();
  EXPECT_EQ(Read("lime.csv").num_rows(), 200);
  // ICE: the importance of each column by its partial dependence, one row per column.
  ExplainArgs ice = Args("ice.jsonl");
  ice.method = "ice";
  ice.kind = "feature";
  Streams i;
  ASSERT_THAT(Explain(i.ctx(), ice), IsOk());
  Batch f = Read("ice.jsonl");
  ASSERT_EQ(f.num_rows(), 3);
  EXPECT_EQ(f.column(f.schema()->FindField("featureNames"))->StringValue(0), "x");
}

TEST_F(ExplainCliTest, BadArgumentsAreErrorsNamingTheFlag) {
  auto message = [&](ExplainArgs a) {
    Streams s;
    Status st = Explain(s.ctx(), a);
    return st.ok() ? std::string("ok") : st.message();
  };
  ExplainArgs a = Args("x.jsonl");
  a.method = "tree";
  EXPECT_NE(message(a).find("--method must be shap, lime or ice"), std::string::npos);
  a.method = "ice";
  a.kind = "median";
  EXPECT_NE(message(a).find("--kind must be individual, average or feature"), std::string::npos);
  a = Args("x.jsonl");
  a.cols = {"x", "nope"};
  EXPECT_NE(message(a).find("--cols: no column 'nope'"), std::string::npos);
  a = Args("x.jsonl");
  a.target = "score";
  EXPECT_NE(message(a).find("--target: the model makes no column 'score'"), std::string::npos);
  a = Args("x.jsonl");
  a.classes = {3};
  EXPECT_NE(message(a).find("class 3 is out of range"), std::string::npos) << message(a);
  a = Args("x.txt");
  EXPECT_NE(message(a).find(".txt"), std::string::npos) << message(a);
}

}  // namespace
}  // namespace ember::cli
