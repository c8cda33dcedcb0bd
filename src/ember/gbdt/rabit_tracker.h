// The tracker of XGBoost 1.7's Rabit collective, inside Ember: the rendezvous where N worker
// processes get their ranks and the addresses of their tree and ring neighbours, then
// connect to each other for XGBoost's allreduce. It speaks the protocol of dmlc's
// tracker.py (see docs/gbdt.md): one TCP connection per request, native int32 fields,
// length-prefixed strings, commands start, recover, print and shutdown. Ranks follow the
// workers' task ids.
//
// Every wait has a deadline: workers that do not arrive, or do not finish, within the
// timeout make Wait() fail with an error naming them, never a hang.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "ember/base/result.h"

namespace ember::gbdt {

class RabitTracker {
 public:
  // Listens on `host` (an IPv4 address) at any free port for `workers` workers, who have
  // `timeout` to arrive and to finish.
  static Result<std::unique_ptr<RabitTracker>> Start(int workers, const std::string& host,
                                                     std::chrono::milliseconds timeout);
  ~RabitTracker();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // What XGCommunicatorInit takes for worker `task_id` (0 .. workers - 1) (the 1.7 key
  // names; the 2.x names are silently ignored by 1.7).
  std::string WorkerConfig(int task_id) const;

  // Until every worker has shut down; an error naming the missing task ids or the protocol
  // problem otherwise (at the latest when the timeout given to Start has passed).
  Status Wait();

 private:
  RabitTracker() = default;
  void Run();
  Status Serve();

  int workers_ = 0;
  std::string host_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  bool done_ = false;
  Status result_;
  std::set<std::string> started_, finished_;  // task ids
};

}  // namespace ember::gbdt
