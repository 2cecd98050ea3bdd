// The asynchronous upgrade (PendingUpgrade, uvws/route.h): answered from another thread while
// the loop serves other connections, refused with a body, answered after the peer left, and
// the handshake timeout while it waits.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "route_helpers.h"
#include "test_client.h"
#include "uvws/net/clock.h"
#include "uvws/ws/error.h"

using uvws::PendingUpgrade;
using uvws::Server;
using uvws::test::http_exchange;
using uvws::test::Ms;
using uvws::test::Received;
using uvws::test::RecordingHandler;
using uvws::test::RouteServer;
using uvws::test::ServerThread;
using uvws::test::Socket;
using uvws::test::TestClient;
using uvws::test::upgrade_request;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Defers every upgrade and hands the PendingUpgrade to the test; records what on_abandoned
// and on_open were given. Echoes as RecordingHandler does.
class DeferringHandler : public RecordingHandler {
 public:
  uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
    PendingUpgrade p = PendingUpgrade::defer(request);
    p.on_abandoned([this](void* user_data) {
      std::lock_guard lock(m_);
      ++abandoned_;
      abandoned_data_ = user_data;
      cv_.notify_all();
    });
    std::lock_guard lock(m_);
    pending_ = p;
    cv_.notify_all();
    uvws::UpgradeDecision ignored;  // deferred: what is returned does not count
    ignored.accept = false;
    return ignored;
  }
  void on_open(uvws::WebSocket& ws) override {
    {
      std::lock_guard lock(m_);
      opened_data_ = ws.user_data();
    }
    RecordingHandler::on_open(ws);
  }

  // The PendingUpgrade of the latest upgrade request, once there is one.
  PendingUpgrade wait_pending() {
    std::unique_lock lock(m_);
    REQUIRE(cv_.wait_for(lock, Ms(5000), [&] { return static_cast<bool>(pending_); }));
    return pending_;
  }
  // Waits until on_abandoned ran; returns the user data it got.
  void* wait_abandoned() {
    std::unique_lock lock(m_);
    REQUIRE(cv_.wait_for(lock, Ms(5000), [&] { return abandoned_ > 0; }));
    CHECK(abandoned_ == 1);
    return abandoned_data_;
  }
  int abandoned() {
    std::lock_guard lock(m_);
    return abandoned_;
  }
  void* opened_data() {
    std::lock_guard lock(m_);
    return opened_data_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  PendingUpgrade pending_;
  int abandoned_ = 0;
  void* abandoned_data_ = nullptr;
  void* opened_data_ = nullptr;
};

// Reads from `s` until `out` holds `needle` (or the peer ends, or 5 s pass).
bool read_until(Socket& s, std::string& out, std::string_view needle) {
  const auto deadline = SteadyClock::now() + Ms(5000);
  std::vector<std::uint8_t> buf;
  while (out.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    buf.clear();
    if (s.read_some(buf, left) != Socket::ReadStatus::data) return false;
    out.append(buf.begin(), buf.end());
  }
  return true;
}

}  // namespace

TEST_CASE("an upgrade answered from another thread after 200 ms while the loop serves others",
          "[server][route][upgrade]") {
  DeferringHandler slow;
  RecordingHandler echo;
  RouteServer server(ServerThread::options(), [&](Server& s) {
    s.route("/slow", slow);
    s.route("/echo", echo);
  });
  Socket s = Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(s.valid());
  // A frame sent before the answer waits for it (RFC 6455 4.1 asks clients not to, but
  // tolerates it) and is echoed once the connection opens.
  const auto early = uvws::test::frame_bytes({.payload = "early"});
  REQUIRE(s.send_all(upgrade_request("/slow")));
  REQUIRE(s.send_all(early));
  const PendingUpgrade pending = slow.wait_pending();
  const auto deferred_at = SteadyClock::now();

  // Meanwhile the loop serves another connection.
  TestClient other;
  REQUIRE(other.connect(server.port(), "/echo") == 101);
  REQUIRE(other.send_text("meanwhile"));
  CHECK(other.recv_data().is_message(uvws::ws::Opcode::text, "meanwhile"));
  std::vector<std::uint8_t> nothing;
  CHECK(s.read_some(nothing, Ms(0)) == Socket::ReadStatus::timeout);
  CHECK(pending.pending());

  int marker = 0;
  bool answered = false;
  std::thread completer([&] {
    std::this_thread::sleep_until(deferred_at + Ms(200));  // the authentication's latency
    answered = pending.accept({.headers = {{"X-Auth", "ok"}}, .user_data = &marker});
  });
  completer.join();
  CHECK(answered);
  CHECK_FALSE(pending.accept());  // one answer only
  CHECK_FALSE(pending.pending());

  std::string in;
  REQUIRE(read_until(s, in, "\r\n\r\n"));
  CHECK(in.rfind("HTTP/1.1 101", 0) == 0);
  CHECK(in.find("X-Auth: ok\r\n") != std::string::npos);
  CHECK(SteadyClock::now() - deferred_at >= Ms(200));
  // The early frame, echoed after the 101: an unmasked text frame "early".
  REQUIRE(read_until(s, in, "early"));
  CHECK(in.find(std::string("\x81\x05"
                            "early")) != std::string::npos);
  CHECK(slow.opened_data() == &marker);
  CHECK(slow.abandoned() == 0);
}

