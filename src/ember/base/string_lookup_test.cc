#include "ember/base/string_lookup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace ember {
namespace {

TEST(StringLookupTest, EmptyFindsNothing) {
  StringLookup empty;
  EXPECT_EQ(empty.Find(""), -1);
  EXPECT_EQ(empty.Find("a"), -1);
  EXPECT_EQ(empty.size(), 0u);
}

TEST(StringLookupTest, EveryLengthAndNearMissesAcrossTheWordBoundary) {
  // Keys of every length 0..40 (so both the one-word and the long paths), with NUL bytes,
  // and for each a key that differs in exactly one byte, which must not be found.
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (int len = 0; len <= 40; ++len) {
    for (int copy = 0; copy < 20; ++copy) {
      std::string k(static_cast<size_t>(len), '\0');
      for (char& c : k) c = static_cast<char>(rng() % 4);  // few symbols: many near misses
      if (seen.insert(k).second) keys.push_back(k);
    }
  }
  StringLookup lookup(keys);
  ASSERT_EQ(lookup.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(lookup.Find(keys[i]), static_cast<int64_t>(i))
        << "key " << i << " of length " << keys[i].size();
    for (size_t pos = 0; pos < keys[i].size(); ++pos) {
      std::string miss = keys[i];
      miss[pos] = static_cast<char>(miss[pos] + 7);
      EXPECT_EQ(lookup.Find(miss), -1)
          << "one-byte change at " << pos << " of a key of length " << miss.size();
    }
    const std::string longer = keys[i] + '\1';  // often another key: must find that one
    const auto it = std::find(keys.begin(), keys.end(), longer);
    EXPECT_EQ(lookup.Find(longer), it == keys.end() ? -1 : it - keys.begin());
  }
}

TEST(StringLookupTest, RepeatedKeyKeepsFirstPosition) {
  std::vector<std::string> keys = {"b", "a", "b", "", "a"};
  StringLookup lookup(keys);
  EXPECT_EQ(lookup.size(), 3u);
  EXPECT_EQ(lookup.Find("b"), 0);
  EXPECT_EQ(lookup.Find("a"), 1);
  EXPECT_EQ(lookup.Find(""), 3);
  EXPECT_EQ(lookup.Find("c"), -1);
}

TEST(StringLookupTest, PrefixesAndSuffixesAreDistinctKeys) {
  std::vector<std::string> keys = {"abcdefgh", "abcdefghi", "abcdefg", "bcdefghi",
                                   "abcd",     "abc",       "ab",      "a"};
  StringLookup lookup(keys);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(lookup.Find(keys[i]), static_cast<int64_t>(i));
  EXPECT_EQ(lookup.Find("abcdefghij"), -1);
  EXPECT_EQ(lookup.Find("abcde"), -1);
  EXPECT_EQ(lookup.Find(std::string_view("abc\0", 4)), -1);
}

}  // namespace
}  // namespace ember
