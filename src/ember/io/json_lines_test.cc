#include "ember/io/json_lines.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::FrameEq;
using ::ember::testing::IsOk;

Result<JsonReadResult> Parse(std::string_view text, JsonReadOptions o = {}) {
  return ParseJsonLines(ExecContext::Default(), text, "t.jsonl", o);
}

TEST(JsonLinesTest, InfersNestedSchema) {
  auto r = Parse(
      "{\"a\": 1, \"b\": \"x\", \"c\": [1, 2], \"d\": {\"e\": true}}\n"
      "{\"a\": 2.5, \"c\": [], \"d\": {\"f\": \"y\"}, \"g\": null}\n"
      "\n"
      "{\"a\": null, \"b\": \"z\", \"c\": [3.5], \"d\": null}\n");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->frame.schema()->ToString(),
            "a: float64\nb: string\nc: list<float64>\nd: struct<e: bool, f: string>\ng: string\n");
  Batch b = *r->frame.Collect();
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_EQ(FormatValue(*b.column(0), 1), "2.5");
  EXPECT_EQ(FormatValue(*b.column(1), 1), "null");
  EXPECT_EQ(FormatValue(*b.column(2), 0), "[1,2]");
  EXPECT_EQ(FormatValue(*b.column(3), 0), R"({"e":true,"f":null})");
  EXPECT_EQ(FormatValue(*b.column(3), 2), "null");
}

TEST(JsonLinesTest, ConflictingTypesBecomeJsonText) {
  auto r = Parse("{\"v\": 1}\n{\"v\": \"two\"}\n{\"v\": {\"x\": 3}}\n");
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(b.schema()->field(0).type->ToString(), "string");
  EXPECT_EQ(b.column(0)->StringValue(0), "1");
  EXPECT_EQ(b.column(0)->StringValue(2), R"({"x":3})");
}

TEST(JsonLinesTest, MalformedLinesFollowThePolicy) {
  std::string text = "{\"a\": 1}\n{\"a\": \n[1]\n{\"a\": 4}\n";
  auto err = Parse(text);
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("t.jsonl:2: invalid JSON"), std::string::npos)
      << err.status();
  JsonReadOptions skip;
  skip.bad_rows = BadRowPolicy::kSkip;
  auto s = Parse(text, skip);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->frame.num_rows(), 2);
  EXPECT_EQ(s->stats.bad_rows, 2);
  EXPECT_EQ(s->stats.first_errors[1], "t.jsonl:3: expected a JSON object, got array");
  JsonReadOptions keep;
  keep.bad_rows = BadRowPolicy::kKeep;
  auto k = Parse(text, keep);
  ASSERT_THAT(k, IsOk());
  Batch b = *k->frame.Collect();
  EXPECT_EQ(b.num_rows(), 4);
  EXPECT_TRUE(b.column(0)->IsNull(1));
  EXPECT_NE(b.column(1)->StringValue(2).find("| [1]"), std::string::npos);
}

TEST(JsonLinesTest, ExplicitSchemaChecksTypesAndReadsVectors) {
  JsonReadOptions o;
  o.schema = *Schema::Make({MakeField("id", Int32Type()), MakeField("v", DenseVectorType(2)),
                            MakeField("s", SparseVectorType(5)), MakeField("bin", BinaryType())});
  auto r = Parse(
      R"({"id": 1, "v": [1, 2], "s": {"size": 5, "indices": [0, 3], "values": [1, 2]}, "bin": "AAE=", "extra": 1})"
      "\n",
      o);
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(b.column(1)->DenseRow(0)[1], 2);
  EXPECT_EQ(b.column(2)->SparseIndices(0)[1], 3);
  EXPECT_EQ(b.column(3)->StringValue(0), std::string("\0\1", 2));
  auto bad = Parse("{\"id\": \"x\"}\n", o);
  EXPECT_EQ(bad.status().message(), "t.jsonl:1: field 'id': expected int32, got string");
  auto shortv = Parse("{\"v\": [1]}\n", o);
  EXPECT_EQ(shortv.status().message(), "t.jsonl:1: field 'v': vector of 1 values, expected 2");
}

TEST(JsonLinesTest, DatesAndTimestampsAreIsoStrings) {
  JsonReadOptions o;
  o.schema = *Schema::Make({MakeField("d", DateType()), MakeField("t", TimestampType())});
  auto r = Parse(R"({"d": "2024-03-01", "t": "2024-03-01T10:00:00+01:00"})"
                 "\n"
                 R"({"d": null, "t": "1970-01-01 00:00:00.25"})"
                 "\n",
                 o);
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(FormatValue(*b.column(1), 0), "2024-03-01 09:00:00");
  EXPECT_EQ(b.column(1)->Values<int64_t>()[1], 250000);
  std::string json;
  AppendValueJson(*b.column(1), 0, &json);
  json += ",";
  AppendValueJson(*b.column(0), 0, &json);
  EXPECT_EQ(json, "\"2024-03-01T09:00:00Z\",\"2024-03-01\"");
  auto bad = Parse(R"({"d": "01/03/2024"})"
                   "\n",
                   o);
  EXPECT_EQ(bad.status().message(),
            "t.jsonl:1: field 'd': '01/03/2024' is not a date (yyyy-mm-dd)");
  auto number = Parse(R"({"t": 1709287200})"
                      "\n",
                      o);
  EXPECT_EQ(number.status().message(), "t.jsonl:1: field 't': expected timestamp, got integer");
  std::string path = testing::NewTempDir("jsonl") + "/dates.jsonl";
  ASSERT_THAT(WriteJsonLines(ExecContext::Default(), r->frame, path), IsOk());
  auto back = ReadJsonLines(ExecContext::Default(), path, o);
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(*back, FrameEq(r->frame));
}

TEST(JsonLinesTest, WriteReadRoundTripOfEveryType) {
  DataFrame in = testing::MixedFrame();
  std::string path = testing::NewTempDir("jsonl") + "/out.jsonl";
  ASSERT_THAT(WriteJsonLines(ExecContext::Default(), in, path), IsOk());
  JsonReadOptions o;
  o.schema = in.schema();
  auto back = ReadJsonLines(ExecContext::Default(), path, o);
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(*back, FrameEq(in));
}

TEST(JsonLinesTest, BlocksAndRanksAgree) {
  std::mt19937 rng(3);
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += "{\"i\": " + std::to_string(i) +
            ", \"x\": " + (rng() % 3 ? std::to_string(rng() % 100) : "1.5") +
            ", \"t\": [\"a\", \"b\"]}\n";
  }
  auto ref = Parse(text);
  ASSERT_THAT(ref, IsOk());
  for (int64_t bs : {1, 13, 100, 5000}) {
    JsonReadOptions o;
    o.block_size = bs;
    auto r = Parse(text, o);
    ASSERT_THAT(r, IsOk());
    EXPECT_THAT(r->frame, FrameEq(ref->frame)) << bs;
  }
  auto comms = LocalCommunicator::MakeGroup(2);
  std::vector<Batch> all;
  std::vector<Result<JsonReadResult>> parts(2, Result<JsonReadResult>(Internal("not run")));
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx = ExecContext::Default();
      ctx.comm = comms[r].get();
      parts[r] = ParseJsonLines(ctx, text, "t", {});
    });
  }
  for (auto& t : threads) t.join();
  for (auto& p : parts) {
    ASSERT_THAT(p, IsOk());
    for (const Batch& b : p->frame.partitions()) all.push_back(b);
  }
  EXPECT_THAT(*DataFrame::Make(ref->frame.schema(), all), FrameEq(ref->frame));
}

}  // namespace
}  // namespace ember
