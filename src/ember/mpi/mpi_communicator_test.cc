// MpiCommunicator on real ranks: run under `mpirun -np 3` (CTest does). Every rank runs
// every test; a test that fails on any rank fails the job.
#include "ember/mpi/mpi_communicator.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "ember/core/builder.h"
#include "ember/frame/frame_ops.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

MpiCommunicator* world = nullptr;

// A communicator of its own for one test (so a broken one does not break the next test).
std::unique_ptr<MpiCommunicator> Fresh(MpiOptions options = {}) {
  auto c = world->Duplicate(options);
  EXPECT_THAT(c, IsOk());
  if (!c.ok()) std::abort();
  return std::move(*c);
}

const Deadline kDeadline = Deadline::In(std::chrono::minutes(2));

TEST(MpiCommunicatorTest, RanksAndHosts) {
  EXPECT_EQ(world->size(), 3);
  EXPECT_GE(world->rank(), 0);
  EXPECT_LT(world->rank(), world->size());
  EXPECT_FALSE(world->host().empty());
  EXPECT_TRUE(MpiCommunicator::LaunchedAsRank());
}

// Without a fabric Open MPI ends with ob1 anyway; World() names it so that no rank spends
// its start probing PSM. A pml the user chose is theirs (the CTest entry ...UsersPmlIsKept
// runs this with OMPI_MCA_pml=^cm and EMBER_TEST_EXPECT_PML=^cm).
TEST(MpiCommunicatorTest, PmlIsOb1WithoutAFabricUnlessTheUserChose) {
  std::error_code ec;
  if (std::filesystem::directory_iterator("/sys/class/infiniband", ec) !=
          std::filesystem::directory_iterator() &&
      !ec) {
    GTEST_SKIP() << "this host has an InfiniBand-class device: Open MPI chooses";
  }
  const char* expected = std::getenv("EMBER_TEST_EXPECT_PML");
  const char* pml = std::getenv("OMPI_MCA_pml");
  ASSERT_NE(pml, nullptr);
  EXPECT_STREQ(pml, expected != nullptr ? expected : "ob1");
}

TEST(MpiCommunicatorTest, AllReduceIsBitIdenticalOnEveryRank) {
  auto c = Fresh();
  const int r = c->rank();
  // Values whose sum depends on the order of addition.
  std::vector<double> sum = {0.1 * (r + 1), 1e16 * (r == 0 ? 1 : 0), 1.0 / (r + 3),
                             -static_cast<double>(r)};
  std::vector<double> mn = sum, mx = sum;
  ASSERT_THAT(c->AllReduce(std::span<double>(sum), ReduceOp::kSum, kDeadline), IsOk());
  ASSERT_THAT(c->AllReduce(std::span<double>(mn), ReduceOp::kMin, kDeadline), IsOk());
  ASSERT_THAT(c->AllReduce(std::span<double>(mx), ReduceOp::kMax, kDeadline), IsOk());
  // Rank order: ((x0 + x1) + x2).
  double want = 0.1 * 1;
  want += 0.1 * 2;
  want += 0.1 * 3;
  EXPECT_EQ(sum[0], want);
  EXPECT_EQ(sum[3], -3.0);
  EXPECT_EQ(mn[3], -2.0);
  EXPECT_EQ(mx[3], 0.0);
  EXPECT_EQ(mx[2], 1.0 / 3);
  // Every rank holds the same bits.
  Bytes mine(reinterpret_cast<const char*>(sum.data()), sum.size() * sizeof(double));
  auto all = c->AllGather(mine, kDeadline);
  ASSERT_THAT(all, IsOk());
  for (const Bytes& b : *all) EXPECT_EQ(b, mine);

  std::vector<int64_t> ints = {r, -r, int64_t{1} << 40};
  ASSERT_THAT(c->AllReduce(std::span<int64_t>(ints), ReduceOp::kSum, kDeadline), IsOk());
  EXPECT_EQ(ints, (std::vector<int64_t>{3, -3, int64_t{3} << 40}));
}

