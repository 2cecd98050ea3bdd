// The server's timers on a ManualClock (ServerOptions::clock): the handshake timeout, the idle
// timeout, keepalive pings and their timeout, and the close timeout, each with its real
// production value (10 s, 30 s, 20 s, 5 s) and checked to the millisecond, in milliseconds of
// wall time.
//
// How a check is made: the test advances the clock, then waits (with a deadline) for the
// server's loop to catch up (ManualClock::wait_caught_up: the timers due have fired, the bytes
// they wrote have been handed to the kernel, the connections they closed are closed and have run
// on_close). So "nothing yet" is one non-blocking read, what did happen is waited for (loopback
// delivery may lag under load) and is still exact on the clock, which does not move meanwhile.
// The clock starts at 0 and stays on multiples of the wheel's 100 ms tick whenever a timer is
// armed.
// Teardown: peers are declared after the server, so they close first and the server's
// graceful stop() does not wait for a close timeout on a clock that no longer moves.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_client.h"
#include "uvws/net/clock.h"
#include "uvws/ws/frame.h"

using uvws::Opcode;
using uvws::net::ManualClock;
using uvws::test::default_timeout;
using uvws::test::Ms;
using uvws::test::RawFrame;
using uvws::test::Received;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::Socket;
using uvws::test::TestClient;

namespace {

using SteadyClock = std::chrono::steady_clock;

Ms remaining(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now());
  return left.count() > 0 ? left : Ms(0);
}

// Moves the clock by `ms` and waits until the server's loop has run what is now due.
bool advance(ManualClock& clock, std::int64_t ms) {
  clock.advance(Ms(ms));
  return clock.wait_caught_up();
}

// Polls `pred` until it holds or `timeout` passes: for server state that no event announces
// (the count of accepted connections).
bool eventually(const std::function<bool()>& pred, Ms timeout = default_timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!pred()) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(Ms(1));
  }
  return true;
}

// What `client` has received by now, without waiting: one non-blocking read (recv(Ms(0)) would
// not read at all: its deadline has passed before it starts).
Received received_now(TestClient& client) {
  client.pump(Ms(0));
  Received r;
  return client.take(r) ? r : Received{};
}

// A ServerThread on `clock`, loopback, port 0.
uvws::ServerOptions clocked(const ManualClock& clock) {
  auto o = ServerThread::options();
  o.clock = &clock;
  return o;
}

// A frame from the server (never masked, RFC 6455 5.1).
struct ServerFrame {
  Opcode opcode = Opcode::text;
  std::string payload;
  std::uint16_t close_code() const {
    if (payload.size() < 2) return 0;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                      static_cast<std::uint8_t>(payload[1]));
  }
  std::string close_reason() const { return payload.size() > 2 ? payload.substr(2) : ""; }
};

// A WebSocket peer on a raw socket that answers nothing (no pong, no close) unless told to:
// what TestClient's protocol would do on its own is exactly what these tests must withhold.
class SilentPeer {
 public:
  // Connects and completes the opening handshake; true on 101.
  bool open(std::uint16_t port) {
    socket_ = Socket::connect_tcp("127.0.0.1", port);
    if (!socket_.valid() || !socket_.send_all(uvws::test::upgrade_request("/"))) return false;
    const auto deadline = SteadyClock::now() + default_timeout;
    for (;;) {
      const std::string_view text(reinterpret_cast<const char*>(in_.data()), in_.size());
      const auto end = text.find("\r\n\r\n");
      if (end != std::string_view::npos) {
        const bool ok = text.rfind("HTTP/1.1 101 ", 0) == 0;
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(end + 4));
        return ok;
      }
      if (!read(deadline)) return false;
    }
  }

  // The next frame within `timeout`; nullopt on timeout or when the server ended TCP.
  std::optional<ServerFrame> next(Ms timeout = default_timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      if (auto f = parse()) return f;
      if (!read(deadline)) return std::nullopt;
    }
  }

  // Nothing has arrived and the server has not ended TCP: one non-blocking read.
  bool quiet() {
    if (!in_.empty() || ended_) return false;
    return socket_.read_some(in_, Ms(0)) == Socket::ReadStatus::timeout && in_.empty();
  }

  // The server ended TCP (EOF or reset) within `timeout`; frames read meanwhile are kept.
  bool ended_within(Ms timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!ended_) {
      if (!read(deadline) && !ended_) return false;
    }
    return true;
  }

  bool send(const RawFrame& frame) { return socket_.send_all(uvws::test::frame_bytes(frame)); }

 private:
  // Reads what arrives before `deadline`; false on timeout or end (ended_ then set).
  bool read(SteadyClock::time_point deadline) {
    for (;;) {
      switch (socket_.read_some(in_, remaining(deadline))) {
        case Socket::ReadStatus::data:
          return true;
        case Socket::ReadStatus::eof:
        case Socket::ReadStatus::error:
          ended_ = true;
          return false;
        case Socket::ReadStatus::timeout:
          if (SteadyClock::now() >= deadline) return false;
          break;
      }
    }
  }

  // One complete frame off the front of in_ (payloads under 64 KiB: all these tests need).
  std::optional<ServerFrame> parse() {
    if (in_.size() < 2) return std::nullopt;
    std::size_t length = in_[1] & 0x7Fu;
    std::size_t pos = 2;
    if (length == 126) {
      if (in_.size() < 4) return std::nullopt;
      length = (std::size_t{in_[2]} << 8) | in_[3];
      pos = 4;
    }
    if (in_.size() < pos + length) return std::nullopt;
    ServerFrame f;
    f.opcode = static_cast<Opcode>(in_[0] & 0x0Fu);
    f.payload.assign(reinterpret_cast<const char*>(in_.data()) + pos, length);
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(pos + length));
    return f;
  }

  Socket socket_;
  std::vector<std::uint8_t> in_;
  bool ended_ = false;
};

}  // namespace

