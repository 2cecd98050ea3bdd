// End-to-end echo through uvws::Server: message sizes at every length encoding (RFC 6455
// 5.2), fragmentation (5.4), control frames (5.5), and every kind of listener.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#include "test_client.h"

using uvws::Opcode;
using uvws::test::Received;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;

namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + i / 251) & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("server echoes text, binary and empty messages", "[server][echo]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  REQUIRE(client.send_text("hello, uvws"));
  CHECK(client.recv().is_message(Opcode::text, "hello, uvws"));
  const std::string utf8 = "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80";
  REQUIRE(client.send_text(utf8));
  CHECK(client.recv().is_message(Opcode::text, utf8));
  const std::string bin("\x00\x01\xFF\xFE binary", 12);
  REQUIRE(client.send_binary(bin));
  CHECK(client.recv().is_message(Opcode::binary, bin));
  REQUIRE(client.send_text(""));
  CHECK(client.recv().is_message(Opcode::text, ""));
  REQUIRE(client.send_binary(std::string_view()));
  CHECK(client.recv().is_message(Opcode::binary, ""));

  REQUIRE(client.close());
  const Received close = client.recv();
  CHECK(close.kind == Received::Kind::close);
  CHECK(close.code == 1000);
  CHECK(client.recv().kind == Received::Kind::eof);
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->messages == 5);
}

TEST_CASE("server echoes messages at each payload length encoding", "[server][echo]") {
  // 125: the last 7-bit length; 126: the first 16-bit one; 65535/65536: the 16/64-bit edge;
  // 1 MiB: the default max_message_size, which must still be accepted.
  const std::size_t size =
      GENERATE(125u, 126u, 65535u, 65536u, uvws::ServerOptions{}.max_message_size);
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  const std::string payload = pattern(size);

  REQUIRE(client.send_binary(payload));
  Received r = client.recv(std::chrono::seconds(30));
  REQUIRE(r.kind == Received::Kind::message);
  CHECK(r.opcode == Opcode::binary);
  CHECK(r.data.size() == size);
  CHECK(r.data == payload);

  const std::string text(size, 'a');
  REQUIRE(client.send_text(text));
  r = client.recv(std::chrono::seconds(30));
  CHECK(r.is_message(Opcode::text, text));
}

TEST_CASE("server reassembles fragmented messages", "[server][echo]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  SECTION("text with a UTF-8 sequence split across fragments") {
    // U+20AC (E2 82 AC) is cut after its first byte: UTF-8 is validated across frames.
    REQUIRE(client.send_fragment(Opcode::text, "price: \xE2", false));
    REQUIRE(client.send_fragment(Opcode::text, "\x82\xAC", false));
    REQUIRE(client.send_fragment(Opcode::text, " 5", true));
    CHECK(client.recv().is_message(Opcode::text, "price: \xE2\x82\xAC 5"));
  }
  SECTION("binary with a ping between its fragments") {
    // RFC 6455 5.4: control frames may be injected in the middle of a fragmented message.
    REQUIRE(client.send_fragment(Opcode::binary, "abc", false));
    REQUIRE(client.ping("mid"));
    REQUIRE(client.send_fragment(Opcode::binary, "", false));
    REQUIRE(client.send_fragment(Opcode::binary, "def", true));
    const Received pong = client.recv();
    CHECK(pong.kind == Received::Kind::pong);
    CHECK(pong.data == "mid");
    CHECK(client.recv().is_message(Opcode::binary, "abcdef"));
  }
  SECTION("many small fragments of a large message") {
    const std::string whole = pattern(300000);
    for (std::size_t off = 0; off < whole.size(); off += 1000) {
      const bool fin = off + 1000 >= whole.size();
      REQUIRE(client.send_fragment(Opcode::binary, std::string_view(whole).substr(off, 1000), fin));
    }
    CHECK(client.recv(std::chrono::seconds(20)).is_message(Opcode::binary, whole));
  }
  CHECK(handler.wait([](const Record& seen) { return seen.messages == 1; }));
}

