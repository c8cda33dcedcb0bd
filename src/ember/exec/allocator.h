// Allocator settings for throughput. Ember's kernels build fresh column buffers for every
// batch; with glibc's defaults, large buffers are mapped and unmapped (or trimmed) each
// time, so every transform pays the kernel's page faults again (on virtual machines they
// cost more than the work). RetainFreedMemory() raises glibc's mmap and trim thresholds and
// uses one arena, so freed buffers stay in the process and the next batch reuses pages
// already mapped: steady transforms ran 2-3x faster in bench/pipeline. Call it before any
// thread starts. The price is a resident size that does not
// shrink after a peak (bounded by `max_retained_bytes` of free memory at the top of the
// heap). Programs call it once at start-up (the `ember` command, benchmarks); libraries
// never do.
#pragma once

#include <cstdint>

namespace ember {

// `one_arena` false keeps glibc's per-thread arenas: for servers, whose threads each
// allocate many small buffers per request and would otherwise contend on one arena lock
// (it halved `ember serve` throughput with two event loops).
void RetainFreedMemory(int64_t max_retained_bytes = int64_t{1} << 30, bool one_arena = true);

// Gives the allocator's free memory back to the system: tcmalloc's ReleaseFreeMemory when the
// program links tcmalloc, else glibc's malloc_trim. For a server after a burst of large
// requests, so that its resident size comes back near the idle figure. Not cheap (it walks
// the free lists): call it seldom.
void ReleaseFreeMemory();

}  // namespace ember
