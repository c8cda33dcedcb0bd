#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/repartition.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

const ExecContext& Ctx() { return ExecContext::Default(); }

TEST(SelectColumnsTest, KeepsListedColumnsInOrderSharingData) {
  DataFrame in = testing::MixedFrame();
  auto s = *SelectColumns::Make({.cols = {"name", "id"}});
  auto out = s->Transform(in, Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (std::vector<std::string>{"name", "id"}));
  EXPECT_EQ(out->partition(1).column(1).get(), in.partition(1).column(0).get());
}

TEST(SelectColumnsTest, MisspelledColumnNamesItAndListsColumns) {
  auto s = *SelectColumns::Make({.cols = {"nmae"}});
  auto out = s->Transform(testing::MixedFrame(), Ctx());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find(
                "column 'nmae' not found; columns are: id, x, name, flag, features"),
            std::string::npos)
      << out.status();
  EXPECT_NE(out.status().message().find("SelectColumns '"), std::string::npos);
}

TEST(SelectColumnsTest, EmptyOrDuplicateListIsRejected) {
  EXPECT_FALSE(SelectColumns::Make({.cols = {}}).ok());
  auto dup = SelectColumns::Make({.cols = {"a", "a"}});
  EXPECT_NE(dup.status().message().find("listed twice"), std::string::npos);
}

// A row per tag: ids 0 and 4 (empty, null) give none; id 7's null tag is a null value.
TEST(ExplodeTest, ARowPerElementOtherColumnsRepeated) {
  auto explode = *Explode::Make({.input_col = "tags", .output_col = "tag"});
  auto out = explode->Transform(testing::ListFrame(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  const Batch b = *out->Collect();
  std::vector<std::string> got;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    got.push_back(std::to_string(b.column(0)->Values<int64_t>()[r]) + ":" +
                  (b.column(2)->IsNull(r) ? "null" : std::string(b.column(2)->StringValue(r))));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1:t1", "2:t2", "2:t3", "3:t3", "3:t4", "3:t5", "5:t5",
                                           "6:t6", "6:t7", "7:t7", "7:null", "7:t9", "9:t9",
                                           "10:t10", "10:t11", "11:t11", "11:t12", "11:t13"}));
  auto wrong = (*Explode::Make({.input_col = "id", .output_col = "tag"}))
                   ->Transform(testing::ListFrame(), ExecContext::Default());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("'id'"), std::string::npos);
}

TEST(DropColumnsTest, DropsAndRejectsUnknown) {
  auto d = *DropColumns::Make({.cols = {"x", "flag"}});
  auto out = d->Transform(testing::MixedFrame(), Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(), (std::vector<std::string>{"id", "name", "features"}));
  auto bad = (*DropColumns::Make({.cols = {"flags"}}))->Transform(testing::MixedFrame(), Ctx());
  EXPECT_NE(bad.status().message().find("column 'flags' not found"), std::string::npos);
}

TEST(RenameColumnTest, RenamesKeepingMetadataAndRefusesClash) {
  auto r = *RenameColumn::Make({.input_col = "features", .output_col = "f"});
  auto out = r->Transform(testing::MixedFrame(), Ctx());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field(4).name, "f");
  EXPECT_EQ(*SlotNames(out->schema()->field(4)), (std::vector<std::string>{"f0", "f1"}));
  auto clash = (*RenameColumn::Make({.input_col = "x", .output_col = "id"}))
                   ->Transform(testing::MixedFrame(), Ctx());
  EXPECT_NE(clash.status().message().find("column 'id' already exists"), std::string::npos);
}

TEST(RepartitionTest, SplitsEvenlyKeepingOrder) {
  DataFrame in = testing::MixedFrame();  // 4 + 5 + 6 rows
  for (int n : {1, 2, 4, 15, 20}) {
    auto out = (*Repartition::Make({.n = n}))->Transform(in, Ctx());
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(out->num_partitions(), n);
    int64_t mn = INT64_MAX, mx = 0;
    for (const Batch& b : out->partitions()) {
      mn = std::min(mn, b.num_rows());
      mx = std::max(mx, b.num_rows());
    }
    EXPECT_LE(mx - mn, 1) << n;
    EXPECT_EQ(DescribeDifference(*out, in), "") << n;
  }
  EXPECT_FALSE(Repartition::Make({.n = 0}).ok());
}

}  // namespace
}  // namespace ember

#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"

namespace ember {
namespace {

TEST(PipelineSaveTest, MoreThanOneHundredStagesRoundTrip) {
  std::vector<std::shared_ptr<const Stage>> stages;
  for (int i = 0; i < 105; ++i) stages.push_back(*SelectColumns::Make({.cols = {"id", "x"}}));
  auto p = *Pipeline::Make(stages);
  std::string dir = testing::NewTempDir("long") + "/p";
  ASSERT_THAT(SaveStage(*p, dir), IsOk());
  auto back = LoadStage(dir, DefaultRegistry());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(static_cast<const Pipeline&>(**back).stages().size(), 105u);
  EXPECT_EQ(static_cast<const Pipeline&>(**back).stages()[104]->uid(), stages[104]->uid());
}

}  // namespace
}  // namespace ember
