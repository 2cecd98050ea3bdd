// Backpressure: a client that stops reading while the server sends. send() reports
// backpressure past max_backpressure, buffered_amount() stays bounded, on_drain resumes the
// producer once the client reads again; with the close policy the connection ends with 1008.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <string>
#include <thread>

#include "test_client.h"

using std::chrono::milliseconds;
using uvws::Opcode;
using uvws::SendStatus;
using uvws::test::Received;
using uvws::test::Record;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using uvws::test::wait_until;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t max_backpressure = 256 * 1024;
constexpr std::uint32_t total_chunks = 128;  // 8 MiB: more than the kernel buffers hold
constexpr int small_rcvbuf = 8192;

// A producer on the loop thread: sends numbered 64 KiB messages until send() says stop,
// and resumes from on_drain. Its counters are read by the test under `mutex`.
struct Producer {
  std::mutex mutex;
  std::uint32_t next = 0;  // sequence number of the next chunk
  int ok = 0;
  int backpressure = 0;
  int dropped = 0;
  std::size_t max_buffered = 0;
  SendStatus probe = SendStatus::ok;
  bool probed = false;
  std::size_t buffered_at_probe = 0;
  bool ignore_status = false;  // a careless producer: keeps sending whatever send() says

  static std::string chunk(std::uint32_t seq) {
    std::string c(chunk_size, static_cast<char>('a' + seq % 26));
    std::memcpy(c.data(), &seq, sizeof(seq));
    return c;
  }

  void produce(uvws::WebSocket& ws) {
    std::lock_guard lock(mutex);
    while (next < total_chunks) {
      const SendStatus st = ws.send_binary(uvws::test::as_bytes(chunk(next)));
      max_buffered = std::max(max_buffered, ws.buffered_amount());
      ++next;
      if (st == SendStatus::dropped) {
        ++dropped;
        if (!ignore_status) return;
        continue;
      }
      if (st == SendStatus::ok) {
        ++ok;
      } else {
        ++backpressure;
        if (!probed && !ignore_status) probe_locked(ws);
        if (!ignore_status) return;
      }
    }
  }

  // Right after the first "backpressure": the connection is over its limit (and, since the
  // receive side follows the send side, reads nothing until it drains), so this send must be
  // dropped.
  void probe_locked(uvws::WebSocket& ws) {
    probe = ws.send_binary(uvws::test::as_bytes(chunk(0xFFFFFFFF)));
    buffered_at_probe = ws.buffered_amount();
    probed = true;
  }
};

}  // namespace

