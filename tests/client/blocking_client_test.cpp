// uvws::connect and BlockingClient against the project's own server: many round trips, the
// timeouts that leave the connection usable, ping, both close directions, the exceptions of
// each failure, the destructor's close, and an idle client that costs no CPU.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "client/client_helpers.h"
#include "uvws/blocking_client.h"
#include "uvws/ws/error.h"

using uvws::test::Clock;
using uvws::test::Ms;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::ws_url;

namespace {

std::chrono::microseconds process_cpu_time() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto tv = [](const timeval& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
  };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

}  // namespace

TEST_CASE("blocking client sends 10,000 messages one at a time and gets each reply",
          "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  REQUIRE(client.is_open());
  const auto start = Clock::now();
  const auto limit = std::chrono::seconds(60);
  int done = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string text = "message " + std::to_string(i);
    if (i % 2 == 0) {
      client.send_text(text);
    } else {
      client.send_binary(uvws::test::to_bytes(text));
    }
    const uvws::ReceivedMessage m = client.recv(Ms(5000));
    if (m.text() != text || m.is_text() != (i % 2 == 0)) {
      FAIL_CHECK("reply " << i << " was \"" << m.text() << "\"");
      break;
    }
    if (Clock::now() - start > limit) {
      FAIL_CHECK("over 60 s after " << i << " messages");
      break;
    }
    ++done;
  }
  CHECK(done == 10000);
  const auto elapsed = std::chrono::duration_cast<Ms>(Clock::now() - start);
  INFO("10,000 round trips took " << elapsed.count() << " ms");
  CHECK(elapsed < limit);
  client.close();
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->messages == 10000);
  CHECK(rec->closes[0].code == 1000);
}

TEST_CASE("blocking client's recv timeout leaves the connection usable", "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  const auto start = Clock::now();
  CHECK_THROWS_AS(client.recv(Ms(200)), uvws::TimeoutError);
  CHECK(Clock::now() - start >= Ms(190));
  CHECK(client.is_open());
  client.send_text("still here");
  CHECK(client.recv(Ms(5000)).text() == "still here");
  CHECK_THROWS_AS(client.recv(Ms(50)), uvws::TimeoutError);
  client.send_text("again");
  CHECK(client.recv().text() == "again");
}

TEST_CASE("blocking client's ping returns a positive round-trip time", "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  for (int i = 0; i < 3; ++i) {
    const auto rtt = client.ping(Ms(5000));
    CHECK(rtt.count() > 0);
    CHECK(rtt < std::chrono::seconds(5));
  }
  REQUIRE(handler.wait([](const Record& seen) { return seen.pings.size() == 3; }));
  CHECK(client.is_open());
  // The connection still carries messages after the pings.
  client.send_text("after pings");
  CHECK(client.recv(Ms(5000)).text() == "after pings");
}

TEST_CASE("blocking client close sends its code and reason to the server", "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  client.close(4000, "x");
  CHECK_FALSE(client.is_open());
  CHECK(client.close_code() == 4000);
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 4000);
  CHECK(rec->closes[0].reason == "x");
  // Idempotent, and the closed client says so.
  CHECK_NOTHROW(client.close());
  CHECK_THROWS_AS(client.send_text("late"), uvws::ConnectionClosed);
  CHECK_THROWS_AS(client.recv(Ms(100)), uvws::ConnectionClosed);
}

TEST_CASE("blocking client's recv throws ConnectionClosed with the server's code and reason",
          "[client][blocking]") {
  RecordingHandler handler;
  handler.message_hook = [](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "leave") ws.close(4001, "bye");
  };
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  client.send_text("leave");
  // The echo came before the close: it is still delivered.
  CHECK(client.recv(Ms(5000)).text() == "leave");
  try {
    (void)client.recv(Ms(5000));
    FAIL("a message after the close");
  } catch (const uvws::ConnectionClosed& e) {
    CHECK(e.code() == 4001);
    CHECK(e.reason() == "bye");
  }
  CHECK_FALSE(client.is_open());
  CHECK(client.close_code() == 4001);
  CHECK(client.close_reason() == "bye");
  CHECK_THROWS_AS(client.ping(Ms(100)), uvws::ConnectionClosed);
}

