#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/random_split.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

TEST(MetricsTest, AreaUnderCurves) {
  // The classic example (scikit-learn's roc_auc_score gives 0.75).
  std::vector<double> y = {0, 0, 1, 1}, s = {0.1, 0.4, 0.35, 0.8};
  EXPECT_DOUBLE_EQ(AreaUnderRoc(y, s), 0.75);
  EXPECT_NEAR(AreaUnderPr(y, s), 0.5 + 0.5 * (0.5 + 2.0 / 3) / 2, 1e-12);
  // Ties share their rank: a constant score gives 0.5.
  EXPECT_DOUBLE_EQ(AreaUnderRoc({0, 1, 0, 1}, {0.3, 0.3, 0.3, 0.3}), 0.5);
  EXPECT_TRUE(std::isnan(AreaUnderRoc({1, 1}, {0.2, 0.4})));
}

DataFrame Scored() {
  SchemaPtr s = *Schema::Make({MakeField("label", Float64Type()),
                               MakeField("probability", DenseVectorType(2)),
                               MakeField("prediction", Float64Type())});
  Batch a = *Batch::Make(
      s, {MakeColumn<double>({0, 0}), MakeDenseVectorColumn({{0.9, 0.1}, {0.6, 0.4}}, 2),
          MakeColumn<double>({0, 0})});
  Batch b = *Batch::Make(
      s, {MakeColumn<double>({1, 1}), MakeDenseVectorColumn({{0.65, 0.35}, {0.2, 0.8}}, 2),
          MakeColumn<double>({0, 1})});
  return *DataFrame::Make(s, {a, b});
}

