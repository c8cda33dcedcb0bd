// The compiled linear scorer must give exactly what the stages give: the same reply bytes
// for every row, and the stages' own errors for rows it does not cover.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/fusion.h"
#include "ember/pipeline/pipeline.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/model.h"
#include "ember/testing/matchers.h"

namespace ember::serving {
namespace {

using ::ember::testing::IsOk;

const char* const kColors[] = {"red", "green", "blue", "cyan", "teal"};
const char* const kSizes[] = {"S", "M", "L"};

struct Rows {
  std::vector<std::optional<std::string>> color, size;
  std::vector<std::optional<double>> x;
  std::vector<std::optional<int64_t>> n;
  std::vector<std::optional<int64_t>> label;
};

// Rows whose label depends on every input; `unseen` adds categories fitting never saw.
Rows MakeRows(int count, int classes, uint32_t seed, bool unseen) {
  std::mt19937 rng(seed);
  Rows r;
  for (int i = 0; i < count; ++i) {
    const int c = static_cast<int>(rng() % (unseen ? 5 : 4));  // "teal" only when unseen
    const int s = static_cast<int>(rng() % 3);
    const double x = (i % 7 == 0) ? 0.0 : std::uniform_real_distribution<double>(-2, 2)(rng);
    const int64_t n = static_cast<int64_t>(rng() % 5);  // zero one time in five
    const double score = x + 0.5 * c - 0.7 * s + 0.3 * static_cast<double>(n);
    r.color.push_back(unseen && i % 11 == 3 ? "never-seen" : kColors[c]);
    r.size.push_back(kSizes[s]);
    r.x.push_back(x);
    r.n.push_back(n);
    r.label.push_back(classes == 2 ? (score > 1 ? 1 : 0)
                                   : static_cast<int64_t>(score > 2     ? 2
                                                          : score > 0.5 ? 1
                                                                        : 0));
  }
  return r;
}

Batch ToBatch(const Rows& r, bool with_label) {
  std::vector<Field> fields = {MakeField("color", StringType()), MakeField("size", StringType()),
                               MakeField("x", Float64Type()), MakeField("n", Int64Type())};
  std::vector<ColumnPtr> cols = {MakeColumn(r.color), MakeColumn(r.size), MakeColumn(r.x),
                                 MakeColumn(r.n)};
  if (with_label) {
    fields.push_back(MakeField("label", Int64Type()));
    cols.push_back(MakeColumn(r.label));
  }
  auto schema = Schema::Make(fields);
  auto b = Batch::Make(*schema, std::move(cols), static_cast<int64_t>(r.x.size()));
  EXPECT_THAT(b, IsOk());
  return *b;
}

std::shared_ptr<const Transformer> Fit(const std::string& spec_text, int classes) {
  auto spec = Json::Parse(spec_text);
  EXPECT_THAT(spec, IsOk());
  auto pipeline = Pipeline::FromSpec(*spec, DefaultRegistry());
  EXPECT_THAT(pipeline, IsOk());
  auto model =
      (*pipeline)->Fit(DataFrame::FromBatch(ToBatch(MakeRows(400, classes, 7, false), true)),
                       ExecContext::Default());
  EXPECT_THAT(model, IsOk());
  return *model;
}

// "keep" everywhere, no dropped category, a scaler: the serving benchmark's shape.
constexpr const char* kKeepScaled = R"({"stages": [
  {"type": "StringIndexer", "params": {"inputCols": ["color", "size"], "outputCols": ["ci", "si"],
                                       "handleInvalid": "keep"}},
  {"type": "OneHotEncoder", "params": {"inputCols": ["ci", "si"], "outputCols": ["cv", "sv"],
                                       "dropLast": false, "handleInvalid": "keep"}},
  {"type": "VectorAssembler", "params": {"inputCols": ["cv", "x", "sv", "n"], "outputCol": "raw"}},
  {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"regParam": 0.001}}]})";

// Defaults: unseen values are errors, the last category is dropped, no scaler.
constexpr const char* kStrict = R"({"stages": [
  {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "ci"}},
  {"type": "StringIndexer", "params": {"inputCol": "size", "outputCol": "si"}},
  {"type": "OneHotEncoder", "params": {"inputCols": ["ci", "si"], "outputCols": ["cv", "sv"]}},
  {"type": "VectorAssembler", "params": {"inputCols": ["x", "cv", "n", "sv"], "outputCol": "features"}},
  {"type": "LogisticRegression", "params": {"regParam": 0.01}}]})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

struct Kernels {
  std::shared_ptr<const LoadedModel> compiled, stages;
};

Kernels Load(const std::shared_ptr<const Transformer>& model, std::vector<std::string> reply = {}) {
  SchemaPtr input = ToBatch(MakeRows(1, 2, 1, false), false).schema();
  auto compiled = LoadedModel::FromTransformer(model, input, reply, 1);
  auto stages = LoadedModel::FromTransformer(model, input, reply, 1, /*compile=*/false);
  EXPECT_THAT(compiled, IsOk());
  EXPECT_THAT(stages, IsOk());
  return {*compiled, *stages};
}

