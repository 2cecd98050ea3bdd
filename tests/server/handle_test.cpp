// WebSocketHandle and the server's loops: calls on the loop thread keep their order with
// direct sends, calls from other threads arrive in order, ping / terminate / post reach the
// connection, dropped() counts what did not go out; Server::loop / post run application work
// on the server's loops; connection_count counts open WebSockets, tcp_connection_count TCP.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_client.h"
#include "uvws/net/loop.h"
#include "uvws/net/timer.h"

using uvws::test::Ms;
using uvws::test::Received;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::Socket;
using uvws::test::TestClient;
using uvws::test::wait_until;

namespace {

// Keeps the handle of the last connection opened.
struct HandleKeeper : RecordingHandler {
  std::mutex handle_mutex;
  uvws::WebSocketHandle kept;
  HandleKeeper() {
    echo = false;
    open_hook = [this](uvws::WebSocket& ws) {
      std::lock_guard lock(handle_mutex);
      kept = ws.handle();
    };
  }
  uvws::WebSocketHandle handle() {
    std::lock_guard lock(handle_mutex);
    return kept;
  }
};

}  // namespace

TEST_CASE("a handle used on the loop thread keeps its order with direct sends",
          "[server][handle]") {
  HandleKeeper handler;
  // Catch2 is not thread-safe: the loop thread records, the test thread checks.
  std::atomic<int> accepted{0};
  handler.message_hook = [&accepted](uvws::WebSocket& ws, uvws::Message) {
    uvws::WebSocketHandle h = ws.handle();
    accepted += h.send_text("a") ? 1 : 0;
    ws.send_text("b");
    accepted += h.send_text("c") ? 1 : 0;
  };
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(client.send_text("go"));
  for (const char* want : {"a", "b", "c"}) {
    CHECK(client.recv_data().is_message(uvws::Opcode::text, want));
  }
  CHECK(accepted == 2);  // both handle sends reported as sent
}

TEST_CASE("handle calls from other threads arrive in order; ping, post, terminate",
          "[server][handle][threads]") {
  HandleKeeper handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(wait_until([&] { return static_cast<bool>(handler.handle()); }));
  const uvws::WebSocketHandle h = handler.handle();

  constexpr int n = 2000;
  std::thread sender([&] {
    for (int i = 0; i < n; ++i) h.send_text(std::to_string(i));
  });
  sender.join();
  for (int i = 0; i < n; ++i) {
    const Received r = client.recv_data();
    REQUIRE(r.is_message(uvws::Opcode::text, std::to_string(i)));
  }

  const std::string payload = "hb";
  REQUIRE(h.ping({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}));
  const Received ping = client.recv();
  CHECK(ping.kind == Received::Kind::ping);
  CHECK(ping.data == "hb");
  CHECK_THROWS_AS(h.ping(std::vector<std::uint8_t>(126)), std::invalid_argument);

  std::promise<bool> on_loop;
  REQUIRE(h.post([&](uvws::WebSocket& ws) {
    on_loop.set_value(ws.loop().on_loop_thread());
    ws.send_text("from a task");
  }));
  CHECK(on_loop.get_future().get());
  CHECK(client.recv_data().is_message(uvws::Opcode::text, "from a task"));
  CHECK(h.dropped() == 0);

  h.terminate();
  CHECK(client.wait_eof());
  REQUIRE(wait_until([&] { return handler.count_closes() == 1; }));
  CHECK(handler.snapshot().closes[0].code == 1006);
  // The connection is gone: nothing goes out, and it is counted.
  REQUIRE(wait_until([&] { return !h.alive(); }));
  CHECK_FALSE(h.send_text("late"));
  CHECK_FALSE(h.post([](uvws::WebSocket&) {}));
  CHECK(h.dropped() == 1);
}

TEST_CASE("Server::loop and post run application work on the server's loops",
          "[server][handle][threads]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.threads = 2;
  {
    uvws::Server unbound(opts);
    CHECK_THROWS_AS(unbound.loop(0), std::logic_error);
  }
  ServerThread server(opts, handler);
  CHECK_THROWS_AS(server.server().loop(2), std::out_of_range);
  for (unsigned i = 0; i < 2; ++i) {
    std::promise<bool> ran;
    uvws::net::Loop& loop = server.server().loop(i);
    REQUIRE(server.server().post(i, [&] { ran.set_value(loop.on_loop_thread()); }));
    CHECK(ran.get_future().get());
  }
  // A timer of the application's on a server loop (made, fired and destroyed there).
  std::promise<void> fired;
  std::unique_ptr<uvws::net::Timer> timer;
  REQUIRE(server.server().post(0, [&] {
    timer = std::make_unique<uvws::net::Timer>(server.server().loop(0));
    timer->start(1, [&] { fired.set_value(); });
  }));
  CHECK(fired.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  std::promise<void> gone;  // the timer belongs to the loop's thread: destroyed there
  REQUIRE(server.server().post(0, [&] {
    timer.reset();
    gone.set_value();
  }));
  gone.get_future().wait();
}

TEST_CASE("connection_count counts open WebSockets; tcp_connection_count counts TCP",
          "[server][handle]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  Socket raw = Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(raw.valid());
  REQUIRE(wait_until([&] { return server.server().tcp_connection_count() == 1; }));
  CHECK(server.server().connection_count() == 0);

  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  CHECK(server.server().connection_count() == 1);
  CHECK(server.server().tcp_connection_count() == 2);
  REQUIRE(client.close());
  CHECK(client.wait_eof());
  REQUIRE(wait_until([&] { return server.server().connection_count() == 0; }));
}
