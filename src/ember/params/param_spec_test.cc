#include "ember/params/param_spec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/params/scalar_or_column.h"

namespace ember {
namespace {

enum class Mode { kError, kSkip, kKeep };

struct DemoParams {
  std::string input_col;
  int32_t num_leaves = 31;
  double rate = 0.1;
  bool verbose = false;
  std::vector<std::string> cols = {"a"};
  std::optional<int64_t> seed;
  Mode mode = Mode::kError;
  ScalarOrColumn<double> weight = 1.0;

  static const ParamSpec<DemoParams>& Spec() {
    static const ParamSpec<DemoParams> spec = std::move(
        ParamSpec<DemoParams>("Demo")
            .Add("inputCol", &DemoParams::input_col, "Input column.", NonEmpty<std::string>())
            .Add("numLeaves", &DemoParams::num_leaves, "Leaves per tree.",
                 InRange<int32_t>(2, 1024))
            .Add("rate", &DemoParams::rate, "Learning rate.", AtLeast(0.0))
            .Add("verbose", &DemoParams::verbose, "Print progress.")
            .Add("cols", &DemoParams::cols, "Columns.")
            .Add("seed", &DemoParams::seed, "Random seed.")
            .AddEnum("mode", &DemoParams::mode,
                     {{"error", Mode::kError}, {"skip", Mode::kSkip}, {"keep", Mode::kKeep}},
                     "What to do with bad rows.")
            .Add("weight", &DemoParams::weight, "Weight per row."));
    return spec;
  }
};

// A param group shared by two stages' params (as the HTTP call params are).
struct RetryGroup {
  int32_t attempts = 3;
  std::vector<int64_t> waits_ms = {10, 20};
  static const ParamSpec<RetryGroup>& Spec() {
    static const ParamSpec<RetryGroup> spec =
        std::move(ParamSpec<RetryGroup>("retry")
                      .Add("attempts", &RetryGroup::attempts, "Tries.", InRange<int32_t>(1, 10))
                      .Add("waitsMs", &RetryGroup::waits_ms, "Waits.", Each(AtLeast<int64_t>(0))));
    return spec;
  }
};

struct WithGroupParams {
  std::string url;
  std::map<std::string, std::string> headers;
  RetryGroup retry;
  static const ParamSpec<WithGroupParams>& Spec() {
    static const ParamSpec<WithGroupParams> spec =
        std::move(ParamSpec<WithGroupParams>("Caller")
                      .Add("url", &WithGroupParams::url, "Where.")
                      .Add("headers", &WithGroupParams::headers, "Sent with each call.")
                      .AddGroup(&WithGroupParams::retry, RetryGroup::Spec()));
    return spec;
  }
};

TEST(ParamSpecTest, AGroupSitsInTheFlatJsonAndErrorsNameTheOwner) {
  WithGroupParams p{.url = "u", .headers = {{"A", "1"}}, .retry = {.attempts = 5}};
  const Json j = WithGroupParams::Spec().ToJson(p);
  EXPECT_EQ(j.Dump(), R"({"url":"u","headers":{"A":"1"},"attempts":5,"waitsMs":[10,20]})");
  auto back = WithGroupParams::Spec().FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->retry.attempts, 5);
  EXPECT_EQ(back->headers.at("A"), "1");
  const auto docs = WithGroupParams::Spec().Describe();
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[2].name, "attempts");
  EXPECT_EQ(docs[2].default_value.Dump(), "3");
  EXPECT_EQ(docs[1].type, "map<string,string>");
  EXPECT_EQ(docs[3].constraint, "each >= 0");
  // A group member of the wrong type, out of range, or a bad element: the owner and param.
  auto wrong = WithGroupParams::Spec().FromJson(*Json::Parse(R"({"attempts": "many"})"));
  EXPECT_EQ(wrong.status().message().rfind("Caller param 'attempts'", 0), 0u) << wrong.status();
  auto range = WithGroupParams::Spec().FromJson(*Json::Parse(R"({"attempts": 11})"));
  EXPECT_EQ(range.status().message().rfind("Caller param 'attempts'", 0), 0u) << range.status();
  auto element = WithGroupParams::Spec().FromJson(*Json::Parse(R"({"waitsMs": [1, -2]})"));
  EXPECT_NE(element.status().message().find("element 1"), std::string::npos) << element.status();
  auto header = WithGroupParams::Spec().FromJson(*Json::Parse(R"({"headers": {"A": 1}})"));
  EXPECT_NE(header.status().message().find("key 'A'"), std::string::npos) << header.status();
  EXPECT_FALSE(WithGroupParams::Spec().FromJson(*Json::Parse(R"({"headers": []})")).ok());
}

TEST(ParamSpecTest, JsonRoundTripKeepsEveryParam) {
  DemoParams p{.input_col = "x",
               .num_leaves = 63,
               .seed = 7,
               .mode = Mode::kKeep,
               .weight = ScalarOrColumn<double>::Column("w")};
  Json j = DemoParams::Spec().ToJson(p);
  EXPECT_EQ(j.Dump(), R"({"inputCol":"x","numLeaves":63,"rate":0.1,"verbose":false,"cols":["a"],)"
                      R"("seed":7,"mode":"keep","weight":{"column":"w"}})");
  Result<DemoParams> back = DemoParams::Spec().FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->num_leaves, 63);
  EXPECT_EQ(back->mode, Mode::kKeep);
  EXPECT_EQ(*back->seed, 7);
  EXPECT_TRUE(back->weight.is_column());
  EXPECT_EQ(DemoParams::Spec().ToJson(*back), j);
}