TEST(MpiCommunicatorTest, AllGatherGatherAndBroadcastCarryUnevenAndEmptyPayloads) {
  auto c = Fresh();
  const int r = c->rank();
  auto all = c->AllGather(std::string(static_cast<size_t>(r) * 1000, static_cast<char>('a' + r)),
                          kDeadline);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ((*all)[i], std::string(static_cast<size_t>(i) * 1000, static_cast<char>('a' + i)));

  auto gathered = c->Gather("from " + std::to_string(r), 1, kDeadline);
  ASSERT_THAT(gathered, IsOk());
  if (r == 1) {
    EXPECT_EQ(*gathered, (std::vector<Bytes>{"from 0", "from 1", "from 2"}));
  } else {
    EXPECT_TRUE(gathered->empty());
  }
  for (int root = 0; root < 3; ++root) {
    Bytes data = r == root ? "root " + std::to_string(root) : "junk";
    ASSERT_THAT(c->Broadcast(&data, root, kDeadline), IsOk());
    EXPECT_EQ(data, "root " + std::to_string(root));
  }
  ASSERT_THAT(c->Barrier(kDeadline), IsOk());
}

TEST(MpiCommunicatorTest, AllToAllVDeliversEachMessageToItsRankInPieces) {
  MpiOptions small;
  small.max_message_bytes = 1000;  // a 100 kB message travels as 100 messages
  auto c = Fresh(small);
  const int r = c->rank();
  std::vector<Bytes> out(3);
  for (int to = 0; to < 3; ++to) {
    out[to].resize(size_t{100000} * static_cast<size_t>(to) + size_t{7} * static_cast<size_t>(r));
    for (size_t i = 0; i < out[to].size(); ++i)
      out[to][i] = static_cast<char>((i * 31 + r * 7 + to) & 0xff);
  }
  auto in = c->AllToAllV(out, kDeadline);
  ASSERT_THAT(in, IsOk());
  for (int from = 0; from < 3; ++from) {
    const Bytes& b = (*in)[from];
    ASSERT_EQ(b.size(), static_cast<size_t>(100000 * r + 7 * from)) << "from " << from;
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] != static_cast<char>((i * 31 + from * 7 + r) & 0xff)) {
        FAIL() << "byte " << i << " from rank " << from;
      }
    }
  }
  EXPECT_FALSE(c->AllToAllV(std::vector<Bytes>(2), kDeadline).ok());  // one message per rank
  // The same into memory that is not zero-filled first (a shuffle's way).
  auto raw = c->AllToAllRaw(out, kDeadline);
  ASSERT_THAT(raw, IsOk());
  for (int from = 0; from < 3; ++from) {
    EXPECT_EQ((*raw)[from].view(), (*in)[from]) << "from " << from;
  }
  EXPECT_FALSE(c->AllToAllRaw(std::vector<Bytes>(2), kDeadline).ok());
}

// The distributed frame operations over real ranks: each rank holds ids r, r + 3, ...
// (0..299 in all) with key id % 7.
TEST(MpiCommunicatorTest, FrameOperationsRunOnRanks) {
  auto c = Fresh();
  ExecContext ctx;
  ctx.comm = c.get();
  std::vector<std::optional<int64_t>> ids, keys;
  for (int64_t id = c->rank(); id < 300; id += c->size()) {
    ids.push_back(id);
    keys.push_back(id % 7);
  }
  auto schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("key", Int64Type())});
  DataFrame mine = DataFrame::FromBatch(*Batch::Make(schema, {MakeColumn(ids), MakeColumn(keys)}));
  // Sorted descending: rank 0 holds the largest ids; collected in rank order, 299 .. 0.
  auto sorted = frame::SortBy(mine, "id", /*ascending=*/false, ctx);
  ASSERT_THAT(sorted, IsOk());
  auto all = frame::CollectToRank(*sorted, 0, ctx);
  ASSERT_THAT(all, IsOk());
  if (c->rank() == 0) {
    Batch b = *all->Collect();
    ASSERT_EQ(b.num_rows(), 300);
    for (int64_t i = 0; i < 300; ++i)
      ASSERT_EQ(b.column(0)->Values<int64_t>()[i], 299 - i) << "row " << i;
  }
  // Group by key over the ranks: 7 groups, 300 rows in all.
  auto groups = frame::GroupBy(mine, {"key"}, {{frame::Aggregate::Kind::kCount, "", "n"}}, ctx);
  ASSERT_THAT(groups, IsOk());
  std::vector<int64_t> totals = {groups->num_rows(), 0};
  for (const Batch& b : groups->partitions()) {
    for (int64_t i = 0; i < b.num_rows(); ++i) totals[1] += b.column(1)->Values<int64_t>()[i];
  }
  ASSERT_THAT(c->AllReduce(std::span<int64_t>(totals), ReduceOp::kSum, kDeadline), IsOk());
  EXPECT_EQ(totals, (std::vector<int64_t>{7, 300}));
}