TEST_CASE("server drops sends past max_backpressure and resumes on on_drain",
          "[server][backpressure]") {
  Producer producer;
  RecordingHandler handler;
  handler.echo = false;
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "flood") producer.produce(ws);
  };
  handler.drain_hook = [&](uvws::WebSocket& ws) { producer.produce(ws); };
  auto opts = ServerThread::options();
  opts.max_backpressure = max_backpressure;
  opts.backpressure_policy = uvws::BackpressurePolicy::drop;
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port(), "/", {}, "127.0.0.1", milliseconds(5000), small_rcvbuf) ==
          101);

  REQUIRE(client.send_text("flood"));
  // The producer stalls: the client reads nothing, the kernel buffers fill, no drain comes.
  // First the event that starts it: a send reports backpressure.
  REQUIRE(wait_until(
      [&] {
        std::lock_guard lock(producer.mutex);
        return producer.backpressure >= 1;
      },
      milliseconds(20000)));
  // Then what this test is about, nothing happening for a while: on_drain may still resume the
  // producer while the kernel takes what uvws had queued, until its buffers are full. The
  // producer has stalled once no chunk was queued for 300 ms; the checks below fail if it did
  // not stall (all chunks queued) or went past the bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto last_change = std::chrono::steady_clock::now();
  std::uint32_t last = 0;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now > deadline) break;
    {
      std::lock_guard lock(producer.mutex);
      if (producer.next != last) {
        last = producer.next;
        last_change = now;
      }
    }
    if (now - last_change > milliseconds(300)) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  {
    std::lock_guard lock(producer.mutex);
    INFO("chunks queued before the stall: " << producer.next);
    REQUIRE(producer.backpressure >= 1);
    REQUIRE(producer.next < total_chunks);
    CHECK(producer.dropped == 0);
    // Bounded: at most one message beyond the limit is ever queued.
    CHECK(producer.max_buffered <= max_backpressure + chunk_size + 14);
  }

  // While the backlog is over the limit, a send is dropped and queues nothing.
  {
    std::lock_guard lock(producer.mutex);
    REQUIRE(producer.probed);
    CHECK(producer.probe == SendStatus::dropped);
    CHECK(producer.buffered_at_probe <= max_backpressure + chunk_size + 14);
  }

  // The client reads again: every queued chunk arrives, in order, and on_drain resumes the
  // producer until all were sent.
  std::uint32_t expected = 0;
  while (expected < total_chunks) {
    const Received r = client.recv(milliseconds(10000));
    INFO("chunk " << expected << ": got " << uvws::test::kind_name(r.kind));
    REQUIRE(r.kind == Received::Kind::message);
    REQUIRE(r.data.size() == chunk_size);
    std::uint32_t seq = 0;
    std::memcpy(&seq, r.data.data(), sizeof(seq));
    REQUIRE(seq == expected);
    ++expected;
  }
  REQUIRE(handler.wait([](const Record& seen) { return seen.drains >= 1; }));
  std::lock_guard lock(producer.mutex);
  CHECK(producer.next == total_chunks);
  CHECK(producer.ok + producer.backpressure == int(total_chunks));
}

TEST_CASE("server closes with 1008 a connection over max_backpressure with the close policy",
          "[server][backpressure]") {
  Producer producer;
  producer.ignore_status = true;
  RecordingHandler handler;
  handler.echo = false;
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() == "flood") producer.produce(ws);
  };
  auto opts = ServerThread::options();
  opts.max_backpressure = max_backpressure;
  opts.backpressure_policy = uvws::BackpressurePolicy::close;
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port(), "/", {}, "127.0.0.1", milliseconds(5000), small_rcvbuf) ==
          101);

  REQUIRE(client.send_text("flood"));
  // The careless producer sends every chunk in the one callback, whatever send() says; the
  // client reads only once it is done, so that nothing drains meanwhile.
  REQUIRE(wait_until([&] {
    std::lock_guard lock(producer.mutex);
    return producer.next == total_chunks;
  }));
  Received r;
  int messages = 0;
  for (;;) {
    r = client.recv(milliseconds(10000));
    if (r.kind != Received::Kind::message) break;
    ++messages;
  }
  REQUIRE(r.kind == Received::Kind::close);
  CHECK(r.code == 1008);
  CHECK(client.wait_eof());
  const auto rec = handler.wait([](const Record& seen) { return seen.closes.size() == 1; });
  REQUIRE(rec);
  CHECK(rec->closes[0].code == 1008);
  std::lock_guard lock(producer.mutex);
  CHECK(producer.backpressure >= 1);
  CHECK(producer.dropped >= 1);
  // What was queued before the limit arrived; nothing after it.
  CHECK(messages == producer.ok + producer.backpressure);
  CHECK(producer.max_buffered <= max_backpressure + chunk_size + 14);
}

