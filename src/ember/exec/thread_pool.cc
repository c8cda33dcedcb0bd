#include "ember/exec/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <memory>

namespace ember {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0)
    num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < num_threads; ++i) wakers_.push_back(std::make_unique<Waker>());
  for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
    for (auto& w : wakers_) w->cv.notify_one();
  }
  for (auto& t : workers_) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> lk(mu_);
  queue_.push_back(std::move(task));
  // Wake the worker that went idle last; with none idle, a busy one takes the task when it
  // finishes its own (workers look at the queue before going idle).
  if (!idle_.empty()) {
    Waker& w = *wakers_[idle_.back()];
    idle_.pop_back();
    w.woken = true;
    w.cv.notify_one();
  }
}

void ThreadPool::WorkerLoop(int index) {
  Waker& me = *wakers_[index];
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (!queue_.empty()) {
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      task();
      task = nullptr;  // its captures are released outside the lock
      lk.lock();
      continue;
    }
    if (stopping_) return;
    idle_.push_back(index);
    me.cv.wait(lk, [&] { return me.woken || stopping_; });
    if (!me.woken) {  // stopping: leave the idle list, then finish the queue
      idle_.erase(std::find(idle_.begin(), idle_.end(), index));
    }
    me.woken = false;
  }
}

namespace {
// Shared by the caller and the helper tasks of one ParallelFor.
struct ForState {
  int64_t n;
  const std::function<Status(int64_t)>* fn;
  CancellationToken cancel;
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  int64_t done = 0;
  int64_t error_index = -1;
  Status error;

  void Run() {
    for (;;) {
      int64_t i = next.fetch_add(1);
      if (i >= n) return;
      const bool skipped = failed.load();
      Status s;
      if (!skipped) s = cancel.IsCancelled() ? Cancelled("operation cancelled") : (*fn)(i);
      std::lock_guard<std::mutex> lk(mu);
      if (!skipped && !s.ok()) {
        failed.store(true);
        if (error_index < 0 || i < error_index) {
          error = std::move(s);
          error_index = i;
        }
      }
      if (++done == n) cv.notify_all();
    }
  }
};
}  // namespace

Status ThreadPool::ParallelFor(int64_t n, const std::function<Status(int64_t)>& fn,
                               const CancellationToken& cancel) {
  if (n <= 0) return Status::OK();
  if (n == 1) return cancel.IsCancelled() ? Cancelled("operation cancelled") : fn(0);
  auto state = std::make_shared<ForState>();
  state->n = n;
  state->fn = &fn;
  state->cancel = cancel;
  // The caller works too, so N-thread pools run N tasks at once, not N + 1.
  int64_t helpers = std::min<int64_t>(n - 1, num_threads() - 1);
  for (int64_t h = 0; h < helpers; ++h) Submit([state] { state->Run(); });
  state->Run();
  std::unique_lock<std::mutex> lk(state->mu);
  state->cv.wait(lk, [&] { return state->done == n; });
  return state->error;
}

}  // namespace ember
