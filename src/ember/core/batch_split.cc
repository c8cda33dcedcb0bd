// The shuffle's split (batch_codec.h: EncodeSplit, EncodeRouted, Route): each destination's
// rows written straight into its message in the binary batch format, the kept rows into new
// buffers. For 2 to 4 destinations the rows are routed by a bitmask per destination and
// packed (AVX2 where the CPU has it); beyond, gathered through the rows' order.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ember/base/memory.h"
#include "ember/base/status_macros.h"
#include "ember/core/batch_codec.h"
#include "ember/core/batch_codec_internal.h"
#include "ember/core/ops.h"

namespace ember {

using namespace codec::internal;

namespace {

// Copies values idx[0..n) of `src` (each `W` bytes) to `dst`, in order.
template <int W>
void GatherFixed(const uint8_t* src, const int32_t* idx, int64_t n, uint8_t* dst) {
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + i * W, src + static_cast<int64_t>(idx[i]) * W, W);
}

// Copies the `len` bytes at `from` to `to`: strings of up to 16 bytes as one fixed 16-byte
// copy (no library call) when 16 bytes may be read at `from` (before `from_end`) and
// written at `to` (before `to_end`).
inline void CopyString(char* to, const char* to_end, const char* from, const char* from_end,
                       size_t len) {
  if (len <= 16 && from_end - from >= 16 && to_end - to >= 16) {
    std::memcpy(to, from, 16);
  } else {
    std::memcpy(to, from, len);
  }
}

// The string rows idx[0..n) of (off, chars) as offsets (n + 1) and characters (out_chars
// has room for them and 16 more bytes).
void GatherStrings(const int32_t* off, const char* chars, const char* chars_end, const int32_t* idx,
                   int64_t n, int32_t* out_off, char* out_chars) {
  int32_t at = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t r = idx[i], len = off[r + 1] - off[r];
    out_off[i] = at;
    CopyString(out_chars + at, out_chars + at + len + 16, chars + off[r], chars_end,
               static_cast<size_t>(len));
    at += len;
  }
  out_off[n] = at;
}

// The start of a column of `rows` rows without nulls, offset 0, with `buffers` buffers of
// which the first (the validity bitmap) is missing: its buffers follow.
void PutFlatColumnHeader(std::string* o, int64_t rows, int buffers) {
  PutU64(o, static_cast<uint64_t>(rows));
  PutU64(o, 0);  // nulls
  PutU64(o, 0);  // offset
  PutU64(o, static_cast<uint64_t>(buffers));
  PutU64(o, ~uint64_t{0});  // no validity bitmap
}

// The Append* functions add a buffer to a message (its size, padding, its bytes) through a
// small staging block that stays in cache, so the message is written once: resizing it
// first would write every byte twice (zeros, then the values).
constexpr size_t kStage = 8192;

template <int W>
void AppendGatheredFixed(std::string* o, const uint8_t* src, const int32_t* idx, int64_t n) {
  PutU64(o, static_cast<uint64_t>(n * W));
  PadTo8(o);
  alignas(8) uint8_t block[kStage];
  constexpr int64_t kRows = kStage / W;
  for (int64_t i = 0; i < n; i += kRows) {
    const int64_t m = std::min(kRows, n - i);
    GatherFixed<W>(src, idx + i, m, block);
    o->append(reinterpret_cast<const char*>(block), static_cast<size_t>(m * W));
  }
}

void AppendGatheredStrings(std::string* o, const int32_t* off, const char* chars,
                           const char* chars_end, const int32_t* idx, int64_t n, int64_t bytes) {
  PutU64(o, static_cast<uint64_t>((n + 1) * 4));
  PadTo8(o);
  int32_t offsets[kStage / 4];
  size_t k = 0;
  int32_t at = 0;
  for (int64_t i = 0; i < n; ++i) {
    offsets[k++] = at;
    at += off[idx[i] + 1] - off[idx[i]];
    if (k == kStage / 4) {
      o->append(reinterpret_cast<const char*>(offsets), sizeof(offsets));
      k = 0;
    }
  }
  offsets[k++] = at;
  o->append(reinterpret_cast<const char*>(offsets), k * 4);
  PutU64(o, static_cast<uint64_t>(bytes));
  PadTo8(o);
  char block[kStage];
  size_t used = 0;
  for (int64_t i = 0; i < n; ++i) {
    const char* s = chars + off[idx[i]];
    const size_t len = static_cast<size_t>(off[idx[i] + 1] - off[idx[i]]);
    if (used + len > kStage) {
      o->append(block, used);
      used = 0;
      if (len > kStage) {
        o->append(s, len);
        continue;
      }
    }
    CopyString(block + used, block + kStage, s, chars_end, len);
    used += len;
  }
  o->append(block, used);
}

}  // namespace

