// Compiled GBDT scoring in the pipeline's fusion (pipeline/fusion.h): a run of string
// indexing, one-hot encoding, assembling (and scaling) that ends in a GBDT model compiles
// into one loop, and gives the stages' columns bit for bit, batch and single row.
#include "ember/pipeline/fusion.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/gbdt/gbdt.h"
#include "ember/pipeline/pipeline.h"
#include "ember/stages/register.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// Rows with a string category (one unseen by fitting when `unseen`), a float with zeros
// (missing in a sparse assembled vector), an integer, and labels from all three.
// `binary`: labels 0/1; `nan_row`: that row's x is NaN.
DataFrame Rows(int n, uint32_t seed, bool unseen, int parts = 2, bool binary = false,
               int nan_row = -1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  const char* colors[] = {"red", "green", "blue", "teal", "never-seen"};
  std::vector<std::optional<std::string>> color;
  std::vector<std::optional<double>> x, label;
  std::vector<std::optional<int64_t>> count;
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng() % (unseen ? 5 : 4));
    const double v = i % 5 == 0 ? 0.0 : g(rng);
    const int64_t k = static_cast<int64_t>(rng() % 4);
    color.push_back(colors[c]);
    x.push_back(i == nan_row ? std::nan("") : v);
    count.push_back(k);
    const double score = v + 0.6 * c - 0.4 * static_cast<double>(k) + 0.2 * g(rng);
    label.push_back(binary ? (score > 0.5 ? 1 : 0) : score < -0.3 ? 0 : score < 1.0 ? 1 : 2);
  }
  auto schema = *Schema::Make({MakeField("color", StringType()), MakeField("x", Float64Type()),
                               MakeField("count", Int64Type()), MakeField("label", Float64Type())});
  auto batch = *Batch::Make(
      schema, {MakeColumn(color), MakeColumn(x), MakeColumn(count), MakeColumn(label)}, n);
  std::vector<Batch> batches;
  const int64_t step = (n + parts - 1) / parts;
  for (int64_t off = 0; off < n; off += step) batches.push_back(batch.Slice(off, step));
  return *DataFrame::Make(schema, batches);
}

StageRegistry Registry() {
  StageRegistry r;
  EXPECT_THAT(RegisterGeneralStages(&r), IsOk());
  EXPECT_THAT(RegisterGbdtStages(&r), IsOk());
  EXPECT_THAT(RegisterPipelineStages(&r), IsOk());
  return r;
}

std::shared_ptr<const PipelineModel> Fit(const std::string& model_stage, bool one_hot,
                                         bool binary) {
  const std::string assemble =
      one_hot ? R"j({"type": "OneHotEncoder", "params": {"inputCol": "ci", "outputCol": "cv",
                                                         "handleInvalid": "keep"}},
               {"type": "VectorAssembler", "params": {"inputCols": ["x", "cv", "count"],
                                                      "outputCol": "features"}},)j"
              : R"j({"type": "VectorAssembler", "params": {"inputCols": ["x", "count"],
                                                           "outputCol": "features"}},)j";
  const std::string text = std::string(R"j({"stages": [
    {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "ci",
                                         "handleInvalid": "keep"}},
    )j") + assemble + model_stage +
                           "]}";
  auto spec = Json::Parse(text);
  EXPECT_THAT(spec, IsOk()) << text;
  StageRegistry registry = Registry();
  auto pipeline = Pipeline::FromSpec(*spec, registry);
  EXPECT_THAT(pipeline, IsOk());
  const DataFrame train = Rows(600, 1, false, 2, binary);
  auto model = (*pipeline)->Fit(train, ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  return std::dynamic_pointer_cast<const PipelineModel>(*model);
}

// Fused and stage by stage give the same columns for a whole frame and for each row alone.
void ExpectSame(const PipelineModel& model, const DataFrame& in,
                const std::vector<std::string>& cols, const std::string& scoring) {
  FusionInfo info;
  auto fused = model.TransformSelect(in, ExecContext::Default(), cols, {.info = &info});
  ASSERT_THAT(fused, IsOk());
  EXPECT_EQ(info.scoring, scoring);
  auto stages = model.TransformSelect(in, ExecContext::Default(), cols, {.fuse = false});
  ASSERT_THAT(stages, IsOk());
  const Batch a = *fused->Collect(), b = *stages->Collect();
  EXPECT_TRUE(BatchesEqual(a, b));
  auto kernel = model.BindSelect(*in.schema(), cols);
  auto general = model.BindSelect(*in.schema(), cols, {.fuse = false});
  ASSERT_THAT(kernel, IsOk());
  ASSERT_THAT(general, IsOk());
  const Batch all = *in.Collect();
  KernelScratch s1, s2;
  for (int64_t r = 0; r < all.num_rows(); r += 7) {
    auto x = (*kernel)->Apply(all.Slice(r, 1), s1);
    auto y = (*general)->Apply(all.Slice(r, 1), s2);
    ASSERT_THAT(x, IsOk());
    ASSERT_THAT(y, IsOk());
    ASSERT_TRUE(BatchesEqual(*x, *y)) << "row " << r;
  }
}

