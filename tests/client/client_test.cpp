// uvws::Client against the project's own Server: messages of every length class, fragments,
// the Handler guarantees around both close directions, what the opening handshake carries
// (headers, Origin, User-Agent, subprotocols, permessage-deflate), every kind of address
// (IPv4, IPv6, a host name, a Unix socket), and the failures before a connection opens.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "client/client_helpers.h"
#include "uvws/blocking_client.h"
#include "uvws/metrics.h"
#include "uvws/version.h"
#include "uvws/ws/error.h"

using uvws::ClientOptions;
using uvws::Message;
using uvws::Opcode;
using uvws::SendStatus;
using uvws::WebSocket;
using uvws::test::ClientRecorder;
using uvws::test::ClientRun;
using uvws::test::Clock;
using uvws::test::FakePeer;
using uvws::test::FakeServer;
using uvws::test::Ms;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::ws_url;

namespace {

// A server handler that also keeps the messages it got and what on_upgrade saw.
class ServerRecorder : public RecordingHandler {
 public:
  // Recorded before the echo goes out, so a client that got the echo finds it here.
  void on_message(WebSocket& ws, Message m) override {
    {
      std::lock_guard lock(mutex);
      received.push_back({m.opcode(), std::string(m.text())});
    }
    RecordingHandler::on_message(ws, m);
  }

  uvws::UpgradeDecision on_upgrade(const uvws::HTTPRequest& request) override {
    std::lock_guard lock(mutex);
    target = std::string(request.target());
    const auto get = [&](std::string_view name) {
      return std::string(request.header(name).value_or(std::string_view()));
    };
    host = get("Host");
    origin = get("Origin");
    user_agent = get("User-Agent");
    user_agents = request.header_occurrences("User-Agent");
    x_custom = get("X-Custom");
    x_other = get("X-Other");
    offered_protocols = get("Sec-WebSocket-Protocol");
    uvws::UpgradeDecision d;
    d.subprotocol = pick;
    return d;
  }

  struct Got {
    Opcode opcode;
    std::string data;
  };
  // Under `mutex`.
  std::vector<Got> received;
  std::string target, host, origin, user_agent, x_custom, x_other, offered_protocols;
  std::size_t user_agents = 0;
  std::string pick;  // set before the server starts
};

// `run`'s client fails before any connection opens: exactly one on_error (still one after
// another 200 ms of the loop), without a WebSocket, with `expected`, and no on_open.
void check_one_connect_error(ClientRun& run, std::errc expected) {
  REQUIRE(run.wait([&] { return !run.rec.errors.empty(); }));
  uvws::test::run_for(run.loop, Ms(200));
  REQUIRE(run.rec.errors.size() == 1);
  CHECK_FALSE(run.rec.errors[0].with_ws);
  CHECK(run.rec.errors[0].ec == expected);
  CHECK(run.rec.opens == 0);
}

std::string unix_socket_path() {
  static std::atomic<int> counter{0};
  return "/tmp/uvws-client-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + ".sock";
}

}  // namespace

