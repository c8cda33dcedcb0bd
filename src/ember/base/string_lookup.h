// StringLookup: an immutable map from strings to int64 values, built once and read on hot
// paths (category labels in StringIndexer, and anything else that looks up many short keys).
// Open addressing over a power-of-two table (no division), the hash stored in each slot, and
// keys of up to 8 bytes compared as one 64-bit word, so most lookups touch one cache line and
// call no library function. Thread-safe to read.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class StringLookup {
 public:
  StringLookup() = default;
  // Key i maps to i; a repeated key keeps its first position.
  explicit StringLookup(std::span<const std::string> keys);

  // The value of `key`, or -1 when it is absent.
  int64_t Find(std::string_view key) const {
    if (slots_.empty()) return -1;
    uint64_t word;
    const uint64_t h = Hash(key, &word);
    for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value < 0) return -1;
      if (s.hash == h && s.length == key.size() &&
          (key.size() <= 8 ? s.word == word : LongEqual(s, key))) {
        return s.value;
      }
    }
  }
  size_t size() const { return size_; }

  // The hash of `key`; `word` gets a 64-bit value that, together with the length, identifies
  // keys of up to 8 bytes exactly.
  static uint64_t Hash(std::string_view key, uint64_t* word) {
    const char* p = key.data();
    const size_t n = key.size();
    const uint64_t seed = 0x9e3779b97f4a7c15ULL * (n + 1);
    if (n <= 8) {
      // Two overlapping 4-byte loads cover 4..8 bytes; three single bytes cover 1..3. Either
      // way every byte is in `word`, so with the length it is exact.
      uint64_t w = 0;
      if (n >= 4) {
        w = Load32(p) | (Load32(p + n - 4) << 32);
      } else if (n > 0) {
        w = static_cast<uint64_t>(static_cast<unsigned char>(p[0])) |
            static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
            static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
      }
      *word = w;
      return Mix(w ^ seed);
    }
    uint64_t h = seed;
    size_t i = 0;
    for (; i + 8 < n; i += 8) h = Mix(h ^ Load64(p + i));
    *word = Load64(p);
    return Mix(h ^ Load64(p + n - 8));  // the last 8 bytes, overlapping the loop's
  }

 private:
  static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static uint64_t Load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  // splitmix64's finaliser: every input bit affects every output bit.
  static uint64_t Mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

  struct Slot {
    uint64_t hash = 0;
    uint64_t word = 0;
    size_t length = 0;
    size_t offset = 0;   // into arena_, for keys longer than 8 bytes
    int64_t value = -1;  // -1: empty
  };
  bool LongEqual(const Slot& s, std::string_view key) const;

  std::vector<Slot> slots_;
  std::string arena_;
  uint64_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace ember
