#include "uvws/core/buffer.h"

#include <cstdlib>
#include <new>
#include <stdexcept>

namespace uvws::core {

// Buffer uses malloc/realloc rather than new[]: its contents are plain bytes, and realloc can
// grow a large buffer in place, which new[] cannot.

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    steal(other);
  }
  return *this;
}

Buffer::~Buffer() {
  std::free(data_);
}

void Buffer::steal(Buffer& other) noexcept {
  data_ = other.data_;
  head_ = other.head_;
  tail_ = other.tail_;
  cap_ = other.cap_;
  other.data_ = nullptr;
  other.head_ = other.tail_ = other.cap_ = 0;
}

void Buffer::release() {
  std::free(data_);
  data_ = nullptr;
  head_ = tail_ = cap_ = 0;
}

void Buffer::reserve(std::size_t n) {
  if (n <= cap_) return;
  if (n > max_size) throw std::length_error("uvws::core::Buffer: over 4 GiB");
  auto* p = static_cast<std::uint8_t*>(std::realloc(data_, n));
  if (p == nullptr) throw std::bad_alloc();
  data_ = p;
  cap_ = static_cast<std::uint32_t>(n);
}

void Buffer::grow(std::size_t extra) {
  const std::size_t live = size();
  if (extra > max_size - live) throw std::length_error("uvws::core::Buffer: over 4 GiB");
  const std::size_t need = live + extra;
  // Move the live bytes to the front. When the consumed prefix is at least as large as what
  // is kept, the move is paid for by the bytes consumed (amortised O(1)) and may be all the
  // room needed; otherwise the buffer grows geometrically as well.
  if (head_ != 0) {
    std::memmove(data_, data_ + head_, live);
    const bool cheap = head_ >= live;
    head_ = 0;
    tail_ = static_cast<std::uint32_t>(live);
    if (cheap && need <= cap_) return;
  }
  std::size_t cap = cap_ == 0 ? 256 : std::size_t{cap_} * 2;
  if (cap < need) cap = need;
  if (cap > max_size) cap = max_size;
  reserve(cap);
}

}  // namespace uvws::core
