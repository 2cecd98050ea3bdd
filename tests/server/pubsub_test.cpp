// Pub/sub at scale and under stress: a broadcast to 500 subscribers in bounded memory, a
// subscriber that stops reading (both backpressure policies), and a server with two loops
// whose subscribers all get one publisher's messages in order.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "pubsub_helpers.h"

using uvws::Opcode;
using uvws::test::await_subscribers;
using uvws::test::call;
using uvws::test::Ms;
using uvws::test::PubSubHandler;
using uvws::test::pump_until;
using uvws::test::Received;
using Record = uvws::test::PubSubHandler::Record;
using uvws::test::ServerThread;
using uvws::test::TestClient;
using Clock = std::chrono::steady_clock;

namespace {

// The bound on RSS growth while 500 subscribers get 1000 messages. Under a sanitizer RSS
// measures the sanitizer more than uvws: ASan keeps freed blocks in a quarantine (256 MiB by
// default) and adds its shadow memory; TSan's shadow and its per-access history cost 5-10
// times the memory the program touches. (GCC names the sanitizers with macros, Clang with
// __has_feature.)
#if defined(__SANITIZE_ADDRESS__)
#define UVWS_TEST_ASAN 1
#elif defined(__SANITIZE_THREAD__)
#define UVWS_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UVWS_TEST_ASAN 1
#elif __has_feature(thread_sanitizer)
#define UVWS_TEST_TSAN 1
#endif
#endif
#if defined(UVWS_TEST_ASAN)
constexpr std::size_t rss_bound = (std::size_t{64} << 20) + (std::size_t{320} << 20);
#elif defined(UVWS_TEST_TSAN)
constexpr std::size_t rss_bound = (std::size_t{64} << 20) * 10;
#else
constexpr std::size_t rss_bound = std::size_t{64} << 20;
#endif

// Message `seq` of a stream: its number first, then filler of varied length so that frames
// straddle reads at varied offsets.
std::string numbered(int seq, std::size_t size) {
  std::string m = std::to_string(seq) + ":";
  m.resize(std::max(size, m.size()), static_cast<char>('a' + seq % 26));
  return m;
}

int number_of(const std::string& m) {
  const auto colon = m.find(':');
  return colon == std::string::npos ? -1 : std::stoi(m.substr(0, colon));
}

std::vector<TestClient*> pointers(const std::vector<std::unique_ptr<TestClient>>& clients) {
  std::vector<TestClient*> out;
  for (const auto& c : clients) out.push_back(c.get());
  return out;
}

}  // namespace

TEST_CASE("1000 messages published to 500 subscribers all arrive in order in bounded memory",
          "[server][pubsub][load]") {
  constexpr std::size_t n_subscribers = 500;
  constexpr int total = 1000;
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (std::size_t i = 0; i < n_subscribers; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port(), "/?sub=news") == 101);
  }
  REQUIRE(server.server().subscribers("news") == n_subscribers);
  std::vector<std::string> payloads;
  for (int seq = 0; seq < total; ++seq) {
    payloads.push_back(numbered(seq, static_cast<std::size_t>(8 + (seq * 37) % 160)));
  }

  const std::size_t rss_before = uvws::test::resident_bytes();
  REQUIRE(rss_before > 0);
  std::size_t rss_max = rss_before;
  const auto t0 = Clock::now();
  // From a thread of the test, as an application's producer would: the frames queue on the
  // loop while the subscribers read.
  std::jthread publisher([&](const std::stop_token& stop) {
    for (int seq = 0; seq < total && !stop.stop_requested(); ++seq) {
      server.server().publish("news", payloads[static_cast<std::size_t>(seq)]);
    }
  });
  std::vector<int> next(n_subscribers, 0);
  std::size_t finished = 0;
  std::size_t events = 0;
  int wrong = 0;
  const bool done = pump_until(
      pointers(clients),
      [&](std::size_t i, Received& r) {
        if (r.kind != Received::Kind::message) {
          ++wrong;
          return;
        }
        int& n = next[i];
        wrong += n >= total || r.data != payloads[static_cast<std::size_t>(n)];
        if (++n == total) ++finished;
        if (++events % 20000 == 0) rss_max = std::max(rss_max, uvws::test::resident_bytes());
      },
      [&] { return finished == n_subscribers; }, Ms(120000));
  publisher.join();
  const auto elapsed = std::chrono::duration_cast<Ms>(Clock::now() - t0).count();
  rss_max = std::max(rss_max, uvws::test::resident_bytes());
  const std::size_t growth = rss_max - rss_before;
  INFO("delivered " << events << " messages in " << elapsed << " ms; RSS " << (rss_before >> 10)
                    << " KiB before, growth " << (growth >> 10) << " KiB");
  REQUIRE(done);
  CHECK(wrong == 0);
  CHECK(events == n_subscribers * total);
  CHECK(growth < rss_bound);
  // Nothing beyond the 1000: a barrier on a few connections finds no further message.
  for (std::size_t i = 0; i < n_subscribers; i += 100) {
    CHECK(call(*clients[i], "is news").data == "is news 1");
  }
}

