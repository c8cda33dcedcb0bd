#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ember/automl/featurize.h"
#include "ember/automl/train.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/registry/default_registry.h"
#include "ember/stages/model_statistics.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;
using Strings = std::vector<std::string>;

const ExecContext& Ctx() { return ExecContext::Default(); }

// num: float64 (some null), flag: bool (some null), color: 3 categories (some null),
// note: free text, vec: vector[2], label: "yes" when num + (color == red) > 1, else "no".
DataFrame Mixed(int rows, uint64_t seed, bool with_label = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 2);
  std::vector<std::optional<double>> num;
  std::vector<std::optional<bool>> flag;
  std::vector<std::optional<std::string>> color, note, label;
  std::vector<std::vector<double>> vec;
  static const char* kColors[] = {"red", "green", "blue"};
  for (int r = 0; r < rows; ++r) {
    const double x = u(rng);
    const int c = static_cast<int>(rng() % 3);
    num.push_back(r % 17 == 5 ? std::nullopt : std::optional(x));
    flag.push_back(r % 13 == 2 ? std::nullopt : std::optional(rng() % 2 == 0));
    color.push_back(r % 19 == 7 ? std::nullopt : std::optional<std::string>(kColors[c]));
    note.push_back(r % 11 == 3
                       ? std::nullopt
                       : std::optional<std::string>(c == 0 ? "bright warm tone" : "cool calm"));
    vec.push_back({x * 0.5, static_cast<double>(r % 4)});
    label.push_back(x + (c == 0 ? 1.0 : 0.0) > 1.2 ? "yes" : "no");
  }
  std::vector<Field> fields = {MakeField("num", Float64Type()), MakeField("flag", BoolType()),
                               MakeField("color", StringType()), MakeField("note", StringType()),
                               MakeField("vec", DenseVectorType(2))};
  std::vector<ColumnPtr> cols = {MakeColumn(num), MakeColumn(flag), MakeColumn(color),
                                 MakeColumn(note), MakeDenseVectorColumn(vec, 2)};
  if (with_label) {
    fields.push_back(MakeField("label", StringType()));
    cols.push_back(MakeColumn(label));
  }
  SchemaPtr schema = *Schema::Make(fields);
  Batch all = *Batch::Make(schema, cols);
  const int64_t half = all.num_rows() / 2;
  return *DataFrame::Make(schema, {all.Slice(0, half), all.Slice(half, all.num_rows() - half)});
}

TEST(FeaturizeTest, EveryKindOfColumnBecomesSlots) {
  auto f = *Featurize::Make({.input_cols = {"num", "flag", "color", "note", "vec"},
                             .num_features = 32,
                             .text_cols = {"note"}});
  DataFrame in = Mixed(200, 1, false);
  auto model = f->Fit(in, Ctx());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(in, Ctx());
  ASSERT_THAT(out, IsOk());
  // Inputs are kept, temporaries dropped; 1 + 1 + (3 colors + null slot - dropLast) + 32 + 2 slots.
  EXPECT_EQ(out->schema()->field_names(),
            (Strings{"num", "flag", "color", "note", "vec", "features"}));
  const DataType& t = *out->schema()->field(5).type;
  EXPECT_TRUE(t.sparse());
  EXPECT_EQ(t.vector_size(), 1 + 1 + 3 + 32 + 2);
  auto slots = SlotNames(out->schema()->field(5));
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ((*slots)[0], "num#imputed");
  int64_t rows = 0;
  for (const Batch& b : out->partitions()) {
    const Column& v = *b.column(5);
    for (int64_t r = 0; r < b.num_rows(); ++r, ++rows) {
      ASSERT_TRUE(v.IsValid(r));
      ForEachVectorEntry(v, r, [&](int64_t, double x) { ASSERT_TRUE(std::isfinite(x)); });
    }
  }
  EXPECT_EQ(rows, 200);  // no row lost to missing values
}

