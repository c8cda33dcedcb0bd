// The distributed frame operations on 1, 2 and 3 thread ranks (LocalCommunicator): the
// union of the ranks' shares must be the one-rank result.
#include "ember/frame/frame_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "ember/core/batch_codec.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"

namespace ember::frame {
namespace {

// 60 rows: id, a key with repeats and nulls, a number, a group.
DataFrame Table(int64_t rows = 60, int64_t id_base = 0) {
  std::vector<std::optional<int64_t>> id;
  std::vector<std::optional<std::string>> key;
  std::vector<std::optional<double>> x;
  std::vector<std::optional<int32_t>> grp;
  for (int64_t i = 0; i < rows; ++i) {
    id.push_back(id_base + i);
    key.push_back(i % 11 == 3 ? std::nullopt
                              : std::optional<std::string>("k" + std::to_string(i * 7 % 9)));
    x.push_back(i % 13 == 5 ? std::nullopt
                            : std::optional<double>(0.5 * static_cast<double>((i * 37) % 23) - 3));
    grp.push_back(static_cast<int32_t>(i % 4));
  }
  auto schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("key", StringType()),
                               MakeField("x", Float64Type()), MakeField("grp", Int32Type())});
  // Three partitions of uneven sizes.
  Batch all =
      *Batch::Make(schema, {MakeColumn(id), MakeColumn(key), MakeColumn(x), MakeColumn(grp)});
  return *DataFrame::Make(schema, {all.Slice(0, rows / 4), all.Slice(rows / 4, rows / 2),
                                   all.Slice(rows * 3 / 4, rows)});
}

// Rank r's share of `frame`: its r-th contiguous part of the rows.
DataFrame ShareOf(const DataFrame& frame, int rank, int ranks) {
  Batch all = *frame.Collect();
  const int64_t n = all.num_rows();
  const int64_t from = n * rank / ranks, to = n * (rank + 1) / ranks;
  // Two partitions per rank, so that partition order matters too.
  const int64_t mid = (from + to) / 2;
  return *DataFrame::Make(frame.schema(), {all.Slice(from, mid - from), all.Slice(mid, to - mid)});
}

using Op = std::function<Result<DataFrame>(int rank, int ranks, const ExecContext& ctx)>;

// Runs `op` on `ranks` thread ranks; each rank's result.
std::vector<DataFrame> OnRanks(int ranks, const Op& op) {
  auto comms = LocalCommunicator::MakeGroup(ranks);
  std::vector<Result<DataFrame>> results(ranks, Result<DataFrame>(Internal("not run")));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx;
      ctx.comm = comms[r].get();
      results[r] = op(r, ranks, ctx);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<DataFrame> out;
  for (int r = 0; r < ranks; ++r) {
    EXPECT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r].status().ToString();
    out.push_back(results[r].ok() ? *results[r] : DataFrame());
  }
  return out;
}

