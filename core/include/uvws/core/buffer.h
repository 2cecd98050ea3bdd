// Buffer: a growable, contiguous byte buffer that is appended at the back and consumed at
// the front.
//
// Ownership: a Buffer owns its bytes and is move-only. It holds no heap memory until the first
// append, and release() gives the memory back, so an idle connection's buffers cost nothing but
// their 24 bytes of bookkeeping. Sizes are 32-bit: one Buffer holds at most 4 GiB - 1 bytes
// (appending past that throws std::length_error); every uvws limit that sizes a buffer is
// validated against this at start-up.
//
// Threads: none of its own; a Buffer is used by whoever owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "uvws/core/export.h"

namespace uvws::core {

// A growable byte buffer, appended at the back and consumed at the front (see the file comment).
class UVWS_EXPORT Buffer {
 public:
  // The most bytes one Buffer holds (sizes are 32-bit).
  static constexpr std::size_t max_size = 0xFFFFFFFFu;

  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  // Takes `other`'s bytes; `other` is left empty.
  Buffer(Buffer&& other) noexcept { steal(other); }
  // Frees this buffer's bytes and takes `other`'s; `other` is left empty.
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer();

  // The unconsumed bytes. Valid until the next call that appends, reserves or releases.
  std::uint8_t* data() { return data_ + head_; }
  // The unconsumed bytes, read-only.
  const std::uint8_t* data() const { return data_ + head_; }
  // The number of unconsumed bytes.
  std::size_t size() const { return tail_ - head_; }
  // True when no byte is left to consume.
  bool empty() const { return head_ == tail_; }
  // The bytes allocated (consumed prefix included).
  std::size_t capacity() const { return cap_; }
  // The unconsumed bytes as a span (valid as data()).
  std::span<std::uint8_t> span() { return {data(), size()}; }
  // The unconsumed bytes as a read-only span (valid as data()).
  std::span<const std::uint8_t> span() const { return {data(), size()}; }
  // The unconsumed bytes as characters (valid as data()).
  std::string_view view() const { return {reinterpret_cast<const char*>(data()), size()}; }

  // Appends `n` bytes from `bytes` (std::length_error past max_size).
  void append(const void* bytes, std::size_t n) {
    if (n == 0) return;
    std::memcpy(prepare(n), bytes, n);
    tail_ += static_cast<std::uint32_t>(n);
  }
  // Appends the bytes of a span.
  void append(std::span<const std::uint8_t> bytes) { append(bytes.data(), bytes.size()); }
  // Appends the characters of a string.
  void append(std::string_view s) { append(s.data(), s.size()); }
  // Appends one byte.
  void push_back(std::uint8_t b) {
    *prepare(1) = b;
    ++tail_;
  }

  // Returns room for n more bytes at the back (growing, or compacting the consumed prefix
  // away); write into it, then commit() how many were written.
  std::uint8_t* prepare(std::size_t n) {
    if (cap_ - tail_ < n) grow(n);
    return data_ + tail_;
  }
  // Adds `n` bytes written into prepare()'s room (n at most what was prepared).
  void commit(std::size_t n) { tail_ += static_cast<std::uint32_t>(n); }

  // Drops n bytes from the front (n <= size()).
  void consume(std::size_t n) {
    head_ += static_cast<std::uint32_t>(n);
    if (head_ == tail_) head_ = tail_ = 0;
  }
  // Drops everything, keeping the capacity.
  void clear() { head_ = tail_ = 0; }
  // Drops everything and frees the memory.
  void release();
  // Makes room for at least n bytes in all (never shrinks).
  void reserve(std::size_t n);

 private:
  void grow(std::size_t extra);
  void steal(Buffer& other) noexcept;

  std::uint8_t* data_ = nullptr;
  std::uint32_t head_ = 0;  // first unconsumed byte
  std::uint32_t tail_ = 0;  // one past the last byte
  std::uint32_t cap_ = 0;
};

}  // namespace uvws::core