namespace {

// Packing rows by destination bitmask (the routing's `bits`): of rows [begin, end), whose
// values start at `v` (row begin's), those whose bits are set, in order, written to `to`;
// their number returned. Four 8-byte or eight 4-byte values at a time are packed by one
// permutation and written by one 32-byte store, which is why `to` needs kPackSlack bytes of
// room past the packed values.
constexpr int64_t kPackSlack = 32;

// kPackTable[m]: the 4-byte lanes of the values selected by mask `m`, first, in order.
struct PackTable {
  alignas(32) int32_t by4[256][8];  // eight 4-byte values, mask of 8 bits
  alignas(32) int32_t by8[16][8];   // four 8-byte values (two lanes each), mask of 4 bits
  constexpr PackTable() : by4(), by8() {
    for (int m = 0; m < 256; ++m) {
      int k = 0;
      for (int i = 0; i < 8; ++i) {
        if ((m >> i) & 1) by4[m][k++] = i;
      }
    }
    for (int m = 0; m < 16; ++m) {
      int k = 0;
      for (int i = 0; i < 4; ++i) {
        if ((m >> i) & 1) {
          by8[m][k++] = 2 * i;
          by8[m][k++] = 2 * i + 1;
        }
      }
    }
  }
};
constexpr PackTable kPackTable;

inline uint64_t BitsAt(const uint64_t* bits, int64_t r) { return bits[r >> 6] >> (r & 63); }

// The portable form: every value written, the cursor moved by its bit.
template <int W>
int64_t PackScalar(const uint64_t* bits, int64_t begin, int64_t end, const uint8_t* v,
                   uint8_t* to) {
  int64_t k = 0;
  for (int64_t r = begin; r < end; ++r) {
    std::memcpy(to + k * W, v + (r - begin) * W, W);
    k += static_cast<int64_t>(BitsAt(bits, r) & 1);
  }
  return k;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EMBER_PACK_AVX2 1
template <int W>
__attribute__((target("avx2,popcnt"))) int64_t PackAvx2(const uint64_t* bits, int64_t begin,
                                                        int64_t end, const uint8_t* v,
                                                        uint8_t* to) {
  constexpr int kLanes = 32 / W;  // values per vector
  int64_t k = 0, r = begin;
  for (; r + kLanes <= end; r += kLanes) {
    const unsigned m = static_cast<unsigned>(BitsAt(bits, r)) & ((1u << kLanes) - 1);
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + (r - begin) * W));
    const int32_t* lanes = W == 8 ? kPackTable.by8[m] : kPackTable.by4[m];
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + k * W),
                        _mm256_permutevar8x32_epi32(x, perm));
    k += __builtin_popcount(m);
  }
  return k + PackScalar<W>(bits, r, end, v + (r - begin) * W, to + k * W);
}
#endif

// Whether the AVX2 forms run (this CPU has AVX2 and tests did not turn them off).
std::atomic<bool>& UseAvx2() {
#ifdef EMBER_PACK_AVX2
  static std::atomic<bool> use{__builtin_cpu_supports("avx2") != 0};
#else
  static std::atomic<bool> use{false};
#endif
  return use;
}

template <int W>
int64_t Pack(const uint64_t* bits, int64_t begin, int64_t end, const void* v, void* to) {
  const auto* from = static_cast<const uint8_t*>(v);
  auto* into = static_cast<uint8_t*>(to);
#ifdef EMBER_PACK_AVX2
  if (UseAvx2().load(std::memory_order_relaxed)) return PackAvx2<W>(bits, begin, end, from, into);
#endif
  return PackScalar<W>(bits, begin, end, from, into);
}

constexpr int64_t kPackBlock = 1024;  // rows packed at a time

