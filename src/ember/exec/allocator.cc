#include "ember/exec/allocator.h"

#include <malloc.h>

#include <algorithm>
#include <climits>

// gperftools' C entry point, present when the program links tcmalloc (weak: null otherwise).
extern "C" void MallocExtension_ReleaseFreeMemory(void) __attribute__((weak));

namespace ember {

void ReleaseFreeMemory() {
  if (MallocExtension_ReleaseFreeMemory != nullptr) {
    MallocExtension_ReleaseFreeMemory();
  } else {
    malloc_trim(0);
  }
}

void RetainFreedMemory(int64_t max_retained_bytes, bool one_arena) {
  // Buffers below 32 MB come from the heap (not fresh mappings), and up to
  // max_retained_bytes of free memory stays mapped for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<int64_t>(max_retained_bytes, INT_MAX)));
  // One arena: glibc's per-thread arenas give large chunks back to the kernel when their
  // heaps empty, whatever the trim threshold; the main arena keeps them. Small allocations
  // still go through each thread's lock-free cache.
  if (one_arena) mallopt(M_ARENA_MAX, 1);
}

}  // namespace ember
