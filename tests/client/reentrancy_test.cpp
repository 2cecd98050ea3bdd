// The application calling back into a Client from its callbacks (destroying it, connecting
// again), and the blocking client under backpressure both ways: its sends wait (never drop),
// and it stops reading while recv() is not keeping up.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "client/client_helpers.h"
#include "uvws/blocking_client.h"

using uvws::ClientOptions;
using uvws::test::ClientRecorder;
using uvws::test::FakePeer;
using uvws::test::FakeServer;
using uvws::test::Ms;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::unused_port;
using uvws::test::ws_url;

TEST_CASE("a Client destroyed in on_error after a refused connect is left safely",
          "[client][reentrancy]") {
  uvws::net::Loop loop;
  ClientOptions options;
  options.reconnect.enabled = true;  // the path that touched the Client after on_error
  options.reconnect.initial_delay = Ms(10);
  options.reconnect.max_delay = Ms(10);
  std::unique_ptr<uvws::Client> client;
  int errors = 0;
  struct Dropper : ClientRecorder {
    std::function<void()> on_err;
    void on_error(uvws::WebSocket* ws, std::error_code ec) override {
      ClientRecorder::on_error(ws, ec);
      on_err();
    }
  } dropper;
  dropper.on_err = [&] {
    ++errors;
    client.reset();
  };
  client = std::make_unique<uvws::Client>(loop, ws_url(unused_port()), dropper, options);
  client->connect();
  REQUIRE(uvws::test::run_until(loop, [&] { return errors == 1; }));
  uvws::test::run_for(loop, Ms(100));
  CHECK(errors == 1);
  CHECK(client == nullptr);
  CHECK_FALSE(loop.close_all());
}

TEST_CASE("connect() from on_error and from on_close starts a new attempt",
          "[client][reentrancy]") {
  uvws::net::Loop loop;
  struct Again : ClientRecorder {
    uvws::Client* client = nullptr;
    int retries_left = 2;
    void on_error(uvws::WebSocket* ws, std::error_code ec) override {
      ClientRecorder::on_error(ws, ec);
      if (retries_left-- > 0) client->connect();
    }
    void on_close(uvws::WebSocket& ws, std::uint16_t code, std::string_view reason) override {
      ClientRecorder::on_close(ws, code, reason);
      if (retries_left-- > 0) client->connect();
    }
  } again;
  SECTION("refused: two more attempts, each reported") {
    uvws::Client client(loop, ws_url(unused_port()), again);
    again.client = &client;
    client.connect();
    REQUIRE(uvws::test::run_until(loop, [&] { return again.errors.size() == 3; }));
    uvws::test::run_for(loop, Ms(100));
    CHECK(again.errors.size() == 3);
    CHECK(again.opens == 0);
  }
  SECTION("closed by the server: on_close connects again") {
    RecordingHandler handler;
    handler.message_hook = [](uvws::WebSocket& ws, uvws::Message) { ws.close(4002, "go"); };
    ServerThread server(ServerThread::options(), handler);
    uvws::Client client(loop, ws_url(server.port()), again);
    again.client = &client;
    again.open_hook = [](uvws::WebSocket& ws) { ws.send_text("close me"); };
    client.connect();
    REQUIRE(uvws::test::run_until(loop, [&] { return again.opens == 3; }));
    CHECK(again.closes >= 2);
    client.close();
    REQUIRE(uvws::test::run_until(loop, [&] { return again.closes == 3; }));
  }
  CHECK(again.violations == 0);
  CHECK_FALSE(loop.close_all());
}