// Column `v` (rows values of W bytes, no nulls) split by routing.bits: the kept rows into a
// new buffer (returned), the others appended to their messages (msgs[d], null for none), a
// block of rows at a time so that each block is read from memory once for every destination.
template <int W>
BufferPtr PackColumn(const uint8_t* v, int64_t rows, const Routing& routing, int keep,
                     std::vector<std::string*>& msgs) {
  const int n = static_cast<int>(routing.count.size());
  uint8_t* kept = nullptr;
  BufferPtr out = NewBuffer(routing.count[keep] * W, &kept, kPackSlack);
  alignas(32) uint8_t stage[kPackBlock * W + kPackSlack];
  int64_t at = 0;
  for (int64_t b = 0; b < rows; b += kPackBlock) {
    const int64_t e = std::min(rows, b + kPackBlock);
    for (int d = 0; d < n; ++d) {
      if (d == keep) {
        at += Pack<W>(routing.bits_of(d), b, e, v + b * W, kept + at * W);
      } else if (msgs[d] != nullptr) {
        const int64_t k = Pack<W>(routing.bits_of(d), b, e, v + b * W, stage);
        msgs[d]->append(reinterpret_cast<const char*>(stage), static_cast<size_t>(k * W));
      }
    }
  }
  return out;
}

// A string column (offsets `off`, characters `chars` .. chars_end, no nulls) split by
// routing.bits, as PackColumn: first each destination's offsets, from its rows' lengths
// packed a block at a time (their starts packed alongside), then its characters, copied
// from the packed starts and lengths in order. The kept rows' buffers are returned; each
// message gets the column's buffers after its header (offsets' size, offsets, characters'
// size, characters).
struct StringBuffers {
  BufferPtr offsets, chars;
};
// Rows [r, end) of CopyStringsTwoWays while their strings are short (at most 16 bytes, and
// 16 readable): each copied 16 bytes at a time to both places, only the owner's cursor
// moved, no branch on the destination and no call. Returns the row it stopped at.
int64_t CopyShortStringsTwoWays(const int32_t* off, const char* chars, int64_t r, int64_t end,
                                const uint64_t* sent, char* kept, int64_t* kept_at, char* stage,
                                int64_t* used_at) {
  int64_t k = *kept_at, used = *used_at;
  while (r < end) {
    uint64_t bits = sent[r >> 6] >> (r & 63);  // this word's rows from r on
    const int64_t word_end = std::min(end, (r | 63) + 1);
    for (; r < word_end; ++r, bits >>= 1) {
      const int64_t len = off[r + 1] - off[r];
      if (len > 16) {
        *kept_at = k;
        *used_at = used;
        return r;
      }
      const int64_t mine = -static_cast<int64_t>(bits & 1);  // all ones when sent
      char s16[16];
      std::memcpy(s16, chars + off[r], 16);
      std::memcpy(kept + k, s16, 16);
      std::memcpy(stage + used, s16, 16);
      k += len & ~mine;
      used += len & mine;
    }
  }
  *kept_at = k;
  *used_at = used;
  return r;
}

// The characters of strings (offsets `off`, characters `chars` .. chars_end) split two
// ways, in one pass over the rows in order: those whose bit in `sent` is set appended to
// `o` (when it is not null), the others to `kept` (room for `kept_bytes` and 16 more).
void CopyStringsTwoWays(const int32_t* off, const char* chars, const char* chars_end, int64_t rows,
                        const uint64_t* sent, char* kept, int64_t kept_bytes, std::string* o) {
  constexpr int64_t kChunk = 256;  // rows between flushes: at most 16 bytes each reach the stage
  char stage[kStage + kChunk * 16 + 16];
  const char* kept_end = kept + kept_bytes + 16;
  int64_t k = 0, used = 0;
  auto flush = [&] {
    if (o != nullptr) o->append(stage, static_cast<size_t>(used));
    used = 0;
  };
  // Rows before `safe` have 16 bytes to read from their start (offsets only grow).
  const int64_t safe =
      std::partition_point(off, off + rows,
                           [&](int32_t at) { return chars_end - (chars + at) >= 16; }) -
      off;
  for (int64_t r = 0; r < rows;) {
    if (used > static_cast<int64_t>(kStage)) flush();
    const int64_t chunk_end = std::min(rows, r + kChunk);
    if (r < safe) {
      const int64_t stop = std::min(chunk_end, safe);
      r = CopyShortStringsTwoWays(off, chars, r, stop, sent, kept, &k, stage, &used);
      if (r == stop) continue;
    }
    // A long string (or one at the very end of the characters): copied to its owner only.
    const int64_t len = off[r + 1] - off[r];
    const char* from = chars + off[r];
    if (BitsAt(sent, r) & 1) {
      flush();
      if (o != nullptr) o->append(from, static_cast<size_t>(len));
    } else {
      CopyString(kept + k, kept_end, from, chars_end, static_cast<size_t>(len));
      k += len;
    }
    ++r;
  }
  flush();
}