TEST_CASE("a subscriber that stops reading does not hold back the others",
          "[server][pubsub][backpressure]") {
  // Each subscriber is under the server's backpressure policy on its own (websocket.h):
  //  - drop: while more than max_backpressure bytes wait for the slow subscriber, every
  //    message to it is dropped, so its backlog stays under max_backpressure plus one
  //    message. It stays open; when it reads again it gets, in order, the messages queued
  //    before its backlog filled (the rest are lost), and later messages again.
  //  - close: the first message that finds its backlog over the limit closes it with 1008
  //    (policy violation, RFC 6455 7.4.1); it reads the messages queued before, then the
  //    close frame. The backlog stays under the same bound (plus the close frame).
  // Either way every other subscriber gets every message, in order, while it is stuck.
  constexpr std::size_t max_backpressure = 256 * 1024;
  constexpr std::size_t message_size = 16 * 1024;
  constexpr std::size_t frame_overhead = 4;  // 16-bit length (RFC 6455 5.2)
  constexpr int total = 1000;                // 16 MiB: more than the kernel buffers hold
  const auto policy = GENERATE(uvws::BackpressurePolicy::drop, uvws::BackpressurePolicy::close);
  const bool drop = policy == uvws::BackpressurePolicy::drop;
  INFO("policy " << (drop ? "drop" : "close"));

  PubSubHandler handler;
  auto opts = ServerThread::options();
  opts.max_backpressure = max_backpressure;
  opts.backpressure_policy = policy;
  opts.close_timeout = Ms(60000);  // the slow client answers the close only at the end
  ServerThread server(opts, handler);
  TestClient slow;
  REQUIRE(slow.connect(server.port(), "/?watch", {}, "127.0.0.1", Ms(5000), 4096) == 101);
  REQUIRE(call(slow, "sub feed").data == "sub feed 1");
  std::vector<std::unique_ptr<TestClient>> fast;
  for (int i = 0; i < 3; ++i) {
    fast.push_back(std::make_unique<TestClient>());
    REQUIRE(fast.back()->connect(server.port(), "/?sub=feed") == 101);
  }
  TestClient publisher;
  REQUIRE(publisher.connect(server.port()) == 101);

  // Lockstep: each message is published once the fast subscribers have the previous one, so
  // only the slow one can fall behind.
  std::vector<int> next(fast.size(), 0);
  int wrong = 0;
  int published = 0;
  for (; published < total; ++published) {
    REQUIRE(publisher.send_text("pub feed " + numbered(published, message_size)));
    const bool got = pump_until(
        pointers(fast),
        [&](std::size_t i, Received& r) {
          wrong += r.kind != Received::Kind::message || number_of(r.data) != next[i] ||
                   r.data.size() != message_size;
          ++next[i];
        },
        [&] { return std::all_of(next.begin(), next.end(), [&](int n) { return n > published; }); },
        Ms(20000));
    INFO("message " << published);
    REQUIRE(got);
  }
  CHECK(wrong == 0);
  {
    // The publisher's sample is taken after its publish: the fast subscribers may have the
    // last message before it is recorded.
    const auto rec = handler.wait([](const Record& seen) { return seen.watched_samples == total; });
    REQUIRE(rec);
    INFO("slow subscriber's largest backlog: " << rec->watched_max_buffered << " bytes");
    CHECK(rec->watched_max_buffered > max_backpressure);
    CHECK(rec->watched_max_buffered <= max_backpressure + message_size + frame_overhead + 32);
  }

  // The slow subscriber reads at last: what was queued for it, then (drop) nothing more, or
  // (close) the close frame.
  std::vector<int> seqs;
  Received r;
  if (drop) {
    // Its end is the answer to an "is feed" sent behind the backlog. While the backlog is over
    // max_backpressure that answer is dropped like the messages: the client asks again after
    // each second without data, while it reads the backlog down.
    bool answered = false;
    for (int asked = 0; !answered && asked < 20; ++asked) {
      REQUIRE(slow.send_text("is feed"));
      for (;;) {
        r = slow.recv_data(Ms(1000));
        if (r.is_message(Opcode::text, "is feed 1")) {
          answered = true;
          break;
        }
        if (r.kind != Received::Kind::message || r.data.size() != message_size) break;
        seqs.push_back(number_of(r.data));
      }
    }
    REQUIRE(answered);
  } else {
    for (;;) {
      r = slow.recv_data(Ms(20000));
      if (r.kind != Received::Kind::message || r.data.size() != message_size) break;
      seqs.push_back(number_of(r.data));
    }
  }
  INFO("the slow subscriber got " << seqs.size() << " of " << total << " messages");
  REQUIRE(!seqs.empty());
  CHECK(seqs.size() < static_cast<std::size_t>(total));
  CHECK(seqs.size() >= max_backpressure / message_size);
  CHECK(seqs.front() == 0);
  CHECK(std::is_sorted(seqs.begin(), seqs.end()));
  CHECK(std::adjacent_find(seqs.begin(), seqs.end()) == seqs.end());
  if (drop) {
    // Still open and subscribed: a command was answered, and a new message arrives.
    REQUIRE(publisher.send_text("pub feed after"));
    CHECK(slow.recv_data().is_message(Opcode::text, "after"));
    CHECK(server.server().subscribers("feed") == 4);
  } else {
    REQUIRE(r.kind == Received::Kind::close);
    CHECK(r.code == 1008);
    CHECK(slow.recv().kind == Received::Kind::eof);
    const auto rec =
        handler.wait([](const Record& seen) { return seen.watched_close_codes.size() == 1; });
    REQUIRE(rec);
    CHECK(rec->watched_close_codes[0] == 1008);
    CHECK(await_subscribers(server.server(), "feed", 3) == 3);
  }
}

