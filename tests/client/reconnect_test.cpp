// Client reconnects: the backoff schedule while the server is down (attempt numbers, growing
// and capped delays with jitter), coming back when the server returns on the same port,
// giving up after max_attempts, and never reconnecting after a close the application asked
// for.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "client/client_helpers.h"

using uvws::ClientOptions;
using uvws::WebSocket;
using uvws::test::ClientRun;
using uvws::test::Ms;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::ws_url;

namespace {

struct Attempt {
  unsigned number;
  Ms delay;
  std::error_code last;
};

ClientOptions reconnecting(Ms initial, Ms max, unsigned max_attempts = 0) {
  ClientOptions o;
  o.reconnect.enabled = true;
  o.reconnect.initial_delay = initial;
  o.reconnect.max_delay = max;
  o.reconnect.multiplier = 2.0;
  o.reconnect.jitter = 0.2;
  o.reconnect.max_attempts = max_attempts;
  return o;
}

// Records on_attempt and on_give_up of `run`'s client.
struct AttemptLog {
  explicit AttemptLog(ClientRun& run) {
    run.client->on_attempt = [this](unsigned n, Ms delay, std::error_code last) {
      attempts.push_back({n, delay, last});
    };
    run.client->on_give_up = [this](std::error_code last) {
      ++give_ups;
      give_up_error = last;
    };
  }
  std::vector<Attempt> attempts;
  int give_ups = 0;
  std::error_code give_up_error;
};

// The delay of attempt `n` (1-based) without jitter: initial * 2^(n-1), capped.
double nominal_delay(unsigned n, Ms initial, Ms max) {
  const double d = static_cast<double>(initial.count()) * std::pow(2.0, n - 1.0);
  return std::min(d, static_cast<double>(max.count()));
}

void check_schedule(const std::vector<Attempt>& attempts, std::size_t first, Ms initial, Ms max) {
  for (std::size_t i = first; i < attempts.size(); ++i) {
    const unsigned n = static_cast<unsigned>(i - first + 1);
    CAPTURE(i, n, attempts[i].delay.count());
    CHECK(attempts[i].number == n);
    const double nominal = nominal_delay(n, initial, max);
    // Jitter 0.2: within [0.8, 1.2] of the nominal delay (1 ms for rounding).
    CHECK(static_cast<double>(attempts[i].delay.count()) >= std::floor(nominal * 0.8) - 1);
    CHECK(static_cast<double>(attempts[i].delay.count()) <= std::ceil(nominal * 1.2) + 1);
  }
}

}  // namespace

