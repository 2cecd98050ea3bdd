// The client's timers on a ManualClock (LoopOptions::clock of the loop the Client runs on): the
// handshake timeout, the idle timeout, keepalive pings and their timeout, the close timeout,
// and the reconnect backoff (a net::Timer), each with a real production value and checked to the
// millisecond, in milliseconds of wall time.
//
// The peer is a fake server that answers the handshake (or not) on its thread and then hands
// the connection to the test thread, which also runs the client's loop: after each advance of
// the clock the test runs the loop until it has caught up (the timers due have fired, the bytes
// they wrote have been handed to the kernel, closed connections have run on_close). So "nothing
// yet" is one non-blocking read, what did happen is waited for (loopback delivery may lag under
// load) and is still exact on the clock, which does not move meanwhile. The clock starts at 0
// and stays on multiples of the wheel's 100 ms tick whenever a timer is armed.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "client_helpers.h"
#include "uvws/client.h"
#include "uvws/net/clock.h"
#include "uvws/net/loop.h"

using uvws::ClientOptions;
using uvws::Opcode;
using uvws::net::ManualClock;
using uvws::test::ClientFrame;
using uvws::test::ClientRecorder;
using uvws::test::default_timeout;
using uvws::test::FakePeer;
using uvws::test::FakeServer;
using uvws::test::Ms;
using uvws::test::RawFrame;

namespace {

// A uvws::Client on a loop of its own on a ManualClock; the test thread runs the loop. Members
// are destroyed client first, then the loop, then the clock.
struct ClockedClient {
  ClockedClient(std::string_view url, ClientOptions options)
      : client(std::make_unique<uvws::Client>(loop, url, rec, std::move(options))) {}
  ~ClockedClient() { shut_down(); }

  // Moves the clock by `ms` and runs the loop until it has run what is now due.
  bool advance(std::int64_t ms) {
    clock.advance(Ms(ms));
    return wait([&] { return clock.caught_up(); });
  }
  bool wait(const std::function<bool()>& pred, Ms timeout = default_timeout) {
    return uvws::test::run_until(loop, pred, timeout);
  }
  std::error_code shut_down() {
    client.reset();
    return loop.close_all();
  }

  ManualClock clock;
  uvws::net::Loop loop{uvws::net::LoopOptions{.clock = &clock}};
  ClientRecorder rec;
  std::unique_ptr<uvws::Client> client;
};

// A fake server that accepts one connection, reads the request, answers it with 101 if
// `answer`, and hands the connection over to the test thread (handed(), then take()).
class HandOver {
 public:
  explicit HandOver(bool answer)
      : server_([this, answer](FakePeer& p) {
          request_ = p.read_request();
          if (answer && !request_.empty()) p.send(uvws::test::switching_protocols(request_));
          peer_.emplace(std::move(p));
          handed_ = true;
        }) {}

  std::string url() const { return server_.url(); }
  bool handed() const { return handed_; }
  // After handed(): the connection, and the request that came on it.
  FakePeer& take() {
    server_.join();
    return *peer_;
  }
  const std::string& request() const { return request_; }

 private:
  std::optional<FakePeer> peer_;
  std::string request_;
  std::atomic<bool> handed_{false};
  FakeServer server_;  // last: its thread uses the members above
};

// Connects `c` to `fake` and runs its loop until the fake server has handed the connection
// over (and, if it answered, the client has opened).
FakePeer& connect(ClockedClient& c, HandOver& fake, bool opens) {
  c.client->connect();
  REQUIRE(c.wait([&] { return fake.handed() && (!opens || c.rec.opens == 1); }));
  REQUIRE(fake.request().rfind("GET / HTTP/1.1\r\n", 0) == 0);
  return fake.take();
}

RawFrame from_server(Opcode opcode, std::string payload) {
  return RawFrame{.opcode = opcode, .payload = std::move(payload), .masked = false};
}

}  // namespace

TEST_CASE("clocked client: the handshake timeout fails at exactly handshake_timeout",
          "[client][timeout][clock]") {
  HandOver fake(false);  // reads the request, never answers
  ClientOptions options;
  options.handshake_timeout = Ms(10000);
  ClockedClient c(fake.url(), options);
  FakePeer& peer = connect(c, fake, false);  // TCP is up: the timer started at 0

  REQUIRE(c.advance(9999));
  CHECK(c.rec.errors.empty());
  CHECK_FALSE(peer.client_closed_within(Ms(0)));
  REQUIRE(c.advance(1));
  REQUIRE(c.rec.errors.size() == 1);
  CHECK_FALSE(c.rec.errors[0].with_ws);
  CHECK(c.rec.errors[0].ec == std::errc::timed_out);
  CHECK(peer.client_closed_within(default_timeout));
  CHECK(c.rec.opens == 0);
  CHECK(c.client->handshake_status() == 0);
  CHECK_FALSE(c.shut_down());
}

