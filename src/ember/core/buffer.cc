#include "ember/core/buffer.h"

#include <new>

namespace ember {

BufferPtr Buffer::Copy(const void* data, int64_t size) {
  BufferBuilder b;
  b.Append(data, size);
  return b.Finish();
}

BufferPtr Buffer::Zeros(int64_t size) {
  BufferBuilder b;
  b.AppendZeros(size);
  return b.Finish();
}

void BufferBuilder::Grow(int64_t min_capacity) {
  int64_t cap = capacity_ == 0 ? 64 : capacity_;
  while (cap < min_capacity) cap *= 2;
  void* p = std::realloc(data_, static_cast<size_t>(cap));
  if (p == nullptr) throw std::bad_alloc();
  data_ = static_cast<uint8_t*>(p);
  capacity_ = cap;
}

BufferPtr BufferBuilder::Finish() {
  // Readers may touch a few bytes past the end (bitmaps are read a byte at a time); give
  // every buffer a non-null pointer even when empty.
  if (data_ == nullptr) Grow(8);
  uint8_t* data = data_;
  int64_t size = size_;
  data_ = nullptr;
  size_ = capacity_ = 0;
  return std::make_shared<const Buffer>(data, size, Buffer::TakeMalloced{});
}

int64_t CountSetBits(const uint8_t* bits, int64_t offset, int64_t length) {
  int64_t count = 0;
  int64_t i = offset, end = offset + length;
  for (; i < end && (i & 7); ++i) count += GetBit(bits, i);
  for (; i + 64 <= end; i += 64) {
    uint64_t word;
    std::memcpy(&word, bits + (i >> 3), 8);
    count += __builtin_popcountll(word);
  }
  for (; i < end; ++i) count += GetBit(bits, i);
  return count;
}

}  // namespace ember