constexpr const char* kClassifier =
    R"j({"type": "GBDTClassifier", "params": {"numIterations": 20, "numLeaves": 7}})j";
const std::vector<std::string> kClassifierCols = {"rawPrediction", "probability", "prediction",
                                                  "color"};

TEST(GbdtFusionTest, MulticlassOverOneHotGivesTheStagesColumns) {
  auto model = Fit(kClassifier, true, false);
  ASSERT_NE(model, nullptr);
  ExpectSame(*model, Rows(3000, 2, true), kClassifierCols, "compiled trees");
}

TEST(GbdtFusionTest, BinaryWithThresholdsAndADenseVectorGiveTheStagesColumns) {
  auto model = Fit(
      R"j({"type": "GBDTClassifier", "params": {"numIterations": 15, "thresholds": [0.3, 0.7]}})j",
      false, true);
  ASSERT_NE(model, nullptr);
  // Dense: the assembled vector keeps zeros (they are not missing).
  ExpectSame(*model, Rows(2000, 3, true), kClassifierCols, "compiled trees");
}

TEST(GbdtFusionTest, RegressorsGiveTheStagesPredictions) {
  for (
      const char* stage :
      {R"j({"type": "GBDTRegressor", "params": {"numIterations": 20}})j",
       R"j({"type": "GBDTRegressor", "params": {"numIterations": 20, "objective": "poisson"}})j"}) {
    auto model = Fit(stage, true, false);
    ASSERT_NE(model, nullptr) << stage;
    ExpectSame(*model, Rows(2000, 4, true), {"prediction", "x"}, "compiled trees");
  }
}

// Forests map their margins to vote fractions (VoteLink) in the loop as in the stage.
TEST(GbdtFusionTest, ForestsAndTreesGiveTheStagesColumns) {
  const char* classifiers[] = {
      R"j({"type": "RandomForestClassifier", "params": {"numTrees": 12, "maxDepth": 4}})j",
      R"j({"type": "DecisionTreeClassifier", "params": {"maxDepth": 6, "thresholds": [1, 2, 1]}})j"};
  for (const char* stage : classifiers) {
    auto model = Fit(stage, true, false);
    ASSERT_NE(model, nullptr) << stage;
    ExpectSame(*model, Rows(2000, 6, true), kClassifierCols, "compiled trees");
  }
  auto binary =
      Fit(R"j({"type": "RandomForestClassifier", "params": {"numTrees": 9}})j", false, true);
  ASSERT_NE(binary, nullptr);
  ExpectSame(*binary, Rows(2000, 7, true), kClassifierCols, "compiled trees");
  auto regressor =
      Fit(R"j({"type": "RandomForestRegressor", "params": {"numTrees": 10}})j", true, false);
  ASSERT_NE(regressor, nullptr);
  ExpectSame(*regressor, Rows(2000, 8, true), {"prediction", "x"}, "compiled trees");
}

TEST(GbdtFusionTest, RowsTheLoopDoesNotCoverGoToTheStagesAndOtherShapesSayWhy) {
  auto model = Fit(kClassifier, true, false);
  ASSERT_NE(model, nullptr);
  // A NaN: the batch goes to the stages, whose assembler reports it as it would unfused.
  const DataFrame in = Rows(50, 5, false, 1);
  const DataFrame with_nan = Rows(50, 5, false, 1, false, 3);
  FusionInfo info;
  auto fused =
      model->TransformSelect(with_nan, ExecContext::Default(), kClassifierCols, {.info = &info});
  EXPECT_EQ(info.scoring, "compiled trees");
  EXPECT_EQ(info.fallbacks, 1);
  auto stages =
      model->TransformSelect(with_nan, ExecContext::Default(), kClassifierCols, {.fuse = false});
  ASSERT_FALSE(fused.ok());  // the assembler's handleInvalid is "error"
  ASSERT_FALSE(stages.ok());
  EXPECT_EQ(fused.status().message(), stages.status().message());
  // Leaf predictions are not compiled: the reason is given.
  auto leaves = Fit(
      R"j({"type": "GBDTClassifier", "params": {"numIterations": 5, "leafPredictionCol": "leaves"}})j",
      true, false);
  ASSERT_NE(leaves, nullptr);
  FusionInfo why;
  ASSERT_THAT(leaves->BindSelect(*in.schema(), kClassifierCols, {.info = &why}), IsOk());
  EXPECT_EQ(why.scoring,
            "stages (not compiled: GBDTClassificationModel adds leaf predictions or SHAP values)");
}

}  // namespace
}  // namespace ember