// The rows of `frames` as sorted text lines (a multiset).
std::vector<std::string> Rows(const std::vector<DataFrame>& frames) {
  std::vector<std::string> out;
  for (const DataFrame& f : frames) {
    for (const Batch& b : f.partitions()) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        std::string line;
        for (int c = 0; c < b.num_columns(); ++c) line += FormatValue(*b.column(c), r) + "|";
        out.push_back(line);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// `op` on 1, 2 and 3 ranks, each on its share of the inputs: the same rows in all.
void ExpectSameOnAnyRanks(const Op& op, size_t expected_rows) {
  const std::vector<std::string> one = Rows(OnRanks(1, op));
  EXPECT_EQ(one.size(), expected_rows);
  for (int ranks : {2, 3}) EXPECT_EQ(Rows(OnRanks(ranks, op)), one) << ranks << " ranks";
}

TEST(FrameOpsTest, RepartitionRoundRobinSpreadsRowsEvenly) {
  const DataFrame t = Table();
  auto shares = OnRanks(3, [&](int r, int n, const ExecContext& ctx) {
    return RepartitionRoundRobin(ShareOf(t, r, n), ctx);
  });
  EXPECT_EQ(Rows(shares), Rows({t}));
  for (const DataFrame& s : shares) EXPECT_EQ(s.num_rows(), 20);
}

TEST(FrameOpsTest, RepartitionByHashBringsEqualKeysTogether) {
  const DataFrame t = Table();
  auto shares = OnRanks(3, [&](int r, int n, const ExecContext& ctx) {
    return RepartitionByHash(ShareOf(t, r, n), {"key"}, ctx);
  });
  EXPECT_EQ(Rows(shares), Rows({t}));
  std::map<std::string, std::set<int>> ranks_of_key;
  for (int r = 0; r < 3; ++r) {
    for (const Batch& b : shares[r].partitions()) {
      for (int64_t i = 0; i < b.num_rows(); ++i)
        ranks_of_key[FormatValue(*b.column(1), i)].insert(r);
    }
  }
  for (const auto& [key, ranks] : ranks_of_key) EXPECT_EQ(ranks.size(), 1u) << key;
  EXPECT_GT(ranks_of_key.size(), 5u);
}

// A one-column int64 key without nulls is hashed straight to destination bitmasks (with
// vector instructions or without); with a null it goes the general way. Both must send
// every key to the same rank, or joins of such frames would miss rows.
TEST(FrameOpsTest, OneIntegerKeyGoesWhereTheGeneralHashSendsIt) {
  std::vector<std::optional<int64_t>> keys;
  for (int64_t i = 0; i < 1000; ++i)
    keys.push_back(i * i * 7919 - 500000 + (i % 3 == 0 ? int64_t{1} << 40 : 0));
  auto schema = *Schema::Make({MakeField("k", Int64Type())});
  const DataFrame flat = DataFrame::FromBatch(*Batch::Make(schema, {MakeColumn(keys)}));
  for (size_t i = 0; i < keys.size(); i += 37)
    keys.insert(keys.begin() + static_cast<std::ptrdiff_t>(i), std::nullopt);
  const DataFrame with_null =
      DataFrame::FromBatch(*Batch::Make(schema, {MakeColumn(keys)}));  // in every share
  for (bool vector : {true, false}) {
    const bool was = UseVectorSplitting(vector);
    for (int ranks : {2, 3, 4, 5}) {
      std::map<std::string, int> rank_of;
      for (const DataFrame* t : {&flat, &with_null}) {
        auto shares = OnRanks(ranks, [&](int r, int n, const ExecContext& ctx) {
          return RepartitionByHash(ShareOf(*t, r, n), {"k"}, ctx);
        });
        std::set<int> used;
        for (int r = 0; r < ranks; ++r) {
          for (const Batch& b : shares[r].partitions()) {
            for (int64_t i = 0; i < b.num_rows(); ++i) {
              const std::string key = FormatValue(*b.column(0), i);
              auto [at, fresh] = rank_of.emplace(key, r);
              EXPECT_EQ(at->second, r) << key << " on " << ranks << " ranks, vector " << vector;
              used.insert(r);
            }
          }
        }
        EXPECT_EQ(static_cast<int>(used.size()), ranks);
      }
    }
    UseVectorSplitting(was);
  }
}

// Columns without nulls and unsliced take the scattering path; every type of it.
TEST(FrameOpsTest, RepartitionScattersFlatColumnsOfEveryWidth) {
  std::vector<std::optional<int64_t>> a;
  std::vector<std::optional<double>> b;
  std::vector<std::optional<int32_t>> c;
  std::vector<std::optional<float>> d;
  std::vector<std::optional<std::string>> e;
  for (int i = 0; i < 500; ++i) {
    a.push_back(i);
    b.push_back(i * 0.25);
    c.push_back(-i);
    d.push_back(static_cast<float>(i) / 3);
    e.push_back(std::string(static_cast<size_t>(i % 13), static_cast<char>('a' + i % 26)));
  }
  auto schema = *Schema::Make({MakeField("a", Int64Type()), MakeField("b", Float64Type()),
                               MakeField("c", Int32Type()), MakeField("d", Float32Type()),
                               MakeField("e", StringType())});
  const DataFrame t = DataFrame::FromBatch(*Batch::Make(
      schema, {MakeColumn(a), MakeColumn(b), MakeColumn(c), MakeColumn(d), MakeColumn(e)}));
  for (int ranks : {2, 3}) {
    auto shares = OnRanks(ranks, [&](int r, int n, const ExecContext& ctx) {
      // Each rank's share fresh (offset 0), so the scatter runs.
      Batch mine = *ShareOf(t, r, n).Collect();
      return RepartitionByHash(DataFrame::FromBatch(mine), {"e"}, ctx);
    });
    EXPECT_EQ(Rows(shares), Rows({t})) << ranks << " ranks";
  }
}

TEST(FrameOpsTest, BroadcastAllGatherAndCollect) {
  const DataFrame t = Table();
  auto b = OnRanks(3, [&](int r, int n, const ExecContext& ctx) {
    return BroadcastFrame(ShareOf(t, r, n), 1, ctx);
  });
  for (const DataFrame& f : b) EXPECT_EQ(Rows({f}), Rows({ShareOf(t, 1, 3)}));
  auto g = OnRanks(3, [&](int r, int n, const ExecContext& ctx) {
    return AllGatherFrame(ShareOf(t, r, n), ctx);
  });
  for (const DataFrame& f : g)
    EXPECT_TRUE(FramesEqual(f, t)) << DescribeDifference(f, t);  // in rank order
  auto c = OnRanks(3, [&](int r, int n, const ExecContext& ctx) {
    return CollectToRank(ShareOf(t, r, n), 2, ctx);
  });
  EXPECT_TRUE(FramesEqual(c[2], t));
  EXPECT_EQ(c[0].num_rows(), 0);
  EXPECT_EQ(c[1].num_rows(), 0);
}

TEST(FrameOpsTest, JoinsAreTheSameOnAnyRanksBroadcastOrHashed) {
  const DataFrame left = Table();
  // The right side: one row per key k0..k9 (k9 matches nothing), with a value.
  auto rs = *Schema::Make({MakeField("key", StringType()), MakeField("v", Int64Type())});
  std::vector<std::optional<std::string>> keys;
  std::vector<std::optional<int64_t>> vals;
  for (int k = 0; k < 10; ++k) {
    keys.push_back("k" + std::to_string(k));
    vals.push_back(k * 100);
  }
  keys.push_back("k2");  // a key twice: its left rows match two right rows
  vals.push_back(-1);
  keys.push_back(std::nullopt);  // a null key matches nothing
  vals.push_back(-2);
  const DataFrame right =
      DataFrame::FromBatch(*Batch::Make(rs, {MakeColumn(keys), MakeColumn(vals)}));
  // Expected sizes by brute force: left rows with key k (not null), times right rows with k.
  size_t inner = 0, left_rows = 0;
  for (const std::string& row : Rows({left})) {
    const std::string key =
        row.substr(row.find('|') + 1, row.find('|', row.find('|') + 1) - row.find('|') - 1);
    const size_t m = key == "null" ? 0 : (key == "k2" ? 2 : 1);
    inner += m;
    left_rows += std::max<size_t>(m, 1);
  }
  for (int64_t broadcast_max : {int64_t{100000}, int64_t{0}}) {
    for (JoinType type : {JoinType::kInner, JoinType::kLeft}) {
      JoinOptions o{.type = type, .keys = {"key"}, .broadcast_max_rows = broadcast_max};
      ExpectSameOnAnyRanks(
          [&](int r, int n, const ExecContext& ctx) {
            return Join(ShareOf(left, r, n), ShareOf(right, r, n), o, ctx);
          },
          type == JoinType::kInner ? inner : left_rows);
    }
  }
  auto one = OnRanks(1, [&](int, int, const ExecContext& ctx) {
    return Join(left, right, {.type = JoinType::kLeft, .keys = {"key"}}, ctx);
  });
  EXPECT_EQ(one[0].schema()->ToString(),
            "id: int64\nkey: string\nx: float64\ngrp: int32\nv: int64\n");
}

TEST(FrameOpsTest, JoinErrorsNameTheColumn) {
  const DataFrame t = Table();
  ExecContext ctx;
  auto s = Join(t, t, {.keys = {"nope"}}, ctx);
  EXPECT_NE(s.status().message().find("no column 'nope'"), std::string::npos)
      << s.status().ToString();
  s = Join(t, t, {.keys = {"id"}}, ctx);
  EXPECT_NE(s.status().message().find("column 'key' is on both sides"), std::string::npos)
      << s.status().ToString();
  auto other = *Schema::Make({MakeField("id", StringType())});
  s = Join(t, DataFrame::FromBatch(Batch::Empty(other)), {.keys = {"id"}}, ctx);
  EXPECT_NE(s.status().message().find("key 'id' is int64 on the left and string on the right"),
            std::string::npos)
      << s.status().ToString();
}

TEST(FrameOpsTest, GroupByAggregatesAreTheSameOnAnyRanks) {
  const DataFrame t = Table();
  using K = Aggregate::Kind;
  std::vector<Aggregate> aggs = {{K::kCount, "", "n"},      {K::kCount, "x", "nx"},
                                 {K::kSum, "x", "sum"},     {K::kMean, "x", "mean"},
                                 {K::kMin, "x", "min"},     {K::kMax, "id", "max_id"},
                                 {K::kCollect, "id", "ids"}};
  // Collected lists depend on row order within a group only through the ranks' shares, so
  // compare the other aggregates across ranks and the lists' contents on one rank.
  std::vector<Aggregate> no_collect(aggs.begin(), aggs.end() - 1);
  ExpectSameOnAnyRanks(
      [&](int r, int n, const ExecContext& ctx) {
        return GroupBy(ShareOf(t, r, n), {"grp"}, no_collect, ctx);
      },
      4);
  auto one =
      OnRanks(1, [&](int, int, const ExecContext& ctx) { return GroupBy(t, {"grp"}, aggs, ctx); });
  Batch b = *one[0].Collect();
  // Group 0: ids 0, 4, ..., 56 (15 rows).
  EXPECT_EQ(FormatValue(*b.column(0), 0), "0");
  EXPECT_EQ(FormatValue(*b.column(1), 0), "15");
  EXPECT_EQ(FormatValue(*b.column(6), 0), "56");
  EXPECT_EQ(FormatValue(*b.column(7), 0), "[0,4,8,12,16,20,24,28,32,36,40,44,48,52,56]");
  // Null keys form one group.
  ExpectSameOnAnyRanks(
      [&](int r, int n, const ExecContext& ctx) {
        return GroupBy(ShareOf(t, r, n), {"key"}, no_collect, ctx);
      },
      10);
  auto bad = GroupBy(t, {"grp"}, {{K::kSum, "key", "s"}}, ExecContext());
  EXPECT_NE(bad.status().message().find("column 'key' is string, not numeric"), std::string::npos);
}

TEST(FrameOpsTest, DistinctKeepsOneRowPerValue) {
  // The table twice: every row has a duplicate.
  const DataFrame t = Table();
  const DataFrame twice =
      *DataFrame::Make(t.schema(), {t.partition(0), t.partition(1), t.partition(2), t.partition(0),
                                    t.partition(1), t.partition(2)});
  ExpectSameOnAnyRanks(
      [&](int r, int n, const ExecContext& ctx) { return Distinct(ShareOf(twice, r, n), {}, ctx); },
      60);
  ExpectSameOnAnyRanks(
      [&](int r, int n, const ExecContext& ctx) {
        return Distinct(ShareOf(twice, r, n), {"grp"}, ctx);
      },
      4);
}

TEST(FrameOpsTest, SortByGivesTheSortedTableInRankOrder) {
  const DataFrame t = Table(200);
  for (const std::string key : {"x", "key", "id"}) {
    for (bool asc : {true, false}) {
      auto one =
          OnRanks(1, [&](int, int, const ExecContext& ctx) { return SortBy(t, key, asc, ctx); });
      // The one-rank result is sorted (nulls first ascending, last descending) and stable.
      Batch sorted = *one[0].Collect();
      const int k = t.schema()->FindField(key);
      for (int64_t i = 1; i < sorted.num_rows(); ++i) {
        const Column& c = *sorted.column(k);
        if (c.IsNull(i - 1) || c.IsNull(i)) {
          EXPECT_TRUE(asc ? c.IsNull(i - 1) || !c.IsNull(i) : !c.IsNull(i - 1) || c.IsNull(i))
              << key << " row " << i;
          continue;
        }
        const bool in_order = c.type_id() == TypeId::kString
                                  ? (asc ? c.StringValue(i - 1) <= c.StringValue(i)
                                         : c.StringValue(i - 1) >= c.StringValue(i))
                                  : (asc ? NumericValue(c, i - 1) <= NumericValue(c, i)
                                         : NumericValue(c, i - 1) >= NumericValue(c, i));
        EXPECT_TRUE(in_order) << key << " row " << i;
      }
      for (int ranks : {2, 3}) {
        auto shares = OnRanks(ranks, [&](int r, int n, const ExecContext& ctx) {
          return SortBy(ShareOf(t, r, n), key, asc, ctx);
        });
        std::vector<Batch> parts;
        for (const DataFrame& s : shares)
          parts.insert(parts.end(), s.partitions().begin(), s.partitions().end());
        DataFrame joined = *DataFrame::Make(t.schema(), parts);
        EXPECT_TRUE(FramesEqual(joined, one[0]))
            << key << (asc ? " asc " : " desc ") << ranks
            << " ranks: " << DescribeDifference(joined, one[0]);
        for (const DataFrame& s : shares)
          EXPECT_GT(s.num_rows(), 0) << key << " " << ranks << " ranks";
      }
    }
  }
  auto bad = SortBy(t, "nope", true, ExecContext());
  EXPECT_NE(bad.status().message().find("no column 'nope'"), std::string::npos);
}

TEST(FrameOpsTest, SortByKeysAndLimitAreTheSameInRankOrderOnAnyRanks) {
  const DataFrame t = Table(200);
  const std::vector<SortKey> keys = {{"grp", false}, {"key", true}, {"x", false}};
  auto joined = [&](const std::vector<DataFrame>& shares) {
    std::vector<Batch> parts;
    for (const DataFrame& s : shares)
      parts.insert(parts.end(), s.partitions().begin(), s.partitions().end());
    return *DataFrame::Make(t.schema(), parts);
  };
  auto one = OnRanks(1, [&](int, int, const ExecContext& ctx) { return SortBy(t, keys, ctx); });
  // Lexicographic: grp descending first, then key ascending (nulls first), then x descending.
  Batch sorted = *one[0].Collect();
  for (int64_t i = 1; i < sorted.num_rows(); ++i) {
    const int g0 = sorted.column(3)->Values<int32_t>()[i - 1],
              g1 = sorted.column(3)->Values<int32_t>()[i];
    EXPECT_GE(g0, g1) << i;
    if (g0 != g1 || sorted.column(1)->IsNull(i) || sorted.column(1)->IsNull(i - 1)) continue;
    EXPECT_LE(sorted.column(1)->StringValue(i - 1), sorted.column(1)->StringValue(i)) << i;
  }
  for (int ranks : {2, 3}) {
    auto shares = OnRanks(ranks, [&](int r, int n, const ExecContext& ctx) {
      return SortBy(ShareOf(t, r, n), keys, ctx);
    });
    EXPECT_TRUE(FramesEqual(joined(shares), one[0])) << ranks << " ranks";
    for (int64_t n : {0, 7, 150, 500}) {
      auto limited = OnRanks(ranks, [&](int r, int k, const ExecContext& ctx) {
        return Limit(ShareOf(t, r, k), n, ctx);
      });
      const DataFrame expected = *Limit(t, n, ExecContext());
      EXPECT_TRUE(FramesEqual(joined(limited), expected)) << ranks << " ranks, limit " << n;
      EXPECT_EQ(expected.num_rows(), std::min<int64_t>(n, 200));
    }
  }
  EXPECT_FALSE(Limit(t, -1, ExecContext()).ok());
}

}  // namespace
}  // namespace ember::frame
