#include "ember/sql/data_conversion.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/stages/string_indexer.h"
#include "ember/stages/value_indexer.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Frame() {
  Field tagged = MakeField("label", StringType());
  SchemaPtr s = *Schema::Make({MakeField("s", StringType()), MakeField("d", Float64Type()),
                               MakeField("n", Int64Type()), tagged});
  std::vector<std::optional<std::string>> strs = {"12", " 7 ", "x", std::nullopt, "-3.9"};
  std::vector<std::optional<double>> ds = {1.9, -1.9, 1e10, std::nullopt, 0.5};
  std::vector<std::optional<int64_t>> ns = {1700000000123, 0, 200, std::nullopt, -1};
  std::vector<std::optional<std::string>> labels = {"b", "a", "b", "c", "a"};
  Batch b = *Batch::Make(s, {MakeColumn(strs), MakeColumn(ds), MakeColumn(ns), MakeColumn(labels)});
  return *DataFrame::Make(s, {b.Slice(0, 2), b.Slice(2, 3)});
}

Result<Batch> Convert(const DataFrame& f, std::vector<std::string> cols, std::string to,
                      std::string format = "yyyy-MM-dd HH:mm:ss") {
  EMBER_ASSIGN_OR_RETURN(auto stage, DataConversion::Make({.cols = std::move(cols),
                                                           .convert_to = std::move(to),
                                                           .date_time_format = std::move(format)}));
  EMBER_ASSIGN_OR_RETURN(DataFrame out, stage->Transform(f, ExecContext::Default()));
  return out.Collect();
}

std::vector<std::string> Texts(const Batch& b, const std::string& col) {
  const Column& c = *b.column(b.schema()->FindField(col));
  std::vector<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r) out.push_back(FormatValue(c, r));
  return out;
}

// Spark's CAST: unparsable text is null, doubles truncate; each column keeps its place.
TEST(DataConversionTest, NumbersAsSparkCasts) {
  auto ints = Convert(Frame(), {"s", "d"}, "long");
  ASSERT_THAT(ints, IsOk());
  EXPECT_EQ(ints->schema()->field_names(), (std::vector<std::string>{"s", "d", "n", "label"}));
  EXPECT_EQ(ints->schema()->field(0).type->id(), TypeId::kInt64);
  EXPECT_EQ(Texts(*ints, "s"), (std::vector<std::string>{"12", "7", "null", "null", "-3"}));
  EXPECT_EQ(Texts(*ints, "d"), (std::vector<std::string>{"1", "-1", "10000000000", "null", "0"}));

  auto floats = Convert(Frame(), {"s"}, "float");
  ASSERT_THAT(floats, IsOk());
  EXPECT_EQ(floats->schema()->field(0).type->id(), TypeId::kFloat32);
  EXPECT_FLOAT_EQ(floats->column(0)->Values<float>()[4], -3.9f);

  auto strings = Convert(Frame(), {"d", "n"}, "string");
  ASSERT_THAT(strings, IsOk());
  EXPECT_EQ(strings->column(1)->StringValue(0), "1.9");
  EXPECT_EQ(strings->column(2)->StringValue(2), "200");

  // int32 targets check their range and name the column and row.
  auto narrow = Convert(Frame(), {"n"}, "byte");
  ASSERT_FALSE(narrow.ok());
  EXPECT_NE(narrow.status().message().find("column 'n' row 0"), std::string::npos);
  auto small = Convert(*DataFrame::Make(Frame().schema(), {Frame().partition(0)}), {"d"}, "short");
  ASSERT_THAT(small, IsOk());
  EXPECT_EQ(small->schema()->field(1).type->id(), TypeId::kInt32);
  EXPECT_EQ(Texts(*small, "d"), (std::vector<std::string>{"1", "-1"}));
}

// Timestamps: long <-> milliseconds, string <-> dateTimeFormat ("date" gives a timestamp).
TEST(DataConversionTest, TimestampsAndDates) {
  auto ts = Convert(Frame(), {"n"}, "date");
  ASSERT_THAT(ts, IsOk());
  EXPECT_EQ(ts->schema()->field(2).type->id(), TypeId::kTimestamp);
  DataFrame tf = DataFrame::FromBatch(*ts);
  auto millis = Convert(tf, {"n"}, "long");
  ASSERT_THAT(millis, IsOk());
  EXPECT_EQ(Texts(*millis, "n"), Texts(*Frame().Collect(), "n"));
  auto text = Convert(tf, {"n"}, "string", "yyyy/MM/dd HH:mm");
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(text->column(2)->StringValue(0), "2023/11/14 22:13");
  auto parsed = Convert(DataFrame::FromBatch(*text), {"n"}, "date", "yyyy/MM/dd HH:mm");
  ASSERT_THAT(parsed, IsOk());
  auto back = Convert(DataFrame::FromBatch(*parsed), {"n"}, "long");
  EXPECT_EQ(back->column(2)->Values<int64_t>()[0], 1699999980000);
  // A timestamp converts to long or string only.
  EXPECT_FALSE(Convert(tf, {"n"}, "double").ok());
}

// clearCategorical undoes a ValueIndexer (values back in their type) and drops other
// columns' nominal attributes; toCategorical is refused with the way forward.
TEST(DataConversionTest, Categoricals) {
  auto indexer = *(*ValueIndexer::Make({.input_col = "n", .output_col = "n"}))
                      ->Fit(Frame(), ExecContext::Default());
  auto sidx = *(*StringIndexer::Make({.input_col = "label", .output_col = "label_i"}))
                   ->Fit(Frame(), ExecContext::Default());
  DataFrame indexed = *sidx->Transform(*indexer->Transform(Frame(), ExecContext::Default()),
                                       ExecContext::Default());
  ASSERT_TRUE(NominalValues(indexed.schema()->field(4)).has_value());
  auto cleared = Convert(indexed, {"n", "label_i"}, "clearCategorical");
  ASSERT_THAT(cleared, IsOk());
  EXPECT_TRUE(ColumnsEqual(*cleared->column(2), *Frame().Collect()->column(2)));
  EXPECT_FALSE(NominalValues(cleared->schema()->field(4)).has_value());
  EXPECT_EQ(cleared->schema()->field(4).type->id(), TypeId::kFloat64);

  auto to_cat = DataConversion::Make({.cols = {"s"}, .convert_to = "toCategorical"});
  ASSERT_FALSE(to_cat.ok());
  EXPECT_NE(to_cat.status().message().find("ValueIndexer"), std::string::npos);
}

TEST(DataConversionTest, BadParams) {
  auto typo = DataConversion::Make({.cols = {"s"}, .convert_to = "dobule"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'double'"), std::string::npos);
  auto missing = Convert(Frame(), {"nope"}, "double");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
  EXPECT_FALSE(Convert(Frame(), {"s", "s"}, "double").ok());
  EXPECT_FALSE(DataConversion::Make({.cols = {}, .convert_to = "double"}).ok());
}

}  // namespace
}  // namespace ember
