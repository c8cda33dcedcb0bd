#include "ember/exec/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

#include "ember/exec/exec_context.h"

namespace ember {
namespace {

TEST(ThreadPoolTest, ParallelForRunsEveryIndexOnce) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_TRUE(pool.ParallelFor(1000,
                               [&](int64_t i) {
                                 hits[i]++;
                                 return Status::OK();
                               })
                  .ok());
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPoolTest, NestedParallelForDoesNotDeadlock) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  Status s = pool.ParallelFor(8, [&](int64_t) {
    return pool.ParallelFor(8, [&](int64_t) {
      total++;
      return Status::OK();
    });
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(total.load(), 64);
}

TEST(ThreadPoolTest, ReturnsErrorOfFailingIndex) {
  ThreadPool pool(2);
  Status s = pool.ParallelFor(
      100, [&](int64_t i) { return i == 42 ? InvalidArgument("bad partition 42") : Status::OK(); });
  EXPECT_EQ(s.message(), "bad partition 42");
}

TEST(ThreadPoolTest, CancelledTokenStopsWork) {
  ThreadPool pool(2);
  CancellationToken token;
  token.Cancel();
  std::atomic<int> ran{0};
  Status s = pool.ParallelFor(
      100,
      [&](int64_t) {
        ran++;
        return Status::OK();
      },
      token);
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(ran.load(), 0);
}

TEST(ExecContextTest, DefaultHasEverything) {
  const ExecContext& ctx = ExecContext::Default();
  ASSERT_NE(ctx.pool, nullptr);
  ASSERT_NE(ctx.comm, nullptr);
  ASSERT_NE(ctx.log, nullptr);
  EXPECT_EQ(ctx.comm->size(), 1);
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST(ThreadPoolTest, OneThreadPoolRunsOnTheCallerOnly) {
  // The caller counts as one of the pool's threads, so a 1-thread pool never runs two
  // tasks at once (benchmarks rely on this to measure one thread).
  ThreadPool pool(1);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  ASSERT_TRUE(pool.ParallelFor(50,
                               [&](int64_t) {
                                 if (std::this_thread::get_id() != caller) elsewhere++;
                                 return Status::OK();
                               })
                  .ok());
  EXPECT_EQ(elsewhere.load(), 0);
}

}  // namespace
}  // namespace ember