TEST_CASE("client round-trips empty, boundary-length and 1 MiB messages byte-exact",
          "[client][echo]") {
  ServerRecorder server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  const bool text = GENERATE(true, false);
  const Opcode opcode = text ? Opcode::text : Opcode::binary;
  // Around the 7-bit, 16-bit and 64-bit length encodings (RFC 6455 5.2), and a large one.
  const std::vector<std::size_t> sizes{0, 1, 125, 126, 127, 65535, 65536, 65537, 1u << 20};
  std::vector<std::string> sent;
  std::vector<SendStatus> statuses;
  ClientRun run(ws_url(server.port()));
  // One at a time: the next message goes when the previous echo is back.
  const auto send_next = [&](WebSocket& ws) {
    if (sent.size() == sizes.size()) return;
    sent.push_back(uvws::test::pattern(sizes[sent.size()], text));
    statuses.push_back(ws.send(sent.back(), opcode));
  };
  run.rec.open_hook = send_next;
  run.rec.message_hook = [&](WebSocket& ws, const ClientRecorder::Msg&) { send_next(ws); };
  REQUIRE(run.wait([&] { return run.rec.messages.size() == sizes.size(); }, Ms(30000)));
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    CAPTURE(sizes[i]);
    CHECK(statuses[i] == SendStatus::ok);
    CHECK(run.rec.messages[i].opcode == opcode);
    CHECK(run.rec.messages[i].data.size() == sizes[i]);
    CHECK(run.rec.messages[i].data == sent[i]);
  }
  {
    std::lock_guard lock(server_handler.mutex);
    REQUIRE(server_handler.received.size() == sizes.size());
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      CHECK(server_handler.received[i].opcode == opcode);
      CHECK(server_handler.received[i].data == sent[i]);
    }
  }
  REQUIRE(run.close_and_wait());
  CHECK(run.rec.close_code == 1000);
  CHECK(run.rec.errors.empty());
  CHECK(run.rec.violations == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client sends a fragmented message that the server receives whole",
          "[client][fragment]") {
  ServerRecorder server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientRun run(ws_url(server.port()));
  SendStatus first = SendStatus::dropped, middle = SendStatus::dropped, last = SendStatus::dropped;
  SendStatus interloper = SendStatus::ok, ping = SendStatus::dropped, after = SendStatus::dropped;
  SendStatus bin_first = SendStatus::dropped, bin_last = SendStatus::dropped;
  const std::string big = uvws::test::pattern(70000, false);
  run.rec.open_hook = [&](WebSocket& ws) {
    first = ws.send_fragment(uvws::test::to_bytes("Hel"), Opcode::text, false);
    // RFC 6455 5.4: no other data message inside a fragmented one...
    interloper = ws.send_text("interloper");
    middle = ws.send_fragment(uvws::test::to_bytes("lo, "), Opcode::text, false);
    // ...but control frames may be interleaved.
    ping = ws.ping();
    last = ws.send_fragment(uvws::test::to_bytes("world"), Opcode::text, true);
    after = ws.send_text("next");
    // A binary one that starts with an empty fragment and ends with a long one.
    bin_first = ws.send_fragment({}, Opcode::binary, false);
    bin_last = ws.send_fragment(uvws::test::to_bytes(big), Opcode::binary, true);
  };
  REQUIRE(run.wait([&] { return run.rec.messages.size() == 3; }));
  CHECK(first == SendStatus::ok);
  CHECK(interloper == SendStatus::dropped);
  CHECK(middle == SendStatus::ok);
  CHECK(ping == SendStatus::ok);
  CHECK(last == SendStatus::ok);
  CHECK(after == SendStatus::ok);
  CHECK(bin_first == SendStatus::ok);
  CHECK(bin_last == SendStatus::ok);
  {
    std::lock_guard lock(server_handler.mutex);
    REQUIRE(server_handler.received.size() == 3);
    CHECK(server_handler.received[0].opcode == Opcode::text);
    CHECK(server_handler.received[0].data == "Hello, world");
    CHECK(server_handler.received[1].data == "next");
    CHECK(server_handler.received[2].opcode == Opcode::binary);
    CHECK(server_handler.received[2].data == big);
  }
  CHECK(run.rec.messages[0].data == "Hello, world");
  CHECK(run.rec.messages[2].data == big);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client handler sees on_open first and on_close last, once, with the server's code",
          "[client][close]") {
  ServerRecorder server_handler;
  server_handler.message_hook = [&](WebSocket& ws, Message m) {
    if (m.text() == "leave") ws.close(4001, "bye");
  };
  ServerThread server(ServerThread::options(), server_handler);
  ClientRun run(ws_url(server.port()));
  run.rec.open_hook = [&](WebSocket& ws) {
    ws.send_text("hello");
    ws.send_text("leave");
  };
  REQUIRE(run.wait([&] { return run.rec.closes == 1; }));
  // Nothing after on_close, and no reconnect (not enabled).
  uvws::test::run_for(run.loop, Ms(200));
  const std::vector<std::string> expected{"open", "message", "message", "close"};
  CHECK(run.rec.events == expected);
  CHECK(run.rec.messages[0].data == "hello");
  CHECK(run.rec.messages[1].data == "leave");
  CHECK(run.rec.close_code == 4001);
  CHECK(run.rec.close_reason == "bye");
  CHECK(run.rec.violations == 0);
  CHECK(run.client->websocket() == nullptr);
  CHECK(run.client->handshake_status() == 101);
  const auto rec = server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 4001);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client close(1000, done) reaches the server and the client's on_close gets 1000",
          "[client][close]") {
  ServerRecorder server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientRun run(ws_url(server.port()));
  run.rec.open_hook = [&](WebSocket& ws) { ws.send_text("first"); };
  REQUIRE(run.wait([&] { return run.rec.messages.size() == 1; }));
  REQUIRE(run.client->websocket() != nullptr);
  CHECK(run.client->websocket()->is_open());

  const std::string variant =
      GENERATE(as<std::string>{}, "through Client::close", "through WebSocket::close");
  CAPTURE(variant);
  if (variant == "through Client::close") {
    run.client->close(1000, "done");
  }
  if (variant == "through WebSocket::close") {
    run.client->websocket()->close(1000, "done");
  }
  REQUIRE(run.wait([&] { return run.rec.closes == 1; }));
  CHECK(run.rec.close_code == 1000);
  CHECK(run.rec.events.back() == "close");
  const auto rec = server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1000);
  CHECK(rec->closes[0].reason == "done");
  CHECK(run.client->websocket() == nullptr);
  CHECK(run.rec.violations == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client sends its headers, Origin, User-Agent and target to the server",
          "[client][handshake]") {
  ServerRecorder server_handler;
  ServerThread server(ServerThread::options(), {{"*", &server_handler}});
  ClientOptions options;
  std::string expected_agent;

  const std::string variant = GENERATE(
      as<std::string>{}, "custom headers, an Origin and a User-Agent",
      "the default User-Agent, no Origin", "a User-Agent among the headers replaces the option");
  CAPTURE(variant);
  if (variant == "custom headers, an Origin and a User-Agent") {
    options.headers = {{"X-Custom", "v1"}, {"X-Other", "two words"}};
    options.origin = "https://app.example";
    options.user_agent = "uvws-test/1.0";
    expected_agent = "uvws-test/1.0";
  }
  if (variant == "the default User-Agent, no Origin") {
    expected_agent = uvws::version();
  }
  if (variant == "a User-Agent among the headers replaces the option") {
    options.headers = {{"user-agent", "mine/2"}};
    options.user_agent = "ignored/1";
    expected_agent = "mine/2";
  }
  ClientRun run(ws_url(server.port(), "/echo?room=a&x=1"), options);
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  {
    std::lock_guard lock(server_handler.mutex);
    CHECK(server_handler.target == "/echo?room=a&x=1");
    CHECK(server_handler.host == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(server_handler.user_agent == expected_agent);
    CHECK(server_handler.user_agents == 1);
    if (!options.origin.empty()) {
      CHECK(server_handler.origin == "https://app.example");
      CHECK(server_handler.x_custom == "v1");
      CHECK(server_handler.x_other == "two words");
    } else {
      CHECK(server_handler.origin.empty());
      CHECK(server_handler.x_custom.empty());
    }
  }
  CHECK(run.rec.errors.empty());
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client reports the subprotocol the server picked from its offer",
          "[client][handshake]") {
  ServerRecorder server_handler;
  auto opts = ServerThread::options();
  ClientOptions options;
  std::string expected;
  const std::string variant = GENERATE(as<std::string>{}, "on_upgrade picks one of the offered",
                                       "the server's supported list has one in common",
                                       "the server supports none of them: no subprotocol");
  CAPTURE(variant);
  if (variant == "on_upgrade picks one of the offered") {
    options.subprotocols = {"v1.chat", "v2.chat"};
    server_handler.pick = "v2.chat";
    expected = "v2.chat";
  }
  if (variant == "the server's supported list has one in common") {
    options.subprotocols = {"a.proto", "b.proto"};
    opts.subprotocols = {"c.proto", "b.proto"};
    expected = "b.proto";
  }
  if (variant == "the server supports none of them: no subprotocol") {
    options.subprotocols = {"a.proto"};
    expected = "";
  }
  ServerThread server(opts, server_handler);
  ClientRun run(ws_url(server.port()), options);
  std::string during_open;
  run.rec.open_hook = [&](WebSocket& ws) { during_open = std::string(ws.subprotocol()); };
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  CHECK(during_open == expected);
  REQUIRE(run.client->websocket() != nullptr);
  CHECK(run.client->websocket()->subprotocol() == expected);
  {
    std::lock_guard lock(server_handler.mutex);
    CHECK(server_handler.offered_protocols.find(options.subprotocols[0]) != std::string::npos);
  }
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client connects over IPv6, to a host name and to a Unix socket", "[client][address]") {
  ServerRecorder server_handler;
  std::string remote;  // the server's view of the peer
  server_handler.open_hook = [&](WebSocket& ws) {
    std::lock_guard lock(server_handler.mutex);
    remote = ws.remote_address();
  };
  auto opts = ServerThread::options();
  std::string url;
  std::string unix_path;

  SECTION("IPv6 loopback") {
    opts.host = "::1";
    // A machine without ::1 fails here rather than skipping the section.
    std::unique_ptr<ServerThread> server;
    try {
      server = std::make_unique<ServerThread>(opts, server_handler);
    } catch (const std::system_error& e) {
      FAIL("cannot listen on ::1 (" << e.what() << "): IPv6 loopback is needed for this test");
    }
    ClientRun run(ws_url(server->port(), "/", "::1"));
    run.rec.open_hook = [](WebSocket& ws) { ws.send_text("over v6"); };
    REQUIRE(run.wait([&] { return run.rec.messages.size() == 1; }));
    CHECK(run.rec.messages[0].data == "over v6");
    std::lock_guard lock(server_handler.mutex);
    CHECK(remote.rfind("[::1]:", 0) == 0);
    return;
  }
  SECTION("the host name localhost (every address it resolves to is tried)") {
    ServerThread server(opts, server_handler);
    ClientRun run(ws_url(server.port(), "/", "localhost"));
    run.rec.open_hook = [](WebSocket& ws) { ws.send_text("by name"); };
    REQUIRE(run.wait([&] { return run.rec.messages.size() == 1; }));
    CHECK(run.rec.messages[0].data == "by name");
    CHECK(run.rec.errors.empty());
    CHECK_FALSE(run.shut_down());
  }
  SECTION("a Unix-domain socket with a request path") {
    unix_path = unix_socket_path();
    opts.unix_path = unix_path;
    std::string path_seen;
    server_handler.open_hook = [&](WebSocket& ws) {
      std::lock_guard lock(server_handler.mutex);
      path_seen = std::string(ws.path());
    };
    {
      ServerThread server(opts, {{"/echo", &server_handler}});
      ClientRun run("ws+unix://" + unix_path + ":/echo", {});
      run.rec.open_hook = [](WebSocket& ws) { ws.send_binary(uvws::test::to_bytes("local")); };
      REQUIRE(run.wait([&] { return run.rec.messages.size() == 1; }));
      CHECK(run.rec.messages[0].opcode == Opcode::binary);
      CHECK(run.rec.messages[0].data == "local");
      REQUIRE(run.close_and_wait(1000, "unix done"));
      CHECK(run.rec.close_code == 1000);
      CHECK_FALSE(run.shut_down());
      const auto rec =
          server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
      REQUIRE(rec);
      CHECK(rec->closes[0].reason == "unix done");
      std::lock_guard lock(server_handler.mutex);
      CHECK(path_seen == "/echo");
    }
    ::unlink(unix_path.c_str());
  }
}

TEST_CASE("client reports a refused connection through on_error only", "[client][error]") {
  const std::uint16_t port = uvws::test::unused_port();
  REQUIRE(port != 0);
  ClientRun run(ws_url(port));
  check_one_connect_error(run, std::errc::connection_refused);
  CHECK(run.rec.closes == 0);
  CHECK(run.client->websocket() == nullptr);
  CHECK(run.client->handshake_status() == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client gives up on a TCP connect that does not complete at connect_timeout",
          "[client][timeout]") {
  // A listener with a backlog of 0 that never accepts: once one connection waits in its
  // queue, Linux drops further SYNs, so a connect hangs (loopback, no unroutable address).
  FakeServer fake(nullptr, false, 0);
  REQUIRE(fake.port() != 0);
  uvws::test::Socket filler = uvws::test::Socket::connect_tcp("127.0.0.1", fake.port(), Ms(1000));
  REQUIRE(filler.valid());
  uvws::test::Socket probe = uvws::test::Socket::connect_tcp("127.0.0.1", fake.port(), Ms(300));
  // A kernel that completed it would leave connect_timeout untested: that fails, not skips.
  REQUIRE_FALSE(probe.valid());
  ClientOptions options;
  options.connect_timeout = Ms(300);
  const auto start = Clock::now();
  ClientRun run(fake.url(), options);
  REQUIRE(run.wait([&] { return !run.rec.errors.empty(); }, Ms(5000)));
  const auto elapsed = std::chrono::duration_cast<Ms>(run.rec.error_at - start);
  CHECK(elapsed >= Ms(250));
  CHECK(elapsed < Ms(2000));
  uvws::test::run_for(run.loop, Ms(100));
  REQUIRE(run.rec.errors.size() == 1);
  CHECK_FALSE(run.rec.errors[0].with_ws);
  INFO("error: " << run.rec.errors[0].ec.message());
  CHECK(run.rec.errors[0].ec == std::errc::timed_out);
  CHECK(run.rec.opens == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client keepalive pings measure the latency", "[client][keepalive]") {
  RecordingHandler server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientOptions options;
  options.ping_interval = Ms(50);
  ClientRun run(ws_url(server.port()), options);
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  CHECK(run.client->latency().count() == 0);
  REQUIRE(run.wait([&] { return run.client->latency().count() > 0; }, Ms(3000)));
  CHECK(run.client->latency() < std::chrono::seconds(1));
  REQUIRE(server_handler.wait([&] { return !server_handler.pings.empty(); }));
  CHECK(run.rec.closes == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client negotiates permessage-deflate and round-trips compressed messages",
          "[client][deflate]") {
  ServerRecorder server_handler;
  bool server_compressed = false;
  server_handler.open_hook = [&](WebSocket& ws) {
    std::lock_guard lock(server_handler.mutex);
    server_compressed = ws.compressed();
  };
  auto opts = ServerThread::options();
  ClientOptions options;
  bool expected = false;
  const std::string variant = GENERATE(as<std::string>{}, "both sides enable it",
                                       "only the server enables it", "only the client offers it");
  CAPTURE(variant);
  if (variant == "both sides enable it") {
    opts.compression.enabled = true;
    options.compression.enabled = true;
    expected = true;
  }
  if (variant == "only the server enables it") {
    opts.compression.enabled = true;
  }
  if (variant == "only the client offers it") {
    options.compression.enabled = true;
  }
  ServerThread server(opts, server_handler);
  ClientRun run(ws_url(server.port()), options);
  std::string json;
  for (int i = 0; i < 300; ++i) json += R"({"id":)" + std::to_string(i) + R"(,"name":"item"},)";
  const std::string bin = uvws::test::pattern(100000, false);
  run.rec.open_hook = [&](WebSocket& ws) {
    ws.send_text(json);
    ws.send_binary(uvws::test::to_bytes(bin));
    ws.send_text("short");
  };
  REQUIRE(run.wait([&] { return run.rec.messages.size() == 3; }, Ms(10000)));
  CHECK(run.rec.compressed == expected);
  CHECK(run.rec.messages[0].data == json);
  CHECK(run.rec.messages[1].opcode == Opcode::binary);
  CHECK(run.rec.messages[1].data == bin);
  CHECK(run.rec.messages[2].data == "short");
  {
    std::lock_guard lock(server_handler.mutex);
    CHECK(server_compressed == expected);
    REQUIRE(server_handler.received.size() == 3);
    CHECK(server_handler.received[0].data == json);
    CHECK(server_handler.received[1].data == bin);
  }
  // The server counts a compressing connection's messages in the deflate counters (published
  // after the read that carried them, hence the wait).
  REQUIRE(uvws::test::wait_until([&] {
    const uvws::ServerMetrics m = server.server().metrics();
    return m.text_received.messages == 2 && m.binary_received.messages == 1;
  }));
  const uvws::ServerMetrics m = server.server().metrics();
  CHECK(m.deflate_payload_received == (expected ? json.size() + bin.size() + 5 : 0));
  CHECK(m.text_received.bytes == json.size() + 5);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client reports a refused host name once, after trying all its addresses",
          "[client][error]") {
  const std::uint16_t port = uvws::test::unused_port();
  REQUIRE(port != 0);
  ClientRun run(ws_url(port, "/", "localhost"));
  check_one_connect_error(run, std::errc::connection_refused);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client's destructor drops an open connection and reports 1006 first",
          "[client][close]") {
  RecordingHandler server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientRun run(ws_url(server.port()));
  REQUIRE(run.wait([&] { return run.rec.opens == 1; }));
  run.client.reset();
  // on_close ran within the destructor.
  CHECK(run.rec.closes == 1);
  CHECK(run.rec.close_code == 1006);
  CHECK(run.rec.events.back() == "close");
  CHECK_FALSE(run.shut_down());
  // No close handshake: the server sees the connection vanish.
  const auto rec = server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1006);
}

TEST_CASE("an exception from a client handler closes the connection with 1011", "[client][close]") {
  RecordingHandler server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientRun run(ws_url(server.port()));
  run.rec.open_hook = [](WebSocket& ws) { ws.send_text("boom"); };
  run.rec.message_hook = [](WebSocket&, const ClientRecorder::Msg&) {
    throw std::runtime_error("application bug");
  };
  REQUIRE(run.wait([&] { return run.rec.closes == 1; }));
  CHECK(run.rec.close_code == 1011);
  const auto rec = server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1011);
  CHECK(run.rec.violations == 0);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client closes with 1009 on a message over max_message_size", "[client][limits]") {
  RecordingHandler server_handler;
  ServerThread server(ServerThread::options(), server_handler);
  ClientOptions options;
  options.max_message_size = 1000;
  options.max_frame_size = 1000;
  ClientRun run(ws_url(server.port()), options);
  // The client may send what it may not receive: the server's echo is the oversized one.
  run.rec.open_hook = [](WebSocket& ws) {
    ws.send_text(std::string(1000, 'a'));
    ws.send_text(std::string(1001, 'b'));
  };
  REQUIRE(run.wait([&] { return run.rec.closes == 1; }));
  REQUIRE(run.rec.messages.size() == 1);
  CHECK(run.rec.messages[0].data.size() == 1000);
  CHECK(run.rec.close_code == 1009);
  REQUIRE(run.rec.errors.size() == 1);
  CHECK(run.rec.errors[0].with_ws);
  CHECK((run.rec.errors[0].ec == uvws::ws::Error::message_too_big ||
         run.rec.errors[0].ec == uvws::ws::Error::frame_too_big));
  const auto rec = server_handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1009);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client checks its URL and options at construction", "[client][options]") {
  uvws::net::Loop loop;
  ClientRecorder rec;
  CHECK_THROWS_AS(uvws::Client(loop, "wss://127.0.0.1:0/", rec), std::invalid_argument);
  CHECK_THROWS_AS(uvws::Client(loop, "http://127.0.0.1/", rec), std::invalid_argument);
  const auto bad = [&](const std::function<void(ClientOptions&)>& change) {
    ClientOptions o;
    change(o);
    try {
      uvws::Client c(loop, "ws://127.0.0.1:1/", rec, o);
      return false;
    } catch (const std::invalid_argument&) {
      return true;
    }
  };
  CHECK(bad([](ClientOptions& o) { o.connect_timeout = Ms(0); }));
  CHECK(bad([](ClientOptions& o) { o.handshake_timeout = Ms(-1); }));
  CHECK(bad([](ClientOptions& o) { o.close_timeout = Ms(0); }));
  CHECK(bad([](ClientOptions& o) { o.ping_interval = Ms(-5); }));
  CHECK(bad([](ClientOptions& o) { o.max_backpressure = 0; }));
  CHECK(bad([](ClientOptions& o) { o.reconnect.initial_delay = Ms(0); }));
  CHECK(bad([](ClientOptions& o) {
    o.reconnect.initial_delay = Ms(500);
    o.reconnect.max_delay = Ms(100);
  }));
  CHECK(bad([](ClientOptions& o) { o.reconnect.jitter = 1.5; }));
  CHECK(bad([](ClientOptions& o) { o.reconnect.multiplier = 0.5; }));
  CHECK(bad([](ClientOptions& o) { o.compression.server_max_window_bits = 16; }));
  CHECK_FALSE(bad([](ClientOptions& o) { o.reconnect.jitter = 0; }));
  ClientOptions o;
  o.tls.client_certificate.cert_file = "client.pem";  // without its key_file
  CHECK_THROWS_AS(uvws::connect("wss://127.0.0.1:1/", o), std::invalid_argument);
  o = {};
  o.connect_timeout = Ms(0);
  CHECK_THROWS_AS(uvws::connect("ws://127.0.0.1:1/", o), std::invalid_argument);
  CHECK(rec.events.empty());
  CHECK_FALSE(loop.close_all());
}

TEST_CASE("client reports a Unix socket path with nothing behind it", "[client][error]") {
  const std::string path = unix_socket_path();
  ClientRun run("ws+unix://" + path + ":/x");
  check_one_connect_error(run, std::errc::no_such_file_or_directory);
  CHECK_FALSE(run.shut_down());
}

TEST_CASE("client close() during the handshake drops the connection without reconnecting",
          "[client][close]") {
  bool client_closed = false;
  std::atomic<bool> request_read{false};
  FakeServer fake([&](FakePeer& peer) {
    request_read = !peer.read_request().empty();
    client_closed = peer.client_closed_within(Ms(5000));
  });
  ClientOptions options;
  options.reconnect.enabled = true;
  options.reconnect.initial_delay = Ms(20);
  options.reconnect.max_delay = Ms(40);
  ClientRun run(fake.url(), options);
  int attempts = 0;
  run.client->on_attempt = [&](unsigned, Ms, std::error_code) { ++attempts; };
  // The request is out (the server read it) and will get no answer.
  REQUIRE(run.wait([&] { return request_read.load(); }));
  run.client->close();
  // Nothing happens after the close for longer than the reconnect delays: no attempt.
  uvws::test::run_for(run.loop, Ms(300));
  CHECK(run.rec.opens == 0);
  CHECK(run.rec.closes == 0);
  CHECK(attempts == 0);
  CHECK(run.client->websocket() == nullptr);
  CHECK_FALSE(run.shut_down());
  CHECK(fake.join());    // one connection was accepted...
  CHECK(client_closed);  // ...and the client ended it
}
