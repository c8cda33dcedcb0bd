// GroupBy, Distinct, Sort and Join as stages: from a JSON spec, in a pipeline, on 1 to 3
// thread ranks (the union of the ranks' rows is the one-rank result), and as a kernel on one
// batch (serving, streaming).
#include "ember/frame/frame_stages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/frame/ensemble_by_key.h"
#include "ember/frame/stratified_repartition.h"
#include "ember/pipeline/pipeline.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

DataFrame Sales() {
  auto schema = *Schema::Make({MakeField("shop", StringType()), MakeField("amount", Float64Type()),
                               MakeField("day", Int64Type())});
  Batch b =
      *Batch::Make(schema, {MakeColumn<std::string>({"a", "b", "a", "c", "b", "a", std::nullopt}),
                            MakeColumn<double>({1, 2, 3, std::nullopt, 5, 6, 7}),
                            MakeColumn<int64_t>({3, 1, 2, 5, 4, 7, 6})});
  return *DataFrame::Make(schema, {b.Slice(0, 3), b.Slice(3, 4)});
}

std::vector<std::string> SortedRows(const DataFrame& f) {
  std::vector<std::string> out;
  Batch b = *f.Collect();
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    std::string line;
    for (int c = 0; c < b.num_columns(); ++c) line += FormatValue(*b.column(c), r) + "|";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// `stage` on `ranks` thread ranks, each holding a share of `in`; the rows of all ranks.
std::vector<std::string> OnRanks(const Transformer& stage, const DataFrame& in, int ranks) {
  auto comms = LocalCommunicator::MakeGroup(ranks);
  Batch all = *in.Collect();
  std::vector<DataFrame> outs(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      const int64_t n = all.num_rows(), from = n * r / ranks, to = n * (r + 1) / ranks;
      ExecContext ctx;
      ctx.comm = comms[r].get();
      auto out = stage.Transform(*DataFrame::Make(in.schema(), {all.Slice(from, to - from)}), ctx);
      EXPECT_THAT(out, IsOk()) << "rank " << r;
      if (out.ok()) outs[r] = *out;
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> rows;
  for (const DataFrame& f : outs) {
    if (!f.schema()) continue;
    for (auto& line : SortedRows(f)) rows.push_back(line);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(FrameStagesTest, GroupByFromASpecOnOneToThreeRanks) {
  auto spec = Json::Parse(R"j({"stages": [{"type": "GroupBy", "params": {"keys": ["shop"],
      "aggregations": ["count(*) AS n", "sum(amount) AS total", "max(day)"]}}]})j");
  StageRegistry r;
  ASSERT_THAT(RegisterPipelineStages(&r), IsOk());
  ASSERT_THAT(RegisterFrameStages(&r), IsOk());
  auto pipeline = Pipeline::FromSpec(*spec, r);
  ASSERT_THAT(pipeline, IsOk());
  auto model = (*pipeline)->Fit(Sales(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  auto out = (*model)->Transform(Sales(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(SortedRows(*out),
            (std::vector<std::string>{"a|3|10|7|", "b|2|7|4|", "c|1|null|5|", "null|1|7|6|"}));
  EXPECT_EQ(out->schema()->field_names(),
            (std::vector<std::string>{"shop", "n", "total", "max_day"}));
  auto group_by =
      GroupBy::Make({.keys = {"shop"}, .aggregations = {"count(*) AS n", "sum(amount) AS total"}});
  ASSERT_THAT(group_by, IsOk());
  const auto one = SortedRows(*(*group_by)->Transform(Sales(), ExecContext::Default()));
  EXPECT_EQ(OnRanks(**group_by, Sales(), 2), one);
  EXPECT_EQ(OnRanks(**group_by, Sales(), 3), one);
}

TEST(FrameStagesTest, DistinctSortAndTheirKernels) {
  auto distinct = Distinct::Make({.cols = {"shop"}});
  ASSERT_THAT(distinct, IsOk());
  auto d = (*distinct)->Transform(Sales(), ExecContext::Default());
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->num_rows(), 4);
  EXPECT_EQ(OnRanks(**distinct, Sales(), 3).size(), 4u);
  auto sort = Sort::Make({.key = "day", .ascending = false});
  ASSERT_THAT(sort, IsOk());
  auto sorted = (*sort)->Transform(Sales(), ExecContext::Default());
  ASSERT_THAT(sorted, IsOk());
  Batch s = *sorted->Collect();
  for (int64_t r = 0; r < 7; ++r) EXPECT_EQ(s.column(2)->Values<int64_t>()[r], 7 - r);
  // The kernel applies the operation to one batch alone (a request in serving).
  auto bound = (*sort)->Bind(*Sales().schema());
  ASSERT_THAT(bound, IsOk());
  KernelScratch scratch;
  auto one = (*bound)->Apply(Sales().partition(0), scratch);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(FormatValue(*one->column(2), 0), "3");
  EXPECT_TRUE((*bound)->output_schema()->Equals(*sorted->schema()));
}

TEST(FrameStagesTest, JoinWithATableFile) {
  const std::string dir = testing::NewTempDir("join_stage");
  ASSERT_THAT(WriteStringToFile(dir + "/shops.csv", "shop,city\na,Oslo\nb,Lima\n"), IsOk());
  auto join = Join::Make(
      {.right_path = dir + "/shops.csv", .keys = {"shop"}, .join_type = frame::JoinType::kLeft});
  ASSERT_THAT(join, IsOk());
  auto out = (*join)->Transform(Sales(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->num_rows(), 7);
  EXPECT_EQ(out->schema()->field_names(),
            (std::vector<std::string>{"shop", "amount", "day", "city"}));
  const auto one = SortedRows(*out);
  EXPECT_EQ(OnRanks(**join, Sales(), 2), one);
  auto bound = (*join)->Bind(*Sales().schema());
  ASSERT_THAT(bound, IsOk());
  KernelScratch scratch;
  auto batch = (*bound)->Apply(Sales().partition(0), scratch);
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->num_rows(), 3);
  // A missing table names the param and the file.
  auto missing = Join::Make({.right_path = dir + "/nope.csv", .keys = {"shop"}});
  ASSERT_THAT(missing, IsOk());
  auto failed = (*missing)->Transform(Sales(), ExecContext::Default());
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("param 'rightPath'"), std::string::npos)
      << failed.status();
  EXPECT_NE(failed.status().message().find("nope.csv"), std::string::npos) << failed.status();
}

TEST(FrameStagesTest, BadAggregationsAreNamed) {
  for (const char* bad : {"median(x)", "sum(*)", "count", "sum() AS s", "max(day) AS"}) {
    auto g = GroupBy::Make({.keys = {"shop"}, .aggregations = {bad}});
    ASSERT_FALSE(g.ok()) << bad;
    EXPECT_NE(g.status().message().find("GroupBy param 'aggregations'"), std::string::npos)
        << g.status();
    EXPECT_NE(g.status().message().find(bad), std::string::npos) << g.status();
  }
  auto unknown_col =
      (*GroupBy::Make({.keys = {"nope"}}))->Transform(Sales(), ExecContext::Default());
  ASSERT_FALSE(unknown_col.ok());
  EXPECT_NE(unknown_col.status().message().find("nope"), std::string::npos);
}

// Two models' scores per id: each group's mean, a vector's slot by slot; the same on 1 to
// 3 ranks; without collapsing, every row with its group's means.
DataFrame Scores() {
  auto schema = *Schema::Make({MakeField("id", StringType()), MakeField("score", Float64Type()),
                               MakeField("prob", DenseVectorType(2))});
  Batch b = *Batch::Make(
      schema,
      {MakeColumn<std::string>({"a", "b", "a", "b", "c", std::nullopt}),
       MakeColumn<double>({1, 2, 3, std::nullopt, 5, 7}),
       MakeDenseVectorColumn({{0.2, 0.8}, {0.5, 0.5}, {0.4, 0.6}, {0.1, 0.9}, {1, 0}, {0, 1}}, 2)});
  return *DataFrame::Make(schema, {b.Slice(0, 4), b.Slice(4, 2)});
}

TEST(FrameStagesTest, EnsembleByKeyAveragesEachGroup) {
  auto stage = *EnsembleByKey::Make({.keys = {"id"}, .cols = {"score", "prob"}});
  auto out = stage->Transform(Scores(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names(),
            (std::vector<std::string>{"id", "mean(score)", "mean(prob)"}));
  const std::vector<std::string> expected = {"a|2|[0.30000000000000004,0.7]|", "b|2|[0.3,0.7]|",
                                             "c|5|[1,0]|", "null|7|[0,1]|"};
  EXPECT_EQ(SortedRows(*out), expected);
  for (int ranks : {1, 2, 3}) EXPECT_EQ(OnRanks(*stage, Scores(), ranks), expected) << ranks;

  auto spread = *EnsembleByKey::Make(
      {.keys = {"id"}, .cols = {"score"}, .col_names = {"score"}, .collapse_group = false});
  auto rows = spread->Transform(Scores(), ExecContext::Default());
  ASSERT_THAT(rows, IsOk());
  // The input's score is replaced by its group's mean; the null-key row has no group.
  EXPECT_EQ(rows->schema()->field_names(), (std::vector<std::string>{"id", "prob", "score"}));
  EXPECT_EQ(SortedRows(*rows),
            (std::vector<std::string>{"a|[0.2,0.8]|2|", "a|[0.4,0.6]|2|", "b|[0.1,0.9]|2|",
                                      "b|[0.5,0.5]|2|", "c|[1,0]|5|"}));
  // The kernel on one batch (a served request) averages within it.
  auto kernel = stage->Bind(*Scores().schema());
  ASSERT_THAT(kernel, IsOk());
  KernelScratch scratch;
  auto one = (*kernel)->Apply(Scores().partition(1), scratch);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->num_rows(), 2);
}

TEST(FrameStagesTest, EnsembleByKeyBadParams) {
  auto strings = *EnsembleByKey::Make({.keys = {"score"}, .cols = {"id"}});
  auto out = strings->Transform(Scores(), ExecContext::Default());
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("'id'"), std::string::npos);
  EXPECT_FALSE(
      EnsembleByKey::Make({.keys = {"id"}, .cols = {"score"}, .col_names = {"a", "b"}}).ok());
  EXPECT_FALSE(EnsembleByKey::Make({.keys = {"id"}, .cols = {"score"}, .strategy = "median"}).ok());
  EXPECT_FALSE(EnsembleByKey::Make({.keys = {"id"}, .cols = {"score"}, .col_names = {"id"}}).ok());
  auto dims =
      *EnsembleByKey::Make({.keys = {"id"}, .cols = {"prob"}, .vector_dims = {{"prob", 3}}});
  auto wrong = dims->Transform(Scores(), ExecContext::Default());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("vectorDims"), std::string::npos);
}

