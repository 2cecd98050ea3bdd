#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "uvws/ws/mask.h"

using uvws::ws::load_mask_key;
using uvws::ws::mask_copy;
using uvws::ws::mask_in_place;
using uvws::ws::store_mask_key;

namespace {

using Bytes = std::vector<std::uint8_t>;

// RFC 6455 5.3, byte by byte: octet i is XORed with key octet i mod 4, the key octets taken in
// the order they appear in the frame.
Bytes reference_mask(const Bytes& data, const std::uint8_t key[4], std::size_t offset) {
  Bytes out = data;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] ^= key[(offset + i) % 4];
  return out;
}

Bytes random_bytes(std::mt19937& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

}  // namespace

TEST_CASE("the masked Hello of RFC 6455 5.7 unmasks", "[ws][mask]") {
  // 0x81 0x85 then the key 37 fa 21 3d then the masked payload.
  const std::uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  const std::uint32_t key = load_mask_key(frame + 2);
  Bytes payload(frame + 6, frame + 11);
  REQUIRE(mask_in_place(payload, key, 0) == 5);
  REQUIRE(std::string(payload.begin(), payload.end()) == "Hello");

  // And masking "Hello" with that key gives the frame's bytes back.
  const char hello[] = "Hello";
  std::uint8_t out[5];
  mask_copy(out, reinterpret_cast<const std::uint8_t*>(hello), 5, key);
  REQUIRE(std::memcmp(out, frame + 6, 5) == 0);

  // Unmasked one byte at a time, carrying the offset.
  Bytes piecewise(frame + 6, frame + 11);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < piecewise.size(); ++i) {
    offset = mask_in_place(std::span(piecewise).subspan(i, 1), key, offset);
  }
  REQUIRE(offset == 5);
  REQUIRE(std::string(piecewise.begin(), piecewise.end()) == "Hello");
}

TEST_CASE("the key's bytes are in wire order in memory", "[ws][mask]") {
  const std::uint8_t wire[4] = {0x01, 0x02, 0x03, 0x04};
  const std::uint32_t key = load_mask_key(wire);
  std::uint8_t back[4];
  store_mask_key(back, key);
  REQUIRE(std::memcmp(back, wire, 4) == 0);
  Bytes zeros(6, 0);
  mask_in_place(zeros, key, 0);
  REQUIRE(zeros == Bytes{0x01, 0x02, 0x03, 0x04, 0x01, 0x02});
  Bytes shifted(3, 0);
  mask_in_place(shifted, key, 7);
  REQUIRE(shifted == Bytes{0x04, 0x01, 0x02});
}

TEST_CASE("masking matches the byte-by-byte reference for every length, offset and alignment",
          "[ws][mask]") {
  std::mt19937 rng(6455);
  for (std::size_t len = 0; len <= 300; ++len) {
    for (std::size_t misalign = 0; misalign < 8; ++misalign) {
      const std::size_t offset = (len * 7 + misalign) % 11;
      const Bytes data = random_bytes(rng, len);
      std::uint8_t key_bytes[4];
      for (auto& k : key_bytes) k = static_cast<std::uint8_t>(rng());
      const std::uint32_t key = load_mask_key(key_bytes);
      const Bytes want = reference_mask(data, key_bytes, offset);

      // In place, starting `misalign` bytes into an allocation, with guard bytes around.
      Bytes buf(len + 16, 0xEE);
      std::copy(data.begin(), data.end(), buf.begin() + static_cast<std::ptrdiff_t>(misalign));
      REQUIRE(mask_in_place(std::span(buf).subspan(misalign, len), key, offset) == offset + len);
      REQUIRE(Bytes(buf.begin() + static_cast<std::ptrdiff_t>(misalign),
                    buf.begin() + static_cast<std::ptrdiff_t>(misalign + len)) == want);
      for (std::size_t i = 0; i < misalign; ++i) REQUIRE(buf[i] == 0xEE);
      for (std::size_t i = misalign + len; i < buf.size(); ++i) REQUIRE(buf[i] == 0xEE);

      // Copying, to a differently aligned destination.
      if (offset == 0) {
        Bytes dst(len + 16, 0xEE);
        const std::size_t dmis = (misalign * 3) % 8;
        mask_copy(dst.data() + dmis, data.data(), len, key);
        REQUIRE(Bytes(dst.begin() + static_cast<std::ptrdiff_t>(dmis),
                      dst.begin() + static_cast<std::ptrdiff_t>(dmis + len)) == want);
        REQUIRE(dst[dmis + len] == 0xEE);
        if (dmis > 0) REQUIRE(dst[dmis - 1] == 0xEE);
      }
    }
  }
}

TEST_CASE("mask_copy matches the reference from offset 0 and may work in place", "[ws][mask]") {
  std::mt19937 rng(7);
  for (std::size_t len : {0u, 1u, 3u, 4u, 7u, 8u, 31u, 32u, 33u, 125u, 126u, 4096u, 65537u}) {
    const Bytes data = random_bytes(rng, len);
    const std::uint8_t key_bytes[4] = {0xA1, 0x00, 0x5C, 0xFF};
    const Bytes want = reference_mask(data, key_bytes, 0);
    Bytes out(len);
    mask_copy(out.data(), data.data(), len, load_mask_key(key_bytes));
    REQUIRE(out == want);
    Bytes same = data;
    mask_copy(same.data(), same.data(), len, load_mask_key(key_bytes));
    REQUIRE(same == want);
  }
}

TEST_CASE("a payload unmasked in pieces of any split equals one unmasked whole", "[ws][mask]") {
  std::mt19937 rng(42);
  const std::uint8_t key_bytes[4] = {0x37, 0xfa, 0x21, 0x3d};
  const std::uint32_t key = load_mask_key(key_bytes);
  const Bytes data = random_bytes(rng, 97);
  const Bytes want = reference_mask(data, key_bytes, 0);
  for (std::size_t i = 0; i <= data.size(); ++i) {
    for (std::size_t j = i; j <= data.size(); ++j) {
      Bytes buf = data;
      std::size_t offset = mask_in_place(std::span(buf).first(i), key, 0);
      offset = mask_in_place(std::span(buf).subspan(i, j - i), key, offset);
      offset = mask_in_place(std::span(buf).subspan(j), key, offset);
      REQUIRE(offset == data.size());
      REQUIRE(buf == want);
    }
  }
  // Random splits of a large payload.
  const Bytes big = random_bytes(rng, 100000);
  const Bytes big_want = reference_mask(big, key_bytes, 0);
  for (int round = 0; round < 20; ++round) {
    Bytes buf = big;
    std::size_t at = 0;
    std::size_t offset = 0;
    while (at < buf.size()) {
      const std::size_t n =
          std::min(buf.size() - at, std::uniform_int_distribution<std::size_t>(0, 5000)(rng));
      offset = mask_in_place(std::span(buf).subspan(at, n), key, offset);
      at += n;
    }
    REQUIRE(buf == big_want);
  }
}

TEST_CASE("masking twice restores the data", "[ws][mask]") {
  std::mt19937 rng(1);
  const Bytes data = random_bytes(rng, 1000);
  Bytes buf = data;
  const std::uint32_t key = 0xDEADBEEF;
  mask_in_place(buf, key, 3);
  REQUIRE(buf != data);
  mask_in_place(buf, key, 3);
  REQUIRE(buf == data);
}
