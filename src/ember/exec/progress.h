// Progress: a counter of rows done by long work (transforms, fits), read by a display such
// as the `ember` command's progress bar. Thread-safe and lock-free; the owner keeps it alive
// while an ExecContext points to it.
#pragma once

#include <atomic>
#include <cstdint>

namespace ember {

class Progress {
 public:
  void AddRows(int64_t n) { rows_.fetch_add(n, std::memory_order_relaxed); }
  int64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  void Reset() { rows_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> rows_{0};
};

}  // namespace ember
