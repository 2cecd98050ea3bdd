#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rfc6455_samples.h"
#include "uvws/ws/error.h"
#include "uvws/ws/http_request.h"

using uvws::ws::Error;
using uvws::ws::find_header_end;
using uvws::ws::HTTPLimits;
using uvws::ws::HTTPRequest;
using uvws::ws::test::rfc_request;

using namespace std::string_view_literals;

namespace {

constexpr std::size_t npos = std::string_view::npos;

std::span<const std::uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Feeds `input` in the given chunk sizes the way the protocol does: append, then resume the
// search from the previous size. Returns the first end found.
std::size_t feed_in_chunks(std::string_view input, const std::vector<std::size_t>& sizes) {
  std::vector<std::uint8_t> held;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < input.size(); ++i) {
    const std::size_t n = std::min(sizes[i % sizes.size()], input.size() - pos);
    const std::size_t before = held.size();
    held.insert(held.end(), input.begin() + static_cast<std::ptrdiff_t>(pos),
                input.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    const std::size_t end = find_header_end(held, before);
    if (end != npos) return end;
  }
  return npos;
}

// A request with `count` fields in total (Host plus fillers).
std::string request_with_fields(std::size_t count) {
  std::string r = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (std::size_t i = 1; i < count; ++i) r += "X-" + std::to_string(i) + ": v\r\n";
  return r + "\r\n";
}

}  // namespace

TEST_CASE("find_header_end finds the end of a header block", "[ws][http]") {
  CHECK(find_header_end(bytes(rfc_request)) == rfc_request.size());
  CHECK(find_header_end(bytes(rfc_request + "\x81\x05hello")) == rfc_request.size());
  CHECK(find_header_end(bytes("GET / HTTP/1.1\r\nHost: a\r\n")) == npos);
  CHECK(find_header_end(bytes("\r\n\r")) == npos);
  CHECK(find_header_end(bytes("")) == npos);
  // Bare LFs do not end a block (RFC 7230 3: lines end in CRLF).
  CHECK(find_header_end(bytes("GET / HTTP/1.1\nHost: a\n\n")) == npos);
}

TEST_CASE("find_header_end resumes across a terminator split between calls", "[ws][http]") {
  const std::string head = "GET / HTTP/1.1\r\nHost: a";
  for (std::size_t split = 1; split < 4; ++split) {
    const std::string first = head + std::string("\r\n\r\n").substr(0, split);
    REQUIRE(find_header_end(bytes(first)) == npos);
    const std::string whole = head + "\r\n\r\n";
    CHECK(find_header_end(bytes(whole), first.size()) == whole.size());
  }
}

TEST_CASE("find_header_end gives the same end for every split of a request", "[ws][http]") {
  const std::string input = rfc_request + "\x81\x05hello";
  const std::size_t chunk =
      GENERATE(std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{4096});
  CHECK(feed_in_chunks(input, {chunk}) == rfc_request.size());
}

TEST_CASE("find_header_end gives the same end for random splits", "[ws][http]") {
  const std::string input = rfc_request + "\x81\x05hello";
  std::mt19937 rng(6455);
  std::uniform_int_distribution<std::size_t> size(1, 16);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::size_t> sizes(32);
    for (std::size_t& s : sizes) s = size(rng);
    REQUIRE(feed_in_chunks(input, sizes) == rfc_request.size());
  }
}

