#include "uvws/ws/mask.h"

namespace uvws::ws {
namespace {

// The key repeated over 8 bytes, rotated so that its first byte in memory masks the payload
// byte at `offset`. Built byte by byte so that it does not depend on the machine's byte order.
std::uint64_t mask_word(std::uint32_t key, std::size_t offset) {
  std::uint8_t k[4];
  std::memcpy(k, &key, sizeof k);
  std::uint8_t m[8];
  for (std::size_t j = 0; j < 8; ++j) m[j] = k[(offset + j) & 3];
  std::uint64_t w;
  std::memcpy(&w, m, sizeof w);
  return w;
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

}  // namespace uvws::ws