TEST_CASE("clocked client: a silent connection closes with 1001 at exactly idle_timeout",
          "[client][timeout][clock]") {
  HandOver fake(true);
  ClientOptions options;
  options.idle_timeout = Ms(30000);
  ClockedClient c(fake.url(), options);
  FakePeer& peer = connect(c, fake, true);  // open at 0: the idle timer starts

  std::int64_t due = 30000;
  SECTION("nothing received: closed 30 s after the handshake") {
    CHECK_FALSE(peer.read_frame(Ms(0)).has_value());  // nothing at 0 either
  }
  SECTION("a message at 10 s postpones it to 40 s") {
    REQUIRE(c.advance(10000));
    CHECK_FALSE(peer.read_frame(Ms(0)).has_value());
    REQUIRE(peer.send_frame(from_server(Opcode::text, "keep")));
    REQUIRE(c.wait([&] { return c.rec.messages.size() == 1; }));
    due = 40000;
  }
  REQUIRE(c.advance(due - 1 - static_cast<std::int64_t>(c.clock.now_ms())));
  CHECK_FALSE(peer.read_frame(Ms(0)).has_value());
  CHECK(c.rec.closes == 0);
  REQUIRE(c.advance(1));
  const std::optional<ClientFrame> close = peer.read_frame();
  REQUIRE(close.has_value());
  CHECK(close->opcode == Opcode::close);
  CHECK(close->close_code() == 1001);
  CHECK(close->close_reason() == "idle timeout");
  // The server completes the close and ends TCP (RFC 6455 7.1.1): on_close follows.
  REQUIRE(peer.send_frame(from_server(Opcode::close, close->payload)));
  peer.close();
  REQUIRE(c.wait([&] { return c.rec.closes == 1; }));
  CHECK(c.rec.close_code == 1001);
  CHECK(c.rec.errors.empty());
  CHECK(c.rec.violations == 0);
  CHECK_FALSE(c.shut_down());
}

TEST_CASE("clocked client: unanswered keepalive pings close with 1001, then the close times out",
          "[client][timeout][keepalive][clock]") {
  HandOver fake(true);
  ClientOptions options;
  options.ping_interval = Ms(20000);
  options.idle_timeout = Ms(0);  // the keepalive timeout is then one more ping_interval
  options.close_timeout = Ms(5000);
  ClockedClient c(fake.url(), options);
  FakePeer& peer = connect(c, fake, true);

  REQUIRE(c.advance(19999));
  CHECK_FALSE(peer.read_frame(Ms(0)).has_value());
  REQUIRE(c.advance(1));
  const std::optional<ClientFrame> ping = peer.read_frame();
  REQUIRE(ping.has_value());
  CHECK(ping->opcode == Opcode::ping);
  CHECK(ping->masked);  // RFC 6455 5.3: every client frame

  REQUIRE(c.advance(19999));
  CHECK_FALSE(peer.read_frame(Ms(0)).has_value());
  REQUIRE(c.advance(1));
  const std::optional<ClientFrame> close = peer.read_frame();
  REQUIRE(close.has_value());
  CHECK(close->opcode == Opcode::close);
  CHECK(close->close_code() == 1001);
  CHECK(close->close_reason() == "keepalive timeout");

  // No answer to the close either: the client drops TCP close_timeout after its close frame.
  REQUIRE(c.advance(4999));
  CHECK_FALSE(peer.client_closed_within(Ms(0)));
  CHECK(c.rec.closes == 0);
  REQUIRE(c.advance(1));
  CHECK(peer.client_closed_within(default_timeout));
  REQUIRE(c.rec.closes == 1);               // on_close ran before the loop caught up
  CHECK(c.rec.close_code == 1006);          // RFC 6455 7.1.5: no close frame came back
  CHECK(c.client->latency().count() == 0);  // no pong ever came
  CHECK_FALSE(c.shut_down());
}

