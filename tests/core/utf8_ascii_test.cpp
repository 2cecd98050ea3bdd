// Utf8Validator::feed()'s inline test for short ASCII chunks must judge exactly as the full
// validator: ASCII is valid only between sequences, and never after a failure.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "uvws/core/utf8.h"

using uvws::core::Utf8Validator;

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("short ASCII chunks are valid between sequences, at every length", "[core][utf8]") {
  for (std::size_t n = 0; n <= 80; ++n) {
    CAPTURE(n);
    Utf8Validator v;
    CHECK(v.feed(bytes_of(std::string(n, 'a'))));
    CHECK(v.complete());
    // One byte with its top bit set anywhere in the chunk is not ASCII.
    for (std::size_t at = 0; at < n; ++at) {
      std::string s(n, 'a');
      s[at] = '\x80';
      Utf8Validator w;
      CHECK_FALSE(w.feed(bytes_of(s)));
    }
  }
}

TEST_CASE("a short ASCII chunk fails inside an open sequence and after a failure", "[core][utf8]") {
  Utf8Validator v;
  REQUIRE(v.feed(bytes_of("\xE2\x82")));
  // ASCII where a continuation byte must come.
  CHECK_FALSE(v.feed(bytes_of("abc")));
  CHECK(v.failed());
  // Still failed: the inline test only applies between sequences.
  CHECK_FALSE(v.feed(bytes_of("abc")));
  v.reset();
  CHECK(v.feed(bytes_of("abc")));
  CHECK(v.complete());
}
