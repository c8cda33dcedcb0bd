#include "ember/base/memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ember {
namespace {

// The VmFlags of the mapping that holds `p`, from /proc/self/smaps ("" if not found).
std::string FlagsOfMappingAt(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= at && at < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(MemoryTest, LargeBuffersAreAdvisedSmallOnesLeftAlone) {
  // Small, null and odd sizes: nothing happens, nothing breaks.
  AdviseHugePages(nullptr, 1 << 30);
  char small[100];
  AdviseHugePages(small, sizeof(small));
  const size_t size = size_t{9} << 20;
  char* big = static_cast<char*>(std::malloc(size));
  ASSERT_NE(big, nullptr);
  AdviseHugePages(big + 3, size - 3);
  std::memset(big, 7, size);  // still ordinary memory
  EXPECT_EQ(big[size - 1], 7);
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(thp, modes);
  if (modes.find("[never]") == std::string::npos && !modes.empty()) {
    // The 2 MB-aligned middle is marked for huge pages ("hg").
    const uintptr_t mid =
        (reinterpret_cast<uintptr_t>(big) + (size_t{4} << 20)) & ~((uintptr_t{2} << 20) - 1);
    EXPECT_NE(FlagsOfMappingAt(reinterpret_cast<void*>(mid)).find(" hg"), std::string::npos)
        << FlagsOfMappingAt(reinterpret_cast<void*>(mid));
  }
  std::free(big);
}

TEST(MemoryTest, IsolatedVectorsShareNoBlockOfMemory) {
  // Small vectors made one after another (where an allocator puts them side by side): each
  // starts on a 128-byte boundary and no two are within 128 bytes of each other.
  std::vector<IsolatedVector<double>> many;
  for (int i = 0; i < 64; ++i) many.emplace_back(static_cast<size_t>(1 + i % 5), 1.0);
  std::vector<uintptr_t> starts;
  for (const auto& v : many) {
    const auto at = reinterpret_cast<uintptr_t>(v.data());
    EXPECT_EQ(at % kIsolationBytes, 0u) << v.size() << " doubles at " << v.data();
    starts.push_back(at);
  }
  std::sort(starts.begin(), starts.end());
  for (size_t i = 1; i < starts.size(); ++i) EXPECT_GE(starts[i] - starts[i - 1], kIsolationBytes);
  // An ordinary vector otherwise: growing keeps the values and the alignment.
  IsolatedVector<double> grown(3, 2.5);
  for (int i = 0; i < 100; ++i) grown.push_back(i);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(grown.data()) % kIsolationBytes, 0u);
  EXPECT_EQ(grown.size(), 103u);
  EXPECT_EQ(grown[2], 2.5);
  EXPECT_EQ(grown[102], 99);
}

}  // namespace
}  // namespace ember