TEST(ParamSpecTest, MissingKeysTakeDefaults) {
  Result<DemoParams> p = DemoParams::Spec().FromJson(*Json::Parse(R"({"inputCol":"x"})"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->num_leaves, 31);
  EXPECT_FALSE(p->seed.has_value());
}

TEST(ParamSpecTest, ValidationErrorsNameStageAndParam) {
  auto r = DemoParams::Spec().FromJson(*Json::Parse(R"({"inputCol":"x","numLeaves":1})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Demo param 'numLeaves': must be in [2, 1024], got 1");
  auto e = DemoParams::Spec().FromJson(*Json::Parse(R"({})"));
  EXPECT_EQ(e.status().message(), "Demo param 'inputCol': must not be empty");
  auto t = DemoParams::Spec().FromJson(*Json::Parse(R"({"inputCol":"x","rate":"fast"})"));
  EXPECT_EQ(t.status().message(),
            "Demo param 'rate': expected a number (or \"Infinity\", \"-Infinity\", \"NaN\"), "
            "got \"fast\"");
  auto m = DemoParams::Spec().FromJson(*Json::Parse(R"({"inputCol":"x","mode":"drop"})"));
  EXPECT_EQ(m.status().message(),
            "Demo param 'mode': expected one of {error|skip|keep}, got \"drop\"");
  auto o = DemoParams::Spec().FromJson(*Json::Parse(R"({"inputCol":"x","numLeaves":5000000000})"));
  EXPECT_FALSE(o.ok());
}

// JSON has no infinities: params write them as strings and read them back.
TEST(ParamSpecTest, NonFiniteDoublesRoundTripAsStrings) {
  for (const double v : {INFINITY, -INFINITY}) {
    const Json j = JsonCodec<double>::ToJson(v);
    ASSERT_TRUE(j.is_string()) << j.Dump();
    double back = 0;
    ASSERT_TRUE(JsonCodec<double>::FromJson(j, &back).ok());
    EXPECT_EQ(back, v);
  }
  double nan = 0;
  ASSERT_TRUE(JsonCodec<double>::FromJson(JsonCodec<double>::ToJson(NAN), &nan).ok());
  EXPECT_TRUE(std::isnan(nan));
  double x = 0;
  for (const char* text : {"inf", "+Inf", "INFINITY"}) {
    ASSERT_TRUE(JsonCodec<double>::FromJson(Json(text), &x).ok()) << text;
    EXPECT_EQ(x, INFINITY) << text;
  }
  ASSERT_TRUE(JsonCodec<double>::FromJson(Json("-inf"), &x).ok());
  EXPECT_EQ(x, -INFINITY);
  EXPECT_FALSE(JsonCodec<double>::FromJson(Json("infinite"), &x).ok());
}

TEST(ParamSpecTest, UnknownParamSuggestsClosest) {
  DemoParams p;
  Status s = DemoParams::Spec().Set(&p, "numLeafs", Json(3));
  EXPECT_NE(s.message().find("unknown param 'numLeafs' for Demo; did you mean 'numLeaves'?"),
            std::string::npos)
      << s;
}

TEST(ParamSpecTest, DescribeListsTypesDefaultsAndConstraints) {
  auto info = DemoParams::Spec().Describe();
  ASSERT_EQ(info.size(), 8u);
  EXPECT_EQ(info[1].name, "numLeaves");
  EXPECT_EQ(info[1].type, "int");
  EXPECT_EQ(info[1].default_value, Json(31));
  EXPECT_EQ(info[1].constraint, "in [2, 1024]");
  EXPECT_EQ(info[6].type, "enum{error|skip|keep}");
  EXPECT_EQ(info[7].type, "scalar-or-column<double>");
}

TEST(ScalarOrColumnTest, ResolvesScalarOrPerRowValues) {
  SchemaPtr schema = *Schema::Make({MakeField("w", Int64Type()), MakeField("s", StringType())});
  Batch batch = *Batch::Make(
      schema, {MakeColumn<int64_t>({2, std::nullopt}), MakeColumn<std::string>({"a", "b"})});
  ScalarOrColumn<double> scalar = 0.5;
  auto bs = scalar.Bind(*schema, "weight");
  ASSERT_TRUE(bs.ok());
  EXPECT_EQ(*bs->Resolve(batch).Get(1), 0.5);
  auto col = ScalarOrColumn<double>::Column("w");
  auto bc = col.Bind(*schema, "weight");
  ASSERT_TRUE(bc.ok());
  auto view = bc->Resolve(batch);
  EXPECT_EQ(*view.Get(0), 2.0);
  EXPECT_FALSE(view.Get(1).has_value());
  auto bad = ScalarOrColumn<double>::Column("s").Bind(*schema, "weight");
  EXPECT_EQ(bad.status().message(), "param 'weight': column 's' has type string, expected double");
  auto missing = ScalarOrColumn<double>::Column("q").Bind(*schema, "weight");
  EXPECT_EQ(missing.status().message(), "param 'weight': column 'q' not found; columns are: w, s");
}

}  // namespace
}  // namespace ember
