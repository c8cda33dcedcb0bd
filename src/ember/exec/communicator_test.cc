#include "ember/exec/communicator.h"

#include <gtest/gtest.h>

#include <thread>

#include "ember/base/status_macros.h"

namespace ember {
namespace {

using namespace std::chrono_literals;

// Runs fn(comm) on one thread per rank and returns each rank's status.
std::vector<Status> RunRanks(int n, const std::function<Status(Communicator&)>& fn) {
  auto comms = LocalCommunicator::MakeGroup(n);
  std::vector<Status> out(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) threads.emplace_back([&, r] { out[r] = fn(*comms[r]); });
  for (auto& t : threads) t.join();
  return out;
}

TEST(CommunicatorTest, SingleRankIsIdentity) {
  auto c = LocalCommunicator::Single();
  std::vector<double> v = {1, 2};
  ASSERT_TRUE(c->AllReduce(std::span<double>(v), ReduceOp::kSum, Deadline::Infinite()).ok());
  EXPECT_EQ(v, (std::vector<double>{1, 2}));
  auto g = c->AllGather("x", Deadline::Infinite());
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, std::vector<Bytes>{"x"});
}

TEST(CommunicatorTest, AllReduceSumsMinsAndMaxes) {
  for (int round = 0; round < 20; ++round) {
    auto st = RunRanks(4, [](Communicator& c) -> Status {
      std::vector<double> v = {double(c.rank()), 1.0};
      Status s = c.AllReduce(std::span<double>(v), ReduceOp::kSum, Deadline::In(5s));
      if (!s.ok()) return s;
      if (v[0] != 6 || v[1] != 4) return Internal("bad sum");
      std::vector<int64_t> m = {c.rank()};
      s = c.AllReduce(std::span<int64_t>(m), ReduceOp::kMax, Deadline::In(5s));
      if (!s.ok()) return s;
      return m[0] == 3 ? Status::OK() : Internal("bad max");
    });
    for (const auto& s : st) ASSERT_TRUE(s.ok()) << s;
  }
}

TEST(CommunicatorTest, AllGatherDoublesAndStringsConcatenateInRankOrder) {
  auto st = RunRanks(3, [](Communicator& c) -> Status {
    // Rank r sends r values r + 0.5 and the strings "r" and "" (rank 1 sends none).
    std::vector<double> mine(static_cast<size_t>(c.rank()), c.rank() + 0.5);
    auto d = AllGatherDoubles(c, mine, Deadline::In(5s));
    if (!d.ok()) return d.status();
    if (*d != std::vector<double>{1.5, 2.5, 2.5}) return Internal("bad doubles");
    std::vector<std::string_view> words;
    const std::string name = std::to_string(c.rank());
    if (c.rank() != 1) words = {name, ""};
    auto w = AllGatherStrings(c, words, Deadline::In(5s));
    if (!w.ok()) return w.status();
    return *w == std::vector<std::string>{"0", "", "2", ""} ? Status::OK()
                                                            : Internal("bad strings");
  });
  for (const auto& s : st) ASSERT_TRUE(s.ok()) << s;
}

TEST(CommunicatorTest, AllToAllVRoutesMessages) {
  auto st = RunRanks(3, [](Communicator& c) -> Status {
    std::vector<Bytes> out;
    for (int r = 0; r < 3; ++r) out.push_back(std::to_string(c.rank()) + "->" + std::to_string(r));
    auto in = c.AllToAllV(out, Deadline::In(5s));
    if (!in.ok()) return in.status();
    for (int r = 0; r < 3; ++r) {
      if ((*in)[r] != std::to_string(r) + "->" + std::to_string(c.rank()))
        return Internal("bad route");
    }
    // The same into raw (not zero-filled) memory.
    auto raw = c.AllToAllRaw(out, Deadline::In(5s));
    if (!raw.ok()) return raw.status();
    for (int r = 0; r < 3; ++r) {
      if ((*raw)[r].view() != std::to_string(r) + "->" + std::to_string(c.rank()))
        return Internal("bad raw route");
    }
    if (c.AllToAllRaw(std::vector<Bytes>(2), Deadline::In(5s)).ok())
      return Internal("two messages for three ranks");
    Bytes b = c.rank() == 1 ? "hello" : "";
    Status s = c.Broadcast(&b, 1, Deadline::In(5s));
    if (!s.ok()) return s;
    if (b != "hello") return Internal("bad broadcast");
    auto g = c.Gather(std::to_string(c.rank()), 0, Deadline::In(5s));
    if (!g.ok()) return g.status();
    if (c.rank() == 0 && *g != std::vector<Bytes>{"0", "1", "2"}) return Internal("bad gather");
    return c.Barrier(Deadline::In(5s));
  });
  for (const auto& s : st) EXPECT_TRUE(s.ok()) << s;
}

TEST(CommunicatorTest, MissingRankTimesOutNamingIt) {
  auto st = RunRanks(3, [](Communicator& c) -> Status {
    if (c.rank() == 2) return Status::OK();  // never arrives
    return c.Barrier(Deadline::In(200ms));
  });
  EXPECT_EQ(st[0].code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(st[0].message().find("rank(s) 2 did not arrive"), std::string::npos) << st[0];
  EXPECT_EQ(st[1].code(), StatusCode::kDeadlineExceeded);
}

// Point to point: a ring of Sends (small and 8 MB) before any Recv cannot deadlock,
// messages of one tag arrive in order and tags do not mix, a rank can send to itself, and
// a Recv with nothing to receive names the rank and tag when its deadline passes.
Status PointToPoint(Communicator& c) {
  const int n = c.size(), me = c.rank();
  const int next = (me + 1) % n, prev = (me + n - 1) % n;
  const Deadline d = Deadline::In(std::chrono::seconds(60));
  const Bytes big(8 << 20, static_cast<char>('a' + me));
  EMBER_RETURN_IF_ERROR(c.Send(next, 7, "first from " + std::to_string(me), d));
  EMBER_RETURN_IF_ERROR(c.Send(next, 3, big, d));
  EMBER_RETURN_IF_ERROR(c.Send(next, 7, "second from " + std::to_string(me), d));
  EMBER_RETURN_IF_ERROR(c.Send(me, 1, "self", d));
  auto expect = [](const Result<Bytes>& got, const Bytes& want, const char* what) -> Status {
    if (!got.ok()) return got.status().WithContext(what);
    if (*got != want) return Internal(std::string(what) + ": got " + got->substr(0, 40));
    return Status::OK();
  };
  EMBER_RETURN_IF_ERROR(
      expect(c.Recv(prev, 7, d), "first from " + std::to_string(prev), "tag 7 first"));
  EMBER_RETURN_IF_ERROR(
      expect(c.Recv(prev, 3, d), Bytes(8 << 20, static_cast<char>('a' + prev)), "tag 3"));
  EMBER_RETURN_IF_ERROR(
      expect(c.Recv(prev, 7, d), "second from " + std::to_string(prev), "tag 7 second"));
  EMBER_RETURN_IF_ERROR(expect(c.Recv(me, 1, d), "self", "self"));
  Result<Bytes> none = c.Recv(prev, 99, Deadline::In(std::chrono::milliseconds(100)));
  if (none.status().code() != StatusCode::kDeadlineExceeded ||
      none.status().message().find("no message from rank " + std::to_string(prev)) ==
          std::string::npos ||
      none.status().message().find("tag 99") == std::string::npos) {
    return Internal("an empty Recv said: " + none.status().ToString());
  }
  if (c.Send(n, 0, "x", d).ok() || c.Recv(0, -1, d).ok())
    return Internal("a bad rank or tag was accepted");
  return c.Barrier(d);  // everything arrived before any rank leaves
}

TEST(CommunicatorTest, PointToPointMessagesOnThreadRanks) {
  for (int ranks : {1, 2, 3}) {
    auto st = RunRanks(ranks, PointToPoint);
    for (int r = 0; r < ranks; ++r)
      EXPECT_TRUE(st[r].ok()) << ranks << " ranks, rank " << r << ": " << st[r];
  }
}

TEST(CommunicatorTest, MismatchedCollectivesAreReported) {
  auto st = RunRanks(2, [](Communicator& c) -> Status {
    if (c.rank() == 0) return c.Barrier(Deadline::In(2s));
    return c.AllGather("x", Deadline::In(2s)).status();
  });
  EXPECT_EQ(st[0].code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st[1].message().find("collective mismatch"), std::string::npos);
}

}  // namespace
}  // namespace ember