// Every row alone and all rows as one batch give the same reply bytes both ways.
void ExpectSameReplies(const Kernels& k, const Batch& in) {
  KernelScratch s1, s2;
  auto a = k.compiled->kernel().Apply(in, s1);
  auto b = k.stages->kernel().Apply(in, s2);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_TRUE(BatchesEqual(*a, *b));
  std::string ja, jb;
  k.compiled->encoder().Encode(*a, 0, a->num_rows(), true, &ja);
  k.stages->encoder().Encode(*b, 0, b->num_rows(), true, &jb);
  EXPECT_EQ(ja, jb);
  for (int64_t r = 0; r < in.num_rows(); ++r) {
    const Batch one = in.Slice(r, 1);
    auto x = k.compiled->kernel().Apply(one, s1);
    auto y = k.stages->kernel().Apply(one, s2);
    ASSERT_THAT(x, IsOk());
    ASSERT_THAT(y, IsOk());
    std::string jx, jy;
    k.compiled->encoder().Encode(*x, 0, 1, false, &jx);
    k.stages->encoder().Encode(*y, 0, 1, false, &jy);
    ASSERT_EQ(jx, jy) << "row " << r;
  }
}

// A batch transform of `rows` rows (several tiles of the compiled loop, more than one block
// of the selecting chain) gives the same columns fused and stage by stage.
void ExpectSameBatch(const std::shared_ptr<const Transformer>& model, const Batch& in,
                     const std::vector<std::string>& cols) {
  const DataFrame frame = DataFrame::FromBatch(in);
  auto pipeline = PipelineModel::Make({model});
  ASSERT_THAT(pipeline, IsOk());
  FusionInfo info;
  auto fused = (*pipeline)->TransformSelect(frame, ExecContext::Default(), cols, {.info = &info});
  ASSERT_THAT(fused, IsOk());
  EXPECT_TRUE(info.fused) << info.scoring;
  auto stages = (*pipeline)->TransformSelect(frame, ExecContext::Default(), cols, {.fuse = false});
  ASSERT_THAT(stages, IsOk());
  EXPECT_TRUE(BatchesEqual(*fused->Collect(), *stages->Collect()));
}

TEST(LinearScorerTest, BatchTransformsGiveTheStagesColumns) {
  const std::vector<std::string> cols = {"rawPrediction", "probability", "prediction", "x"};
  ExpectSameBatch(Fit(kKeepScaled, 2), ToBatch(MakeRows(9000, 2, 21, true), false), cols);
  ExpectSameBatch(Fit(kStrict, 3), ToBatch(MakeRows(9000, 3, 22, false), false), cols);
}

TEST(LinearScorerTest, BinaryWithKeepAndScalerGivesTheStagesBytes) {
  Kernels k = Load(Fit(kKeepScaled, 2));
  EXPECT_EQ(k.compiled->scoring(), "compiled linear");
  EXPECT_TRUE(k.compiled->compiled());
  EXPECT_EQ(k.stages->scoring(), "stages (compiling turned off)");
  // Unseen categories take the "keep" category.
  ExpectSameReplies(k, ToBatch(MakeRows(300, 2, 99, true), false));
  EXPECT_EQ(k.compiled->compiled_fallbacks(), 0);
}

TEST(LinearScorerTest, MulticlassStrictGivesTheStagesBytesAndErrors) {
  Kernels k = Load(Fit(kStrict, 3), {"prediction", "color", "probability", "rawPrediction"});
  ASSERT_EQ(k.compiled->scoring(), "compiled linear");
  ExpectSameReplies(k, ToBatch(MakeRows(300, 3, 5, false), false));
  EXPECT_EQ(k.compiled->compiled_fallbacks(), 0);

  KernelScratch s1, s2;
  auto same_error = [&](const Rows& rows) {
    const Batch in = ToBatch(rows, false);
    auto a = k.compiled->kernel().Apply(in, s1);
    auto b = k.stages->kernel().Apply(in, s2);
    ASSERT_FALSE(a.ok());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(a.status().ToString(), b.status().ToString());
  };
  Rows unseen = MakeRows(5, 3, 1, false);
  unseen.color[3] = "never-seen";
  same_error(unseen);
  Rows null_color = MakeRows(5, 3, 2, false);
  null_color.color[1] = std::nullopt;
  same_error(null_color);
  Rows nan = MakeRows(5, 3, 3, false);
  nan.x[4] = std::nan("");
  same_error(nan);
  Rows null_x = MakeRows(5, 3, 4, false);
  null_x.x[0] = std::nullopt;
  same_error(null_x);
  EXPECT_EQ(k.compiled->compiled_fallbacks(), 4);
}

