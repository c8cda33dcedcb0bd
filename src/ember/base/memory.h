// Memory hints for large buffers, and memory that threads do not share by accident.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace ember {

// Asks the kernel to back the 2 MB-aligned part of [data, data + size) with transparent
// huge pages when it is first touched (madvise MADV_HUGEPAGE; pages already touched stay as
// they are until the kernel merges them). For buffers of megabytes that another process
// copies out of or into: the kernel's copy between processes (Open MPI's CMA, a shuffle's
// exchange) pins and maps every page, and moved 36 MB each way in 5 ms with huge pages
// against 12 ms without (2-core VM). Nothing below 4 MB, nothing where the kernel has no
// THP or the call fails (a hint, never an error).
void AdviseHugePages(void* data, size_t size);

// Blocks that share no 128 bytes with any other allocation: each starts on a 128-byte
// boundary and takes whole 128-byte blocks (a cache line and the line the adjacent-line
// prefetcher pulls with it). For small buffers a thread updates on every row while other
// threads do the same with theirs: per-partition sums, per-row scratch. Two such buffers
// that the allocator happened to put side by side make both threads miss the cache on every
// update (false sharing); a 2-thread logistic regression fit took 2.0 s or up to 5.4 s
// depending on where a 16-byte scratch vector landed.
inline constexpr size_t kIsolationBytes = 128;

template <typename T>
struct IsolatedAllocator {
  using value_type = T;
  IsolatedAllocator() = default;
  template <typename U>
  IsolatedAllocator(const IsolatedAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit
  static size_t Bytes(size_t n) {
    return (n * sizeof(T) + kIsolationBytes - 1) / kIsolationBytes * kIsolationBytes;
  }
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (Bytes(n), std::align_val_t{kIsolationBytes}));
  }
  void deallocate(T* p, size_t) noexcept {
    ::operator delete (p, std::align_val_t{kIsolationBytes});
  }
  template <typename U>
  bool operator==(const IsolatedAllocator<U>&) const noexcept {
    return true;
  }
};

// A vector whose elements share no cache line with any other allocation (see above).
template <typename T>
using IsolatedVector = std::vector<T, IsolatedAllocator<T>>;

}  // namespace ember