TEST_CASE("client reconnects with growing, capped delays and comes back with the server",
          "[client][reconnect]") {
  const Ms initial(50), max(400);
  RecordingHandler handler;
  auto opts = ServerThread::options();
  auto server = std::make_unique<ServerThread>(opts, handler);
  const std::uint16_t port = server->port();
  ClientRun run(ws_url(port), reconnecting(initial, max));
  AttemptLog log(run);
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  CHECK(log.attempts.empty());

  // The server goes away (a graceful stop: 1001 to its connections).
  server->server().stop();
  REQUIRE(run.wait([&] { return run.rec.closes == 1; }));
  CHECK(run.rec.close_code == 1001);
  server->stop();
  server.reset();
  REQUIRE(run.wait([&] { return log.attempts.size() >= 6; }, Ms(10000)));
  check_schedule(log.attempts, 0, initial, max);
  // The first attempt follows a close handshake (no error); the others a refused connect.
  CHECK_FALSE(log.attempts[0].last);
  for (std::size_t i = 1; i < log.attempts.size(); ++i) {
    CHECK(log.attempts[i].last == std::errc::connection_refused);
  }
  CHECK(run.rec.errors.size() >= 5);
  for (const auto& e : run.rec.errors) {
    CHECK_FALSE(e.with_ws);
    CHECK(e.ec == std::errc::connection_refused);
  }
  CHECK(run.rec.opens == 1);
  CHECK(run.rec.closes == 1);

  // The server comes back on the same port: the client reconnects and works.
  opts.port = port;
  REQUIRE_NOTHROW(server = std::make_unique<ServerThread>(opts, handler));
  REQUIRE(server->port() == port);
  REQUIRE(run.wait([&] { return run.rec.opens == 2; }, Ms(5000)));
  REQUIRE(run.client->websocket() != nullptr);
  CHECK(run.client->websocket()->send_text("back again") == uvws::SendStatus::ok);
  REQUIRE(run.wait([&] { return run.rec.messages.size() == 1; }));
  CHECK(run.rec.messages[0].data == "back again");
  CHECK(run.rec.violations == 0);

  // A connection that opened resets the count: the next outage starts at attempt 1.
  const std::size_t before = log.attempts.size();
  server->server().stop();
  REQUIRE(run.wait([&] { return log.attempts.size() > before; }));
  CHECK(log.attempts[before].number == 1);
  CHECK(run.rec.closes == 2);
  server->stop();
  run.client->close();
  CHECK(log.give_ups == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client gives up after max_attempts failed attempts", "[client][reconnect]") {
  const std::uint16_t port = uvws::test::unused_port();
  REQUIRE(port != 0);
  const Ms initial(20), max(80);
  ClientRun run(ws_url(port), reconnecting(initial, max, 3), false);
  AttemptLog log(run);
  run.client->connect();
  REQUIRE(run.wait([&] { return log.give_ups > 0; }));
  uvws::test::run_for(run.loop, Ms(300));
  REQUIRE(log.attempts.size() == 3);
  check_schedule(log.attempts, 0, initial, max);
  CHECK(log.give_ups == 1);
  CHECK(log.give_up_error == std::errc::connection_refused);
  // The first connect and the three attempts each failed once.
  CHECK(run.rec.errors.size() == 4);
  CHECK(run.rec.opens == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client stops reconnecting when closed during the backoff", "[client][reconnect]") {
  const std::uint16_t port = uvws::test::unused_port();
  REQUIRE(port != 0);
  ClientRun run(ws_url(port), reconnecting(Ms(200), Ms(400)), false);
  AttemptLog log(run);

  SECTION("Client::close between attempts") {
    run.client->connect();
    REQUIRE(run.wait([&] { return log.attempts.size() == 1; }));
    run.client->close();
    uvws::test::run_for(run.loop, Ms(700));
    CHECK(log.attempts.size() == 1);
    CHECK(run.rec.errors.size() == 1);
    // connect() enables reconnecting again, counting from 1.
    run.client->connect();
    REQUIRE(run.wait([&] { return log.attempts.size() == 2; }));
    CHECK(log.attempts[1].number == 1);
    CHECK(run.rec.errors.size() == 2);
    run.client->close();
  }
  SECTION("Client::close from on_attempt") {
    run.client->on_attempt = [&](unsigned n, Ms delay, std::error_code last) {
      log.attempts.push_back({n, delay, last});
      run.client->close();
    };
    run.client->connect();
    REQUIRE(run.wait([&] { return log.attempts.size() == 1; }));
    uvws::test::run_for(run.loop, Ms(700));
    CHECK(log.attempts.size() == 1);
    CHECK(run.rec.errors.size() == 1);
  }
  CHECK(log.give_ups == 0);
  CHECK(run.rec.opens == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client does not reconnect after a close the application asked for",
          "[client][reconnect]") {
  RecordingHandler handler;
  handler.message_hook = [](WebSocket& ws, uvws::Message m) {
    if (m.text() == "server, close") ws.close(4001, "as you wish");
  };
  ServerThread server(ServerThread::options(), handler);
  // Connecting starts when the loop runs, after a SECTION has set the hooks.
  ClientRun run(ws_url(server.port()), reconnecting(Ms(50), Ms(100)));
  AttemptLog log(run);
  bool expect_reconnect = false;

  const std::string variant =
      GENERATE(as<std::string>{}, "WebSocket::close in on_message", "WebSocket::close in on_open",
               "a WebSocketHandle's close", "WebSocket::terminate",
               "but a close the server started does reconnect");
  CAPTURE(variant);
  if (variant == "WebSocket::close in on_message") {
    run.rec.open_hook = [](WebSocket& ws) { ws.send_text("hi"); };
    run.rec.message_hook = [](WebSocket& ws, const uvws::test::ClientRecorder::Msg&) {
      ws.close(1000, "app done");
    };
  }
  if (variant == "WebSocket::close in on_open") {
    run.rec.open_hook = [](WebSocket& ws) { ws.close(4000, "bye"); };
  }
  if (variant == "a WebSocketHandle's close") {
    uvws::WebSocketHandle handle;
    run.rec.open_hook = [&](WebSocket& ws) { handle = ws.handle(); };
    REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
    handle.close(1000, "by handle");
  }
  if (variant == "WebSocket::terminate") {
    run.rec.open_hook = [](WebSocket& ws) { ws.terminate(); };
  }
  if (variant == "but a close the server started does reconnect") {
    run.rec.open_hook = [&](WebSocket& ws) {
      if (run.rec.opens == 1) ws.send_text("server, close");
    };
    expect_reconnect = true;
  }
  REQUIRE(run.wait([&] { return run.rec.closes >= 1; }));
  if (expect_reconnect) {
    REQUIRE(run.wait([&] { return run.rec.opens == 2; }));
    CHECK(run.rec.close_code == 4001);
    REQUIRE(log.attempts.size() == 1);
    CHECK(log.attempts[0].number == 1);
    CHECK_FALSE(log.attempts[0].last);
    run.client->close();
    REQUIRE(run.wait([&] { return run.rec.closes == 2; }));
  } else {
    uvws::test::run_for(run.loop, Ms(500));
    CHECK(log.attempts.empty());
    CHECK(run.rec.opens == 1);
    CHECK(run.rec.closes == 1);
    CHECK(run.client->websocket() == nullptr);
  }
  CHECK(run.rec.violations == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("connect() right after close() opens a new connection once the old one has ended",
          "[client][reconnect]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  ClientOptions options;  // no reconnect policy: only the application's connect() reopens
  ClientRun run(ws_url(server.port()), options);
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  run.client->close(1000, "again");
  run.client->connect();  // the first connection is still closing
  REQUIRE(run.wait([&] { return run.rec.opens == 2; }));
  CHECK(run.rec.closes == 1);
  CHECK(run.rec.close_code == 1000);
  REQUIRE(run.client->websocket() != nullptr);
  run.client->close();
  REQUIRE(run.wait([&] { return run.rec.closes == 2; }));
  CHECK(run.rec.violations == 0);
  CHECK_FALSE(run.shut_down());
}