// The length of every one of the strings at offsets `off` (rows + 1 of them) when they all
// have the same one; -1 otherwise.
int64_t UniformLength(const int32_t* off, int64_t rows) {
  if (rows == 0) return -1;
  const int32_t len = off[1] - off[0];
  for (int64_t b = 0; b < rows; b += kPackBlock) {
    const int64_t e = std::min(rows, b + kPackBlock);
    bool same = true;
    for (int64_t r = b; r < e; ++r) same &= off[r + 1] - off[r] == len;
    if (!same) return -1;
  }
  return len;
}

// Strings all of W (4 or 8) bytes, as PackStrings: the characters packed as fixed-width
// values, the offsets multiples of W.
template <int W>
StringBuffers PackEqualStrings(const int32_t* off, const char* chars, int64_t rows,
                               const Routing& routing, int keep, std::vector<std::string*>& msgs) {
  const int n = static_cast<int>(routing.count.size());
  StringBuffers out;
  uint8_t* kept_raw = nullptr;
  out.offsets = NewBuffer((routing.count[keep] + 1) * 4, &kept_raw, 0);
  int32_t* kept_off = reinterpret_cast<int32_t*>(kept_raw);
  for (int64_t j = 0; j <= routing.count[keep]; ++j) kept_off[j] = static_cast<int32_t>(j * W);
  alignas(32) int32_t stage[kPackBlock];
  for (int d = 0; d < n; ++d) {
    std::string* o = msgs[d];
    if (o == nullptr) continue;
    const int64_t count = routing.count[d];
    PutU64(o, static_cast<uint64_t>((count + 1) * 4));
    PadTo8(o);
    for (int64_t j = 0; j <= count; j += kPackBlock) {
      const int64_t k = std::min(kPackBlock, count + 1 - j);
      for (int64_t i = 0; i < k; ++i) stage[i] = static_cast<int32_t>((j + i) * W);
      o->append(reinterpret_cast<const char*>(stage), static_cast<size_t>(k * 4));
    }
    PutU64(o, static_cast<uint64_t>(count * W));
    PadTo8(o);
  }
  out.chars =
      PackColumn<W>(reinterpret_cast<const uint8_t*>(chars + off[0]), rows, routing, keep, msgs);
  return out;
}

