// Routes through real connections: parameters, wildcards and the catch-all, what a WebSocket
// tells about its request during on_open and afterwards, plain HTTP on a pattern route, 404,
// and per-route options (limits and compression) enforced per route.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "route_helpers.h"
#include "test_client.h"
#include "uvws/net/clock.h"

using uvws::RouteOptions;
using uvws::Server;
using uvws::ServerOptions;
using uvws::test::DescribeHandler;
using uvws::test::http_exchange;
using uvws::test::Received;
using uvws::test::RouteServer;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using uvws::test::upgrade_request;

namespace {

// The first message after connecting to `target` (101 required), and the answer to one more.
std::pair<std::string, std::string> open_and_later(std::uint16_t port, const std::string& target,
                                                   const uvws::test::Headers& headers = {}) {
  TestClient c;
  REQUIRE(c.connect(port, target, headers) == 101);
  const Received open = c.recv_data();
  REQUIRE(open.kind == Received::Kind::message);
  REQUIRE(c.send_text("again"));
  const Received later = c.recv_data();
  REQUIRE(later.kind == Received::Kind::message);
  c.close();
  return {open.data, later.data};
}

}  // namespace

TEST_CASE("route parameters, wildcards and the catch-all reach the WebSocket", "[server][route]") {
  DescribeHandler rooms, files, exact, any;
  RouteServer server(ServerThread::options(), [&](Server& s) {
    s.route("/rooms/:id/users/:user", rooms);
    s.route("/files/*", files);
    s.route("/chat", exact);
    s.route("*", any);
  });
  const auto port = server.port();

  SECTION("parameters: during on_open only, by name or index") {
    const auto [open, later] = open_and_later(port, "/rooms/42/users/ann?x=1");
    CHECK(open == "open:/rooms/:id/users/:user|/rooms/42/users/ann|42|ann|x=1|");
    // Nothing kept: an open connection holds no request data.
    CHECK(later == "later:/rooms/:id/users/:user|||||");
  }
  SECTION("the wildcard captures the rest of the path") {
    const auto [open, later] = open_and_later(port, "/files/a/b.txt");
    CHECK(open == "open:/files/*|/files/a/b.txt|a/b.txt|||");
    CHECK(later == "later:/files/*|||||");
  }
  SECTION("an exact route's path is its pattern, always") {
    const auto [open, later] = open_and_later(port, "/chat?room=2");
    CHECK(open == "open:/chat|/chat|||room=2|");
    CHECK(later == "later:/chat|/chat||||");
  }
  SECTION("the catch-all sees the real request path, not \"*\"") {
    const auto [open, later] = open_and_later(port, "/rooms/42/other");
    CHECK(open == "open:*|/rooms/42/other||||");
  }
  SECTION("plain HTTP on a pattern route: on_http with route_param") {
    const auto r = http_exchange(port, "GET /files/x/y HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(r.status == 200);
    CHECK(r.body == "http:|x/y|x/y");
    const auto p = http_exchange(port, "GET /rooms/7/users/bob HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(p.status == 200);
    CHECK(p.body == "http:7||7");
  }
}

TEST_CASE("a path no route matches gets 404 without a catch-all", "[server][route]") {
  DescribeHandler rooms;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/rooms/:id", rooms); });
  CHECK(http_exchange(server.port(), upgrade_request("/rooms")).status == 404);
  CHECK(http_exchange(server.port(), upgrade_request("/rooms/1/2")).status == 404);
  CHECK(http_exchange(server.port(), upgrade_request("/rooms/1")).status == 101);
}

TEST_CASE("keep_request keeps path, query, parameters and chosen headers", "[server][route]") {
  DescribeHandler kept;
  RouteOptions keep;
  keep.keep_headers = {"x-user"};
  RouteServer server(ServerThread::options(),
                     [&](Server& s) { s.route("/rooms/:id/*", kept, keep); });
  const auto [open, later] =
      open_and_later(server.port(), "/rooms/9/deep/er?q=v", {{"X-User", "zoe"}});
  CHECK(open == "open:/rooms/:id/*|/rooms/9/deep/er|9|deep/er|q=v|zoe");
  CHECK(later == "later:/rooms/:id/*|/rooms/9/deep/er|9|deep/er|q=v|zoe");
}

TEST_CASE("route() refuses conflicts and bad options", "[server][route]") {
  Server s(ServerThread::options());
  DescribeHandler h;
  s.route("/a/:id", h);
  CHECK_THROWS_AS(s.route("/a/:id", h), std::invalid_argument);
  CHECK_THROWS_AS(s.route("/a/:other", h), std::invalid_argument);
  CHECK_THROWS_AS(s.route("a", h), std::invalid_argument);
  RouteOptions bad;
  bad.max_backpressure = 0;
  CHECK_THROWS_WITH(s.route("/b", h, bad), Catch::Contains("uvws::RouteOptions"));
  RouteOptions bad_frame;
  bad_frame.max_frame_size = 0;
  CHECK_THROWS_AS(s.route("/c", h, bad_frame), std::invalid_argument);
  s.route("/b", h);  // the refused route left nothing behind
}

TEST_CASE("per-route limits are enforced per route", "[server][route]") {
  DescribeHandler small_h, big_h;
  RouteOptions small;
  small.max_message_size = 100;
  RouteServer server(ServerThread::options(), [&](Server& s) {
    s.route("/small", small_h, small);
    s.route("/big", big_h);
  });
  const std::string payload(200, 'x');
  TestClient big;
  REQUIRE(big.connect(server.port(), "/big") == 101);
  REQUIRE(big.recv_data().kind == Received::Kind::message);  // open:
  REQUIRE(big.send_text(payload));
  CHECK(big.recv_data().kind == Received::Kind::message);  // accepted: answered

  TestClient small_c;
  REQUIRE(small_c.connect(server.port(), "/small") == 101);
  REQUIRE(small_c.recv_data().kind == Received::Kind::message);
  REQUIRE(small_c.send_text(payload));
  const Received r = small_c.recv_data();
  CHECK(r.kind == Received::Kind::close);
  CHECK(r.code == 1009);
  // A message within the route's limit passes on the same route.
  TestClient small_ok;
  REQUIRE(small_ok.connect(server.port(), "/small") == 101);
  REQUIRE(small_ok.recv_data().kind == Received::Kind::message);
  REQUIRE(small_ok.send_text(std::string(100, 'y')));
  CHECK(small_ok.recv_data().kind == Received::Kind::message);
}

TEST_CASE("compression on one route only", "[server][route]") {
  DescribeHandler h;
  RouteOptions z;
  z.compression = uvws::ws::DeflateOptions{};
  z.compression->enabled = true;
  RouteServer server(ServerThread::options(), [&](Server& s) {
    s.route("/z", h, z);
    s.route("/plain", h);
  });
  const std::string offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
  const auto zr = http_exchange(server.port(), upgrade_request("/z", offer));
  CHECK(zr.status == 101);
  CHECK(zr.header("Sec-WebSocket-Extensions").find("permessage-deflate") == 0);
  const auto pr = http_exchange(server.port(), upgrade_request("/plain", offer));
  CHECK(pr.status == 101);
  CHECK(pr.header("Sec-WebSocket-Extensions").empty());
}

TEST_CASE("a per-route idle timeout applies to that route only", "[server][route][clock]") {
  uvws::net::ManualClock clock;
  uvws::test::RecordingHandler quick_h, slow_h;
  auto opts = ServerThread::options();
  opts.clock = &clock;
  opts.idle_timeout = uvws::test::Ms(120000);
  RouteOptions quick;
  quick.idle_timeout = uvws::test::Ms(1000);
  RouteServer server(opts, [&](Server& s) {
    s.route("/quick", quick_h, quick);
    s.route("/slow", slow_h);
  });
  TestClient q, w;
  REQUIRE(q.connect(server.port(), "/quick") == 101);  // both idle timers start at 0
  REQUIRE(w.connect(server.port(), "/slow") == 101);
  clock.advance(uvws::test::Ms(1000));
  REQUIRE(clock.wait_caught_up());
  const Received r = q.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1001);
  CHECK(r.data == "idle timeout");
  // The other route keeps the server's 120 s: still open, and echoing.
  REQUIRE(w.send_text("alive"));
  CHECK(w.recv().is_message(uvws::ws::Opcode::text, "alive"));
}