TEST_CASE("blocking sends to a peer that reads late all arrive: they wait, none is dropped",
          "[client][blocking][backpressure]") {
  constexpr int count = 48;
  constexpr std::size_t size = 64 * 1024;  // 3 MiB in all, 12x max_backpressure
  std::atomic<int> received{0};
  std::atomic<bool> sizes_ok{true};
  FakeServer server([&](FakePeer& peer) {
    const std::string request = peer.read_request();
    if (!peer.send(uvws::test::switching_protocols(request))) return;
    // Not a synchronisation: this test is about a peer that does not read for a while. The
    // client's sends pile up meanwhile (its backlog passes max_backpressure, so send_binary
    // waits); the checks below fail if any of them was dropped.
    std::this_thread::sleep_for(Ms(300));
    while (received < count) {
      const auto frame = peer.read_frame(Ms(10000));
      if (!frame) return;
      if (frame->opcode != uvws::Opcode::binary) continue;
      if (frame->payload.size() != size) sizes_ok = false;
      ++received;
    }
  });
  ClientOptions options;
  options.max_backpressure = 256 * 1024;
  options.close_timeout = Ms(500);
  {
    auto c = uvws::connect(server.url(), options);
    const std::string chunk = uvws::test::pattern(size, false);
    for (int i = 0; i < count; ++i) {
      c.send_binary({reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()});
    }
    REQUIRE(server.join());
    CHECK(received == count);
    CHECK(sizes_ok);
  }
}

TEST_CASE("a close code or reason that cannot be sent is refused on the caller's thread",
          "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto c = uvws::connect(ws_url(server.port()));
  CHECK_THROWS_AS(c.close(1005), std::invalid_argument);
  CHECK_THROWS_AS(c.close(1000, std::string(124, 'x')), std::invalid_argument);
  CHECK(c.is_open());  // nothing was sent
  c.close(1000, "fine");
  CHECK_FALSE(c.is_open());
  CHECK(c.close_code() == 1000);
}

TEST_CASE("a moved-from BlockingClient can be assigned to and destroyed", "[client][blocking]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto a = uvws::connect(ws_url(server.port()));
  auto b = std::move(a);
  a = uvws::connect(ws_url(server.port()));  // `a` was moved from: nothing to close first
  CHECK(a.is_open());
  CHECK(b.is_open());
  std::swap(a, b);
  CHECK(a.is_open());
  CHECK(b.is_open());
}

TEST_CASE("a blocking client that is not receiving stops reading past max_received_bytes",
          "[client][blocking][backpressure]") {
  constexpr int count = 48;
  constexpr std::size_t size = 1 << 20;  // 48 MiB in all, 24x the client's limit
  RecordingHandler handler;
  handler.echo = false;
  // On "go" the server sends 1 MiB messages as fast as the client takes them: until a send
  // reports backpressure, then again from on_drain. Loop thread only, but for `sent`.
  std::atomic<int> sent{0};
  std::string m(size, 'x');
  auto pump = [&](uvws::WebSocket& ws) {
    while (sent < count) {
      m[0] = static_cast<char>('A' + sent % 26);
      const uvws::SendStatus status = ws.send_text(m);
      if (status == uvws::SendStatus::dropped) return;
      ++sent;
      if (status == uvws::SendStatus::backpressure) return;
    }
  };
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message) { pump(ws); };
  handler.drain_hook = [&](uvws::WebSocket& ws) { pump(ws); };
  ServerThread server(ServerThread::options(), handler);
  ClientOptions options;
  options.max_received_bytes = 2u << 20;
  auto c = uvws::connect(ws_url(server.port()), options);
  c.send_text("go");
  // Not a synchronisation: this test is about an application that does not call recv() for a
  // while. Meanwhile the client must stop reading, which holds the server back: the check
  // below fails if the client kept reading (the server would have sent everything by then).
  std::this_thread::sleep_for(Ms(500));
  // The kernel buffers (a few MiB each way on loopback), the server's 1 MiB backlog and the
  // client's 2 MiB (plus one read) hold a fraction of the 48 MiB: the server is held back.
  CHECK(sent.load() < count / 2);
  for (int i = 0; i < count; ++i) {
    const auto r = c.recv(Ms(10000));
    REQUIRE(r.data.size() == size);
    CHECK(r.data[0] == static_cast<std::uint8_t>('A' + i % 26));
  }
  CHECK(sent.load() == count);
}