TEST_CASE("blocking connect to a port with nothing listening throws ConnectError",
          "[client][blocking]") {
  const std::uint16_t port = uvws::test::unused_port();
  REQUIRE(port != 0);
  try {
    auto client = uvws::connect(ws_url(port));
    FAIL("connected to a closed port");
  } catch (const uvws::HandshakeError& e) {
    FAIL("HandshakeError instead of ConnectError: " << e.what());
  } catch (const uvws::ConnectError& e) {
    CHECK(e.code() == std::errc::connection_refused);
  }
}

TEST_CASE("blocking connect refused by on_upgrade throws HandshakeError with the status",
          "[client][blocking]") {
  struct Refuser : RecordingHandler {
    int status = 403;
    uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest&) override {
      uvws::UpgradeDecision d;
      d.accept = false;
      d.status = status;
      return d;
    }
  } handler;
  handler.status = GENERATE(403, 401, 503);
  ServerThread server(ServerThread::options(), handler);
  try {
    auto client = uvws::connect(ws_url(server.port()));
    FAIL("the refused handshake connected");
  } catch (const uvws::HandshakeError& e) {
    CHECK(e.status() == handler.status);
    CHECK(e.code() == uvws::ws::Condition::handshake_failed);
    CHECK(e.code() == uvws::ws::Error::bad_status);
  }
  // Once run() has returned the record is final: the refused connection never opened, and
  // the application's own refusal is not reported back to it as an error.
  REQUIRE(server.stop());
  const Record rec = handler.snapshot();
  CHECK(rec.opens == 0);
  CHECK(rec.errors == 0);
}

TEST_CASE("blocking connect to a server that never answers throws TimeoutError",
          "[client][blocking]") {
  uvws::test::FakeServer fake([](uvws::test::FakePeer& peer) {
    (void)peer.read_request();
    (void)peer.client_closed_within(Ms(5000));
  });
  uvws::ClientOptions options;
  options.handshake_timeout = Ms(300);
  const auto start = Clock::now();
  CHECK_THROWS_AS(uvws::connect(fake.url(), options), uvws::TimeoutError);
  CHECK(Clock::now() - start < std::chrono::seconds(3));
  CHECK(fake.join());
}

TEST_CASE("blocking client's destructor closes with 1000", "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  {
    auto client = uvws::connect(ws_url(server.port()));
    client.send_text("one");
    CHECK(client.recv(Ms(5000)).text() == "one");
    // Moved: the new owner works, and only one close happens.
    uvws::BlockingClient moved = std::move(client);
    moved.send_text("two");
    CHECK(moved.recv(Ms(5000)).text() == "two");
  }
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1000);
  // A second close would come from the loop: once run() has returned, every callback that will
  // ever come has come.
  REQUIRE(server.stop());
  const Record final_rec = handler.snapshot();
  CHECK(final_rec.closes.size() == 1);
  CHECK(final_rec.opens == 1);
  CHECK(final_rec.violations == 0);
}

TEST_CASE("blocking client reports the subprotocol the server chose", "[client][blocking]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.subprotocols = {"json.v2"};
  ServerThread server(opts, handler);
  uvws::ClientOptions options;
  options.subprotocols = {"json.v1", "json.v2"};
  auto client = uvws::connect(ws_url(server.port()), options);
  CHECK(client.subprotocol() == "json.v2");
}

TEST_CASE("an idle blocking client uses no CPU while it waits", "[client][blocking][cpu]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = uvws::connect(ws_url(server.port()));
  client.send_text("warm up");
  REQUIRE(client.recv(Ms(5000)).text() == "warm up");

  SECTION("sleeping in the caller's thread") {
    // Not a synchronisation: this test is about nothing happening for a while. The client's
    // loop thread must not spin while the application does something else.
    const auto before = process_cpu_time();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const auto used = process_cpu_time() - before;
    INFO("CPU used in 1 s idle: " << used.count() << " us");
    CHECK(used < std::chrono::milliseconds(50));
  }
  SECTION("blocked in recv") {
    const auto before = process_cpu_time();
    CHECK_THROWS_AS(client.recv(Ms(1000)), uvws::TimeoutError);
    const auto used = process_cpu_time() - before;
    INFO("CPU used in 1 s of recv: " << used.count() << " us");
    CHECK(used < std::chrono::milliseconds(50));
  }
  CHECK(client.is_open());
}
