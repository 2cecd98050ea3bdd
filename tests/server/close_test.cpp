// Every way a server connection ends (RFC 6455 7): the close handshake from either side, a
// peer that vanishes, protocol violations with their close codes (7.4.1), a throwing handler,
// a graceful server stop; and the Handler guarantees on_open / on_close around all of them.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "test_client.h"
#include "uvws/ws/error.h"

using uvws::Opcode;
using uvws::test::RawFrame;
using uvws::test::Received;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;

namespace {

// Reads until the server's close frame; returns it (Kind::timeout/eof if none came).
Received await_close(TestClient& client) {
  for (;;) {
    Received r = client.recv();
    if (r.kind != Received::Kind::message && r.kind != Received::Kind::ping &&
        r.kind != Received::Kind::pong) {
      return r;
    }
  }
}

}  // namespace

TEST_CASE("server answers a client's close with the same code", "[server][close]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);

  struct Case {
    std::uint16_t code;
    const char* reason;
  };
  // Normal closure with a reason, an application code, going away without a reason.
  const Case c = GENERATE(Case{1000, "done here"}, Case{4321, "app"}, Case{1001, ""});
  const std::uint16_t code = c.code;
  const std::string reason = c.reason;
  REQUIRE(client.close(code, reason));
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == code);
  // RFC 6455 7.1.1: the server closes TCP first; the client sees EOF.
  CHECK(client.recv().kind == Received::Kind::eof);
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == code);
  CHECK(rec->closes[0].reason == reason);
}

TEST_CASE("server reports 1005 for a close frame without a code", "[server][close]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(client.close(0));
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1005);  // an empty close comes back empty, which reads as 1005
  CHECK(client.wait_eof());
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1005);
}

TEST_CASE("server closes from on_message with the application's code", "[server][close]") {
  RecordingHandler handler;
  handler.echo = false;
  // Set on the loop thread before on_close, read after wait() saw that on_close under the
  // handler's lock, which orders the two (Catch2 assertions are for the test thread only).
  uvws::SendStatus after_close = uvws::SendStatus::ok;
  bool open_after_close = true;
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "leave") {
      ws.close(4000, "bye");
      // After close() the connection sends nothing more.
      after_close = ws.send_text("too late");
      open_after_close = ws.is_open();
    }
  };
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(client.send_text("leave"));
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 4000);
  CHECK(r.data == "bye");
  // The client's automatic answer completes the handshake; the server then ends TCP.
  CHECK(client.recv().kind == Received::Kind::eof);
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 4000);
  CHECK(after_close == uvws::SendStatus::dropped);
  CHECK_FALSE(open_after_close);
}

TEST_CASE("server reports 1006 when the peer vanishes without a close frame", "[server][close]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto client = std::make_unique<TestClient>();
  REQUIRE(client->connect(server.port()) == 101);
  REQUIRE(client->send_text("x"));
  REQUIRE(client->recv().is_message(Opcode::text, "x"));
  if (GENERATE(false, true)) {
    // Vanish in the middle of a frame: half of its bytes were sent.
    const auto bytes = uvws::test::frame_bytes(RawFrame{.payload = std::string(1000, 'p')});
    REQUIRE(client->send_raw(std::span(bytes).first(500)));
  }
  client.reset();  // close(2): FIN, no close frame
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1006);
  CHECK(rec->closes[0].reason.empty());
  CHECK(rec->opens == 1);
}

TEST_CASE("server fails protocol violations with the matching close code",
          "[server][close][protocol]") {
  struct Case {
    const char* name;
    RawFrame frame;
    std::uint16_t code;
    uvws::ws::Error error;
  };
  const Case c = GENERATE(
      Case{"unmasked frame", RawFrame{.payload = "hi", .masked = false}, 1002,
           uvws::ws::Error::unmasked_frame},
      Case{"invalid UTF-8", RawFrame{.payload = "ok \xC3\x28 bad"}, 1007,
           uvws::ws::Error::bad_utf8},
      Case{"message over max_message_size",
           RawFrame{.opcode = Opcode::binary, .payload = std::string(2000, 'b')}, 1009,
           uvws::ws::Error::message_too_big},
      Case{"reserved bit RSV2", RawFrame{.payload = "r", .rsv2 = true}, 1002,
           uvws::ws::Error::reserved_bits},
      Case{"RSV1 without permessage-deflate", RawFrame{.payload = "r", .rsv1 = true}, 1002,
           uvws::ws::Error::reserved_bits},
      Case{"unknown opcode", RawFrame{.opcode = static_cast<Opcode>(0x3), .payload = ""}, 1002,
           uvws::ws::Error::bad_opcode},
      Case{"fragmented ping", RawFrame{.opcode = Opcode::ping, .payload = "", .fin = false}, 1002,
           uvws::ws::Error::control_fragmented},
      Case{"continuation without a message",
           RawFrame{.opcode = Opcode::continuation, .payload = "x"}, 1002,
           uvws::ws::Error::unexpected_continuation});
  INFO(c.name);
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.max_message_size = 1024;
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(client.send_raw(uvws::test::frame_bytes(c.frame)));
  const Received r = await_close(client);
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == c.code);
  // No internal details in the reason; the server ends TCP after its close frame.
  CHECK(client.wait_eof());
  // on_error comes before on_close (the violation ends the connection).
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == c.code);
  REQUIRE(rec->errors == 1);
  CHECK(rec->error_codes[0] == c.error);
  CHECK(rec->error_codes[0] == uvws::ws::Condition::protocol_violation);
  CHECK(rec->messages == 0);
}

