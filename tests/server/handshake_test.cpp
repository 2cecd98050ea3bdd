// The opening handshake as a hostile or confused client sees it (RFC 6455 4.2.1, 4.2.2):
// each bad request gets its specific HTTP status and the connection is closed. (The server's
// timers — handshake, idle, keepalive, close — are tested on a clock in timeout_test.cpp.)
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "test_client.h"
#include "uvws/ws/error.h"

using uvws::test::http_exchange;
using uvws::test::Received;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using uvws::test::upgrade_request;
TEST_CASE("server answers bad handshakes with their specific status", "[server][handshake]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.max_header_bytes = 4096;
  ServerThread server(opts, {{"/", &handler}, {"/chat", &handler}});
  const std::uint16_t port = server.port();
  // What each section's request must leave in the handler: a WebSocket that opened (and so
  // closes), and handshake failures, each reported to on_error(nullptr, ...) only. A failure
  // is reported to the handler of the request's route: a request whose route is not known (an
  // unknown path, or a head that does not parse) has nobody to tell.
  int expected_opens = 0;
  int expected_errors = 0;

  SECTION("a valid request is accepted with the RFC 6455 1.3 accept key") {
    const auto r = http_exchange(port, upgrade_request("/chat?room=1"));
    CHECK(r.status == 101);
    CHECK(r.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(r.header("upgrade") == "websocket");
    expected_opens = 1;
  }
  SECTION("no Upgrade header: 426 from the default on_http") {
    // Plain HTTP for the route's on_http, not a failed handshake: no on_error.
    const auto r = http_exchange(port, "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(r.status == 426);
    CHECK(r.header("Upgrade") == "websocket");
    CHECK(r.closed);
  }
  SECTION("wrong Sec-WebSocket-Version: 426 naming version 13") {
    const auto r = http_exchange(port, upgrade_request("/", {}, "dGhlIHNhbXBsZSBub25jZQ==", "8"));
    CHECK(r.status == 426);
    CHECK(r.header("Sec-WebSocket-Version") == "13");
    CHECK(r.closed);
    expected_errors = 1;
  }
  SECTION("a key that is not base64 of 16 bytes: 400") {
    const auto r = http_exchange(port, upgrade_request("/", {}, "c2hvcnQ="));
    CHECK(r.status == 400);
    CHECK(r.closed);
    expected_errors = 1;
  }
  SECTION("headers over max_header_bytes: 431") {
    const std::string big = "X-Filler: " + std::string(6000, 'f') + "\r\n";
    const auto r = http_exchange(port, upgrade_request("/", big));
    CHECK(r.status == 431);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("header bytes that never end: 431 before the request is complete") {
    // No blank line ever comes: the limit applies to what has arrived.
    const std::string endless = "GET / HTTP/1.1\r\nX-Filler: " + std::string(8000, 'f');
    const auto r = http_exchange(port, endless);
    CHECK(r.status == 431);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("an unknown path: 404") {
    const auto r = http_exchange(port, upgrade_request("/missing"));
    CHECK(r.status == 404);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("not GET") {
    std::string req = upgrade_request("/");
    req.replace(0, 3, "PUT");
    const auto r = http_exchange(port, req);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    CHECK(r.closed);
    expected_errors = 1;
  }
  SECTION("garbage instead of HTTP: 400") {
    const auto r =
        http_exchange(port, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n", 13));
    CHECK(r.status == 400);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("a TLS ClientHello's first bytes: 400 at once, without waiting for a header block") {
    // No blank line ever comes; before the fix this waited for the handshake timeout.
    const auto r = http_exchange(port, std::string("\x16\x03\x01\x02\x00\x01", 6));
    CHECK(r.status == 400);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("an HTTP/2 connection preface: 505") {
    const auto r = http_exchange(port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    CHECK(r.status == 505);
    CHECK(r.closed);
    expected_errors = 0;  // no route known
  }
  SECTION("an upgrade request in any version but HTTP/1.1: 505") {
    const std::string version =
        GENERATE(as<std::string>{}, "HTTP/2.0", "HTTP/1.2", "HTTP/1.0", "HTTP/3.0", "HTTP/0.9");
    CAPTURE(version);
    std::string req = upgrade_request("/");
    req.replace(req.find("HTTP/1.1"), 8, version);
    const auto r = http_exchange(port, req);
    CHECK(r.status == 505);
    CHECK(r.closed);
    // HTTP/1.0 parses and reaches the route's handshake check; the others fail to parse.
    expected_errors = version == "HTTP/1.0" ? 1 : 0;
  }
  // Once run() has returned no callback can come any more: the record is final. (A stop
  // closes a WebSocket still open with 1001; the one of the valid request has ended anyway.)
  REQUIRE(server.stop());
  const Record rec = handler.snapshot();
  CHECK(rec.opens == expected_opens);
  CHECK(rec.closes.size() == std::size_t(expected_opens));
  CHECK(rec.errors == expected_errors);
  // No refused handshake reaches on_open; a WebSocket failure goes to on_error(nullptr, ...).
  CHECK(rec.error_null_ws == expected_errors);
  CHECK(rec.messages == 0);
  CHECK(rec.violations == 0);
}

TEST_CASE("server refuses origins outside allowed_origins with 403", "[server][handshake]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.allowed_origins = {"https://good.example"};
  ServerThread server(opts, handler);

  const auto bad =
      http_exchange(server.port(), upgrade_request("/", "Origin: https://evil.example\r\n"));
  CHECK(bad.status == 403);
  CHECK(bad.closed);
  const auto rec = handler.wait([](const Record& seen) { return seen.errors == 1; });
  REQUIRE(rec);
  CHECK(rec->error_codes[0] == uvws::ws::Error::origin_refused);
  CHECK(rec->error_null_ws == 1);
  CHECK(rec->opens == 0);

  // Compared case-insensitively (RFC 6454 host names).
  TestClient good;
  CHECK(good.connect(server.port(), "/", {{"Origin", "https://GOOD.example"}}) == 101);
  TestClient none;
  CHECK(none.connect(server.port()) == 403);  // a restricted server requires Origin
  TestClient evil;
  CHECK(evil.connect(server.port(), "/", {{"Origin", "https://evil.example"}}) == 403);
  const auto after = handler.wait([](const Record& seen) { return seen.errors == 3; });
  REQUIRE(after);
  CHECK(after->opens == 1);
  CHECK(after->error_null_ws == 3);
}