TEST_CASE("clocked server: the handshake timeout closes at exactly handshake_timeout",
          "[server][timeout][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  auto opts = clocked(clock);
  opts.handshake_timeout = Ms(10000);
  ServerThread server(opts, handler);
  REQUIRE(clock.loop_count() == 1);

  const char* sent = GENERATE("", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  INFO("sent: " << sent);
  Socket s = Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(s.valid());
  REQUIRE(s.send_all(sent));
  // The timer starts when the server accepts, at 0 on the clock: wait for that before moving it.
  REQUIRE(eventually([&] { return server.server().tcp_connection_count() == 1; }));

  REQUIRE(advance(clock, 9999));
  std::vector<std::uint8_t> in;
  CHECK(s.read_some(in, Ms(0)) == Socket::ReadStatus::timeout);  // open, and no answer
  REQUIRE(advance(clock, 1));
  CHECK(s.wait_closed());
  CHECK(eventually([&] { return server.server().tcp_connection_count() == 0; }));
  CHECK(handler.count_opens() == 0);
}

TEST_CASE("clocked server: the idle timeout closes with 1001 at exactly idle_timeout",
          "[server][timeout][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  auto opts = clocked(clock);
  opts.idle_timeout = Ms(30000);
  opts.ping_interval = Ms(0);
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);  // the idle timer starts at 0

  std::int64_t due = 30000;
  SECTION("a silent peer: closed 30 s after the handshake") {
    CHECK(received_now(client).kind == Received::Kind::timeout);  // nothing at 0 either
  }
  SECTION("a message at 10 s postpones it to 40 s") {
    REQUIRE(advance(clock, 10000));
    CHECK(received_now(client).kind == Received::Kind::timeout);
    REQUIRE(client.send_text("keep"));
    // The echo proves that the server read the message at 10 s.
    REQUIRE(client.recv().is_message(Opcode::text, "keep"));
    due = 40000;
  }
  REQUIRE(advance(clock, due - 1 - static_cast<std::int64_t>(clock.now_ms())));
  CHECK(received_now(client).kind == Received::Kind::timeout);
  CHECK(handler.count_closes() == 0);
  REQUIRE(advance(clock, 1));
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1001);
  CHECK(r.data == "idle timeout");
  // The client's protocol answers the close; the server then ends TCP.
  CHECK(client.recv().kind == Received::Kind::eof);
  REQUIRE(handler.wait([&] { return handler.closes.size() == 1; }));
  CHECK(handler.closes[0].code == 1001);
  CHECK(handler.violations == 0);
}

TEST_CASE("clocked server: a peer that ignores the keepalive ping is closed with 1001",
          "[server][timeout][ping][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  auto opts = clocked(clock);
  opts.ping_interval = Ms(20000);
  // idle_timeout 60 s: the ping at 20 s, the end at 60 s; idle_timeout off: the end one
  // ping_interval after the ping, at 40 s.
  const auto [idle_ms, keepalive_due] =
      GENERATE(std::pair<std::int64_t, std::int64_t>{60000, 60000},
               std::pair<std::int64_t, std::int64_t>{0, 40000});
  opts.idle_timeout = Ms(idle_ms);
  opts.close_timeout = Ms(5000);
  ServerThread server(opts, handler);
  SilentPeer peer;
  REQUIRE(peer.open(server.port()));

  REQUIRE(advance(clock, 19999));
  CHECK(peer.quiet());
  REQUIRE(advance(clock, 1));
  auto ping = peer.next();
  REQUIRE(ping.has_value());
  CHECK(ping->opcode == Opcode::ping);
  CHECK(peer.quiet());  // one ping per interval

  REQUIRE(advance(clock, keepalive_due - 1 - 20000));
  CHECK(peer.quiet());
  CHECK(handler.count_closes() == 0);
  REQUIRE(advance(clock, 1));
  auto close = peer.next();
  REQUIRE(close.has_value());
  CHECK(close->opcode == Opcode::close);
  CHECK(close->close_code() == 1001);
  CHECK(close->close_reason() == "keepalive timeout");

  // The peer does not answer the close either: the close timeout aborts TCP 5 s later.
  REQUIRE(advance(clock, 4999));
  CHECK(peer.quiet());
  CHECK(handler.count_closes() == 0);
  REQUIRE(advance(clock, 1));
  CHECK(peer.ended_within(default_timeout));
  REQUIRE(handler.count_closes() == 1);   // on_close ran before the loop caught up
  CHECK(handler.closes[0].code == 1006);  // RFC 6455 7.1.5: no close frame came back
}