// 10 "a", 3 "b", 1 "c" and a null label, in 4 partitions.
DataFrame Skewed() {
  auto schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("label", StringType())});
  std::vector<std::optional<int64_t>> ids;
  std::vector<std::optional<std::string>> labels;
  for (int i = 0; i < 15; ++i) {
    ids.push_back(i);
    labels.push_back(i < 10    ? std::optional<std::string>("a")
                     : i < 13  ? std::optional<std::string>("b")
                     : i == 13 ? std::optional<std::string>("c")
                               : std::nullopt);
  }
  Batch b = *Batch::Make(schema, {MakeColumn(ids), MakeColumn(labels)});
  return *DataFrame::Make(schema, {b.Slice(0, 4), b.Slice(4, 4), b.Slice(8, 4), b.Slice(12, 3)});
}

std::map<std::string, int> LabelCounts(const Batch& b) {
  std::map<std::string, int> n;
  for (int64_t r = 0; r < b.num_rows(); ++r) ++n[FormatValue(*b.column(1), r)];
  return n;
}

TEST(FrameStagesTest, StratifiedRepartitionPutsEveryLabelEverywhere) {
  // equal: each label to max(10, 4 partitions) = 10 rows, 2 or 3 in each partition.
  auto equal = *StratifiedRepartition::Make({.mode = StratifyMode::kEqual, .seed = 7});
  auto out = equal->Transform(Skewed(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->num_partitions(), 4);
  EXPECT_EQ(LabelCounts(*out->Collect()),
            (std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}, {"null", 10}}));
  for (const Batch& part : out->partitions()) {
    for (const auto& [label, n] : LabelCounts(part)) {
      EXPECT_TRUE(n == 2 || n == 3) << label << " " << n;
    }
    EXPECT_EQ(LabelCounts(part).size(), 4u);
  }
  // Exact, even sampling: b's three rows 3, 3 and 4 times.
  std::map<std::string, int> ids;
  Batch all = *out->Collect();
  for (int64_t r = 0; r < all.num_rows(); ++r) {
    if (FormatValue(*all.column(1), r) == "b") ++ids[FormatValue(*all.column(0), r)];
  }
  EXPECT_EQ(ids, (std::map<std::string, int>{{"10", 3}, {"11", 3}, {"12", 4}}));

  // original: every row once, each label spread round-robin.
  auto original = *StratifiedRepartition::Make({.mode = StratifyMode::kOriginal});
  auto same = original->Transform(Skewed(), ExecContext::Default());
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(SortedRows(*same), SortedRows(Skewed()));
  for (const Batch& part : same->partitions()) {
    const int a = LabelCounts(part)["a"];
    EXPECT_TRUE(a == 2 || a == 3) << a;
  }
  // mixed: every label to the same count, M / mean(M / c) = 10 / mean(1, 10/3, 10, 10) = 1.64 -> 2.
  auto mixed = *StratifiedRepartition::Make({});
  auto m = mixed->Transform(Skewed(), ExecContext::Default());
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(LabelCounts(*m->Collect()),
            (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"null", 2}}));

  // On 1 to 3 ranks (each with its share in one partition), the same rows in all.
  const auto one = OnRanks(*equal, Skewed(), 1);
  EXPECT_EQ(OnRanks(*equal, Skewed(), 2), one);
  EXPECT_EQ(OnRanks(*equal, Skewed(), 3), one);
  // Served (one batch), rows pass unchanged; a vector label is refused, naming the column.
  auto kernel = equal->Bind(*Skewed().schema());
  ASSERT_THAT(kernel, IsOk());
  KernelScratch scratch;
  EXPECT_EQ((*kernel)->Apply(Skewed().partition(0), scratch)->num_rows(), 4);
  auto bad = (*StratifiedRepartition::Make({.label_col = "prob"}))
                 ->Transform(Scores(), ExecContext::Default());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'prob'"), std::string::npos);
}

}  // namespace
}  // namespace ember