StringBuffers PackStrings(const int32_t* off, const char* chars, const char* chars_end,
                          int64_t rows, const Routing& routing, int keep,
                          std::vector<std::string*>& msgs) {
  // Strings all of 4 or 8 bytes (codes, keys, short ids) move as fixed-width values.
  const int64_t uniform = UniformLength(off, rows);
  if (uniform == 8) return PackEqualStrings<8>(off, chars, rows, routing, keep, msgs);
  if (uniform == 4) return PackEqualStrings<4>(off, chars, rows, routing, keep, msgs);
  const int n = static_cast<int>(routing.count.size());
  StringBuffers out;
  uint8_t* kept_raw = nullptr;
  out.offsets = NewBuffer((routing.count[keep] + 1) * 4, &kept_raw, kPackSlack);
  int32_t* kept_off = reinterpret_cast<int32_t*>(kept_raw);
  // Each destination's rows' starts and lengths, in order.
  std::vector<std::unique_ptr<int32_t[]>> starts(n), lengths_of(n);
  for (int d = 0; d < n; ++d) {
    if (d != keep && msgs[d] == nullptr) continue;
    starts[d].reset(new int32_t[static_cast<size_t>(routing.count[d]) + kPackSlack / 4]);
    lengths_of[d].reset(new int32_t[static_cast<size_t>(routing.count[d]) + kPackSlack / 4]);
    if (msgs[d] != nullptr) {
      PutU64(msgs[d], static_cast<uint64_t>((routing.count[d] + 1) * 4));
      PadTo8(msgs[d]);
    }
  }
  std::vector<int32_t> at(n, 0);    // characters so far, per destination
  std::vector<int64_t> done(n, 0);  // rows so far, per destination
  alignas(32) int32_t lengths[kPackBlock], stage[kPackBlock];
  for (int64_t b = 0; b < rows; b += kPackBlock) {
    const int64_t e = std::min(rows, b + kPackBlock);
    for (int64_t i = 0; i < e - b; ++i) lengths[i] = off[b + i + 1] - off[b + i];
    for (int d = 0; d < n; ++d) {
      if (!starts[d]) continue;
      int32_t* len = lengths_of[d].get() + done[d];
      const int64_t k = Pack<4>(routing.bits_of(d), b, e, lengths, len);
      if (n != 2) Pack<4>(routing.bits_of(d), b, e, off + b, starts[d].get() + done[d]);
      int32_t* to = d == keep ? kept_off + done[d] : stage;
      int32_t a = at[d];
      for (int64_t j = 0; j < k; ++j) {
        to[j] = a;
        a += len[j];
      }
      at[d] = a;
      done[d] += k;
      if (d != keep)
        msgs[d]->append(reinterpret_cast<const char*>(stage), static_cast<size_t>(k * 4));
    }
  }
  kept_off[done[keep]] = at[keep];
  uint8_t* kept_chars = nullptr;
  out.chars = NewBuffer(at[keep], &kept_chars, 16);
  for (int d = 0; d < n; ++d) {
    std::string* o = msgs[d];
    if (o == nullptr) continue;
    o->append(reinterpret_cast<const char*>(&at[d]), 4);  // the last offset
    PutU64(o, static_cast<uint64_t>(at[d]));
    PadTo8(o);
  }
  if (n == 2) {
    // Two destinations: the characters in one pass over the rows, in order (reading them as
    // they lie), each string written to both and only its own destination's cursor moved.
    CopyStringsTwoWays(off, chars, chars_end, rows, routing.bits_of(1 - keep),
                       reinterpret_cast<char*>(kept_chars), at[keep], msgs[1 - keep]);
    return out;
  }
  for (int d = 0; d < n; ++d) {
    if (!starts[d]) continue;
    std::string* o = msgs[d];
    const int32_t* from = starts[d].get();
    const int32_t* len = lengths_of[d].get();
    if (d == keep) {
      char* to = reinterpret_cast<char*>(kept_chars);
      const char* to_end = to + at[keep] + 16;
      for (int64_t j = 0; j < done[d]; ++j) {
        CopyString(to, to_end, chars + from[j], chars_end, static_cast<size_t>(len[j]));
        to += len[j];
      }
      continue;
    }
    char block[kStage];
    size_t used = 0;
    for (int64_t j = 0; j < done[d]; ++j) {
      const size_t n_bytes = static_cast<size_t>(len[j]);
      if (used + n_bytes > kStage) {
        o->append(block, used);
        used = 0;
        if (n_bytes > kStage) {
          o->append(chars + from[j], n_bytes);
          continue;
        }
      }
      CopyString(block + used, block + kStage, chars + from[j], chars_end, n_bytes);
      used += n_bytes;
    }
    o->append(block, used);
  }
  return out;
}

}  // namespace

namespace {

// How many of `dest` are each destination (counts->size() of them).
void CountDestinations(std::span<const int> dest, std::vector<int64_t>* counts) {
  const int n = static_cast<int>(counts->size());
  if (n <= 8) {
    int64_t rest = static_cast<int64_t>(dest.size());
    for (int d = 0; d + 1 < n; ++d) {  // vectorized compare-and-add passes
      int64_t k = 0;
      for (int v : dest) k += v == d;
      (*counts)[d] = k;
      rest -= k;
    }
    (*counts)[n - 1] = rest;
    return;
  }
  std::fill(counts->begin(), counts->end(), 0);
  for (int d : dest) ++(*counts)[d];
}

// bits[d * words + r / 64] bit r % 64: whether row r goes to destination d (d < n <= 4).
void DestinationBitsScalar(std::span<const int> dest, int n, int64_t words, uint64_t* bits,
                           int64_t from_word) {
  const int64_t rows = static_cast<int64_t>(dest.size());
  for (int64_t w = from_word; w < words; ++w) {
    uint64_t m[4] = {0, 0, 0, 0};
    const int64_t end = std::min(rows, (w + 1) * 64);
    for (int64_t r = w * 64; r < end; ++r) {
      for (int d = 0; d < 4; ++d) m[d] |= static_cast<uint64_t>(dest[r] == d) << (r & 63);
    }
    for (int d = 0; d < n; ++d) bits[d * words + w] = m[d];
  }
}

#ifdef EMBER_PACK_AVX2
__attribute__((target("avx2"))) void DestinationBitsAvx2(std::span<const int> dest, int n,
                                                         int64_t words, uint64_t* bits) {
  const int64_t full = static_cast<int64_t>(dest.size()) / 64;
  for (int64_t w = 0; w < full; ++w) {
    __m256i x[8];
    for (int j = 0; j < 8; ++j)
      x[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dest.data() + w * 64 + j * 8));
    for (int d = 0; d < n; ++d) {
      const __m256i want = _mm256_set1_epi32(d);
      uint64_t m = 0;
      for (int j = 0; j < 8; ++j) {
        const int eq = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(x[j], want)));
        m |= static_cast<uint64_t>(static_cast<unsigned>(eq)) << (8 * j);
      }
      bits[d * words + w] = m;
    }
  }
  DestinationBitsScalar(dest, n, words, bits, full);
}
#endif

