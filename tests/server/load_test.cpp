// Many connections at once: 1,000 clients on one poll() loop, each echoing 100 messages in
// pipelined batches; every message must come back on its own connection, in order.
#include <poll.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "test_client.h"

using uvws::Opcode;
using uvws::test::Received;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using Clock = std::chrono::steady_clock;

namespace {

std::string message_for(std::size_t conn, int seq) {
  // Sizes vary from a few bytes to ~200 so that reads split frames at varied offsets.
  std::string m = "c" + std::to_string(conn) + "-m" + std::to_string(seq) + ":";
  m.append(static_cast<std::size_t>((seq * 37 + static_cast<int>(conn)) % 200), 'x');
  return m;
}

}  // namespace

TEST_CASE("server echoes 100 messages in order on each of 1000 concurrent connections",
          "[server][load]") {
  constexpr std::size_t conns = 1000;
  constexpr int per_conn = 100;
  constexpr int batch = 10;
  const unsigned threads = GENERATE(1u, 2u);
  INFO("server threads: " << threads);

  RecordingHandler handler;
  auto opts = ServerThread::options();
  opts.threads = threads;
  ServerThread server(opts, handler);

  const auto t0 = Clock::now();
  std::vector<std::unique_ptr<TestClient>> clients;
  clients.reserve(conns);
  for (std::size_t i = 0; i < conns; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port()) == 101);
  }
  const auto t_connected = Clock::now();
  CHECK(server.server().connection_count() == conns);

  struct Progress {
    int sent = 0;
    int received = 0;
  };
  std::vector<Progress> progress(conns);
  std::size_t done = 0;
  int mismatches = 0;
  std::string first_mismatch;
  auto send_batch = [&](std::size_t i) {
    for (int k = 0; k < batch && progress[i].sent < per_conn; ++k) {
      if (!clients[i]->send_text(message_for(i, progress[i].sent))) return false;
      ++progress[i].sent;
    }
    return true;
  };
  for (std::size_t i = 0; i < conns; ++i) REQUIRE(send_batch(i));

  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  while (done < conns && Clock::now() < deadline) {
    fds.clear();
    index.clear();
    for (std::size_t i = 0; i < conns; ++i) {
      if (progress[i].received == per_conn || clients[i]->ended()) continue;
      fds.push_back(pollfd{clients[i]->fd(), POLLIN, 0});
      index.push_back(i);
    }
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (std::size_t j = 0; j < fds.size(); ++j) {
      if (fds[j].revents == 0) continue;
      const std::size_t i = index[j];
      TestClient& c = *clients[i];
      c.pump(std::chrono::milliseconds(0));
      Received r;
      while (c.take(r)) {
        Progress& p = progress[i];
        if (!r.is_message(Opcode::text, message_for(i, p.received))) {
          if (mismatches++ == 0) {
            first_mismatch = "connection " + std::to_string(i) + " message " +
                             std::to_string(p.received) + ": got " + uvws::test::kind_name(r.kind) +
                             " '" + r.data.substr(0, 40) + "'";
          }
          continue;
        }
        if (++p.received == per_conn) ++done;
      }
      if (progress[i].received == progress[i].sent && progress[i].sent < per_conn) {
        REQUIRE(send_batch(i));
      }
    }
  }
  const auto t_done = Clock::now();
  INFO("first mismatch: " << first_mismatch);
  CHECK(mismatches == 0);
  CHECK(done == conns);
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const auto connect_ms = duration_cast<milliseconds>(t_connected - t0).count();
  const auto echo_ms = duration_cast<milliseconds>(t_done - t_connected).count();
  WARN("threads=" << threads << ": " << conns << " handshakes in " << connect_ms << " ms; "
                  << conns * per_conn << " echoes in " << echo_ms << " ms");

  clients.clear();
  const auto rec =
      handler.wait([](const uvws::test::Record& seen) { return seen.closes.size() == conns; },
                   std::chrono::milliseconds(20000));
  REQUIRE(rec);
  CHECK(rec->opens == int(conns));
  CHECK(rec->messages == int(conns) * per_conn);
  CHECK(rec->violations == 0);
}
