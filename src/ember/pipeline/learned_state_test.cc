// StateSpec: fields, blobs and tables written and read back; versions upgraded through the
// hook; a newer version, a missing field or a value out of bounds refused by name.
#include "ember/pipeline/learned_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

struct DemoState {
  int32_t classes = 0;
  std::vector<double> weights;
  std::vector<std::vector<std::string>> labels;
  std::string blob;
  Batch background;
};

StateSpec<DemoState> DemoSpec(int version) {
  StateSpec<DemoState> spec("DemoModel", "state.json", version);
  spec.Field("numClasses", &DemoState::classes, InRange<int32_t>(2, 100))
      .Field("weights", &DemoState::weights)
      .Field("labels", &DemoState::labels)
      .Blob("net.bin", &DemoState::blob)
      .Table("background.batch", &DemoState::background);
  return spec;
}

Batch Background() {
  auto schema = Schema::Make({MakeField("x", Float64Type()), MakeField("s", StringType())});
  return *Batch::Make(*schema, {MakeColumn<double>({1.5, std::nullopt, -2}),
                                MakeColumn<std::string>({"a", "bb", ""})});
}

LoadContext At(const std::string& dir) { return LoadContext{.dir = dir}; }

TEST(LearnedStateTest, FieldsBlobsAndTablesRoundTrip) {
  const std::string dir = testing::NewTempDir("state");
  const StateSpec<DemoState> spec = DemoSpec(1);
  DemoState s{.classes = 3,
              .weights = {0.5, -1e-300, 7},
              .labels = {{"x", "y"}, {}},
              .blob = std::string("\0\1\2zz", 5),
              .background = Background()};
  ASSERT_THAT(spec.Save(s, dir), IsOk());
  auto back = spec.Load(At(dir));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->classes, 3);
  EXPECT_EQ(back->weights, s.weights);
  EXPECT_EQ(back->labels, s.labels);
  EXPECT_EQ(back->blob, s.blob);
  EXPECT_TRUE(BatchesEqual(back->background, s.background));
  auto text = ReadFileToString(dir + "/data/state.json");
  ASSERT_THAT(text, IsOk());
  EXPECT_NE(text->find("\"stateVersion\":1"), std::string::npos) << *text;
}

TEST(LearnedStateTest, OlderVersionsAreUpgradedNewerOnesRefused) {
  const std::string dir = testing::NewTempDir("state_versions");
  DemoState s{.classes = 2, .background = Background()};
  ASSERT_THAT(DemoSpec(1).Save(s, dir), IsOk());
  // Version 2 renamed "weights" to "coefficients": the hook moves it.
  StateSpec<DemoState> v2("DemoModel", "state.json", 2);
  std::vector<int> upgraded_from;
  v2.Field("numClasses", &DemoState::classes, InRange<int32_t>(2, 100))
      .Field("coefficients", &DemoState::weights)
      .Field("labels", &DemoState::labels)
      .Blob("net.bin", &DemoState::blob)
      .Table("background.batch", &DemoState::background)
      .Upgrade([&](int from, Json* fields) {
        upgraded_from.push_back(from);
        const Json* w = fields->Find("weights");
        if (w == nullptr) return InvalidArgument("no weights");
        fields->Set("coefficients", *w);
        return Status::OK();
      });
  ASSERT_THAT(
      WriteStringToFile(dir + "/data/state.json",
                        R"({"numClasses": 2, "weights": [4.0], "labels": []})"),  // no version: 1
      IsOk());
  auto up = v2.Load(At(dir));
  ASSERT_THAT(up, IsOk());
  EXPECT_EQ(up->weights, std::vector<double>{4.0});
  EXPECT_EQ(upgraded_from, std::vector<int>{1});
  // Without a hook an older version is refused, naming both versions.
  StateSpec<DemoState> v3_no_hook("DemoModel", "state.json", 3);
  auto old = v3_no_hook.Load(At(dir));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("state version 1 has no upgrade to version 3"),
            std::string::npos)
      << old.status();
  // A state from a newer Ember: refused, naming the stage and the versions.
  ASSERT_THAT(DemoSpec(7).Save(s, dir), IsOk());
  auto future = DemoSpec(1).Load(At(dir));
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(future.status().message().find("DemoModel"), std::string::npos) << future.status();
  EXPECT_NE(future.status().message().find("state version 7"), std::string::npos)
      << future.status();
}

TEST(LearnedStateTest, BadStateIsNamed) {
  const std::string dir = testing::NewTempDir("state_bad");
  DemoState s{.classes = 2, .background = Background()};
  ASSERT_THAT(DemoSpec(1).Save(s, dir), IsOk());
  auto load_with = [&](const std::string& json) {
    EXPECT_THAT(WriteStringToFile(dir + "/data/state.json", json), IsOk());
    return DemoSpec(1).Load(At(dir)).status();
  };
  EXPECT_NE(load_with(R"({"numClasses": 1, "weights": [], "labels": []})")
                .message()
                .find("field 'numClasses': must be in [2, 100], got 1"),
            std::string::npos);
  EXPECT_NE(
      load_with(R"({"numClasses": 2, "labels": []})").message().find("missing field 'weights'"),
      std::string::npos);
  EXPECT_NE(load_with(R"({"numClasses": 2, "weights": ["x"], "labels": []})")
                .message()
                .find("field 'weights'"),
            std::string::npos);
  EXPECT_NE(load_with("[1, 2]").message().find("expected a JSON object"), std::string::npos);
  ASSERT_THAT(DemoSpec(1).Save(s, dir), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/data/background.batch", "EMBERTB1garbage"), IsOk());
  EXPECT_EQ(DemoSpec(1).Load(At(dir)).status().code(), StatusCode::kDataLoss);
  ASSERT_THAT(WriteStringToFile(dir + "/data/background.batch", "not a table"), IsOk());
  EXPECT_NE(DemoSpec(1).Load(At(dir)).status().message().find("is not an Ember table"),
            std::string::npos);
  std::filesystem::remove(dir + "/data/net.bin");
  EXPECT_NE(DemoSpec(1).Load(At(dir)).status().message().find("net.bin is missing"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