TEST_CASE("a client that sends pings and never reads is held back: reading stops over the limit",
          "[server][backpressure]") {
  // Each ping makes the server owe a pong. Reading stops while more than max_backpressure is
  // owed, so the client's writes stall once the kernel buffers between the two are full,
  // instead of the server queueing pongs without bound. Reading again resumes it: every ping
  // gets its pong, in order.
  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.max_backpressure = 64 * 1024;
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port(), "/", {}, "127.0.0.1", milliseconds(5000), small_rcvbuf) ==
          101);
  constexpr std::size_t pings = 200000;  // 26 MiB of pings: more than the kernel buffers hold
  uvws::test::RawFrame ping;
  ping.opcode = Opcode::ping;
  ping.payload = std::string(125, 'p');
  const std::vector<std::uint8_t> one = uvws::test::frame_bytes(ping);
  std::vector<std::uint8_t> all;
  all.reserve(one.size() * pings);
  for (std::size_t i = 0; i < pings; ++i) all.insert(all.end(), one.begin(), one.end());

  // Writes what the kernel takes now; true when something was taken.
  std::size_t sent = 0;
  const auto write_some = [&] {
    const ssize_t n = ::send(client.fd(), all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<std::size_t>(n);
    return n > 0;
  };
  // The stall: a second without the socket becoming writable. Without the pause, the server
  // keeps reading and all 26 MiB go out.
  bool stalled = false;
  while (sent < all.size()) {
    if (write_some()) continue;
    pollfd p{client.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 1000) == 0) {
      stalled = true;
      break;
    }
  }
  INFO("bytes of pings written before the stall: " << sent);
  REQUIRE(stalled);
  CHECK(sent < 16u << 20);

  std::size_t pongs = 0;
  while (pongs < pings) {
    if (sent < all.size()) write_some();
    const Received r = client.recv(milliseconds(10000));
    INFO("pong " << pongs << ": got " << uvws::test::kind_name(r.kind));
    REQUIRE(r.kind == Received::Kind::pong);
    REQUIRE(r.data.size() == 125);
    ++pongs;
  }
  CHECK(sent == all.size());
  REQUIRE(client.close());
  CHECK(client.wait_eof());
}

namespace {

// Records on_dropped calls (and that none comes from inside a send).
struct DropCountingHandler : RecordingHandler {
  std::mutex drops_mutex;
  std::size_t reported_messages = 0;
  std::size_t reported_bytes = 0;
  int reports = 0;
  bool inside_callback = false;  // the message hook is running
  bool reported_inside = false;

  void on_dropped(uvws::WebSocket&, std::size_t count, std::size_t bytes) override {
    std::lock_guard lock(drops_mutex);
    reported_inside = reported_inside || inside_callback;
    reported_messages += count;
    reported_bytes += bytes;
    ++reports;
  }
};

}  // namespace

TEST_CASE("messages dropped by the backpressure policy are reported to on_dropped",
          "[server][backpressure]") {
  Producer producer;
  producer.ignore_status = true;
  DropCountingHandler handler;
  handler.echo = false;
  handler.message_hook = [&](uvws::WebSocket& ws, uvws::Message m) {
    if (m.text() != "flood") return;
    {
      std::lock_guard lock(handler.drops_mutex);
      handler.inside_callback = true;
    }
    producer.produce(ws);
    std::lock_guard lock(handler.drops_mutex);
    handler.inside_callback = false;
  };
  auto opts = ServerThread::options();
  opts.max_backpressure = max_backpressure;
  opts.backpressure_policy = uvws::BackpressurePolicy::drop;
  ServerThread server(opts, handler);
  TestClient client;
  REQUIRE(client.connect(server.port(), "/", {}, "127.0.0.1", milliseconds(5000), small_rcvbuf) ==
          101);
  REQUIRE(client.send_text("flood"));
  // The careless producer sends all its chunks in one callback; most are dropped.
  REQUIRE(wait_until([&] {
    std::lock_guard lock(producer.mutex);
    return producer.next == total_chunks;
  }));
  int dropped = 0;
  {
    std::lock_guard lock(producer.mutex);
    dropped = producer.dropped;
  }
  REQUIRE(dropped > 0);
  REQUIRE(wait_until([&] {
    std::lock_guard lock(handler.drops_mutex);
    return handler.reported_messages == std::size_t(dropped);
  }));
  std::lock_guard lock(handler.drops_mutex);
  CHECK(handler.reported_bytes == std::size_t(dropped) * chunk_size);
  CHECK(handler.reports == 1);  // one report for the iteration's drops
  CHECK_FALSE(handler.reported_inside);
}