// Dates and timestamps become their calendar parts, as SynapseML's Featurize does.
TEST(FeaturizeTest, DatesAndTimestampsBecomeTheirParts) {
  SchemaPtr schema = *Schema::Make({MakeField("d", DateType()), MakeField("t", TimestampType())});
  Int32Builder d(DateType());
  Int64Builder t(TimestampType());
  d.Append(19783);  // 2024-03-01, a Friday
  d.AppendNull();
  t.Append(1709287205000000);  // 2024-03-01 10:00:05 UTC
  t.Append(0);
  DataFrame in = DataFrame::FromBatch(*Batch::Make(schema, {d.Finish(), t.Finish()}));
  auto f = *Featurize::Make({.input_cols = {"d", "t"}});
  auto model = f->Fit(in, Ctx());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(in, Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (Strings{"d", "t", "features"}));
  auto slots = SlotNames(out->schema()->field(2));
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ(*slots, (Strings{"d#year#imputed", "d#dayofweek#imputed", "d#month#imputed",
                             "d#dayofmonth#imputed", "t#year#imputed", "t#dayofweek#imputed",
                             "t#month#imputed", "t#dayofmonth#imputed", "t#hour#imputed",
                             "t#minute#imputed", "t#second#imputed"}));
  Batch b = *out->Collect();
  EXPECT_EQ(FormatValue(*b.column(2), 0), "[2024,6,3,1,2024,6,3,1,10,0,5]");
  // The null date takes the mean of the others (one row: its own parts).
  EXPECT_EQ(FormatValue(*b.column(2), 1), "[2024,6,3,1,1970,5,1,1,0,0,0]");
}

TEST(FeaturizeTest, ManyDistinctStringsAreTextAndFewAreCategories) {
  DataFrame in = Mixed(100, 2, false);
  auto as_cats = (*Featurize::Make({.input_cols = {"note"}, .num_features = 16}))->Fit(in, Ctx());
  ASSERT_THAT(as_cats, IsOk());
  auto a = (*as_cats)->Transform(in, Ctx());
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->schema()->field(5).type->vector_size(), 2);  // 2 notes + null slot - dropLast
  auto as_text =
      (*Featurize::Make({.input_cols = {"note"}, .num_features = 16, .max_categories = 1}))
          ->Fit(in, Ctx());
  ASSERT_THAT(as_text, IsOk());
  auto b = (*as_text)->Transform(in, Ctx());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->schema()->field(5).type->vector_size(), 16);
  EXPECT_FALSE(Featurize::Make({.input_cols = {"note"}, .text_cols = {"other"}}).ok());
  auto bad = (*Featurize::Make({.input_cols = {"nope"}}))->Fit(in, Ctx());
  EXPECT_NE(bad.status().message().find("'nope'"), std::string::npos) << bad.status();
}

TEST(FeaturizeTest, DistinctCountsAreCombinedOverRanks) {
  // Partition 0 has colors red and green, partition 1 blue and green: two per rank, three
  // overall. With maxCategories 2 the column is text only if the ranks' values are combined.
  SchemaPtr schema = *Schema::Make({MakeField("color", StringType())});
  DataFrame in = *DataFrame::Make(
      schema, {*Batch::Make(schema, {MakeColumn<std::string>({"red", "green", "red"})}),
               *Batch::Make(schema, {MakeColumn<std::string>({"blue", "green", "blue"})})});
  auto f = *Featurize::Make({.input_cols = {"color"}, .num_features = 8, .max_categories = 2});
  auto single = f->Fit(in, Ctx());
  ASSERT_THAT(single, IsOk());
  auto want = (*single)->TransformSchema(*schema);
  ASSERT_THAT(want, IsOk());
  EXPECT_EQ((*want)->field(1).type->vector_size(), 8);    // text: 3 values > 2
  for (const auto& m : testing::FitOnRanks(in, *f, 2)) {  // rank r holds partition r
    ASSERT_THAT(m, IsOk());
    auto got = (*m)->TransformSchema(*schema);
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE((*got)->Equals(**want)) << (*got)->ToString() << " vs " << (*want)->ToString();
  }
}

