#include "uvws/ws/mask.h"

#include <bit>
#include <cstring>

namespace uvws::ws {
namespace {

// The key repeated over 8 bytes, rotated so that the key byte for payload byte `offset` comes
// first in memory. `key` holds the key's bytes in wire order as memcpy loaded them, so the
// rotation direction depends on the byte order; both 4-byte halves of the word are the same.
// A rotate, not a byte loop: this runs once per frame, and frames are often 20 bytes.
inline std::uint64_t mask_word(std::uint32_t key, std::size_t offset) {
  const int shift = static_cast<int>(8 * (offset & 3));
  const std::uint32_t k =
      std::endian::native == std::endian::little ? std::rotr(key, shift) : std::rotl(key, shift);
  return (std::uint64_t{k} << 32) | k;
}

inline std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline void store64(std::uint8_t* p, std::uint64_t w) {
  std::memcpy(p, &w, sizeof w);
}

// The word loop shared by both entry points. An 8-byte word spans two whole key periods, so
// the mask word is the same for every word; the tail takes the mask's bytes in order.
inline void mask_words(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint64_t m) {
  std::size_t i = 0;
  // Four independent words per iteration, which the compiler may turn into vector operations.
  for (; n - i >= 32; i += 32) {
    const std::uint64_t a = load64(src + i) ^ m;
    const std::uint64_t b = load64(src + i + 8) ^ m;
    const std::uint64_t c = load64(src + i + 16) ^ m;
    const std::uint64_t d = load64(src + i + 24) ^ m;
    store64(dst + i, a);
    store64(dst + i + 8, b);
    store64(dst + i + 16, c);
    store64(dst + i + 24, d);
  }
  for (; n - i >= 8; i += 8) store64(dst + i, load64(src + i) ^ m);
  if (n - i >= 4) {
    std::uint32_t w;
    std::memcpy(&w, src + i, 4);
    w ^= static_cast<std::uint32_t>(m);  // either half: they are equal
    std::memcpy(dst + i, &w, 4);
    i += 4;
  }
  std::uint8_t mb[8];
  std::memcpy(mb, &m, sizeof mb);
  for (std::size_t j = 0; i < n; ++i, ++j) dst[i] = static_cast<std::uint8_t>(src[i] ^ mb[j]);
}

}  // namespace

std::size_t mask_in_place(std::span<std::uint8_t> data, std::uint32_t key, std::size_t offset) {
  mask_words(data.data(), data.data(), data.size(), mask_word(key, offset));
  return offset + data.size();
}

void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key) {
  mask_words(dst, src, n, mask_word(key, 0));
}

std::size_t mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key,
                      std::size_t offset) {
  mask_words(dst, src, n, mask_word(key, offset));
  return offset + n;
}

}  // namespace uvws::ws