TEST(ComputeModelStatisticsTest, BinaryClassification) {
  auto out = (*ComputeModelStatistics::Make({}))->Transform(Scored(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch m = *out->Collect();
  ASSERT_EQ(m.num_rows(), 1);
  auto value = [&](const std::string& name) { return (*m.GetColumn(name))->Values<double>()[0]; };
  EXPECT_DOUBLE_EQ(value("accuracy"), 0.75);
  EXPECT_DOUBLE_EQ(value("precision"), 1.0);
  EXPECT_DOUBLE_EQ(value("recall"), 0.5);
  EXPECT_DOUBLE_EQ(value("AUC"), 0.75);
  EXPECT_NEAR(value("log_loss"),
              -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4, 1e-12);
  EXPECT_EQ(FormatValue(**m.GetColumn("confusion_matrix"), 0), "[[2,0],[1,1]]");
}

// A classifier without probabilities (LinearSVC: rawPrediction and prediction only) is
// evaluated as a classifier under auto, as is a prediction carrying its label's values;
// without either, the same numbers are a regression.
TEST(ComputeModelStatisticsTest, AutoSeesClassifiersWithoutProbabilities) {
  SchemaPtr s = *Schema::Make({MakeField("label", Float64Type()),
                               MakeField("rawPrediction", DenseVectorType(2)),
                               MakeField("prediction", Float64Type())});
  DataFrame f = DataFrame::FromBatch(
      *Batch::Make(s, {MakeColumn<double>({0, 1, 1, 0}),
                       MakeDenseVectorColumn({{1, -1}, {-2, 2}, {0.5, -0.5}, {3, -3}}, 2),
                       MakeColumn<double>({0, 1, 0, 0})}));
  auto type_of = [](const DataFrame& frame) {
    auto out = (*ComputeModelStatistics::Make({}))->Transform(frame, ExecContext::Default());
    EXPECT_THAT(out, IsOk());
    return FormatValue(*out->Collect()->column(0), 0);
  };
  EXPECT_EQ(type_of(f), "Classification (binary)");
  auto out = (*ComputeModelStatistics::Make({}))->Transform(f, ExecContext::Default());
  EXPECT_DOUBLE_EQ((*out->Collect()->GetColumn("accuracy"))->Values<double>()[0], 0.75);
  Field nominal = MakeField("prediction", Float64Type());
  SetNominalValues(&nominal, {"no", "yes"});
  SchemaPtr s2 = *Schema::Make({MakeField("label", Float64Type()), nominal});
  Batch b = *f.Collect();
  EXPECT_EQ(type_of(DataFrame::FromBatch(*Batch::Make(s2, {b.column(0), b.column(2)}))),
            "Classification (binary)");
  SchemaPtr s3 =
      *Schema::Make({MakeField("label", Float64Type()), MakeField("prediction", Float64Type())});
  EXPECT_EQ(type_of(DataFrame::FromBatch(*Batch::Make(s3, {b.column(0), b.column(2)}))),
            "Regression");
}

TEST(ComputeModelStatisticsTest, MulticlassPerClassMacroAndWeighted) {
  // The figures are scikit-learn's (precision_score, recall_score, f1_score with average
  // None / "macro" / "weighted", roc_auc_score with multi_class="ovr").
  SchemaPtr s =
      *Schema::Make({MakeField("label", Int64Type()), MakeField("probability", DenseVectorType(3)),
                     MakeField("prediction", Float64Type())});
  Batch a = *Batch::Make(
      s, {MakeColumn<int64_t>({0, 0, 1, 1}),
          MakeDenseVectorColumn({{.7, .2, .1}, {.3, .4, .3}, {.2, .6, .2}, {.5, .3, .2}}, 3),
          MakeColumn<double>({0, 1, 1, 0})});
  Batch b = *Batch::Make(s, {MakeColumn<int64_t>({2, 2, 2}),
                             MakeDenseVectorColumn({{.1, .2, .7}, {.2, .5, .3}, {.1, .1, .8}}, 3),
                             MakeColumn<double>({2, 1, 2})});
  auto out = (*ComputeModelStatistics::Make({}))
                 ->Transform(*DataFrame::Make(s, {a, b}), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch m = *out->Collect();
  auto value = [&](const std::string& name) { return (*m.GetColumn(name))->Values<double>()[0]; };
  EXPECT_EQ(FormatValue(**m.GetColumn("evaluation_type"), 0), "Classification (multiclass)");
  EXPECT_NEAR(value("precision"), 0.611111111111111, 1e-12);  // macro
  EXPECT_NEAR(value("recall"), 0.5555555555555555, 1e-12);
  EXPECT_NEAR(value("f1"), 0.5666666666666668, 1e-12);
  EXPECT_NEAR(value("macro_f1"), 0.5666666666666668, 1e-12);
  EXPECT_NEAR(value("weighted_precision"), 0.6666666666666666, 1e-12);
  EXPECT_NEAR(value("weighted_recall"), 0.5714285714285714, 1e-12);
  EXPECT_NEAR(value("weighted_f1"), 0.6, 1e-12);
  EXPECT_NEAR(value("AUC"), 0.8861111111111111, 1e-12);  // one against the rest, macro
  EXPECT_NEAR(value("weighted_AUC"), 0.8964285714285715, 1e-12);
  EXPECT_EQ(FormatValue(**m.GetColumn("recall_by_class"), 0), "[0.5,0.5,0.6666666666666666]");
  EXPECT_EQ(FormatValue(**m.GetColumn("AUC_by_class"), 0), "[0.9,0.8,0.9583333333333334]");
  EXPECT_EQ(FormatValue(**m.GetColumn("confusion_matrix"), 0), "[[1,1,0],[1,1,0],[0,1,2]]");
}

TEST(ComputeModelStatisticsTest, Regression) {
  SchemaPtr s =
      *Schema::Make({MakeField("label", Float64Type()), MakeField("prediction", Float64Type())});
  DataFrame f = DataFrame::FromBatch(
      *Batch::Make(s, {MakeColumn<double>({1, 2, 3}), MakeColumn<double>({1, 3, 5})}));
  auto out = (*ComputeModelStatistics::Make({}))->Transform(f, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch m = *out->Collect();
  EXPECT_DOUBLE_EQ((*m.GetColumn("mean_squared_error"))->Values<double>()[0], 5.0 / 3);
  EXPECT_DOUBLE_EQ((*m.GetColumn("mean_absolute_error"))->Values<double>()[0], 1.0);
  EXPECT_DOUBLE_EQ((*m.GetColumn("R^2"))->Values<double>()[0], 1 - 5.0 / 2);
}

TEST(ComputePerInstanceStatisticsTest, LogLossPerRowAndRegressionLosses) {
  auto out = (*ComputePerInstanceStatistics::Make({}))->Transform(Scored(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  Batch m = *out->Collect();
  const double* loss = (*m.GetColumn("log_loss"))->Values<double>();
  EXPECT_DOUBLE_EQ(loss[0], -std::log(0.9));
  EXPECT_DOUBLE_EQ(loss[2], -std::log(0.35));
  EXPECT_DOUBLE_EQ(loss[3], -std::log(0.8));
  SchemaPtr s =
      *Schema::Make({MakeField("label", Float64Type()), MakeField("prediction", Float64Type())});
  DataFrame f = DataFrame::FromBatch(
      *Batch::Make(s, {MakeColumn<double>({1, std::nullopt, 3}), MakeColumn<double>({1, 3, 5})}));
  auto reg = (*ComputePerInstanceStatistics::Make({}))->Transform(f, ExecContext::Default());
  ASSERT_THAT(reg, IsOk());
  Batch r = *reg->Collect();
  EXPECT_EQ(FormatValue(**r.GetColumn("L1_loss"), 2), "2");
  EXPECT_EQ(FormatValue(**r.GetColumn("L2_loss"), 2), "4");
  EXPECT_EQ(FormatValue(**r.GetColumn("L1_loss"), 1), "null");
  // A label that is not a class of the probability vector.
  SchemaPtr c = *Schema::Make({MakeField("label", Float64Type()),
                               MakeField("probability", DenseVectorType(2)),
                               MakeField("prediction", Float64Type())});
  DataFrame bad = DataFrame::FromBatch(*Batch::Make(
      c,
      {MakeColumn<double>({2}), MakeDenseVectorColumn({{0.5, 0.5}}, 2), MakeColumn<double>({0})}));
  auto err = (*ComputePerInstanceStatistics::Make({}))->Transform(bad, ExecContext::Default());
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("label 2 in column 'label' is not a class of the 2-class"),
            std::string::npos)
      << err.status();
}

TEST(RandomSplitTest, DisjointCoveringReproducible) {
  std::vector<std::optional<int64_t>> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(i);
  SchemaPtr s = *Schema::Make({MakeField("id", Int64Type())});
  Batch all = *Batch::Make(s, {MakeColumn(ids)});
  DataFrame f = *DataFrame::Make(s, {all.Slice(0, 400), all.Slice(400, 600)});
  auto parts = RandomSplit(ExecContext::Default(), f, {0.8, 0.2}, 42);
  ASSERT_THAT(parts, IsOk());
  const int64_t a = (*parts)[0].num_rows(), b = (*parts)[1].num_rows();
  EXPECT_EQ(a + b, 1000);
  EXPECT_NEAR(a, 800, 60);
  std::vector<bool> seen(1000, false);
  for (const auto& part : *parts) {
    Batch c = *part.Collect();
    for (int64_t r = 0; r < c.num_rows(); ++r) {
      const int64_t id = c.column(0)->Values<int64_t>()[r];
      EXPECT_FALSE(seen[id]);
      seen[id] = true;
    }
  }
  auto again = RandomSplit(ExecContext::Default(), f, {0.8, 0.2}, 42);
  EXPECT_TRUE(FramesEqual((*again)[1], (*parts)[1]));
  auto other = RandomSplit(ExecContext::Default(), f, {0.8, 0.2}, 7);
  EXPECT_FALSE(FramesEqual((*other)[1], (*parts)[1]));
  EXPECT_FALSE(RandomSplit(ExecContext::Default(), f, {0, 0}, 1).ok());
}

}  // namespace
}  // namespace ember
