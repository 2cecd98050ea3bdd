#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "uvws/core/crypto.h"

using uvws::core::base64_decode;
using uvws::core::base64_encode;
using uvws::core::sha1;

namespace {
std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t x : b) {
    out += digits[x >> 4];
    out += digits[x & 15];
  }
  return out;
}
}  // namespace

TEST_CASE("the accept key of RFC 6455 1.3 is computed from its sample key", "[core][crypto]") {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const auto digest = sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  REQUIRE(base64_encode(digest) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // The sample key is the base64 of a 16-byte nonce (RFC 6455 4.1).
  const auto nonce = base64_decode(key);
  REQUIRE(nonce);
  REQUIRE(std::string(nonce->begin(), nonce->end()) == "the sample nonce");
}

TEST_CASE("SHA-1 matches the FIPS 180 examples", "[core][crypto]") {
  REQUIRE(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  REQUIRE(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
  REQUIRE(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST_CASE("base64 matches the RFC 4648 test vectors both ways", "[core][crypto]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    REQUIRE(base64_encode(plain) == encoded);
    const auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    REQUIRE(std::string(decoded->begin(), decoded->end()) == plain);
  }
}

TEST_CASE("base64 round-trips every length and byte value", "[core][crypto]") {
  std::mt19937 rng(4648);
  for (std::size_t n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> data(n);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const std::string text = base64_encode(data);
    REQUIRE(text.size() == 4 * ((n + 2) / 3));
    const auto back = base64_decode(text);
    REQUIRE(back);
    REQUIRE(*back == data);
  }
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  REQUIRE(*base64_decode(base64_encode(all)) == all);
}

TEST_CASE("base64 decoding refuses every non-canonical form", "[core][crypto]") {
  const char* bad[] = {
      "Zg=",       // length not a multiple of 4
      "Zg",        // padding missing
      "Zh==",      // non-zero padding bits (one byte)
      "Zm9=",      // non-zero padding bits (two bytes)
      "Z===",      // too much padding
      "====",      // only padding
      "Zg=a",      // data after padding
      "Zg==Zm8=",  // padding in the middle
      "Zm 9v",     // white space, which EVP_DecodeBlock would skip
      " Zm9v",     // leading white space
      "Zm9v\n",    // trailing newline
      "Zm9v\r\n",
      "Zm-v",  // base64url alphabet
      "Zm_v",
      "Zm9v====",  // a whole group of padding
      "dGhlIHNhbXBsZSBub25jZQ=",
      "Zm\x80v",  // a non-ASCII byte
  };
  for (const char* text : bad) {
    INFO(text);
    REQUIRE_FALSE(base64_decode(text));
  }
  // A NUL inside the text is not a terminator.
  REQUIRE_FALSE(base64_decode(std::string_view("Zm9v\0AAA", 8)));
}

TEST_CASE("base64 decoding accepts exactly the encoder's outputs", "[core][crypto]") {
  // The canonical 4-character groups: every group of 4 alphabet characters (3 bytes), and the
  // encodings of every 1- and 2-byte input (the padded forms).
  std::set<std::string> canonical;
  for (unsigned a = 0; a < 256; ++a) {
    canonical.insert(base64_encode(std::vector<std::uint8_t>{static_cast<std::uint8_t>(a)}));
    for (unsigned b = 0; b < 256; ++b) {
      canonical.insert(base64_encode(
          std::vector<std::uint8_t>{static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)}));
    }
  }
  // Characters that matter: letters and digits at and around the edges of padding bits, the
  // two symbols, '=', and characters outside the alphabet.
  const std::string chars = "AQgwz09+/=-.";
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t accepted = 0;
  for (char a : chars)
    for (char b : chars)
      for (char c : chars)
        for (char d : chars) {
          const std::string text = {a, b, c, d};
          const bool unpadded = text.find_first_not_of(b64) == std::string::npos;
          const bool expect = unpadded || canonical.count(text) == 1;
          const auto decoded = base64_decode(text);
          INFO(text);
          REQUIRE(decoded.has_value() == expect);
          if (decoded) {
            REQUIRE(base64_encode(*decoded) == text);
            ++accepted;
          }
        }
  // Of the 9 alphabet characters above, A Q g w have 4 zero low bits ("xy=="), and those and
  // 0 have 2 ("xyz=").
  REQUIRE(accepted == 9 * 9 * 9 * 9 + 9 * 9 * 5 + 9 * 4);
}