void DestinationBits(std::span<const int> dest, int n, int64_t words, uint64_t* bits) {
#ifdef EMBER_PACK_AVX2
  if (UseAvx2().load(std::memory_order_relaxed)) return DestinationBitsAvx2(dest, n, words, bits);
#endif
  DestinationBitsScalar(dest, n, words, bits, 0);
}

}  // namespace

bool VectorSplitting() { return UseAvx2().load(std::memory_order_relaxed); }

bool UseVectorSplitting(bool on) {
  const bool was = UseAvx2().load();
#ifdef EMBER_PACK_AVX2
  UseAvx2().store(on && __builtin_cpu_supports("avx2"));
#else
  (void)on;
#endif
  return was;
}

Routing Route(std::span<const int> dest, int n) {
  Routing out;
  out.count.assign(n, 0);
  if (n >= 2 && n <= 4) {
    out.words = (static_cast<int64_t>(dest.size()) + 63) / 64;
    out.bits.assign(static_cast<size_t>(out.words * n), 0);
    DestinationBits(dest, n, out.words, out.bits.data());
    for (int d = 0; d < n; ++d) {
      const uint64_t* bits = out.bits_of(d);
      for (int64_t w = 0; w < out.words; ++w) out.count[d] += __builtin_popcountll(bits[w]);
    }
    return out;
  }
  CountDestinations(dest, &out.count);
  out.start.assign(n, 0);
  for (int d = 1; d < n; ++d) out.start[d] = out.start[d - 1] + out.count[d - 1];
  out.order.resize(dest.size());
  std::vector<int64_t> next(out.start);
  for (size_t r = 0; r < dest.size(); ++r) out.order[next[dest[r]]++] = static_cast<int32_t>(r);
  return out;
}

Result<Batch> EncodeSplit(const Batch& batch, std::span<const int> dest, int keep,
                          std::vector<std::string>* out) {
  if (static_cast<int64_t>(dest.size()) != batch.num_rows()) {
    return InvalidArgument("EncodeSplit: " + std::to_string(batch.num_rows()) + " rows but " +
                           std::to_string(dest.size()) + " destinations");
  }
  if (batch.num_rows() > std::numeric_limits<int32_t>::max()) {
    return InvalidArgument("EncodeSplit: a batch of " + std::to_string(batch.num_rows()) +
                           " rows (at most 2^31 - 1)");
  }
  return EncodeRouted(batch, Route(dest, static_cast<int>(out->size())), keep, out);
}

