// The Rabit tracker against XGBoost's own workers: real processes (XGBoost's collective is
// process-wide) that join through it, get distinct ranks and sum over each other.
#include "ember/gbdt/rabit_tracker.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "ember/gbdt/xgboost_api.h"
#include "ember/testing/matchers.h"

namespace ember::gbdt {
namespace {

using ::ember::testing::IsOk;

// A worker process: joins, checks its rank and the sum of all ranks, leaves. Its exit code
// says which step failed (0: all passed).
pid_t StartWorker(const RabitTracker& tracker, int task, int workers) {
  const std::string config = tracker.WorkerConfig(task);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  alarm(60);  // a stuck worker dies rather than hang the test
  if (!JoinXgboostCollective(config).ok()) _exit(10);
  if (XgboostCollectiveSize() != workers) _exit(11);
  const int rank = XgboostCollectiveRank();
  if (rank != task) _exit(12);  // ranks follow task ids
  std::vector<double> v = {static_cast<double>(rank), 1.0};
  if (!XgboostCollectiveSum(v).ok()) _exit(13);
  if (v[0] != workers * (workers - 1) / 2.0 || v[1] != workers) _exit(14);
  if (!LeaveXgboostCollective().ok()) _exit(15);
  _exit(0);
}

int ExitCode(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(RabitTrackerTest, WorkersJoinGetTheirRanksAndSum) {
  for (int workers : {1, 2, 3, 4}) {
    auto tracker = RabitTracker::Start(workers, "127.0.0.1", std::chrono::seconds(30));
    ASSERT_THAT(tracker, IsOk());
    std::vector<pid_t> pids;
    // Started in reverse, so arrival order is not what decides the ranks.
    for (int task = workers - 1; task >= 0; --task) pids.push_back(StartWorker(**tracker, task, workers));
    for (pid_t pid : pids) EXPECT_EQ(ExitCode(pid), 0) << workers << " workers";
    EXPECT_THAT((*tracker)->Wait(), IsOk());
  }
}

TEST(RabitTrackerTest, AMissingWorkerIsAnErrorNamingItNotAHang) {
  auto tracker = RabitTracker::Start(3, "127.0.0.1", std::chrono::milliseconds(1500));
  ASSERT_THAT(tracker, IsOk());
  // Tasks 0 and 2 come; task 1 never does. They wait for it until the tracker gives up.
  const pid_t a = StartWorker(**tracker, 0, 3);
  const pid_t b = StartWorker(**tracker, 2, 3);
  const auto t0 = std::chrono::steady_clock::now();
  Status s = (*tracker)->Wait();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("task ids) 1 did not start"), std::string::npos) << s.ToString();
  // The waiting workers fail (their tracker connection ends), they do not succeed.
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  EXPECT_NE(ExitCode(a), 0);
  EXPECT_NE(ExitCode(b), 0);
}

}  // namespace
}  // namespace ember::gbdt
