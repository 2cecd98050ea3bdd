// Metrics: the counters behind Server::metrics() match a scripted session exactly, and
// MetricsHandler serves them as Prometheus text (its format is checked against Debian's
// python3-prometheus-client parser by tests/interop/metrics_scrape.py).
#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "test_client.h"
#include "uvws/metrics.h"

using uvws::Opcode;
using uvws::ServerMetrics;
using uvws::test::Received;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using uvws::test::wait_until;

namespace {

std::uint64_t at(const std::map<int, std::uint64_t>& m, int key) {
  const auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("Server::metrics counts a scripted session exactly", "[server][metrics]") {
  RecordingHandler echo;
  ServerThread server(ServerThread::options(), {{"/echo", &echo}});

  {
    TestClient a;
    REQUIRE(a.connect(server.port(), "/echo") == 101);
    REQUIRE(a.send_text("hello"));  // 5 bytes
    REQUIRE(a.send_text("héllo"));  // 6 bytes
    REQUIRE(a.send_binary("\x01\x02\x03"));
    for (int i = 0; i < 3; ++i) CHECK(a.recv_data().kind == Received::Kind::message);
    REQUIRE(a.ping("p"));
    CHECK(a.recv().kind == Received::Kind::pong);
    REQUIRE(a.close(4001, "bye"));
    CHECK(a.recv().kind == Received::Kind::close);
    CHECK(a.wait_eof());
  }
  TestClient missing;
  CHECK(missing.connect(server.port(), "/nowhere") == 404);
  const auto plain = uvws::test::http_exchange(
      server.port(), "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(plain.status == 426);
  {
    TestClient b;
    REQUIRE(b.connect(server.port(), "/echo") == 101);
    // b leaves without a close frame: 1006.
  }
  REQUIRE(wait_until([&] { return echo.count_closes() == 2; }));

  const ServerMetrics m = server.server().metrics();
  CHECK(m.websockets_open == 0);
  CHECK(m.tcp_accepted == 4);
  CHECK(m.tcp_refused == 0);
  CHECK(at(m.handshakes, 101) == 2);
  CHECK(at(m.handshakes, 404) == 1);
  CHECK(m.handshakes.size() == 2);
  CHECK(at(m.http_responses, 426) == 1);
  CHECK(m.text_received.messages == 2);
  CHECK(m.text_received.bytes == 11);
  CHECK(m.binary_received.messages == 1);
  CHECK(m.binary_received.bytes == 3);
  CHECK(m.text_sent.messages == 2);  // the echoes
  CHECK(m.text_sent.bytes == 11);
  CHECK(m.binary_sent.messages == 1);
  CHECK(m.pings_received == 1);
  CHECK(m.pongs_sent == 1);
  // Client frames carry a 4-byte mask: 6 + 5, 6 + 6, 6 + 3, ping 6 + 1, close 6 + 2 + 3.
  CHECK(m.wire_bytes_received == 11 + 12 + 9 + 7 + 11);
  // Server frames have none: 2 + 5, 2 + 6, 2 + 3, pong 2 + 1, close answer 2 + 2.
  CHECK(m.wire_bytes_sent == 7 + 8 + 5 + 3 + 4);
  CHECK(at(m.close_received, 4001) == 1);
  CHECK(at(m.close_sent, 4001) == 1);  // the echoed code
  CHECK(at(m.closed, 4001) == 1);
  CHECK(at(m.closed, 1006) == 1);
  CHECK(m.deflate_payload_received == 0);
  CHECK(m.loop_lag.size() == 1);
}

TEST_CASE("MetricsHandler serves the Prometheus text on its route", "[server][metrics]") {
  RecordingHandler echo;
  // The fixture makes the Server and routes it at once: this handler reaches the Server
  // through a pointer set right after (a request cannot come before the fixture returns).
  struct Deferred : uvws::Handler {
    std::atomic<uvws::Server*> server{nullptr};
    void on_http(const uvws::HTTPRequest& r, uvws::HTTPReply& reply) override {
      uvws::MetricsHandler(*server.load()).on_http(r, reply);
    }
    uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& r) override {
      return uvws::MetricsHandler(*server.load()).on_upgrade(r);
    }
  } metrics;
  ServerThread server(ServerThread::options(), {{"/echo", &echo}, {"/metrics", &metrics}});
  metrics.server = &server.server();

  TestClient a;
  REQUIRE(a.connect(server.port(), "/echo") == 101);
  REQUIRE(a.send_text("hi"));
  CHECK(a.recv_data().is_message(Opcode::text, "hi"));

  const auto got = uvws::test::http_exchange(
      server.port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  REQUIRE(got.status == 200);
  CHECK(got.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(got.body.find("# TYPE uvws_messages_received_total counter\n") != std::string::npos);
  CHECK(got.body.find("uvws_messages_received_total{opcode=\"text\"} 1\n") != std::string::npos);
  CHECK(got.body.find("uvws_websocket_connections 1\n") != std::string::npos);
  CHECK(got.body.find("uvws_handshakes_total{status=\"101\"} 1\n") != std::string::npos);
  CHECK(got.body.find("uvws_loop_lag_seconds_bucket{loop=\"0\",le=\"+Inf\"}") != std::string::npos);

  const auto post = uvws::test::http_exchange(
      server.port(), "POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(post.status == 405);
  TestClient upgrade;
  CHECK(upgrade.connect(server.port(), "/metrics") == 404);
}

TEST_CASE("keepalive pings measure their round trip", "[server][metrics]") {
  RecordingHandler echo;
  auto opts = ServerThread::options();
  opts.ping_interval = std::chrono::milliseconds(100);
  ServerThread server(opts, {{"/", &echo}});
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  const Received ping = client.recv();  // the keepalive ping, answered by the client
  REQUIRE(ping.kind == Received::Kind::ping);
  CHECK(ping.data.size() == 8);
  REQUIRE(wait_until([&] { return server.server().metrics().ping_rtt.count == 1; }));
  const ServerMetrics m = server.server().metrics();
  CHECK(m.pings_sent >= 1);
  CHECK(m.pongs_received == 1);
  CHECK(m.ping_rtt.sum < 10.0);  // seconds: a loopback round trip

  // An unsolicited pong with any other payload is not a round trip.
  REQUIRE(client.pong("12345678"));
  REQUIRE(wait_until([&] { return server.server().metrics().pongs_received == 2; }));
  CHECK(server.server().metrics().ping_rtt.count == 1);
}

TEST_CASE("pub/sub metrics: publishes, deliveries, topics, subscriptions", "[server][metrics]") {
  RecordingHandler room;
  room.echo = false;
  room.open_hook = [](uvws::WebSocket& ws) { ws.subscribe("news"); };
  ServerThread server(ServerThread::options(), {{"/", &room}});
  TestClient a, b;
  REQUIRE(a.connect(server.port()) == 101);
  REQUIRE(b.connect(server.port()) == 101);
  REQUIRE(wait_until([&] { return server.server().subscribers("news") == 2; }));
  server.server().publish("news", "one");
  server.server().publish("news", "two");
  for (TestClient* c : {&a, &b}) {
    CHECK(c->recv_data().is_message(Opcode::text, "one"));
    CHECK(c->recv_data().is_message(Opcode::text, "two"));
  }
  const ServerMetrics m = server.server().metrics();
  CHECK(m.publishes == 2);
  CHECK(m.deliveries == 4);
  CHECK(m.topics == 1);
  CHECK(m.subscriptions == 2);
}

TEST_CASE("a message is counted before its echo is written", "[server][metrics]") {
  // The loop counts data messages in plain integers and publishes them after each read, before
  // the read's replies go out (LoopMetrics::publish): whoever got the echo sees the count.
  RecordingHandler echo;
  ServerThread server(ServerThread::options(), echo);
  TestClient a;
  REQUIRE(a.connect(server.port()) == 101);
  for (std::uint64_t i = 1; i <= 3; ++i) {
    REQUIRE(a.send_text("abcd"));
    CHECK(a.recv_data().is_message(Opcode::text, "abcd"));
    const ServerMetrics m = server.server().metrics();
    CHECK(m.text_received.messages == i);
    CHECK(m.text_received.bytes == 4 * i);
    CHECK(m.text_sent.messages == i);
    CHECK(m.wire_bytes_sent == 6 * i);
  }
}

TEST_CASE("ServerOptions::metrics off: no traffic is counted, connections are",
          "[server][metrics]") {
  RecordingHandler echo;
  auto options = ServerThread::options();
  options.metrics = false;
  ServerThread server(options, echo);
  {
    TestClient a;
    REQUIRE(a.connect(server.port()) == 101);
    REQUIRE(a.send_text("hello"));
    CHECK(a.recv_data().is_message(Opcode::text, "hello"));
    REQUIRE(a.close(1000, ""));
    CHECK(a.recv().kind == Received::Kind::close);
  }
  REQUIRE(wait_until([&] { return echo.count_closes() == 1; }));
  const ServerMetrics m = server.server().metrics();
  CHECK(m.tcp_accepted == 1);
  CHECK(at(m.handshakes, 101) == 1);
  CHECK(m.text_received.messages == 0);
  CHECK(m.text_sent.messages == 0);
  CHECK(m.wire_bytes_received == 0);
  CHECK(m.closed.empty());
  CHECK(m.loop_lag.size() == 1);
  CHECK(m.loop_lag[0].count == 0);  // no lag timer
}
