// Buffer: an immutable, shared block of bytes, the unit of column memory. A buffer may own
// its bytes or keep alive whatever owns them (a memory map, an imported Arrow array).
// BufferBuilder grows bytes for builders and hands them to a Buffer without copying.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ember {

class Buffer {
 public:
  // Wraps `size` bytes at `data`; `owner` keeps them alive for the buffer's lifetime.
  Buffer(const uint8_t* data, int64_t size, std::shared_ptr<const void> owner)
      : data_(data), size_(size), owner_(std::move(owner)) {}
  // Takes `data` (from malloc) and frees it when destroyed: one allocation for the buffer
  // object instead of two (hot paths build many small buffers).
  struct TakeMalloced {};
  Buffer(uint8_t* data, int64_t size, TakeMalloced) : data_(data), size_(size), malloced_(data) {}
  ~Buffer() { std::free(malloced_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // A buffer holding a copy of `size` bytes.
  static std::shared_ptr<const Buffer> Copy(const void* data, int64_t size);
  // A buffer of `size` zero bytes.
  static std::shared_ptr<const Buffer> Zeros(int64_t size);
  template <typename T>
  static std::shared_ptr<const Buffer> FromVector(std::vector<T> values) {
    auto holder = std::make_shared<std::vector<T>>(std::move(values));
    const auto* p = reinterpret_cast<const uint8_t*>(holder->data());
    auto n = static_cast<int64_t>(holder->size() * sizeof(T));
    return std::make_shared<const Buffer>(p, n, std::move(holder));
  }

  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data_);
  }

 private:
  const uint8_t* data_;
  int64_t size_;
  std::shared_ptr<const void> owner_;
  void* malloced_ = nullptr;
};

using BufferPtr = std::shared_ptr<const Buffer>;

// Growable bytes with amortised doubling (malloc/realloc). Not thread-safe.
class BufferBuilder {
 public:
  BufferBuilder() = default;
  ~BufferBuilder() { std::free(data_); }
  BufferBuilder(const BufferBuilder&) = delete;
  BufferBuilder& operator=(const BufferBuilder&) = delete;
  BufferBuilder(BufferBuilder&& o) noexcept
      : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }

  void Reserve(int64_t additional) {
    if (size_ + additional > capacity_) Grow(size_ + additional);
  }
  void Append(const void* p, int64_t n) {
    Reserve(n);
    if (n > 0) std::memcpy(data_ + size_, p, static_cast<size_t>(n));
    size_ += n;
  }
  template <typename T>
  void AppendValue(T v) {
    Reserve(sizeof(T));
    std::memcpy(data_ + size_, &v, sizeof(T));
    size_ += sizeof(T);
  }
  // Appends `n` zero bytes.
  void AppendZeros(int64_t n) {
    Reserve(n);
    if (n > 0) std::memset(data_ + size_, 0, static_cast<size_t>(n));
    size_ += n;
  }
  void Resize(int64_t n) {
    if (n > size_)
      AppendZeros(n - size_);
    else
      size_ = n;
  }
  // Like Resize, but new bytes are left unwritten: the caller writes every one of them.
  void ResizeUninitialized(int64_t n) {
    if (n > size_) Reserve(n - size_);
    size_ = n;
  }
  uint8_t* mutable_data() { return data_; }
  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  template <typename T>
  T* mutable_data_as() {
    return reinterpret_cast<T*>(data_);
  }

  // Hands the bytes to an immutable Buffer and resets this builder.
  BufferPtr Finish();

 private:
  void Grow(int64_t min_capacity);
  uint8_t* data_ = nullptr;
  int64_t size_ = 0;
  int64_t capacity_ = 0;
};

// Bit helpers for Arrow's LSB-first bitmaps.
inline bool GetBit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
inline void SetBit(uint8_t* bits, int64_t i) { bits[i >> 3] |= uint8_t(1u << (i & 7)); }
inline void ClearBit(uint8_t* bits, int64_t i) { bits[i >> 3] &= uint8_t(~(1u << (i & 7))); }
inline int64_t BytesForBits(int64_t n) { return (n + 7) / 8; }
// Number of set bits in [offset, offset + length).
int64_t CountSetBits(const uint8_t* bits, int64_t offset, int64_t length);

}  // namespace ember