TEST_CASE("a request head is parsed into its line and fields", "[ws][http]") {
  HTTPRequest req;
  REQUIRE_FALSE(req.parse(rfc_request, {}));
  CHECK(req.method() == "GET");
  CHECK(req.target() == "/chat");
  CHECK(req.path() == "/chat");
  CHECK(req.query().empty());
  CHECK(req.http_major() == 1);
  CHECK(req.http_minor() == 1);
  CHECK(req.header_count() == 7);
  CHECK(req.header("host") == "server.example.com");
  CHECK(req.header("SEC-WEBSOCKET-KEY") == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK_FALSE(req.header("Cookie").has_value());
  std::vector<std::string> names;
  for (const auto [name, value] : req.headers()) names.emplace_back(name);
  CHECK(names == std::vector<std::string>{"Host", "Upgrade", "Connection", "Sec-WebSocket-Key",
                                          "Origin", "Sec-WebSocket-Protocol",
                                          "Sec-WebSocket-Version"});
  CHECK(req.header_at(4).value == "http://example.com");
}

TEST_CASE("the target splits into path and query at the first question mark", "[ws][http]") {
  HTTPRequest req;
  REQUIRE_FALSE(req.parse("GET /chat?room=1&x=?y HTTP/1.1\r\nHost: a\r\n\r\n", {}));
  CHECK(req.path() == "/chat");
  CHECK(req.query() == "room=1&x=?y");
  REQUIRE_FALSE(req.parse("GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", {}));
  CHECK(req.path() == "/a");
  CHECK(req.query().empty());
}

TEST_CASE("the request keeps its own copy of the block", "[ws][http]") {
  HTTPRequest req;
  {
    std::string block = rfc_request;
    REQUIRE_FALSE(req.parse(block, {}));
    block.assign(block.size(), 'x');
  }
  const HTTPRequest copy = req;
  CHECK(copy.header("Origin") == "http://example.com");
  CHECK(copy.target() == "/chat");
}

TEST_CASE("repeated fields keep their order and the first wins for header()", "[ws][http]") {
  HTTPRequest req;
  REQUIRE_FALSE(req.parse(
      "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\nx-a: two, three\r\nX-B: b\r\nX-A:  four \t\r\n\r\n",
      {}));
  CHECK(req.header("X-A") == "one");
  CHECK(req.header_occurrences("x-A") == 3);
  CHECK(req.header_values("X-A") == std::vector<std::string_view>{"one", "two, three", "four"});
  CHECK(req.header_tokens("X-A") == std::vector<std::string_view>{"one", "two", "three", "four"});
  std::vector<std::string_view> seen;
  req.for_each_header_value("x-b", [&](std::string_view v) { seen.push_back(v); });
  CHECK(seen == std::vector<std::string_view>{"b"});
}

TEST_CASE("tokens are matched case-insensitively across repeated fields", "[ws][http]") {
  HTTPRequest req;
  REQUIRE_FALSE(
      req.parse("GET / HTTP/1.1\r\nHost: a\r\n"
                "Connection: keep-alive\r\nCONNECTION: , ,UPGRADE ,\r\n"
                "Upgrade: upgraded\r\nX-Empty:\r\n\r\n",
                {}));
  CHECK(req.header_has_token("Connection", "upgrade"));
  CHECK(req.header_has_token("connection", "Keep-Alive"));
  CHECK_FALSE(req.header_has_token("Connection", "close"));
  CHECK_FALSE(req.header_has_token("Upgrade", "upgrade"));  // a token, not a substring
  CHECK(req.header("X-Empty") == "");
  CHECK(req.header_tokens("X-Empty").empty());
  REQUIRE_FALSE(
      req.parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\n", {}));
  CHECK(req.header_has_token("Connection", "upgrade"));
}

TEST_CASE("a block of exactly max_header_bytes passes and one more byte fails", "[ws][http]") {
  const std::string base = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n";
  const std::string exact =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(8192 - base.size(), 'p') + "\r\n\r\n";
  REQUIRE(exact.size() == 8192);
  HTTPRequest req;
  CHECK_FALSE(req.parse(exact, {}));
  const std::string over =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(8193 - base.size(), 'p') + "\r\n\r\n";
  CHECK(req.parse(over, {}) == Error::headers_too_large);
  CHECK(req.header_count() == 0);
  CHECK(req.parse(exact, HTTPLimits{.max_header_bytes = 100}) == Error::headers_too_large);
}

TEST_CASE("max_headers fields pass and one more fails", "[ws][http]") {
  HTTPRequest req;
  REQUIRE_FALSE(req.parse(request_with_fields(100), {}));
  CHECK(req.header_count() == 100);
  CHECK(req.parse(request_with_fields(101), {}) == Error::headers_too_large);
  CHECK(req.header_count() == 0);
  CHECK_FALSE(req.parse(request_with_fields(3), HTTPLimits{.max_headers = 3}));
  CHECK(req.parse(request_with_fields(4), HTTPLimits{.max_headers = 3}) ==
        Error::headers_too_large);
}

TEST_CASE("malformed request heads are bad_http", "[ws][http]") {
  const std::string bad = GENERATE(
      std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n"),  // obs-fold
      std::string("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\tfolded\r\n\r\n"),   // obs-fold, empty
      std::string("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),           // space before the colon
      std::string("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"),           // not a token
      std::string("GET / HTTP/1.1\r\n: a\r\n\r\n"),                // empty name
      std::string("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n"),          // control character
      std::string("GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n"),          // DEL
      std::string("GET / HTTP/1.1\r\nX: a\0z\r\n\r\n"sv),          // NUL
      std::string("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),      // bare CR
      std::string("GET / HTTP/1.1\nHost: a\n\n"),                  // bare LF
      std::string("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"),            // bad method
      std::string("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),         // space in the target
      std::string("GET / HTTP/1.1\r\nHost: a\r\n"),                // no blank line
      std::string("HTTP/1.1 101 Switching Protocols\r\n\r\n"),     // a response
      std::string("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),  // a body
      std::string("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
      std::string("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
      std::string("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
      std::string("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nxyz"),
      std::string(""));
  INFO(bad);
  HTTPRequest req;
  REQUIRE_FALSE(req.parse(rfc_request, {}));
  CHECK(req.parse(bad, {}) == Error::bad_http);
  CHECK(req.header_count() == 0);
  CHECK(req.method().empty());
}

TEST_CASE("acceptable variations of a request head parse", "[ws][http]") {
  HTTPRequest req;
  SECTION("Content-Length: 0 is no body") {
    CHECK_FALSE(req.parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", {}));
  }
  SECTION("obs-text in a value is kept") {
    REQUIRE_FALSE(req.parse("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n", {}));
    CHECK(req.header("X") == "caf\xc3\xa9");
  }
  SECTION("HTTP/1.0 parses; the version check belongs to the handshake") {
    REQUIRE_FALSE(req.parse("GET / HTTP/1.0\r\n\r\n", {}));
    CHECK(req.http_minor() == 0);
  }
  SECTION("a version other than 1.0 and 1.1 is bad_http_version (505)") {
    for (const char* v : {"HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9", "HTTP/9.9"}) {
      INFO(v);
      CHECK(req.parse(std::string("GET / ") + v + "\r\nHost: a\r\n\r\n", {}) ==
            uvws::ws::Error::bad_http_version);
    }
    CHECK(req.parse("PRI * HTTP/2.0\r\n\r\n", {}) == uvws::ws::Error::bad_http_version);
  }
  SECTION("other methods parse") {
    REQUIRE_FALSE(req.parse("POST /x HTTP/1.1\r\nHost: a\r\n\r\n", {}));
    CHECK(req.method() == "POST");
  }
}

TEST_CASE("may_begin_request tells the first bytes of a request from anything else", "[ws][http]") {
  using uvws::ws::may_begin_request;
  const auto bytes = [](std::string_view s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  for (const char* s : {"", "G", "GE", "GET", "GET ", "GET /chat HTTP/1.1\r\n", "\r\nGET /",
                        "M-SEARCH * ", "PRI * HTTP/2.0", "OPTIONS"}) {
    INFO(s);
    CHECK(may_begin_request(bytes(s)));
  }
  const std::string tls("\x16\x03\x01\x02\x00", 5);
  const std::string nul("GET\0", 4);
  for (const std::string& s : {tls, nul, std::string(" GET /"), std::string("{\"json\": 1}"),
                               std::string(25, 'A'), std::string("\r\n\r\n\r\nGET")}) {
    INFO(s);
    CHECK_FALSE(may_begin_request(bytes(s)));
  }
}
