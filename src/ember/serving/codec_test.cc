#include "ember/serving/codec.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/serving/metrics.h"
#include "ember/testing/matchers.h"

namespace ember::serving {
namespace {

using ::ember::testing::IsOk;

SchemaPtr InputSchema() {
  return *Schema::Make({MakeField("x", Float64Type()), MakeField("n", Int32Type()),
                        MakeField("color", StringType()), MakeField("v", DenseVectorType(2))});
}

TEST(RequestDecoderTest, ObjectIsOneRowAndArrayIsMany) {
  RequestDecoder d(InputSchema());
  bool array = true;
  DecodeProblem p;
  auto one =
      d.Decode(R"({"x": 1.5, "color": "red", "extra": [1, 2], "n": 3, "v": [1, 2]})", &array, &p);
  ASSERT_THAT(one, IsOk());
  EXPECT_FALSE(array);
  ASSERT_EQ(one->num_rows(), 1);
  EXPECT_EQ(one->column(0)->Values<double>()[0], 1.5);
  EXPECT_EQ(one->column(1)->Values<int32_t>()[0], 3);
  EXPECT_EQ(one->column(2)->StringValue(0), "red");
  EXPECT_EQ(one->column(3)->DenseRow(0)[1], 2.0);

  auto many = d.Decode(R"([{"x": 1}, {"color": "blue", "x": null}, {}])", &array, &p);
  ASSERT_THAT(many, IsOk());
  EXPECT_TRUE(array);
  ASSERT_EQ(many->num_rows(), 3);
  EXPECT_EQ(many->column(0)->Values<double>()[0], 1.0);  // an integer where a double goes
  EXPECT_TRUE(many->column(0)->IsNull(1));               // explicit null
  EXPECT_TRUE(many->column(2)->IsNull(0));               // missing member
  EXPECT_EQ(many->column(2)->StringValue(1), "blue");
  EXPECT_TRUE(many->column(3)->IsNull(2));

  auto none = d.Decode("[]", &array, &p);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(array);
  EXPECT_EQ(none->num_rows(), 0);
}

TEST(RequestDecoderTest, ProblemsNameTheRowFieldExpectedAndReceived) {
  RequestDecoder d(InputSchema());
  bool array = false;
  DecodeProblem p;
  auto wrong = d.Decode(R"([{"x": 1}, {"x": "high"}])", &array, &p);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "row 1: field 'x': expected float64, got string");
  EXPECT_EQ(p.row, 1);
  EXPECT_EQ(p.problem.field, "x");
  EXPECT_EQ(p.problem.expected, "float64");
  EXPECT_EQ(p.problem.received, "string");

  auto big = d.Decode(R"({"n": 3000000000})", &array, &p);
  EXPECT_EQ(big.status().message(), "field 'n': 3000000000 does not fit int32");
  auto width = d.Decode(R"({"v": [1, 2, 3]})", &array, &p);
  EXPECT_EQ(width.status().message(), "field 'v': vector of 3 values, expected 2");
  EXPECT_EQ(p.problem.received, "an array of 3 numbers");

  auto broken = d.Decode(R"({"x": 1)", &array, &p);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message().rfind("invalid JSON: ", 0), 0u) << broken.status();
  EXPECT_TRUE(p.problem.field.empty());
  auto scalar = d.Decode("42", &array, &p);
  EXPECT_EQ(scalar.status().message(),
            "expected a JSON object or an array of objects, got integer");
  auto inner = d.Decode("[{}, 7]", &array, &p);
  EXPECT_EQ(inner.status().message(), "row 1: expected a JSON object, got integer");
  auto empty = d.Decode("", &array, &p);
  EXPECT_FALSE(empty.ok());
}