TEST_CASE("clocked client: a server that answers the keepalive pings keeps the connection",
          "[client][timeout][keepalive][clock]") {
  HandOver fake(true);
  ClientOptions options;
  options.ping_interval = Ms(20000);
  options.idle_timeout = Ms(60000);
  ClockedClient c(fake.url(), options);
  FakePeer& peer = connect(c, fake, true);

  // Each pong re-arms the interval from the moment the client reads it (here: on the ping's
  // tick), so the pings come every 20 s, well past the 60 s after which silence would end it.
  for (std::size_t n = 1; n <= 4; ++n) {
    INFO("ping " << n);
    REQUIRE(c.advance(19999));
    CHECK_FALSE(peer.read_frame(Ms(0)).has_value());
    REQUIRE(c.advance(1));
    const std::optional<ClientFrame> ping = peer.read_frame();
    REQUIRE(ping.has_value());
    REQUIRE(ping->opcode == Opcode::ping);
    REQUIRE(peer.send_frame(from_server(Opcode::pong, ping->payload)));
    REQUIRE(c.wait([&] { return c.rec.events.size() == 1 + n; }));  // "open", then the pongs
    CHECK(c.rec.events.back() == "pong");
  }
  CHECK(c.clock.now_ms() == 80000);
  CHECK(c.rec.closes == 0);
  REQUIRE(c.client->websocket() != nullptr);
  CHECK(c.client->websocket()->is_open());
  CHECK(c.client->latency().count() > 0);  // measured in real time, not on the clock
  CHECK_FALSE(c.shut_down());
}

TEST_CASE("clocked client: the close timeout drops TCP at exactly close_timeout",
          "[client][timeout][close][clock]") {
  HandOver fake(true);
  ClientOptions options;
  options.close_timeout = Ms(5000);
  ClockedClient c(fake.url(), options);
  FakePeer& peer = connect(c, fake, true);
  c.client->close(4000, "bye");  // the close timer starts with the close frame, at 0
  std::optional<ClientFrame> close;
  // The frame leaves when the loop flushes its writes: run it while reading.
  REQUIRE(c.wait([&] { return (close = peer.read_frame(Ms(0))).has_value(); }));
  REQUIRE(close->opcode == Opcode::close);
  CHECK(close->close_code() == 4000);

  std::uint16_t reported = 0;
  SECTION("the server never answers the close") {
    reported = 1006;
    CHECK_FALSE(peer.read_frame(Ms(0)).has_value());  // the client sends nothing more
  }
  SECTION("the server answers the close but never ends TCP") {
    REQUIRE(peer.send_frame(from_server(Opcode::close, close->payload)));
    // The client waits for the server's FIN (RFC 6455 7.1.1), so that TIME_WAIT stays there.
    // It reads this answer no later than the clock's wakeup below: the bytes are in its socket
    // before advance() is called, so the loop's poll reports both at once if not earlier.
    reported = 4000;
  }
  REQUIRE(c.advance(4999));
  CHECK_FALSE(peer.client_closed_within(Ms(0)));
  CHECK(c.rec.closes == 0);
  REQUIRE(c.advance(1));
  CHECK(peer.client_closed_within(default_timeout));
  REQUIRE(c.rec.closes == 1);
  CHECK(c.rec.close_code == reported);
  CHECK_FALSE(c.shut_down());
}

TEST_CASE("clocked client: reconnect delays run on the clock", "[client][reconnect][clock]") {
  const std::uint16_t port = uvws::test::unused_port();  // every attempt is refused
  REQUIRE(port != 0);
  ClientOptions options;
  options.reconnect.enabled = true;
  options.reconnect.initial_delay = Ms(30000);
  options.reconnect.max_delay = Ms(120000);
  options.reconnect.multiplier = 2.0;
  options.reconnect.jitter = 0.0;
  ClockedClient c(uvws::test::ws_url(port), options);
  std::vector<Ms> delays;
  c.client->on_attempt = [&](unsigned, Ms delay, std::error_code) { delays.push_back(delay); };
  c.client->connect();
  REQUIRE(c.wait([&] { return delays.size() == 1; }));  // refused at 0: next attempt at 30 s
  CHECK(delays[0] == Ms(30000));
  CHECK(c.rec.errors.size() == 1);

  // An attempt's refusal reaches the client an iteration or two after it starts, so "no attempt
  // yet" is checked after a few more iterations (about four at the helper's 5 ms tick).
  const auto attempts_after_a_while = [&] {
    uvws::test::run_for(c.loop, Ms(20));
    return c.rec.errors.size();
  };
  REQUIRE(c.advance(29999));
  CHECK(attempts_after_a_while() == 1);
  REQUIRE(c.advance(1));
  // The attempt starts now; its refusal comes from the kernel, in real time.
  REQUIRE(c.wait([&] { return delays.size() == 2; }));
  CHECK(delays[1] == Ms(60000));
  CHECK(c.rec.errors.size() == 2);
  REQUIRE(c.advance(59999));
  CHECK(attempts_after_a_while() == 2);
  REQUIRE(c.advance(1));
  REQUIRE(c.wait([&] { return delays.size() == 3; }));
  CHECK(delays[2] == Ms(120000));
  CHECK(c.rec.opens == 0);
  CHECK_FALSE(c.shut_down());
}
