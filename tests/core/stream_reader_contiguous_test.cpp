// StreamReader::contiguous() and skip(): the parser's view of the bytes it can read in place.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/stream_reader.h"

using uvws::core::StreamReader;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string str(std::span<const std::uint8_t> s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

}  // namespace

TEST_CASE("contiguous() shows the lent bytes in place and skip() consumes them",
          "[core][stream_reader]") {
  StreamReader r;
  CHECK(r.contiguous().empty());
  std::vector<std::uint8_t> loan{'a', 'b', 'c', 'd'};
  r.lend(loan);
  CHECK(r.contiguous().data() == loan.data());
  CHECK(str(r.contiguous()) == "abcd");
  r.skip(1);
  CHECK(str(r.contiguous()) == "bcd");
  CHECK(r.contiguous().data() == loan.data() + 1);
  CHECK(r.available() == 3);
  r.skip(3);
  CHECK(r.contiguous().empty());
  r.reclaim();
  CHECK(r.held_bytes() == 0);
}

TEST_CASE("contiguous() shows the kept bytes first, then the loan once they are read",
          "[core][stream_reader]") {
  StreamReader r;
  r.feed_data(bytes("xy"));
  std::vector<std::uint8_t> loan{'1', '2', '3'};
  r.lend(loan);
  // Kept bytes come before lent ones; only the kept ones are contiguous without a gather.
  CHECK(str(r.contiguous()) == "xy");
  r.skip(2);
  CHECK(str(r.contiguous()) == "123");
  CHECK(r.contiguous().data() == loan.data());
  r.skip(2);
  r.reclaim();
  // The unread tail was copied out of the loan: the caller may reuse its buffer.
  loan.assign(3, '#');
  CHECK(str(r.contiguous()) == "3");
  CHECK(r.available() == 1);
  r.skip(1);
  CHECK(r.available() == 0);
  r.reclaim();
  CHECK(r.held_bytes() == 0);
}