TEST_CASE("server closes with 1011 when a handler throws", "[server][close]") {
  RecordingHandler handler;
  handler.echo = false;
  handler.message_hook = [](uvws::WebSocket&, uvws::Message m) {
    if (m.text() == "boom") throw std::runtime_error("handler bug");
    if (m.text() == "int") throw 42;
  };
  ServerThread server(ServerThread::options(), handler);
  const char* what = GENERATE("boom", "int");
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  REQUIRE(client.send_text(what));
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1011);
  CHECK(client.recv().kind == Received::Kind::eof);
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1011);
}

TEST_CASE("server closes with 1011 when on_open throws, and on_close still follows",
          "[server][close]") {
  RecordingHandler handler;
  handler.open_hook = [](uvws::WebSocket&) { throw std::runtime_error("open failed"); };
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port()) == 101);
  const Received r = client.recv();
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1011);
  CHECK(client.wait_eof());
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->opens == 1);
  CHECK(rec->violations == 0);
}

TEST_CASE("server stop() sends 1001 to every open client", "[server][close][stop]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient a;
  TestClient b;
  REQUIRE(a.connect(server.port()) == 101);
  REQUIRE(b.connect(server.port()) == 101);
  REQUIRE(a.send_text("a"));
  REQUIRE(a.recv().is_message(Opcode::text, "a"));
  // A third connection that never completes its handshake is simply closed.
  uvws::test::Socket half = uvws::test::Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(half.valid());
  REQUIRE(half.send_all("GET / HTTP/1.1\r\nHost: x\r\n"));

  std::thread stopper([&] { server.stop(); });
  for (TestClient* c : {&a, &b}) {
    const Received r = c->recv();
    REQUIRE(r.kind == Received::Kind::close);
    CHECK(r.code == 1001);
    CHECK(c->recv().kind == Received::Kind::eof);
  }
  CHECK(half.wait_closed());
  stopper.join();
  const Record rec = handler.snapshot();
  REQUIRE(rec.closes.size() == 2);
  CHECK(rec.closes[0].code == 1001);
  CHECK(rec.closes[1].code == 1001);
  CHECK(rec.errors == 0);
}

TEST_CASE("server calls on_open at most once and on_close exactly once iff on_open ran",
          "[server][close][guarantees]") {
  RecordingHandler handler;
  handler.message_hook = [](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "close") ws.close(4001);
    if (m.text() == "terminate") ws.terminate();
  };
  auto opts = ServerThread::options();
  opts.handshake_timeout = std::chrono::milliseconds(300);
  ServerThread server(opts, {{"/", &handler}});
  const std::uint16_t port = server.port();

  int expected_opens = 0;
  {
    // Connections that open, each ended a different way.
    TestClient clean, server_close, vanish, violate, terminated, throw_after;
    for (TestClient* c : {&clean, &server_close, &vanish, &violate, &terminated, &throw_after}) {
      REQUIRE(c->connect(port) == 101);
      ++expected_opens;
    }
    REQUIRE(clean.close());
    REQUIRE(server_close.send_text("close"));
    REQUIRE(violate.send_raw(uvws::test::frame_bytes(RawFrame{.payload = "x", .masked = false})));
    REQUIRE(terminated.send_text("terminate"));
    CHECK(await_close(clean).kind == Received::Kind::close);
    CHECK(await_close(server_close).kind == Received::Kind::close);
    CHECK(await_close(violate).kind == Received::Kind::close);
    CHECK(terminated.wait_eof());
    vanish.socket().close();
    // Connections that never open: a refused handshake, a timed-out one, plain HTTP.
    CHECK(uvws::test::http_exchange(port, uvws::test::upgrade_request("/nowhere")).status == 404);
    CHECK(uvws::test::http_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").status == 426);
    uvws::test::Socket silent = uvws::test::Socket::connect_tcp("127.0.0.1", port);
    REQUIRE(silent.valid());
    CHECK(silent.wait_closed());
    // Closing a connection twice from the server side must not call on_close twice either.
    REQUIRE(throw_after.send_text("close"));
    REQUIRE(throw_after.send_text("close"));
    CHECK(await_close(throw_after).kind == Received::Kind::close);
  }
  REQUIRE(handler.wait(
      [&](const Record& seen) { return seen.closes.size() == std::size_t(expected_opens); }));
  // A late (wrong) callback would come from the loop: once run() has returned, every callback
  // that will ever come has come, so the record is final.
  REQUIRE(server.stop());
  const Record rec = handler.snapshot();
  CHECK(rec.opens == expected_opens);
  CHECK(rec.closes.size() == std::size_t(expected_opens));
  CHECK(rec.violations == 0);
}