// The same checks as the thread ranks' (exec/communicator_test.cc): a ring of small and
// 8 MB Sends before any Recv, order within a tag, tags apart, to oneself, a Recv timing out
// naming the rank and tag; and point-to-point messages never meet a collective's.
TEST(MpiCommunicatorTest, PointToPointMessages) {
  auto c = Fresh();
  const int n = c->size(), me = c->rank();
  const int next = (me + 1) % n, prev = (me + n - 1) % n;
  const Bytes big(8 << 20, static_cast<char>('a' + me));
  ASSERT_THAT(c->Send(next, 7, "first from " + std::to_string(me), kDeadline), IsOk());
  ASSERT_THAT(c->Send(next, 3, big, kDeadline), IsOk());
  ASSERT_THAT(c->Send(next, 7, "second from " + std::to_string(me), kDeadline), IsOk());
  ASSERT_THAT(c->Send(me, 1, "self", kDeadline), IsOk());
  // A collective in between: its messages and the pending ones do not mix.
  auto gathered = c->AllGather(std::to_string(me), kDeadline);
  ASSERT_THAT(gathered, IsOk());
  EXPECT_EQ((*gathered)[prev], std::to_string(prev));
  auto first = c->Recv(prev, 7, kDeadline);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, "first from " + std::to_string(prev));
  auto large = c->Recv(prev, 3, kDeadline);
  ASSERT_THAT(large, IsOk());
  EXPECT_EQ(*large, Bytes(8 << 20, static_cast<char>('a' + prev)));
  auto second = c->Recv(prev, 7, kDeadline);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(*second, "second from " + std::to_string(prev));
  auto self = c->Recv(me, 1, kDeadline);
  ASSERT_THAT(self, IsOk());
  EXPECT_EQ(*self, "self");
  auto none = c->Recv(prev, 99, Deadline::In(std::chrono::milliseconds(200)));
  EXPECT_EQ(none.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(none.status().message().find("no message from rank " + std::to_string(prev)),
            std::string::npos)
      << none.status();
  EXPECT_FALSE(c->Send(n, 0, "x", kDeadline).ok());
  ASSERT_THAT(c->Barrier(kDeadline), IsOk());
}

TEST(MpiCommunicatorTest, DifferentCollectivesOnDifferentRanksAreAnErrorEverywhere) {
  auto c = Fresh();
  Status s = c->rank() == 0 ? c->Barrier(kDeadline) : c->AllGather("x", kDeadline).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("collective mismatch"), std::string::npos) << s.ToString();
  // Broken from then on: later calls fail at once.
  EXPECT_FALSE(c->Barrier(kDeadline).ok());
}

TEST(MpiCommunicatorTest, ALateRankIsNamedWithinTheTimeoutNotAHang) {
  MpiOptions quick;
  quick.timeout = std::chrono::milliseconds(1000);
  auto c = Fresh(quick);
  const int late = c->size() - 1;
  if (c->rank() == late) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    // The caller's deadline is longer; the communicator's timeout caps it.
    Status s = c->Barrier(Deadline::In(std::chrono::minutes(5)));
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
    EXPECT_NE(s.message().find("rank(s) " + std::to_string(late) + " ("), std::string::npos)
        << s.ToString();
    EXPECT_NE(s.message().find("did not arrive"), std::string::npos) << s.ToString();
    EXPECT_GE(took, std::chrono::milliseconds(950));
    EXPECT_LT(took, std::chrono::milliseconds(2400));
    EXPECT_FALSE(c->Barrier(kDeadline).ok());
  }
  // Everyone meets again on the healthy world communicator.
  ASSERT_THAT(world->Barrier(kDeadline), IsOk());
}

}  // namespace
}  // namespace ember

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto world = ember::MpiCommunicator::World();
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  ember::world = world->get();
  // Only rank 0 prints gtest's progress; failures print on every rank.
  if (ember::world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  // The timeout test broke a communicator on purpose: finalize rather than abort.
  world->reset();
  MPI_Finalize();
  return rc;
}
