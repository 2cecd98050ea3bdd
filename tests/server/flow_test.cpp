// Flow control by the application: WebSocket::pause_reading() holds a fast sender (no callback
// while paused, the sender stalls at the kernel's buffers), resume_reading() delivers what
// was held, in order, and a close during the pause still completes its handshake.
#include <catch2/catch.hpp>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <cerrno>

#include "test_client.h"
#include "uvws/net/loop.h"

using uvws::test::Ms;
using uvws::test::RawFrame;
using uvws::test::Received;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using uvws::test::wait_until;

namespace {

// Records the sequence numbers of the messages it receives (the first 8 bytes of each) and
// pauses reading after the message numbered `pause_after`. Its handle reaches the connection
// from the test thread.
class PausingHandler : public uvws::Handler {
 public:
  std::uint64_t pause_after = 0;  // the sequence number after which it pauses

  void on_open(uvws::WebSocket& ws) override {
    std::lock_guard lock(mutex_);
    handle_ = ws.handle();
  }
  void on_message(uvws::WebSocket& ws, uvws::Message m) override {
    std::uint64_t seq = 0;
    std::memcpy(&seq, m.data().data(), std::min(sizeof(seq), m.size()));
    {
      std::lock_guard lock(mutex_);
      seqs_.push_back(seq);
    }
    if (seq == pause_after) ws.pause_reading();
  }
  void on_close(uvws::WebSocket&, std::uint16_t code, std::string_view) override {
    std::lock_guard lock(mutex_);
    close_code_ = code;
  }

  std::vector<std::uint64_t> seqs() {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  std::uint16_t close_code() {
    std::lock_guard lock(mutex_);
    return close_code_;
  }
  uvws::WebSocketHandle handle() {
    std::lock_guard lock(mutex_);
    return handle_;
  }
  // Runs `f` on the connection's loop and returns its result: what the loop thread sees once
  // it has finished the read it was in.
  template <class F>
  auto on_loop(F f) {
    std::promise<decltype(f(std::declval<uvws::WebSocket&>()))> result;
    auto future = result.get_future();
    REQUIRE(handle().post([&](uvws::WebSocket& ws) { result.set_value(f(ws)); }));
    REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return future.get();
  }

 private:
  std::mutex mutex_;
  std::vector<std::uint64_t> seqs_;
  uvws::WebSocketHandle handle_;
  std::uint16_t close_code_ = 0;
};

std::vector<std::uint8_t> numbered_frame(std::uint64_t seq, std::size_t size) {
  RawFrame f;
  f.opcode = uvws::Opcode::binary;
  f.payload.assign(size, 'x');
  std::memcpy(f.payload.data(), &seq, sizeof(seq));
  return uvws::test::frame_bytes(f);
}

// Writes `bytes` from `offset` without blocking until all is written or the kernel has taken
// nothing for `quiet`; returns the offset reached.
std::size_t write_until_stalled(int fd, const std::vector<std::uint8_t>& bytes, std::size_t offset,
                                Ms quiet) {
  while (offset < bytes.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
    const ssize_t n =
        ::send(fd, bytes.data() + offset, bytes.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      offset += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      break;
    }
  }
  return offset;
}

std::vector<std::uint64_t> iota(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  for (std::uint64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// A server whose handler pauses after message 0, and a client connected to it.
struct PausedAfterFirst {
  PausingHandler handler;
  ServerThread server{ServerThread::options(), handler};
  TestClient client;
  PausedAfterFirst() { REQUIRE(client.connect(server.port()) == 101); }
  // Resumes reading from the loop thread, as the application would.
  void resume() {
    handler.on_loop([](uvws::WebSocket& ws) {
      ws.resume_reading();
      return 0;
    });
  }
};

}  // namespace

TEST_CASE_METHOD(PausedAfterFirst,
                 "pause_reading stops the callbacks at once, also for frames already read",
                 "[server][flow]") {
  // Five frames in one write: one read on the server, paused after the first.
  std::vector<std::uint8_t> burst;
  for (std::uint64_t i = 0; i < 5; ++i) {
    const auto f = numbered_frame(i, 16);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  REQUIRE(client.socket().send_all(burst));
  REQUIRE(wait_until([&] { return !handler.seqs().empty(); }));
  // A task posted now runs after that read was handled whole: nothing more came out of it.
  CHECK(handler.on_loop([](uvws::WebSocket& ws) { return ws.reading_paused(); }));
  CHECK(handler.seqs() == std::vector<std::uint64_t>{0});

  resume();
  REQUIRE(wait_until([&] { return handler.seqs().size() == 5; }));
  CHECK(handler.seqs() == iota(5));
  CHECK_FALSE(handler.on_loop([](uvws::WebSocket& ws) { return ws.reading_paused(); }));
}

TEST_CASE_METHOD(
    PausedAfterFirst,
    "a paused connection holds a fast sender at the kernel's buffers, then delivers all",
    "[server][flow]") {
  // 32 MiB of numbered 64 KiB messages: far more than loopback's socket buffers hold.
  constexpr std::uint64_t count = 512;
  std::vector<std::uint8_t> stream;
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto f = numbered_frame(i, 64 * 1024);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const int fd = client.socket().fd();
  const std::size_t stalled_at = write_until_stalled(fd, stream, 0, Ms(300));
  INFO("bytes the kernel took while paused: " << stalled_at);
  CHECK(stalled_at < stream.size() / 2);
  CHECK(handler.seqs() == std::vector<std::uint64_t>{0});

  resume();
  REQUIRE(write_until_stalled(fd, stream, stalled_at, Ms(10000)) == stream.size());
  REQUIRE(wait_until([&] { return handler.seqs().size() == count; }, Ms(10000)));
  CHECK(handler.seqs() == iota(count));
}

TEST_CASE_METHOD(PausedAfterFirst, "closing a paused connection reads the peer's close answer",
                 "[server][flow]") {
  REQUIRE(client.socket().send_all(numbered_frame(0, 8)));
  REQUIRE(wait_until([&] { return handler.seqs().size() == 1; }));

  handler.handle().close(4001, "bye");
  const Received r = client.recv();  // answers the close
  CHECK(r.kind == Received::Kind::close);
  CHECK(r.code == 4001);
  CHECK(client.wait_eof());
  // The peer's answer was read (not the close timeout's 1006).
  REQUIRE(wait_until([&] { return handler.close_code() != 0; }));
  CHECK(handler.close_code() == 4001);
}
