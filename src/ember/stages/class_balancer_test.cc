#include "ember/stages/class_balancer.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Labels(const std::vector<std::optional<std::string>>& v) {
  SchemaPtr s = *Schema::Make({MakeField("y", StringType())});
  Batch b = *Batch::Make(s, {MakeColumn(v)}, static_cast<int64_t>(v.size()));
  const int64_t n = b.num_rows();
  return *DataFrame::Make(s, {b.Slice(0, n / 2), b.Slice(n / 2, n - n / 2)});
}

std::vector<std::optional<double>> Weights(const DataFrame& f) {
  Batch b = *f.Collect();
  const Column& c = *b.column(b.schema()->FindField("weight"));
  std::vector<std::optional<double>> out;
  for (int64_t r = 0; r < b.num_rows(); ++r)
    out.push_back(c.IsNull(r) ? std::nullopt : std::optional<double>(c.Values<double>()[r]));
  return out;
}

// 6 "a", 3 "b", 2 "c": weights 1, 2 and 3, each class then weighing 6.
TEST(ClassBalancerTest, EachClassWeighsAsMuchAsTheLargest) {
  std::vector<std::optional<std::string>> y = {"a", "b", "a", "c", "a", "b",
                                               "a", "c", "a", "b", "a", std::nullopt};
  auto model = (*ClassBalancer::Make({.input_col = "y"}))->Fit(Labels(y), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  std::vector<std::optional<std::string>> scored = y;
  scored.push_back("unseen");
  auto out = (*model)->Transform(Labels(scored), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Weights(*out), (std::vector<std::optional<double>>{1, 2, 1, 3, 1, 2, 1, 3, 1, 2, 1,
                                                               std::nullopt, std::nullopt}));
  // Saved and loaded, the same weights.
  const std::string dir = testing::NewTempDir("balancer") + "/model";
  ASSERT_THAT(SaveStage(**model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterClassBalancerStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  auto again = (*loaded)->Transform(Labels(scored), ExecContext::Default());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(FramesEqual(*out, *again));
  // No values at all is an error naming the column; so is a vector column.
  auto none = (*ClassBalancer::Make({.input_col = "y"}))
                  ->Fit(Labels({std::nullopt, std::nullopt}), ExecContext::Default());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("'y'"), std::string::npos);
}

}  // namespace
}  // namespace ember