// Dates and timestamps arrive as ISO 8601 strings and leave as them (timestamps in UTC).
TEST(RequestDecoderTest, DatesAndTimestampsAreIsoStrings) {
  SchemaPtr schema = *Schema::Make({MakeField("d", DateType()), MakeField("t", TimestampType())});
  RequestDecoder d(schema);
  bool array = false;
  DecodeProblem p;
  auto ok = d.Decode(R"([{"d": "2024-03-01", "t": "2024-03-01T10:00:00-02:00"}, {"d": null}])",
                     &array, &p);
  ASSERT_THAT(ok, IsOk());
  auto enc = ReplyEncoder::Make(*schema, {"d", "t"});
  ASSERT_THAT(enc, IsOk());
  std::string out;
  enc->Encode(*ok, 0, 2, true, &out);
  EXPECT_EQ(out, R"([{"d":"2024-03-01","t":"2024-03-01T12:00:00Z"},{"d":null,"t":null}])");
  auto bad = d.Decode(R"([{"d": "2024-03-01"}, {"d": "2024-02-30"}])", &array, &p);
  EXPECT_EQ(bad.status().message(), "row 1: field 'd': '2024-02-30' is not a date (yyyy-mm-dd)");
  auto number = d.Decode(R"({"t": 17})", &array, &p);
  EXPECT_EQ(number.status().message(), "field 't': expected timestamp, got integer");
}

TEST(ReplyEncoderTest, WritesChosenColumnsAsObjectOrArray) {
  SchemaPtr schema =
      *Schema::Make({MakeField("id", Int64Type()), MakeField("p", DenseVectorType(2)),
                     MakeField("label \"q\"", StringType())});
  Int64Builder id(Int64Type());
  id.Append(7);
  id.AppendNull();
  StringBuilder label;
  label.Append("yes");
  label.Append("no");
  Batch b = *Batch::Make(
      schema, {id.Finish(), MakeDenseVectorColumn({{0.25, 0.75}, {1, 0}}, 2), label.Finish()});
  auto enc = ReplyEncoder::Make(*schema, {"p", "label \"q\"", "id"});
  ASSERT_THAT(enc, IsOk());
  std::string one;
  enc->Encode(b, 0, 1, false, &one);
  EXPECT_EQ(one, R"({"p":[0.25,0.75],"label \"q\"":"yes","id":7})");
  std::string many;
  enc->Encode(b, 0, 2, true, &many);
  EXPECT_EQ(
      many,
      R"([{"p":[0.25,0.75],"label \"q\"":"yes","id":7},{"p":[1,0],"label \"q\"":"no","id":null}])");
  auto missing = ReplyEncoder::Make(*schema, {"prob"});
  EXPECT_NE(missing.status().message().find("reply column 'prob' is not in the output"),
            std::string::npos);
}

TEST(MetricsTest, PrometheusTextHasCountersHistogramsAndGauges) {
  Metrics m({"/predict"});
  m.RecordRequest(0, 200, 0.0003);
  m.RecordRequest(0, 200, 0.002);
  m.RecordRequest(0, 400, 0.00001);
  m.RecordRequest(-1, 404, 0.00001);
  m.RecordBatch(0, 3);
  m.SetModelVersion(0, 2);
  m.in_flight = 5;
  EXPECT_EQ(m.Count(0, 200), 2);
  const std::string text = m.Prometheus();
  for (const char* line : {"ember_requests_total{route=\"/predict\",status=\"200\"} 2\n",
                           "ember_requests_total{route=\"/predict\",status=\"400\"} 1\n",
                           "ember_requests_total{route=\"\",status=\"404\"} 1\n",
                           "ember_request_seconds_bucket{route=\"/predict\",le=\"5e-05\"} 1\n",
                           "ember_request_seconds_bucket{route=\"/predict\",le=\"0.0005\"} 2\n",
                           "ember_request_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 3\n",
                           "ember_request_seconds_count{route=\"/predict\"} 3\n",
                           "ember_batch_rows_bucket{route=\"/predict\",le=\"2\"} 0\n",
                           "ember_batch_rows_bucket{route=\"/predict\",le=\"4\"} 1\n",
                           "ember_in_flight 5\n", "ember_model_version{route=\"/predict\"} 2\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << " not in\n" << text;
  }
}

}  // namespace
}  // namespace ember::serving
