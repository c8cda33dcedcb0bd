// CancellationToken: a shared flag that long-running work polls. Copies share the flag.
// Thread-safe. Deadline: a point in time after which a wait gives up.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace ember {

class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void Cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool IsCancelled() const { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  static Deadline Infinite() { return Deadline(Clock::time_point::max()); }
  static Deadline In(std::chrono::milliseconds d) { return Deadline(Clock::now() + d); }
  bool is_infinite() const { return when_ == Clock::time_point::max(); }
  bool expired() const { return !is_infinite() && Clock::now() >= when_; }
  Clock::time_point when() const { return when_; }

 private:
  explicit Deadline(Clock::time_point when) : when_(when) {}
  Clock::time_point when_;
};

}  // namespace ember