TEST_CASE("clocked server: a peer that answers the keepalive pings stays open",
          "[server][timeout][ping][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  auto opts = clocked(clock);
  opts.ping_interval = Ms(20000);
  opts.idle_timeout = Ms(60000);
  ServerThread server(opts, handler);
  TestClient client;  // its protocol answers every ping with a pong when it reads it
  REQUIRE(client.connect(server.port()) == 101);

  // Each pong re-arms the interval from the moment the server reads it (here: on the ping's
  // tick), so the pings come every 20 s, past the 60 s after which a silent peer is dropped.
  for (int n = 1; n <= 4; ++n) {
    INFO("ping " << n);
    REQUIRE(advance(clock, 19999));
    CHECK(received_now(client).kind == Received::Kind::timeout);
    REQUIRE(advance(clock, 1));
    const Received r = client.recv();
    REQUIRE(r.kind == Received::Kind::ping);
    REQUIRE(handler.wait([&] { return handler.pongs.size() == static_cast<std::size_t>(n); }));
  }
  CHECK(clock.now_ms() == 80000);
  REQUIRE(client.send_text("still here"));
  CHECK(client.recv().is_message(Opcode::text, "still here"));
  CHECK(handler.count_closes() == 0);
}

TEST_CASE("clocked server: the close timeout ends TCP when the peer does not finish the close",
          "[server][timeout][close][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  handler.message_hook = [](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "bye") ws.close(4000, "bye");
  };
  auto opts = clocked(clock);
  opts.close_timeout = Ms(5000);
  ServerThread server(opts, handler);
  SilentPeer peer;
  REQUIRE(peer.open(server.port()));
  REQUIRE(peer.send(RawFrame{.payload = "bye"}));
  auto echo = peer.next();  // the handler echoes before it closes
  REQUIRE(echo.has_value());
  CHECK(echo->opcode == Opcode::text);
  auto close = peer.next();  // the close timer starts with this frame, at 0 on the clock
  REQUIRE(close.has_value());
  REQUIRE(close->opcode == Opcode::close);
  CHECK(close->close_code() == 4000);

  std::uint16_t reported = 0;
  SECTION("the peer never answers the close: TCP aborted at 5 s") {
    REQUIRE(advance(clock, 4999));
    CHECK(peer.quiet());
    REQUIRE(advance(clock, 1));
    CHECK(peer.ended_within(default_timeout));
    reported = 1006;
  }
  SECTION("the peer answers but keeps TCP open after the server's FIN: closed at 5 s") {
    REQUIRE(peer.send(RawFrame{.opcode = Opcode::close, .payload = close->payload}));
    CHECK(peer.ended_within(default_timeout));  // the server's FIN (RFC 6455 7.1.1)
    REQUIRE(advance(clock, 4999));
    CHECK(handler.count_closes() == 0);  // still waiting for the peer's FIN
    REQUIRE(advance(clock, 1));
    reported = 4000;
  }
  REQUIRE(handler.count_closes() == 1);  // on_close ran before the loop caught up
  CHECK(handler.closes[0].code == reported);
}

TEST_CASE("clocked server: stop() waits for close_timeout on the clock, then ends",
          "[server][timeout][stop][clock]") {
  ManualClock clock;
  RecordingHandler handler;
  auto opts = clocked(clock);
  opts.close_timeout = Ms(5000);
  ServerThread server(opts, handler);
  SilentPeer peer;
  REQUIRE(peer.open(server.port()));

  server.server().stop();  // returns at once; the loop sends 1001 to every connection
  auto close = peer.next();
  REQUIRE(close.has_value());
  REQUIRE(close->opcode == Opcode::close);
  CHECK(close->close_code() == 1001);
  REQUIRE(advance(clock, 4999));
  CHECK(peer.quiet());
  CHECK(clock.loop_count() == 1);  // the loop still runs
  REQUIRE(advance(clock, 1));
  CHECK(peer.ended_within(default_timeout));
  CHECK(server.stop());  // run() returns: nothing is left on the loop
  CHECK(clock.loop_count() == 0);
  REQUIRE(handler.count_closes() == 1);
  CHECK(handler.closes[0].code == 1006);
}
