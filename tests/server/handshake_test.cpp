// The opening handshake as a hostile or confused client sees it (RFC 6455 4.2.1, 4.2.2):
// each bad request gets its specific HTTP status and the connection is closed; and the
// server's timers: handshake timeout, idle timeout, keepalive pings.
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
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

long long ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
}

}  // namespace

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

TEST_CASE("server closes a connection that does not finish its handshake in time",
          "[server][handshake][timeout]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.handshake_timeout = milliseconds(300);
  ServerThread server(opts, handler);

  const char* sent = GENERATE("", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  INFO("sent: " << sent);
  const auto t0 = Clock::now();
  uvws::test::Socket s = uvws::test::Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(s.valid());
  REQUIRE(s.send_all(sent));
  CHECK(s.wait_closed(milliseconds(5000)));
  const auto elapsed = ms_since(t0);
  CHECK(elapsed >= 250);  // the wheel rounds up, never down
  CHECK(elapsed < 3000);
  CHECK(handler.opens == 0);
}

TEST_CASE("server closes an idle connection with 1001 at idle_timeout", "[server][timeout]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.idle_timeout = milliseconds(300);
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  // Traffic postpones it: 5 messages 100 ms apart keep the connection for 500 ms.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    REQUIRE(client.send_text("keep"));
    REQUIRE(client.recv().is_message(uvws::Opcode::text, "keep"));
  }
  const auto t0 = Clock::now();
  const Received r = client.recv(milliseconds(5000));
  const auto elapsed = ms_since(t0);
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1001);
  CHECK(elapsed >= 200);
  CHECK(elapsed < 3000);
  CHECK(client.recv().kind == Received::Kind::eof);
  REQUIRE(handler.wait([&] { return handler.closes.size() == 1; }));
  CHECK(handler.closes[0].code == 1001);
}

TEST_CASE("server keeps a responsive peer alive with pings at ping_interval",
          "[server][timeout][ping]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.ping_interval = milliseconds(100);
  opts.idle_timeout = milliseconds(400);
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  // The client answers every ping (its protocol pongs automatically) and sends nothing else:
  // well past idle_timeout the connection is still open.
  int pings = 0;
  const auto t0 = Clock::now();
  while (ms_since(t0) < 1200) {
    const Received r = client.recv(milliseconds(50));
    if (r.kind == Received::Kind::ping) ++pings;
    REQUIRE(r.kind != Received::Kind::close);
    REQUIRE(r.kind != Received::Kind::eof);
  }
  CHECK(pings >= 4);
  REQUIRE(handler.wait([&] { return handler.pongs.size() >= 4; }));
  REQUIRE(client.send_text("still here"));
  CHECK(client.recv_data().is_message(uvws::Opcode::text, "still here"));
  CHECK(handler.closes.empty());
}

TEST_CASE("server closes a peer that does not answer its keepalive ping",
          "[server][timeout][ping]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.ping_interval = milliseconds(150);
  opts.idle_timeout = milliseconds(0);
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  // Not reading means not answering: the ping waits in the socket buffer.
  std::this_thread::sleep_for(milliseconds(800));
  Received r = client.recv();
  CHECK(r.kind == Received::Kind::ping);
  r = client.recv_data();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1001);
  CHECK(client.wait_eof());
  REQUIRE(handler.wait([&] { return handler.closes.size() == 1; }));
  // The pong the client sent on reading the ping came too late to matter; the server
  // reports the close code the client echoed.
  CHECK(handler.closes[0].code == 1001);
}
