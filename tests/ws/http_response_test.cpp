#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rfc6455_samples.h"
#include "uvws/ws/error.h"
#include "uvws/ws/http_response.h"

using uvws::ws::append_header;
using uvws::ws::Error;
using uvws::ws::HTTPLimits;
using uvws::ws::HTTPResponse;
using uvws::ws::reason_phrase;
using uvws::ws::test::rfc_response;

namespace {}  // namespace

TEST_CASE("a 101 response head is parsed into its status line and fields", "[ws][http]") {
  HTTPResponse res;
  REQUIRE_FALSE(res.parse(rfc_response, {}));
  CHECK(res.status() == 101);
  CHECK(res.reason() == "Switching Protocols");
  CHECK(res.http_major() == 1);
  CHECK(res.http_minor() == 1);
  CHECK(res.header_count() == 4);
  CHECK(res.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(res.header_has_token("connection", "UPGRADE"));
  CHECK(res.body().empty());
}

TEST_CASE("a response head that announces a body parses without it", "[ws][http]") {
  HTTPResponse res;
  SECTION("Content-Length") {
    REQUIRE_FALSE(res.parse("HTTP/1.1 400 Bad Request\r\nContent-Length: 12\r\n\r\n", {}));
    CHECK(res.status() == 400);
  }
  SECTION("no length: the body would run to the end of the connection") {
    REQUIRE_FALSE(res.parse("HTTP/1.1 200 OK\r\nX: y\r\n\r\n", {}));
    CHECK(res.header("x") == "y");
  }
  SECTION("chunked") {
    REQUIRE_FALSE(res.parse("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n", {}));
    CHECK(res.status() == 403);
  }
  SECTION("an empty reason phrase") {
    REQUIRE_FALSE(res.parse("HTTP/1.1 101 \r\n\r\n", {}));
    CHECK(res.reason().empty());
  }
}

TEST_CASE("malformed response heads are bad_http", "[ws][http]") {
  const std::string bad =
      GENERATE(std::string("HTTP/1.1 1O1 Switching\r\n\r\n"),
               std::string("HTTP/1.1 101 OK\r\nUpgrade: a\r\n b\r\n\r\n"),
               std::string("HTTP/1.1 101 OK\r\nUp grade: a\r\n\r\n"),
               std::string("HTTP/1.1 101 OK\r\nX: \x01\r\n\r\n"),
               std::string("GET / HTTP/1.1\r\n\r\n"), std::string("HTTP/1.1 101 OK\r\n"),
               std::string("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\n\r\n\x81\x05"));
  HTTPResponse res;
  REQUIRE_FALSE(res.parse(rfc_response, {}));
  CHECK(res.parse(bad, {}) == Error::bad_http);
  CHECK(res.header_count() == 0);
  CHECK(res.status() == 0);
}

TEST_CASE("response heads obey the header limits", "[ws][http]") {
  HTTPResponse res;
  CHECK(res.parse(rfc_response, HTTPLimits{.max_header_bytes = rfc_response.size() - 1}) ==
        Error::headers_too_large);
  CHECK_FALSE(res.parse(rfc_response, HTTPLimits{.max_header_bytes = rfc_response.size()}));
  CHECK(res.parse(rfc_response, HTTPLimits{.max_headers = 3}) == Error::headers_too_large);
  CHECK_FALSE(res.parse(rfc_response, HTTPLimits{.max_headers = 4}));
}

TEST_CASE("a built response serializes byte-exactly", "[ws][http]") {
  HTTPResponse res(404, "Not Found");
  res.add_header("Content-Type", "text/plain").add_header("X-Trace", "a\tb").set_body("nope");
  CHECK(res.serialize() ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Trace: a\tb\r\n"
        "Content-Length: 4\r\n\r\nnope");
  CHECK(res.header("content-type") == "text/plain");
  CHECK(res.header_count() == 2);
  CHECK(res.status() == 404);
  CHECK(res.reason() == "Not Found");
}

TEST_CASE("Content-Length follows the status's framing rules", "[ws][http]") {
  CHECK(HTTPResponse(101, "Switching Protocols").add_header("Upgrade", "websocket").serialize() ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  CHECK(HTTPResponse(200, "OK").serialize() == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  CHECK(HTTPResponse(204, "No Content").serialize() == "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST_CASE("a serialized response parses back to the same head", "[ws][http]") {
  HTTPResponse built(426, "Upgrade Required");
  built.add_header("Upgrade", "websocket").add_header("Sec-WebSocket-Version", "13");
  const std::string wire = built.serialize();
  HTTPResponse parsed;
  REQUIRE_FALSE(parsed.parse(wire, {}));
  CHECK(parsed.status() == 426);
  CHECK(parsed.reason() == "Upgrade Required");
  CHECK(parsed.header("Sec-WebSocket-Version") == "13");
  CHECK(parsed.header("Content-Length") == "0");
  // The parsed head's own Content-Length is replaced, not repeated.
  CHECK(parsed.serialize() == wire);
}

TEST_CASE("the builder refuses arguments that would make a bad message", "[ws][http]") {
  CHECK_THROWS_AS(HTTPResponse(99, "x"), std::invalid_argument);
  CHECK_THROWS_AS(HTTPResponse(1000, "x"), std::invalid_argument);
  CHECK_THROWS_AS(HTTPResponse(200, "O\r\nX: y"), std::invalid_argument);
  HTTPResponse res(200, "OK");
  CHECK_THROWS_AS(res.add_header("X", "a\r\nSet-Cookie: evil"), std::invalid_argument);
  CHECK_THROWS_AS(res.add_header("X Y", "a"), std::invalid_argument);
  CHECK_THROWS_AS(res.add_header("", "a"), std::invalid_argument);
  CHECK_THROWS_AS(res.add_header("content-length", "3"), std::invalid_argument);
  CHECK_THROWS_AS(res.add_header("Transfer-Encoding", "chunked"), std::invalid_argument);
  CHECK(res.header_count() == 0);
  CHECK_THROWS_AS(HTTPResponse(101, "Switching Protocols").set_body("x"), std::invalid_argument);
  CHECK_THROWS_AS(HTTPResponse(304, "Not Modified").set_body("x"), std::invalid_argument);
}

TEST_CASE("append_header writes one checked field", "[ws][http]") {
  std::string out = "X";
  append_header(out, "Sec-WebSocket-Protocol", "chat");
  CHECK(out == "XSec-WebSocket-Protocol: chat\r\n");
  CHECK_THROWS_AS(append_header(out, "A", "b\nc"), std::invalid_argument);
  CHECK_THROWS_AS(append_header(out, "A:", "b"), std::invalid_argument);
  CHECK(out == "XSec-WebSocket-Protocol: chat\r\n");
}

TEST_CASE("reason_phrase names the statuses a handshake uses", "[ws][http]") {
  CHECK(reason_phrase(101) == "Switching Protocols");
  CHECK(reason_phrase(405) == "Method Not Allowed");
  CHECK(reason_phrase(426) == "Upgrade Required");
  CHECK(reason_phrase(431) == "Request Header Fields Too Large");
  CHECK(reason_phrase(505) == "HTTP Version Not Supported");
  CHECK(reason_phrase(299).empty());
}