Result<Batch> EncodeRouted(const Batch& batch, const Routing& routing, int keep,
                           std::vector<std::string>* out) {
  const int n = static_cast<int>(out->size());
  const int64_t rows = batch.num_rows();
  const std::vector<int64_t>& counts = routing.count;
  if (counts[keep] == rows) return batch;  // all of it stays: no copy
  // Each destination's rows in order, for the columns that are gathered: the routing's, or
  // (when it has bitmasks) made from them when a column first needs them.
  std::vector<int32_t> order_from_bits;
  std::vector<int64_t> start_from_bits;
  auto rows_for = [&](int d) -> const int32_t* {
    if (routing.bits.empty()) return routing.order.data() + routing.start[d];
    if (start_from_bits.empty()) {
      start_from_bits.assign(n, 0);
      for (int e = 1; e < n; ++e) start_from_bits[e] = start_from_bits[e - 1] + counts[e - 1];
      order_from_bits.resize(static_cast<size_t>(rows));
      for (int e = 0; e < n; ++e) {
        int32_t* to = order_from_bits.data() + start_from_bits[e];
        const uint64_t* bits = routing.bits_of(e);
        for (int64_t w = 0; w < routing.words; ++w) {
          for (uint64_t m = bits[w]; m != 0; m &= m - 1)
            *to++ = static_cast<int32_t>(w * 64 + __builtin_ctzll(m));
        }
      }
    }
    return order_from_bits.data() + start_from_bits[d];
  };
  auto sends = [&](int d) { return d != keep && counts[d] > 0; };
  std::vector<size_t> message(n, 0);
  for (int d = 0; d < n; ++d) {
    if (!sends(d)) continue;
    int64_t size = 256;
    for (const ColumnPtr& c : batch.columns())
      size += EncodedSize(*c) * counts[d] / std::max<int64_t>(rows, 1) + 256;
    Reserve(&(*out)[d], size);
    message[d] = StartMessage(*batch.schema(), counts[d], &(*out)[d]);
  }
  std::vector<ColumnPtr> kept;
  for (const ColumnPtr& column : batch.columns()) {
    const Column& c = *column;
    const int width = FixedWidth(c.type_id());
    const bool is_string = c.type_id() == TypeId::kString || c.type_id() == TypeId::kBinary;
    if (c.null_count() == 0 && (width > 0 || is_string) && !routing.bits.empty()) {
      // Packed by the destinations' bitmasks, all destinations in one pass over the values.
      std::vector<std::string*> msgs(n, nullptr);
      for (int d = 0; d < n; ++d) {
        if (!sends(d)) continue;
        std::string* o = msgs[d] = &(*out)[d];
        PutFlatColumnHeader(o, counts[d], width > 0 ? 2 : 3);
        if (width > 0) {
          PutU64(o, static_cast<uint64_t>(counts[d] * width));
          PadTo8(o);
        }
      }
      std::vector<BufferPtr> buffers = {nullptr};
      if (width > 0) {
        const uint8_t* v =
            reinterpret_cast<const uint8_t*>(c.buffers()[1]->data()) + c.offset() * width;
        buffers.push_back(width == 8 ? PackColumn<8>(v, rows, routing, keep, msgs)
                                     : PackColumn<4>(v, rows, routing, keep, msgs));
      } else {
        const char* chars = c.StringData();
        StringBuffers b = PackStrings(c.Offsets(), chars, chars + c.buffers()[2]->size(), rows,
                                      routing, keep, msgs);
        buffers.push_back(std::move(b.offsets));
        buffers.push_back(std::move(b.chars));
      }
      for (std::string* o : msgs) {
        if (o) PutU64(o, 0);  // no children
      }
      if (counts[keep] > 0)
        kept.push_back(Column::MakeUnchecked(c.type(), counts[keep], std::move(buffers), {}, 0));
      continue;
    }
    if (c.null_count() == 0 && (width > 0 || is_string)) {
      // Gathered straight into the messages (and one buffer for the kept rows): one copy.
      for (int d = 0; d < n; ++d) {
        if (counts[d] == 0) continue;
        std::string* o = d == keep ? nullptr : &(*out)[d];
        if (o) PutFlatColumnHeader(o, counts[d], width > 0 ? 2 : 3);
        if (width > 0) {
          const uint8_t* v =
              reinterpret_cast<const uint8_t*>(c.buffers()[1]->data()) + c.offset() * width;
          BufferPtr values;
          if (o) {
            if (width == 8) {
              AppendGatheredFixed<8>(o, v, rows_for(d), counts[d]);
            } else {
              AppendGatheredFixed<4>(o, v, rows_for(d), counts[d]);
            }
          } else {
            uint8_t* to = nullptr;
            values = NewBuffer(counts[d] * width, &to);
            if (width == 8) {
              GatherFixed<8>(v, rows_for(d), counts[d], to);
            } else {
              GatherFixed<4>(v, rows_for(d), counts[d], to);
            }
          }
          if (!o)
            kept.push_back(Column::MakeUnchecked(c.type(), counts[d], {nullptr, values}, {}, 0));
        } else {
          const int32_t* off = c.Offsets();
          const char* chars = c.StringData();
          const char* chars_end = chars + c.buffers()[2]->size();
          int64_t bytes = 0;
          const int32_t* idx = rows_for(d);
          for (int64_t i = 0; i < counts[d]; ++i) bytes += off[idx[i] + 1] - off[idx[i]];
          BufferPtr offsets, data;
          if (o) {
            AppendGatheredStrings(o, off, chars, chars_end, idx, counts[d], bytes);
          } else {
            uint8_t *to_off = nullptr, *to_chars = nullptr;
            offsets = NewBuffer((counts[d] + 1) * 4, &to_off);
            data = NewBuffer(bytes, &to_chars, 16);
            GatherStrings(off, chars, chars_end, idx, counts[d], reinterpret_cast<int32_t*>(to_off),
                          reinterpret_cast<char*>(to_chars));
          }
          if (!o)
            kept.push_back(
                Column::MakeUnchecked(c.type(), counts[d], {nullptr, offsets, data}, {}, 0));
        }
        if (o) PutU64(o, 0);  // no children
      }
      continue;
    }
    // Any other column: each destination's rows taken, then encoded.
    for (int d = 0; d < n; ++d) {
      if (counts[d] == 0) continue;
      const std::vector<int64_t> indices(rows_for(d), rows_for(d) + counts[d]);
      EMBER_ASSIGN_OR_RETURN(ColumnPtr taken, Take(c, indices));
      if (d == keep) {
        kept.push_back(std::move(taken));
      } else {
        PutColumn(*taken, &(*out)[d]);
      }
    }
  }
  for (int d = 0; d < n; ++d) {
    if (sends(d)) FinishMessage(message[d], &(*out)[d]);
  }
  if (counts[keep] == 0) return Batch::Empty(batch.schema());
  return Batch::Make(batch.schema(), std::move(kept), counts[keep]);
}

