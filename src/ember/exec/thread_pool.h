// ThreadPool: a fixed set of worker threads running tasks from one queue, and ParallelFor,
// which spreads indices over the workers with the calling thread helping (so nested
// ParallelFor calls cannot deadlock). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ember/base/status.h"
#include "ember/exec/cancellation.h"

namespace ember {

class ThreadPool {
 public:
  // `num_threads` workers; 0 means one per hardware thread.
  explicit ThreadPool(int num_threads = 0);
  // Finishes queued tasks, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()); }

  // Queues `task` to run on a worker.
  void Submit(std::function<void()> task);

  // Runs fn(0) .. fn(n-1) on the workers and the caller; returns when all have run.
  // After the first error (or cancellation) no new index starts, and the error of the
  // lowest failing index among those that ran is returned.
  Status ParallelFor(int64_t n, const std::function<Status(int64_t)>& fn,
                     const CancellationToken& cancel = CancellationToken());

 private:
  // A worker's wake-up: its own condition variable, so that Submit wakes the worker that
  // went idle last. Its caches (a network's weights and buffers, a model's tables) are the
  // warmest: one request at a time then runs on one core rather than alternating between
  // workers as a shared condition variable's FIFO wake-ups would.
  struct Waker {
    std::condition_variable cv;
    bool woken = false;
  };
  void WorkerLoop(int index);
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  std::vector<int> idle_;  // indices of idle workers, the last idle last
  std::vector<std::unique_ptr<Waker>> wakers_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ember
