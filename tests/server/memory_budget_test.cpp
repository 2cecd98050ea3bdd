// The server's memory budget (ServerOptions::memory_budget): connections that each stay under
// their own limits cannot together hold more than the budget; the one holding the most is
// failed (1009 for a message arriving, 1008 for output its peer does not read) and the others
// are unharmed.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "test_client.h"

using std::chrono::milliseconds;
using uvws::Opcode;
using uvws::test::RawFrame;
using uvws::test::Received;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

std::vector<std::uint8_t> frame(Opcode opcode, std::string payload, bool fin) {
  RawFrame f;
  f.opcode = opcode;
  f.payload = std::move(payload);
  f.fin = fin;
  return uvws::test::frame_bytes(f);
}

}  // namespace

TEST_CASE("over the memory budget, the connection holding the most input is failed with 1009",
          "[server][memory]") {
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.max_message_size = 3 * MiB;
  opts.max_frame_size = 3 * MiB;
  opts.memory_budget = 3 * MiB;
  ServerThread server(opts, handler);
  TestClient a;
  TestClient b;
  TestClient c;
  REQUIRE(a.connect(server.port()) == 101);
  REQUIRE(b.connect(server.port()) == 101);
  REQUIRE(c.connect(server.port()) == 101);

  // a and b each leave a message unfinished (600 and 300 KiB received); c sends 2.5 MiB of a
  // 3 MiB frame and stops. The reassembly buffer grows by doubling from the first read's size,
  // so each holds between its bytes and twice as many: c at least 2.5 MiB, a and b together
  // at most 1.8 MiB. Whatever the reads, the sum passes 3 MiB and c holds the most; without c,
  // a and b stay under 3 MiB even while their echoes are queued.
  REQUIRE(a.send_raw(frame(Opcode::binary, std::string(600 * KiB, 'a'), false)));
  REQUIRE(b.send_raw(frame(Opcode::binary, std::string(300 * KiB, 'b'), false)));
  const std::vector<std::uint8_t> big = frame(Opcode::binary, std::string(3 * MiB, 'c'), true);
  c.send_raw(std::span(big).first(big.size() - MiB / 2));  // may fail: the server hangs up

  Received r = c.recv_data(milliseconds(10000));
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1009);
  CHECK(r.data == "server memory budget");
  CHECK(c.wait_eof());

  // a and b finish their messages and get them echoed whole.
  REQUIRE(a.send_raw(frame(Opcode::continuation, "end", true)));
  REQUIRE(b.send_raw(frame(Opcode::continuation, "end", true)));
  r = a.recv_data(milliseconds(10000));
  REQUIRE(r.kind == Received::Kind::message);
  CHECK(r.data == std::string(600 * KiB, 'a') + "end");
  r = b.recv_data(milliseconds(10000));
  REQUIRE(r.kind == Received::Kind::message);
  CHECK(r.data == std::string(300 * KiB, 'b') + "end");

  // c's end is reported as abnormal (no close frame came back: the server closed at once).
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1006);
  CHECK(rec->messages == 2);
  REQUIRE(a.close());
  REQUIRE(b.close());
  CHECK(a.wait_eof());
  CHECK(b.wait_eof());
}

TEST_CASE("over the memory budget, a connection whose peer does not read is failed with 1008",
          "[server][memory]") {
  RecordingHandler handler;
  handler.echo = false;
  handler.message_hook = [](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() != "flood") return;
    // Within max_backpressure (8 MiB) but over the 2 MiB budget once the kernel refuses them.
    for (int i = 0; i < 6; ++i) ws.send_binary(uvws::test::as_bytes(std::string(MiB, 'x')));
  };
  auto opts = ServerThread::options();
  opts.max_backpressure = 8 * MiB;
  opts.memory_budget = 2 * MiB;
  ServerThread server(opts, handler);
  TestClient reader;
  REQUIRE(reader.connect(server.port()) == 101);
  TestClient sleeper;
  REQUIRE(sleeper.connect(server.port(), "/", {}, "127.0.0.1", milliseconds(5000), 8192) == 101);
  REQUIRE(sleeper.send_text("flood"));

  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1006);
  // The sleeper's socket ends (what it gets before is cut short: its backlog was dropped).
  CHECK(sleeper.socket().wait_closed());
  // The other connection is unharmed.
  REQUIRE(reader.send_text("still here"));
  REQUIRE(handler.wait([](const Record& seen) { return seen.messages == 2; }));
  REQUIRE(reader.close());
  const Received r = reader.recv(milliseconds(10000));
  CHECK(r.kind == Received::Kind::close);
  CHECK(reader.wait_eof());
}
