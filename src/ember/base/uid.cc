#include "ember/base/uid.h"

#include <atomic>
#include <cstdint>
#include <random>

namespace ember {

std::string MakeUid(std::string_view prefix) {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  uint64_t x = seed + 0x9E3779B97F4A7C15ULL * (counter.fetch_add(1) + 1);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(prefix);
  out.push_back('_');
  for (int i = 0; i < 12; ++i) out.push_back(kHex[(x >> (4 * i)) & 15]);
  return out;
}

bool IsValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 200 || uid == "." || uid == "..") return false;
  for (char c : uid) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace ember