Result<std::vector<Batch>> EncodeSplit(std::span<const Batch> batches,
                                       std::span<const std::vector<int>> dest, int keep,
                                       std::vector<std::string>* out) {
  if (dest.size() != batches.size())
    return InvalidArgument("EncodeSplit: one destination list per batch");
  const int n = static_cast<int>(out->size());
  std::vector<Routing> routings;
  for (size_t b = 0; b < batches.size(); ++b) {
    const int64_t rows = batches[b].num_rows();
    if (static_cast<int64_t>(dest[b].size()) != rows) {
      return InvalidArgument("EncodeSplit: batch " + std::to_string(b) + " has " +
                             std::to_string(rows) + " rows but " + std::to_string(dest[b].size()) +
                             " destinations");
    }
    if (rows > std::numeric_limits<int32_t>::max()) {
      return InvalidArgument("EncodeSplit: batch " + std::to_string(b) + " has " +
                             std::to_string(rows) + " rows (at most 2^31 - 1)");
    }
    routings.push_back(Route(dest[b], n));
  }
  return EncodeRouted(batches, routings, keep, out);
}

Result<std::vector<Batch>> EncodeRouted(std::span<const Batch> batches,
                                        std::span<const Routing> routings, int keep,
                                        std::vector<std::string>* out) {
  if (routings.size() != batches.size())
    return InvalidArgument("EncodeRouted: one routing per batch");
  // Room for every message first: growing a string of tens of MB as it fills copies it.
  const int n = static_cast<int>(out->size());
  std::vector<int64_t> room(n, 0);
  for (size_t b = 0; b < batches.size(); ++b) {
    const int64_t rows = batches[b].num_rows();
    if (static_cast<int>(routings[b].count.size()) != n) {
      return InvalidArgument("EncodeRouted: batch " + std::to_string(b) + " is routed to " +
                             std::to_string(routings[b].count.size()) + " destinations, not " +
                             std::to_string(n));
    }
    int64_t size = 0;
    for (const ColumnPtr& c : batches[b].columns()) size += EncodedSize(*c);
    for (int d = 0; d < n; ++d) {
      const int64_t k = routings[b].count[d];
      if (k > 0) room[d] += 1024 + 256 * batches[b].num_columns() + size * k / rows;
    }
  }
  for (int d = 0; d < n; ++d) {
    if (d != keep && room[d] > 0) {
      Reserve(&(*out)[d], room[d]);
      // Another rank's process copies the message out of this memory.
      AdviseHugePages((*out)[d].data() + (*out)[d].size(), (*out)[d].capacity() - (*out)[d].size());
    }
  }
  std::vector<Batch> kept;
  for (size_t b = 0; b < batches.size(); ++b) {
    EMBER_ASSIGN_OR_RETURN(Batch k, EncodeRouted(batches[b], routings[b], keep, out));
    if (k.num_rows() > 0) kept.push_back(std::move(k));
  }
  return kept;
}

}  // namespace ember