TEST_CASE("server answers pings and reports pongs to on_pong", "[server][ping]") {
  RecordingHandler handler;
  handler.message_hook = [](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "ping me") ws.ping(uvws::test::as_bytes("srv"));
  };
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  REQUIRE(client.ping("are you there"));
  Received r = client.recv();
  CHECK(r.kind == Received::Kind::pong);
  CHECK(r.data == "are you there");
  REQUIRE(client.ping());
  r = client.recv();
  CHECK(r.kind == Received::Kind::pong);
  CHECK(r.data.empty());

  // An unsolicited pong (RFC 6455 5.5.3) is reported and not answered.
  REQUIRE(client.pong("heartbeat"));
  const auto got = handler.wait([](const Record& seen) { return seen.pongs.size() == 1; });
  REQUIRE(got);
  CHECK(got->pongs[0] == "heartbeat");
  // Both pings were answered (the client saw the pongs) before the pong was sent.
  REQUIRE(got->pings.size() == 2);
  CHECK(got->pings[0] == "are you there");
  CHECK(got->pings[1].empty());

  // The server's own ping reaches the client, and the client's automatic pong on_pong.
  REQUIRE(client.send_text("ping me"));
  CHECK(client.recv().is_message(Opcode::text, "ping me"));
  r = client.recv();
  CHECK(r.kind == Received::Kind::ping);
  CHECK(r.data == "srv");
  const auto after = handler.wait([](const Record& seen) { return seen.pongs.size() == 2; });
  REQUIRE(after);
  CHECK(after->pongs[1] == "srv");
}

TEST_CASE("server listening on a Unix socket echoes", "[server][echo][unix]") {
  const std::string path = "/tmp/uvws-srv-test-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.unix_path = path;
  {
    ServerThread server(opts, handler);
    TestClient client;
    REQUIRE(client.connect_unix(path) == 101);
    REQUIRE(client.send_text("over a unix socket"));
    CHECK(client.recv().is_message(Opcode::text, "over a unix socket"));
    REQUIRE(client.close(1000, "done"));
    CHECK(client.recv().code == 1000);
    CHECK(client.wait_eof());
    const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
    REQUIRE(rec);
    CHECK(rec->closes[0].code == 1000);
    CHECK(rec->closes[0].reason == "done");
  }
  // The listener removes its socket file when it closes.
  CHECK(::access(path.c_str(), F_OK) != 0);
}

TEST_CASE("server listening on ::1 echoes", "[server][echo][ipv6]") {
  RecordingHandler handler;
  std::string peer;
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message) {
    std::lock_guard lock(handler.mutex);
    peer = ws.remote_address();
  };
  auto opts = ServerThread::options();
  opts.host = "::1";
  // A machine without ::1 fails here rather than skipping the test.
  std::unique_ptr<ServerThread> server;
  try {
    server = std::make_unique<ServerThread>(opts, handler);
  } catch (const std::system_error& e) {
    FAIL("cannot listen on ::1 (" << e.what() << "): IPv6 loopback is needed for this test");
  }
  TestClient client;
  REQUIRE(client.connect(server->port(), "/", {}, "::1") == 101);
  REQUIRE(client.send_binary(std::string_view("v6")));
  CHECK(client.recv().is_message(Opcode::binary, "v6"));
  std::lock_guard lock(handler.mutex);
  CHECK(peer.rfind("[::1]:", 0) == 0);
}

TEST_CASE("server with two threads spreads connections over both loops", "[server][threads]") {
  RecordingHandler handler;
  std::mutex ids_mutex;
  std::set<std::thread::id> ids;
  handler.open_hook = [&](uvws::WebSocket&) {
    std::lock_guard lock(ids_mutex);
    ids.insert(std::this_thread::get_id());
  };
  auto opts = ServerThread::options();
  opts.threads = 2;
  ServerThread server(opts, handler);

  constexpr int n = 40;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port()) == 101);
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < n; ++i) {
      REQUIRE(clients[static_cast<std::size_t>(i)]->send_text("c" + std::to_string(i)));
    }
    for (int i = 0; i < n; ++i) {
      const Received r = clients[static_cast<std::size_t>(i)]->recv();
      CHECK(r.is_message(Opcode::text, "c" + std::to_string(i)));
    }
  }
  {
    // SO_REUSEPORT hashes the 4-tuple; 40 connections all on one of two loops would be a
    // 1 in 2^39 event, so seeing one loop means the second is not accepting.
    std::lock_guard lock(ids_mutex);
    CHECK(ids.size() == 2);
  }
  CHECK(server.server().connection_count() == static_cast<std::size_t>(n));
  clients.clear();  // vanish: every connection ends with 1006
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == n; });
  REQUIRE(rec);
  CHECK(rec->opens == n);
  CHECK(rec->violations == 0);
}
