// The tracker of XGBoost 1.7's Rabit collective, inside Ember: the rendezvous where N worker
// processes get their ranks and the addresses of their tree and ring neighbours, then
// connect to each other for XGBoost's allreduce. It speaks the protocol of dmlc's
// tracker.py (see docs/gbdt.md): one TCP connection per request, native int32 fields,
// length-prefixed strings, commands start, recover, print and shutdown. Ranks follow the
// workers' task ids.
//
// Every wait has a deadline: workers that do not arrive, or do not finish, within the
// timeout make Wait() fail with an error naming them, never a hang. Ember's workers also
// hold a watch connection to the tracker (an Ember extension, see TrackerWatch below): a
// worker that dies before it finishes is noticed at once, Wait() fails naming it and the
// other workers are told, so their own error names it too. Inside the collective a peer
// that stops answering for `peer_timeout` fails the others (Rabit's poll timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ember/base/result.h"

namespace ember::gbdt {

class RabitTracker {
 public:
  // Listens on `host` (an IPv4 address) at any free port for `workers` workers, who have
  // `timeout` to arrive and to finish. `peer_timeout` (whole seconds, at least 1) bounds
  // every wait of a worker on its peers inside XGBoost's collective; it must exceed the
  // longest stretch of work one worker does between two collective calls (building its
  // quantile sketch on a large partition is the longest).
  static Result<std::unique_ptr<RabitTracker>> Start(
      int workers, const std::string& host, std::chrono::milliseconds timeout,
      std::chrono::seconds peer_timeout = std::chrono::minutes(10));
  ~RabitTracker();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // What JoinXgboostCollective takes for worker `task_id` (0 .. workers - 1): the 1.7 key
  // names (the 2.x names are silently ignored by 1.7), Rabit's peer timeout and the
  // address of the tracker's watch.
  std::string WorkerConfig(int task_id) const;

  // Until every worker has shut down; an error naming the missing or dead task ids or the
  // protocol problem otherwise (at the latest when the timeout given to Start has passed).
  Status Wait();

 private:
  RabitTracker() = default;
  void Run();
  Status Serve();
  // Watch connection `i` became readable: a worker finished cleanly (""), or died (the
  // news naming it).
  std::string OnWatch(size_t i);
  // Sends `news` down every watch connection.
  void Tell(const std::string& news);

  int workers_ = 0;
  std::string host_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::chrono::seconds peer_timeout_{600};
  struct Watch {
    int fd;
    std::string task;
    int rank;
  };
  std::vector<Watch> watches_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  bool done_ = false;
  Status result_;
  std::set<std::string> started_, finished_;  // task ids
};

// The worker's side of the watch, process-wide like XGBoost's collective (called by
// JoinXgboostCollective and LeaveXgboostCollective; a no-op when the config is not an
// Ember tracker's).
namespace tracker_watch {
// Connects to the tracker named in `config` as task `task` of rank `rank`.
Status Open(const std::string& config, int rank);
// Tells the tracker this worker finished and closes the connection.
void Close();
// What the tracker said about the other workers (for example "XGBoost worker task 1
// (rank 1) died before it finished"), waiting at most `wait` for it; empty when it said
// nothing or there is no watch.
std::string News(std::chrono::milliseconds wait);
// Tells the tracker this worker's collective call failed, and why; closes the watch.
void ReportFailure(const std::string& error);
}  // namespace tracker_watch

}  // namespace ember::gbdt