TEST_CASE("an upgrade answered after the peer left: reported, and the answer is a no-op",
          "[server][route][upgrade]") {
  DeferringHandler h;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/", h); });
  Socket s = Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(s.valid());
  REQUIRE(s.send_all(upgrade_request("/")));
  const PendingUpgrade pending = h.wait_pending();
  s.close();
  CHECK(h.wait_abandoned() == nullptr);  // no answer had been given
  const auto record = h.wait([](const uvws::test::Record& r) { return r.errors == 1; });
  REQUIRE(record);
  CHECK(record->error_null_ws == 1);
  CHECK(record->error_codes.at(0) == uvws::ws::Error::unexpected_eof);
  int marker = 0;
  CHECK_FALSE(pending.accept({.user_data = &marker}));
  CHECK_FALSE(pending.reject());
  CHECK_FALSE(pending.pending());
  CHECK(h.snapshot().opens == 0);
}

TEST_CASE("a deferred upgrade refused with a status, headers and a body",
          "[server][route][upgrade]") {
  DeferringHandler h;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/", h); });
  auto exchange = std::async(std::launch::async,
                             [&] { return http_exchange(server.port(), upgrade_request("/")); });
  const PendingUpgrade pending = h.wait_pending();
  CHECK_THROWS_AS(pending.reject({.status = 42}), std::invalid_argument);
  CHECK(pending.pending());  // a refused answer is no answer
  bool refused = false;
  std::thread other([&] {
    refused = pending.reject(
        {.status = 401, .body = "no token\n", .headers = {{"WWW-Authenticate", "Bearer"}}});
  });
  other.join();
  CHECK(refused);
  const auto r = exchange.get();
  CHECK(r.status == 401);
  CHECK(r.body == "no token\n");
  CHECK(r.header("WWW-Authenticate") == "Bearer");
  CHECK(r.closed);
  CHECK(h.abandoned() == 0);  // it took effect
  CHECK(h.snapshot().opens == 0);
}

TEST_CASE("the handshake timeout runs while an upgrade waits for its answer",
          "[server][route][upgrade][clock]") {
  uvws::net::ManualClock clock;
  DeferringHandler h;
  auto opts = ServerThread::options();
  opts.clock = &clock;
  opts.handshake_timeout = Ms(10000);
  RouteServer server(opts, [&](Server& s) { s.route("/", h); });
  Socket s = Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(s.valid());
  REQUIRE(s.send_all(upgrade_request("/")));
  const PendingUpgrade pending = h.wait_pending();
  clock.advance(Ms(10000));
  REQUIRE(clock.wait_caught_up());
  CHECK(s.wait_closed());
  CHECK(h.wait_abandoned() == nullptr);
  const auto record = h.wait([](const uvws::test::Record& r) { return r.errors == 1; });
  REQUIRE(record);
  CHECK(record->error_codes.at(0) == std::errc::timed_out);
  CHECK_FALSE(pending.accept());
}

TEST_CASE("PendingUpgrade::defer outside on_upgrade throws", "[server][route][upgrade]") {
  uvws::ws::HTTPRequest request;
  CHECK_THROWS_AS(PendingUpgrade::defer(request), std::logic_error);
  const PendingUpgrade empty;
  CHECK_FALSE(empty.accept());
  CHECK_FALSE(empty.pending());
}

TEST_CASE("a deferred accept that cannot take effect answers 500 and gives the user data back",
          "[server][route][upgrade]") {
  DeferringHandler h;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/", h); });
  auto exchange = std::async(std::launch::async,
                             [&] { return http_exchange(server.port(), upgrade_request("/")); });
  const PendingUpgrade pending = h.wait_pending();
  int marker = 0;
  // The client offered no subprotocol: answering with one is the application's mistake.
  CHECK(pending.accept({.subprotocol = "chat.v1", .user_data = &marker}));
  const auto r = exchange.get();
  CHECK(r.status == 500);
  CHECK(h.wait_abandoned() == &marker);
  CHECK(h.snapshot().opens == 0);
}

TEST_CASE("a deferred upgrade answered on the loop thread, inside on_upgrade itself",
          "[server][route][upgrade]") {
  // The answer is posted even from the loop thread: it applies after on_upgrade returned.
  class AnswerAtOnce : public RecordingHandler {
   public:
    uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
      answered = PendingUpgrade::defer(request).accept({.headers = {{"X-Now", "1"}}});
      again = PendingUpgrade::defer(request).accept();  // the same PendingUpgrade: answered
      return {};
    }
    bool answered = false;
    bool again = true;
  } h;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/", h); });
  {
    TestClient c;
    REQUIRE(c.connect(server.port(), "/") == 101);
    REQUIRE(c.send_text("echo"));
    CHECK(c.recv_data().is_message(uvws::ws::Opcode::text, "echo"));
    REQUIRE(c.close());
    CHECK(c.wait_eof());
  }  // the client's FIN: the server's on_close follows
  REQUIRE(h.wait([](const uvws::test::Record& r) { return r.closes.size() == 1; }));
  CHECK(h.answered);  // read after the connection closed on the loop: no race
  CHECK_FALSE(h.again);
}

TEST_CASE("a TypedHandler adopts the T its deferred upgrade built", "[server][route][upgrade]") {
  struct Session {
    std::string user = "nobody";
  };
  class Sessions : public uvws::TypedHandler<Session> {
   public:
    uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
      auto pending = PendingUpgrade::defer(request);
      pending.on_abandoned([](void* data) { delete static_cast<Session*>(data); });
      answerer = std::thread([pending] { pending.accept({.user_data = new Session{"ada"}}); });
      return {};
    }
    void message(uvws::WebSocket& ws, Session& s, uvws::Message) override { ws.send_text(s.user); }
    std::thread answerer;  // one upgrade in this test; joined at its end
  } h;
  RouteServer server(ServerThread::options(), [&](Server& s) { s.route("/", h); });
  TestClient c;
  REQUIRE(c.connect(server.port(), "/") == 101);
  REQUIRE(c.send_text("who?"));
  CHECK(c.recv_data().is_message(uvws::ws::Opcode::text, "ada"));
  h.answerer.join();
}