TEST_CASE("with two loops, subscribers on both get one publisher's messages in publish order",
          "[server][pubsub][threads]") {
  PubSubHandler handler;
  handler.announce_loop = true;
  auto opts = ServerThread::options();
  opts.threads = 2;
  ServerThread server(opts, handler);

  // SO_REUSEPORT spreads connections over the two listeners by a hash of the addresses: open
  // connections until each loop has a few.
  std::vector<std::unique_ptr<TestClient>> clients;
  std::vector<int> loop_of;
  std::array<int, 2> per_loop{0, 0};
  while ((per_loop[0] < 4 || per_loop[1] < 4) && clients.size() < 400) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port(), "/?sub=feed") == 101);
    const Received hello = clients.back()->recv_data();
    REQUIRE(hello.kind == Received::Kind::message);
    REQUIRE((hello.data == "loop 0" || hello.data == "loop 1"));
    loop_of.push_back(hello.data.back() - '0');
    ++per_loop[static_cast<std::size_t>(loop_of.back())];
  }
  INFO("connections per loop: " << per_loop[0] << " + " << per_loop[1]);
  REQUIRE(per_loop[0] >= 4);
  REQUIRE(per_loop[1] >= 4);
  {
    // Each client read its "loop N" hello, sent by on_open after it recorded the open.
    const Record rec = handler.snapshot();
    REQUIRE(rec.opens_per_loop.size() == 2);
    for (const auto& [id, opens] : rec.opens_per_loop) {
      CHECK(opens == per_loop[static_cast<std::size_t>(rec.loop_index.at(id))]);
    }
  }
  const std::size_t n = clients.size();
  // on_open subscribes after sending the hello.
  REQUIRE(await_subscribers(server.server(), "feed", n) == n);

  SECTION("one connection publishes") {
    // The publisher is a subscriber on one loop: that loop's subscribers get the frames at
    // once, the other loop's through its task queue, both in publish order.
    constexpr int total = 500;
    TestClient& pub = *clients[0];
    for (int seq = 0; seq < total; ++seq) {
      REQUIRE(pub.send_text("pub feed " + numbered(seq, static_cast<std::size_t>(seq % 300))));
    }
    std::vector<int> next(n, 0);
    std::array<int, 2> received_per_loop{0, 0};
    int wrong = 0;
    const bool done = pump_until(
        pointers(clients),
        [&](std::size_t i, Received& r) {
          wrong += i == 0 || r.kind != Received::Kind::message || number_of(r.data) != next[i];
          ++next[i];
          ++received_per_loop[static_cast<std::size_t>(loop_of[i])];
        },
        [&] { return std::all_of(next.begin() + 1, next.end(), [](int k) { return k == total; }); },
        Ms(60000));
    REQUIRE(done);
    CHECK(wrong == 0);
    CHECK(next[0] == 0);
    // Both loops delivered: every subscriber of each loop got all of them.
    CHECK(received_per_loop[static_cast<std::size_t>(loop_of[0])] ==
          (per_loop[static_cast<std::size_t>(loop_of[0])] - 1) * total);
    CHECK(received_per_loop[static_cast<std::size_t>(1 - loop_of[0])] ==
          per_loop[static_cast<std::size_t>(1 - loop_of[0])] * total);
  }
  SECTION("several threads publish through the server at once") {
    // Server::publish from any thread: each thread's messages keep their order everywhere.
    constexpr int threads = 3;
    constexpr int per_thread = 300;
    {
      std::vector<std::jthread> publishers;
      for (int t = 0; t < threads; ++t) {
        publishers.emplace_back([&server, t] {
          for (int seq = 0; seq < per_thread; ++seq) {
            server.server().publish("feed", std::to_string(t) + "/" +
                                                numbered(seq, static_cast<std::size_t>(seq % 64)));
          }
        });
      }
    }
    std::vector<std::array<int, threads>> next(n, {0, 0, 0});
    std::vector<int> count(n, 0);
    int wrong = 0;
    const bool done = pump_until(
        pointers(clients),
        [&](std::size_t i, Received& r) {
          const auto slash = r.data.find('/');
          if (r.kind != Received::Kind::message || slash != 1) {
            ++wrong;
            return;
          }
          const int t = r.data[0] - '0';
          if (t < 0 || t >= threads) {
            ++wrong;
            return;
          }
          int& expected = next[i][static_cast<std::size_t>(t)];
          wrong += number_of(r.data.substr(2)) != expected;
          ++expected;
          ++count[i];
        },
        [&] {
          return std::all_of(count.begin(), count.end(),
                             [](int c) { return c == threads * per_thread; });
        },
        Ms(60000));
    REQUIRE(done);
    CHECK(wrong == 0);
  }
}