TEST(LinearScorerTest, KeptInvalidValuesFallBackToTheStages) {
  // With handleInvalid "keep" on the assembler a NaN is kept: the stages score it.
  Kernels k = Load(Fit(Replace(kKeepScaled, R"("outputCol": "raw"})",
                               R"("outputCol": "raw", "handleInvalid": "keep"})"),
                       2));
  ASSERT_EQ(k.compiled->scoring(), "compiled linear");
  Rows rows = MakeRows(20, 2, 8, true);
  rows.x[2] = std::nan("");
  rows.n[5] = std::nullopt;
  ExpectSameReplies(k, ToBatch(rows, false));
  // The whole batch and the two rows alone went to the stages; the other rows did not.
  EXPECT_EQ(k.compiled->compiled_fallbacks(), 3);
}

TEST(LinearScorerTest, OtherShapesUseTheStagesAndSayWhy) {
  auto with_features = Load(Fit(kKeepScaled, 2), {"features", "prediction"});
  EXPECT_EQ(with_features.compiled->scoring(),
            "stages (not compiled: column 'features' is an intermediate column)");
  EXPECT_FALSE(with_features.compiled->compiled());
  ExpectSameReplies(with_features, ToBatch(MakeRows(10, 2, 3, true), false));

  auto sql = Load(Fit(R"({"stages": [{"type": "SqlTransformer", "params": {"statement":
                        "SELECT x * 2 AS y FROM __THIS__"}}]})",
                      2));
  EXPECT_EQ(sql.compiled->scoring(),
            "stages (not compiled: no stage is a model that compiles (linear or trees))");

  auto dense = Load(Fit(Replace(kKeepScaled, R"("outputCol": "features"})",
                                R"("outputCol": "features", "withMean": true})"),
                        2));
  EXPECT_EQ(dense.compiled->scoring(),
            "stages (not compiled: the scaler shifts (makes the vector dense))");
  ExpectSameReplies(dense, ToBatch(MakeRows(10, 2, 3, true), false));
}

// Fusion belongs to the pipeline: the linear run keeps its compiled loop when a stage after
// it shapes the reply (here a SqlTransformer), in serving and in batch transforms alike.
TEST(LinearScorerTest, ARunFollowedByAnotherStageStaysCompiled) {
  const std::string spec =
      Replace(kKeepScaled, R"({"type": "LogisticRegression", "params": {"regParam": 0.001}}]})",
              R"({"type": "LogisticRegression", "params": {"regParam": 0.001}},
      {"type": "SqlTransformer", "params": {"statement":
          "SELECT color, probability[1] AS p, prediction FROM __THIS__"}}]})");
  auto model = Fit(spec, 2);
  Kernels k = Load(model, {"p", "prediction", "color"});
  EXPECT_EQ(k.compiled->scoring(), "compiled linear (stages 1-5 of 6)");
  EXPECT_TRUE(k.compiled->compiled());
  ExpectSameReplies(k, ToBatch(MakeRows(200, 2, 11, true), false));
  EXPECT_EQ(k.compiled->compiled_fallbacks(), 0);

  // Batch: TransformSelect is fused, and equals the stages' result.
  const DataFrame frame = DataFrame::FromBatch(ToBatch(MakeRows(5000, 2, 12, true), false));
  auto pipeline = PipelineModel::Make({model});
  ASSERT_THAT(pipeline, IsOk());
  const std::vector<std::string> cols = {"p", "prediction"};
  auto fused = (*pipeline)->TransformSelect(frame, ExecContext::Default(), cols);
  ASSERT_THAT(fused, IsOk());
  FusionInfo info;
  auto stages = (*pipeline)->BindSelect(*frame.schema(), cols, {.fuse = false, .info = &info});
  ASSERT_THAT(stages, IsOk());
  EXPECT_EQ(info.scoring, "stages (compiling turned off)");
  auto expected = RunBound(**stages, frame, ExecContext::Default());
  ASSERT_THAT(expected, IsOk());
  EXPECT_TRUE(BatchesEqual(*fused->Collect(), *expected->Collect()));
  FusionInfo batch_info;
  ASSERT_THAT((*pipeline)->BindSelect(*frame.schema(), cols, {.info = &batch_info}), IsOk());
  EXPECT_EQ(batch_info.scoring, "compiled linear (stages 1-5 of 6)");

  // A stage after the run that reads an intermediate column: not fused, and says why.
  auto reads_features =
      Fit(Replace(spec, "SELECT color, probability[1] AS p", "SELECT color, features[0] AS p"), 2);
  Kernels r = Load(reads_features, {"p"});
  EXPECT_NE(
      r.compiled->scoring().find("reads a column of the compiled run that its loop does not keep"),
      std::string::npos)
      << r.compiled->scoring();
  ExpectSameReplies(r, ToBatch(MakeRows(20, 2, 13, true), false));
}

}  // namespace
}  // namespace ember::serving
