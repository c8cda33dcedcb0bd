#include "ember/pipeline/partition_reduce.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "ember/core/builder.h"
#include "ember/exec/thread_pool.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using testing::IsOk;
using testing::StatusIs;

// `parts` partitions of one float64 column "x": partition p holds p * 10 + 1 .. p * 10 + 3.
DataFrame Numbers(int parts) {
  SchemaPtr schema = *Schema::Make({MakeField("x", Float64Type())});
  std::vector<Batch> batches;
  for (int p = 0; p < parts; ++p) {
    Float64Builder x(Float64Type());
    for (int r = 1; r <= 3; ++r) x.Append(p * 10 + r);
    batches.push_back(*Batch::Make(schema, {x.Finish()}));
  }
  return *DataFrame::Make(schema, std::move(batches));
}

// acc = {sum of x, count of rows, largest x}.
Status Fold(const Batch& b, std::span<double> acc) {
  const Column& c = *b.column(0);
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    acc[0] += NumericValue(c, r);
    acc[1] += 1;
    acc[2] = std::max(acc[2], NumericValue(c, r));
  }
  return Status::OK();
}

TEST(PartitionReduceTest, CombinesEveryPartitionWithOrWithoutThreads) {
  DataFrame in = Numbers(9);
  ThreadPool pool(3);
  for (const ExecContext& ctx : {ExecContext::Default(), ExecContext::WithPool(&pool)}) {
    std::vector<double> sums;
    ASSERT_THAT(ReduceOverPartitions(in, ctx, 3, ReduceOp::kSum, 0.0, Fold, &sums), IsOk());
    // Partition p sums to 30 p + 6, has 3 rows and largest 10 p + 3: summed over p = 0..8.
    EXPECT_EQ(sums, (std::vector<double>{30 * 36 + 54, 27, 10 * 36 + 27}));
    std::vector<double> maxima;
    ASSERT_THAT(ReduceOverPartitions(in, ctx, 3, ReduceOp::kMax, -1.0, Fold, &maxima), IsOk());
    // Every accumulator starts at -1: partition 8's sum is -1 + 246, its count -1 + 3.
    EXPECT_EQ(maxima, (std::vector<double>{245, 2, 83}));
    std::vector<double> minima;
    const double inf = std::numeric_limits<double>::infinity();
    ASSERT_THAT(ReduceOverPartitions(
                    in, ctx, 2, ReduceOp::kMin, inf,
                    [](const Batch& b, std::span<double> acc) {
                      for (int64_t r = 0; r < b.num_rows(); ++r) {
                        acc[0] = std::min(acc[0], NumericValue(*b.column(0), r));
                        acc[1] = std::min(acc[1], -NumericValue(*b.column(0), r));
                      }
                      return Status::OK();
                    },
                    &minima),
                IsOk());
    EXPECT_EQ(minima, (std::vector<double>{1, -83}));
  }
}

TEST(PartitionReduceTest, CountsInIntegers) {
  DataFrame in = Numbers(5);
  ThreadPool pool(2);
  std::vector<int64_t> counts;
  ASSERT_THAT(ReduceOverPartitions(
                  in, ExecContext::WithPool(&pool), 2, ReduceOp::kSum, int64_t{0},
                  [](const Batch& b, std::span<int64_t> acc) {
                    acc[0] += b.num_rows();
                    acc[1] += static_cast<int64_t>(NumericValue(*b.column(0), 0));
                    return Status::OK();
                  },
                  &counts),
              IsOk());
  EXPECT_EQ(counts, (std::vector<int64_t>{15, 1 + 11 + 21 + 31 + 41}));
}

TEST(PartitionReduceTest, ReturnsTheFirstPartitionsError) {
  DataFrame in = Numbers(6);
  ThreadPool pool(2);
  std::vector<double> out = {42};
  Status s = ReduceOverPartitions(
      in, ExecContext::WithPool(&pool), 1, ReduceOp::kSum, 0.0,
      [](const Batch& b, std::span<double>) -> Status {
        const double first = NumericValue(*b.column(0), 0);
        if (first > 20)
          return InvalidArgument("bad partition starting at " +
                                 std::to_string(static_cast<int>(first)));
        return Status::OK();
      },
      &out);
  EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_NE(s.message().find("starting at 21"), std::string::npos) << s;
  EXPECT_EQ(out, std::vector<double>{42});
}

TEST(PartitionReduceTest, SumsOverRanksToo) {
  DataFrame all = Numbers(3);
  auto comms = LocalCommunicator::MakeGroup(3);
  std::vector<std::vector<double>> got(3);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 3; ++r) {
    ranks.emplace_back([&, r] {
      ExecContext ctx = ExecContext::Default();
      ctx.comm = comms[r].get();
      DataFrame mine = *DataFrame::Make(all.schema(), {all.partition(r)});
      EXPECT_THAT(ReduceOverPartitions(mine, ctx, 3, ReduceOp::kSum, 0.0, Fold, &got[r]), IsOk());
    });
  }
  for (auto& t : ranks) t.join();
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ(got[r], (std::vector<double>{30 * 3 + 18, 9, 3 + 13 + 23})) << "rank " << r;
}

}  // namespace
}  // namespace ember
