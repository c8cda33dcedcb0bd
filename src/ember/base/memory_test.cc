#include "ember/base/memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

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
    const uintptr_t mid = (reinterpret_cast<uintptr_t>(big) + (size_t{4} << 20)) & ~((uintptr_t{2} << 20) - 1);
    EXPECT_NE(FlagsOfMappingAt(reinterpret_cast<void*>(mid)).find(" hg"), std::string::npos)
        << FlagsOfMappingAt(reinterpret_cast<void*>(mid));
  }
  std::free(big);
}

}  // namespace
}  // namespace ember