TEST(TrainClassifierTest, LearnsStringLabelsAndScoresWithoutTheLabel) {
  TrainClassifierParams p;
  p.num_features = 64;
  p.model = *Json::Parse(R"({"type": "LogisticRegression", "params": {"regParam": 0.001}})");
  auto trainer = TrainClassifier::Make(p, DefaultRegistry());
  ASSERT_THAT(trainer, IsOk());
  auto model = (*trainer)->Fit(Mixed(400, 3), Ctx());
  ASSERT_THAT(model, IsOk());
  DataFrame test = Mixed(200, 4);
  auto scored = (*model)->Transform(test, Ctx());
  ASSERT_THAT(scored, IsOk());
  const int label = scored->schema()->FindField("label");
  const int predicted = scored->schema()->FindField("predictedLabel");
  ASSERT_GE(predicted, 0);
  int right = 0, total = 0;
  for (const Batch& b : scored->partitions()) {
    for (int64_t r = 0; r < b.num_rows(); ++r, ++total) {
      right += b.column(label)->StringValue(r) == b.column(predicted)->StringValue(r);
    }
  }
  EXPECT_GT(right, total * 0.9) << right << " of " << total;
  auto unlabeled = (*model)->Transform(Mixed(10, 5, false), Ctx());
  ASSERT_THAT(unlabeled, IsOk());
  EXPECT_GE(unlabeled->schema()->FindField("probability"), 0);
}

TEST(TrainClassifierTest, BadModelSpecsAreNamed) {
  TrainClassifierParams p;
  p.model = *Json::Parse(R"({"type": "VectorAssembler", "params": {"inputCols": ["a"]}})");
  auto not_estimator = TrainClassifier::Make(p, DefaultRegistry());
  ASSERT_FALSE(not_estimator.ok());
  EXPECT_NE(not_estimator.status().message().find("'VectorAssembler' is not an estimator"),
            std::string::npos)
      << not_estimator.status();
  p.model = *Json::Parse(R"({"type": "LogisticRegresion"})");
  auto typo = TrainClassifier::Make(p, DefaultRegistry());
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("LogisticRegression"), std::string::npos) << typo.status();
  p.model = Json();
  p.label_col = "missing";
  auto no_label = (*TrainClassifier::Make(p, DefaultRegistry()))->Fit(Mixed(20, 6), Ctx());
  EXPECT_NE(no_label.status().message().find("'missing'"), std::string::npos) << no_label.status();
}

TEST(TrainRegressorTest, FitsANumericLabel) {
  // y = 3 * num + 2 (imputed rows excluded by building a label only where num exists).
  DataFrame in = Mixed(300, 7, false);
  SchemaPtr schema = *in.schema()->AddField(MakeField("y", Float64Type()));
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) {
    std::vector<std::optional<double>> y;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      y.push_back(b.column(0)->IsValid(r) ? 3 * b.column(0)->Values<double>()[r] + 2 : 2 + 3 * 1.0);
    }
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(MakeColumn(y));
    parts.push_back(*Batch::Make(schema, cols));
  }
  DataFrame train = *DataFrame::Make(schema, parts);
  TrainRegressorParams p;
  p.label_col = "y";
  p.input_cols = {"num"};
  auto model = (*TrainRegressor::Make(p, DefaultRegistry()))->Fit(train, Ctx());
  ASSERT_THAT(model, IsOk());
  auto scored = (*model)->Transform(train, Ctx());
  ASSERT_THAT(scored, IsOk());
  const int pred = scored->schema()->FindField("prediction");
  ASSERT_GE(pred, 0);
  const Batch& b = scored->partition(0);
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    if (b.column(0)->IsNull(r)) continue;
    EXPECT_NEAR(b.column(pred)->Values<double>()[r], 3 * b.column(0)->Values<double>()[r] + 2,
                0.05);
  }
}

}  // namespace
}  // namespace ember
