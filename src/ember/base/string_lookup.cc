#include "ember/base/string_lookup.h"

#include <cstring>

namespace ember {

StringLookup::StringLookup(std::span<const std::string> keys) {
  size_t cap = 8;
  while (cap < 2 * keys.size()) cap *= 2;
  slots_.resize(cap);
  mask_ = cap - 1;
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string& key = keys[k];
    if (Find(key) >= 0) continue;
    uint64_t word;
    const uint64_t h = Hash(key, &word);
    uint64_t i = h & mask_;
    while (slots_[i].value >= 0) i = (i + 1) & mask_;
    Slot& s = slots_[i];
    s.hash = h;
    s.word = word;
    s.length = key.size();
    s.offset = arena_.size();
    s.value = static_cast<int64_t>(k);
    if (key.size() > 8) arena_ += key;
    ++size_;
  }
}

bool StringLookup::LongEqual(const Slot& s, std::string_view key) const {
  return std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0;
}

}  // namespace ember
