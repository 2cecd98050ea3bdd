// Topic bookkeeping through real connections: subscribe, unsubscribe and is_subscribed, what
// a closing connection leaves behind (nothing), unsubscribing and closing while messages are
// being published, publishing from a subscriber's own callback, include_self, and what a
// published message looks like on the wire (opcode and bytes kept, RFC 6455 5.6).
//
// The clients drive a PubSubHandler with text commands (pubsub_helpers.h). An answer to a
// command proves that everything the server did for that connection's earlier commands is
// done, and everything it wrote to that connection before (published frames included) arrives
// before the answer: tests use that as a barrier instead of sleeping.
//
// A barrier orders one connection only. Bytes sent on two sockets have no order at the server:
// one epoll_wait may report both, the socket it reported last time first (level-triggered
// epoll queues it again ahead of newly ready ones), so a command sent later on socket B can
// run before one sent earlier on socket A. A test that publishes from A and expects the message
// before B's barrier first waits for A's own barrier (the publish has run, its frames are
// queued for B), and only then sends B's.
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "pubsub_helpers.h"
#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

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

namespace {

// Reads until the answer to "is <barrier>" and returns the data messages that came before it.
std::vector<std::string> messages_before_barrier(TestClient& client) {
  std::vector<std::string> got;
  REQUIRE(client.send_text("is barrier"));
  for (;;) {
    const Received r = client.recv_data();
    REQUIRE(r.kind == Received::Kind::message);
    if (r.data == "is barrier 0") return got;
    got.push_back(r.data);
  }
}

// Ends the connection without a close frame: a FIN, or with SO_LINGER 0 a reset.
void drop_connection(TestClient& client, bool reset) {
  if (reset) {
    const linger lg{1, 0};
    ::setsockopt(client.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  client.socket().close();
}

std::string topic_name(std::size_t k) {
  return "t" + std::to_string(k);
}

// A count the test thread raises as it reads, that a publisher thread waits on: flow control
// instead of pacing with sleeps, so that messages are published while the readers read on a
// machine of any speed.
class Progress {
 public:
  void advance_to(int n) {
    {
      std::lock_guard lock(mutex_);
      n_ = n;
    }
    cv_.notify_all();
  }
  // Waits until the count reaches `n`; false if `stop` was requested first.
  bool wait_for(int n, const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    return cv_.wait(lock, stop, [&] { return n_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  int n_ = 0;
};

}  // namespace

TEST_CASE("subscribe, unsubscribe and is_subscribed report whether anything changed",
          "[server][pubsub]") {
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto& srv = server.server();
  TestClient a;
  TestClient b;
  REQUIRE(a.connect(server.port()) == 101);
  REQUIRE(b.connect(server.port()) == 101);

  CHECK(call(a, "is news").data == "is news 0");
  CHECK(call(a, "sub news").data == "sub news 1");
  CHECK(srv.subscribers("news") == 1);
  // A second subscribe changes nothing: the count stays 1 and one publish is one message.
  CHECK(call(a, "sub news").data == "sub news 0");
  CHECK(srv.subscribers("news") == 1);
  CHECK(call(a, "is news").data == "is news 1");
  CHECK(call(b, "sub news").data == "sub news 1");
  CHECK(srv.subscribers("news") == 2);

  // Topic names are exact byte strings.
  CHECK(call(a, "is News").data == "is News 0");
  CHECK(call(a, "is news.").data == "is news. 0");
  CHECK(call(a, "sub News").data == "sub News 1");
  CHECK(srv.subscribers("News") == 1);
  CHECK(srv.subscribers("news") == 2);

  REQUIRE(b.send_text("pub news once"));
  // b's own barrier first (b is not sent its own message): its publish has run.
  CHECK(messages_before_barrier(b).empty());
  CHECK(messages_before_barrier(a) == std::vector<std::string>{"once"});

  CHECK(call(a, "unsub other").data == "unsub other 0");
  CHECK(call(a, "unsub news").data == "unsub news 1");
  CHECK(call(a, "unsub news").data == "unsub news 0");
  CHECK(call(a, "is news").data == "is news 0");
  CHECK(srv.subscribers("news") == 1);
  CHECK(call(b, "unsub news").data == "unsub news 1");
  CHECK(srv.subscribers("news") == 0);
  // An emptied topic can be subscribed to again.
  CHECK(call(b, "sub news").data == "sub news 1");
  CHECK(srv.subscribers("news") == 1);
  REQUIRE(a.send_text("pub news again"));
  CHECK(messages_before_barrier(a).empty());
  CHECK(messages_before_barrier(b) == std::vector<std::string>{"again"});
}

TEST_CASE("a connection closing while subscribed to many topics leaves no trace",
          "[server][pubsub]") {
  constexpr std::size_t topics = 300;
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto& srv = server.server();
  auto leaving = std::make_unique<TestClient>();
  TestClient staying;
  REQUIRE(leaving->connect(server.port()) == 101);
  REQUIRE(staying.connect(server.port()) == 101);
  for (std::size_t k = 0; k < topics; ++k) {
    REQUIRE(call(*leaving, "sub " + topic_name(k)).data == "sub " + topic_name(k) + " 1");
    // The staying client shares every third topic, so that removing the leaving one moves
    // entries inside shared topics' lists, not only erases whole topics.
    if (k % 3 == 0)
      REQUIRE(call(staying, "sub " + topic_name(k)).data == "sub " + topic_name(k) + " 1");
  }
  for (std::size_t k = 0; k < topics; ++k) {
    REQUIRE(srv.subscribers(topic_name(k)) == (k % 3 == 0 ? 2u : 1u));
  }

  // What must hold however the subscriber left (checked inside each section, so that every
  // section asserts on its own).
  auto check_left = [&](std::uint16_t expected_code) {
    leaving.reset();
    const auto rec = handler.wait([](const Record& seen) { return seen.close_codes.size() == 1; });
    REQUIRE(rec);
    CHECK(rec->close_codes[0] == expected_code);
    CHECK(rec->late_subscribes == 0);
    CHECK(srv.subscribers("late") == 0);

    for (std::size_t k = 0; k < topics; ++k) {
      INFO("topic " << topic_name(k));
      const std::size_t expected = k % 3 == 0 ? 1 : 0;
      REQUIRE(await_subscribers(srv, topic_name(k), expected) == expected);
    }
    // What is left still works: a publish to every topic reaches the staying client exactly for
    // the topics it shares, and its unsubscribes empty the registry.
    for (std::size_t k = 0; k < topics; ++k) {
      REQUIRE(staying.send_text("pubself " + topic_name(k) + " m" + std::to_string(k)));
    }
    const auto got = messages_before_barrier(staying);
    REQUIRE(got.size() == topics / 3);
    for (std::size_t j = 0; j < got.size(); ++j) CHECK(got[j] == "m" + std::to_string(j * 3));
    for (std::size_t k = 0; k < topics; k += 3) {
      REQUIRE(call(staying, "unsub " + topic_name(k)).data == "unsub " + topic_name(k) + " 1");
    }
    for (std::size_t k = 0; k < topics; ++k) REQUIRE(srv.subscribers(topic_name(k)) == 0);
  };

  SECTION("with a close handshake") {
    REQUIRE(leaving->close(1000));
    CHECK(leaving->recv().kind == Received::Kind::close);
    check_left(1000);
  }
  SECTION("with a FIN and no close frame") {
    drop_connection(*leaving, false);
    check_left(1006);
  }
  SECTION("with a TCP reset") {
    drop_connection(*leaving, true);
    check_left(1006);
  }
  SECTION("closed by the server after a handler error") {
    // A control opcode makes publish throw: the handler's exception closes it with 1011.
    REQUIRE(leaving->send_text("pubop t0"));
    const Received r = leaving->recv_data();
    CHECK(r.kind == Received::Kind::close);
    CHECK(r.code == 1011);
    check_left(1011);
  }
}

TEST_CASE("topic bookkeeping matches a model through random subscribes, unsubscribes and closes",
          "[server][pubsub]") {
  // Removal is swap-and-pop on both sides (topics.h): a wrong index fix-up would show up as a
  // wrong answer, a wrong count, or a message delivered to the wrong connection.
  const unsigned seed = GENERATE(1u, 2u, 3u);
  INFO("seed " << seed);
  constexpr std::size_t n_clients = 8;
  constexpr std::size_t n_topics = 6;
  std::mt19937 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  auto& srv = server.server();
  TestClient control;  // publishes, never subscribes
  REQUIRE(control.connect(server.port()) == 101);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (std::size_t i = 0; i < n_clients; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port()) == 101);
  }
  std::vector<std::set<std::size_t>> model(n_clients);

  auto check_counts = [&] {
    for (std::size_t k = 0; k < n_topics; ++k) {
      std::size_t expected = 0;
      for (std::size_t i = 0; i < n_clients; ++i) expected += clients[i] && model[i].count(k);
      INFO("topic " << k);
      REQUIRE(await_subscribers(srv, topic_name(k), expected) == expected);
    }
  };
  int round = 0;
  auto check_deliveries = [&] {
    ++round;
    for (std::size_t k = 0; k < n_topics; ++k) {
      REQUIRE(control.send_text("pub " + topic_name(k) + " " + topic_name(k) + "/" +
                                std::to_string(round)));
    }
    REQUIRE(messages_before_barrier(control).empty());
    for (std::size_t i = 0; i < n_clients; ++i) {
      if (!clients[i]) continue;
      std::vector<std::string> expected;
      for (std::size_t k : model[i]) {
        expected.push_back(topic_name(k) + "/" + std::to_string(round));
      }
      INFO("client " << i);
      REQUIRE(messages_before_barrier(*clients[i]) == expected);
    }
  };

  for (int op = 0; op < 400; ++op) {
    const std::size_t i = pick(n_clients);
    const std::size_t k = pick(n_topics);
    const std::string t = topic_name(k);
    switch (pick(3)) {
      case 0: {
        const bool changed = model[i].insert(k).second;
        REQUIRE(call(*clients[i], "sub " + t).data == "sub " + t + (changed ? " 1" : " 0"));
        break;
      }
      case 1: {
        const bool changed = model[i].erase(k) == 1;
        REQUIRE(call(*clients[i], "unsub " + t).data == "unsub " + t + (changed ? " 1" : " 0"));
        break;
      }
      default:
        REQUIRE(call(*clients[i], "is " + t).data == "is " + t + (model[i].count(k) ? " 1" : " 0"));
        break;
    }
    check_counts();
    if (op % 50 == 49) check_deliveries();
  }

  // Close them in a random order, a third each way, checking what is left after each.
  std::vector<std::size_t> order(n_clients);
  for (std::size_t i = 0; i < n_clients; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::size_t closed = 0;
  for (std::size_t i : order) {
    switch (closed % 3) {
      case 0:
        REQUIRE(clients[i]->close(1000));
        REQUIRE(clients[i]->recv().kind == Received::Kind::close);
        break;
      case 1:
        drop_connection(*clients[i], false);
        break;
      default:
        drop_connection(*clients[i], true);
        break;
    }
    clients[i].reset();
    ++closed;
    REQUIRE(handler.wait([&](const Record& seen) { return seen.close_codes.size() == closed; }));
    check_counts();
    check_deliveries();
  }
  for (std::size_t k = 0; k < n_topics; ++k) CHECK(srv.subscribers(topic_name(k)) == 0);
}

TEST_CASE("a publish from a subscriber's callback reaches every other subscriber once",
          "[server][pubsub]") {
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port(), "/?sub=room") == 101);
  }
  REQUIRE(server.server().subscribers("room") == 4);
  TestClient& sender = *clients[0];

  SECTION("without include_self the sender does not get it") {
    // The sender is itself a subscriber of the topic its on_message publishes to: the publish
    // writes frames and runs no callback, so it does not recurse, and the sender is skipped.
    REQUIRE(sender.send_text("pub room hello"));
    CHECK(messages_before_barrier(sender).empty());
    for (std::size_t i = 1; i < clients.size(); ++i) {
      INFO("client " << i);
      CHECK(messages_before_barrier(*clients[i]) == std::vector<std::string>{"hello"});
    }
  }
  SECTION("with include_self the sender gets it too, once") {
    REQUIRE(sender.send_text("pubself room hello"));
    for (std::size_t i = 0; i < clients.size(); ++i) {
      INFO("client " << i);
      CHECK(messages_before_barrier(*clients[i]) == std::vector<std::string>{"hello"});
    }
  }
  SECTION("a sender that unsubscribes first is not a recipient, even with include_self") {
    REQUIRE(sender.send_text("unsubpub room hello"));
    CHECK(messages_before_barrier(sender).empty());
    for (std::size_t i = 1; i < clients.size(); ++i) {
      INFO("client " << i);
      CHECK(messages_before_barrier(*clients[i]) == std::vector<std::string>{"hello"});
    }
    CHECK(server.server().subscribers("room") == 3);
  }
  // One publish command, then one barrier per client: nothing else reached on_message (each
  // was counted before its answer was sent).
  CHECK(handler.snapshot().messages == 1 + 4);
}

TEST_CASE("published frames keep their order with sends and the close frame of one callback",
          "[server][pubsub]") {
  // Published frames are batched per loop iteration; anything else written to a subscriber
  // must flush its batch first.
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient sender;
  TestClient other;
  REQUIRE(sender.connect(server.port(), "/?sub=room") == 101);
  REQUIRE(other.connect(server.port(), "/?sub=room") == 101);
  SECTION("publish, send, publish") {
    REQUIRE(sender.send_text("pubsend room first"));
    CHECK(messages_before_barrier(sender) ==
          std::vector<std::string>{"first", "sent after first", "third"});
    CHECK(messages_before_barrier(other) == std::vector<std::string>{"first", "third"});
  }
  SECTION("publish, then close") {
    REQUIRE(sender.send_text("pubclose room last words"));
    const Received m = sender.recv_data();
    CHECK(m.kind == Received::Kind::message);
    CHECK(m.data == "last words");
    const Received c = sender.recv();
    CHECK(c.kind == Received::Kind::close);
    CHECK(c.code == 4000);
    CHECK(messages_before_barrier(other) == std::vector<std::string>{"last words"});
  }
}

TEST_CASE("frames published before the peer's close frame in one read go out before the answer",
          "[server][pubsub]") {
  // One TCP write carries "pubself room early" and the client's close frame: the server
  // publishes (the frame is queued for this subscriber, the sender), then reads the close and
  // owes its answer. What was published while the connection was open goes first; nothing
  // follows the close answer (RFC 6455 5.5.1).
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient client;
  REQUIRE(client.connect(server.port(), "/?sub=room") == 101);
  uvws::core::Buffer wire;
  const auto masked = [&](Opcode opcode, std::string_view payload) {
    uvws::ws::Frame f;
    f.opcode = opcode;
    f.masked = true;
    f.mask_key = 0x5a17c3e9;
    f.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
    f.length = payload.size();
    uvws::ws::serialize(f, wire);
  };
  masked(Opcode::text, "pubself room early");
  masked(Opcode::close, std::string_view("\x03\xe8", 2));  // 1000
  REQUIRE(client.send_raw(wire.span()));
  const Received m = client.recv_data();
  CHECK(m.kind == Received::Kind::message);
  CHECK(m.data == "early");
  const Received c = client.recv();
  CHECK(c.kind == Received::Kind::close);
  CHECK(c.code == 1000);
  CHECK(client.wait_eof());
}

TEST_CASE("a subscriber that unsubscribes while messages are published gets a prefix of them",
          "[server][pubsub]") {
  // Server::publish from another thread keeps queueing messages on the loop while one
  // subscriber's unsubscribe arrives in the middle: that subscriber gets messages 0..m without
  // a gap, then the answer to its unsubscribe, then nothing more of the topic; the other
  // subscriber gets every message. The publisher stays at most `window` messages ahead of the
  // stayer, and waits half-way for the answer, so that messages are published both before and
  // after the unsubscribe.
  constexpr int total = 3000;
  constexpr int window = 100;
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient quitter;
  TestClient stayer;
  REQUIRE(quitter.connect(server.port(), "/?sub=feed") == 101);
  REQUIRE(stayer.connect(server.port(), "/?sub=feed") == 101);

  Progress stayer_read;
  Progress answered;  // 1 once the quitter has its unsubscribe's answer
  // std::jthread: a failed REQUIRE stops and joins it on the way out.
  std::jthread publisher([&](const std::stop_token& stop) {
    for (int i = 0; i < total; ++i) {
      if (i == total / 2 && !answered.wait_for(1, stop)) return;
      if (!stayer_read.wait_for(i - window, stop)) return;
      server.server().publish("feed", std::to_string(i));
    }
  });
  bool unsub_answered = false;
  int quitter_next = 0;
  int stayer_next = 0;
  bool unsub_sent = false;
  int after_unsub = 0;
  int out_of_order = 0;
  const std::vector<TestClient*> both{&quitter, &stayer};
  const bool done = pump_until(
      both,
      [&](std::size_t i, Received& r) {
        if (r.kind != Received::Kind::message) return;
        if (i == 1) {
          out_of_order += r.data != std::to_string(stayer_next);
          stayer_read.advance_to(++stayer_next);
          return;
        }
        if (r.data == "unsub feed 1") {
          unsub_answered = true;
          answered.advance_to(1);
        } else if (unsub_answered) {
          ++after_unsub;
        } else {
          out_of_order += r.data != std::to_string(quitter_next);
          ++quitter_next;
        }
        if (!unsub_sent && quitter_next == 100) {
          unsub_sent = true;
          quitter.send_text("unsub feed");
        }
      },
      [&] { return stayer_next == total; }, Ms(60000));
  publisher.request_stop();
  publisher.join();
  INFO("quitter got " << quitter_next << ", stayer got " << stayer_next);
  REQUIRE(done);
  CHECK(unsub_answered);
  CHECK(out_of_order == 0);
  CHECK(after_unsub == 0);
  CHECK(quitter_next >= 100);
  CHECK(quitter_next < total / 2 + 1);
  CHECK(server.server().subscribers("feed") == 1);
  // Nothing more arrives later either.
  CHECK(messages_before_barrier(quitter).empty());
}

TEST_CASE("subscribers that disconnect while messages are published leave the others unharmed",
          "[server][pubsub]") {
  constexpr int total = 3000;
  constexpr std::size_t n = 10;
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  std::vector<std::unique_ptr<TestClient>> clients;
  for (std::size_t i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<TestClient>());
    REQUIRE(clients.back()->connect(server.port(), "/?sub=feed") == 101);
  }
  // At most `window` messages ahead of client 0 (which stays), so that the drops happen while
  // messages are still being published.
  constexpr int window = 100;
  Progress first_read;
  std::jthread publisher([&](const std::stop_token& stop) {
    for (int i = 0; i < total; ++i) {
      if (!first_read.wait_for(i - window, stop)) return;
      server.server().publish("feed", std::to_string(i));
    }
  });
  std::vector<int> next(n, 0);
  int out_of_order = 0;
  std::vector<TestClient*> live;
  for (auto& c : clients) live.push_back(c.get());
  bool dropped = false;
  auto all_done = [&] {
    for (std::size_t i = 0; i < n; i += 2) {
      if (next[i] != total) return false;
    }
    return true;
  };
  bool done = pump_until(
      live,
      [&](std::size_t i, Received& r) {
        if (r.kind != Received::Kind::message) return;
        out_of_order += r.data != std::to_string(next[i]);
        ++next[i];
        if (i == 0) first_read.advance_to(next[0]);
      },
      [&] {
        // The odd clients go away, half by FIN and half by reset, mid-stream.
        if (!dropped && next[0] >= 200) {
          dropped = true;
          return true;
        }
        return all_done();
      },
      Ms(30000));
  REQUIRE(done);
  REQUIRE(dropped);
  std::vector<TestClient*> even;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 2 == 1) {
      drop_connection(*clients[i], i % 4 == 1);
    } else {
      even.push_back(clients[i].get());
    }
  }
  done = pump_until(
      even,
      [&](std::size_t j, Received& r) {
        if (r.kind != Received::Kind::message) return;
        out_of_order += r.data != std::to_string(next[j * 2]);
        ++next[j * 2];
        if (j == 0) first_read.advance_to(next[0]);
      },
      all_done, Ms(30000));
  publisher.join();
  CHECK(done);
  CHECK(out_of_order == 0);
  REQUIRE(handler.wait([](const Record& seen) { return seen.close_codes.size() == n / 2; }));
  CHECK(await_subscribers(server.server(), "feed", n / 2) == n / 2);
}

TEST_CASE("a published message keeps its opcode and bytes at every length encoding",
          "[server][pubsub]") {
  // RFC 6455 5.2: 7-bit, 16-bit and 64-bit payload lengths; the frame is built once for all.
  const std::size_t size = GENERATE(std::size_t{0}, std::size_t{125}, std::size_t{126},
                                    std::size_t{65535}, std::size_t{65536}, std::size_t{1} << 20);
  INFO("size " << size);
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>((i * 131 + 7) & 0xFF);
  PubSubHandler handler;
  auto opts = ServerThread::options();
  opts.max_message_size = 2u << 20;  // the command below carries a 1 MiB payload
  opts.max_frame_size = 2u << 20;
  ServerThread server(opts, handler);
  TestClient a;
  TestClient b;
  REQUIRE(a.connect(server.port(), "/?sub=bin") == 101);
  REQUIRE(b.connect(server.port(), "/?sub=bin") == 101);

  server.server().publish("bin", uvws::test::as_bytes(payload), Opcode::binary);
  for (TestClient* c : {&a, &b}) {
    const Received r = c->recv_data();
    REQUIRE(r.kind == Received::Kind::message);
    CHECK(r.opcode == Opcode::binary);
    CHECK(r.data == payload);
  }
  // The same through a connection's publish, as text (ASCII letters are valid UTF-8).
  const std::string text(size, 'x');
  REQUIRE(a.send_text("pubbin bin " + text));
  const Received r = b.recv_data();
  REQUIRE(r.kind == Received::Kind::message);
  CHECK(r.opcode == Opcode::binary);
  CHECK(r.data == text);
  REQUIRE(a.send_text("pub bin " + text));
  const Received t = b.recv_data();
  CHECK(t.opcode == Opcode::text);
  CHECK(t.data == text);
  CHECK(messages_before_barrier(a).empty());
}

TEST_CASE("publishing with a control opcode is refused", "[server][pubsub]") {
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient sub;
  REQUIRE(sub.connect(server.port(), "/?sub=t") == 101);
  CHECK_THROWS_AS(server.server().publish("t", "x", Opcode::ping), std::invalid_argument);
  CHECK_THROWS_AS(server.server().publish("t", "x", Opcode::close), std::invalid_argument);
  // From a callback the exception closes the publishing connection with 1011 (handler.h).
  TestClient pub;
  REQUIRE(pub.connect(server.port()) == 101);
  REQUIRE(pub.send_text("pubop t"));
  const Received r = pub.recv_data();
  CHECK(r.kind == Received::Kind::close);
  CHECK(r.code == 1011);
  CHECK(messages_before_barrier(sub).empty());
}

TEST_CASE("publishing to a topic without subscribers creates nothing", "[server][pubsub]") {
  PubSubHandler handler;
  ServerThread server(ServerThread::options(), handler);
  TestClient pub;
  REQUIRE(pub.connect(server.port()) == 101);
  server.server().publish("nobody", "lost");
  REQUIRE(pub.send_text("pub nobody lost too"));
  CHECK(messages_before_barrier(pub).empty());
  CHECK(server.server().subscribers("nobody") == 0);
  // A later subscriber gets only what is published after it subscribed. Its on_open subscribed
  // before the 101 went out; pub's barrier proves pub's publish has run before late's barrier
  // is sent (two sockets have no order of their own: see the top of this file).
  TestClient late;
  REQUIRE(late.connect(server.port(), "/?sub=nobody") == 101);
  CHECK(server.server().subscribers("nobody") == 1);
  REQUIRE(pub.send_text("pub nobody first"));
  CHECK(messages_before_barrier(pub).empty());
  CHECK(messages_before_barrier(late) == std::vector<std::string>{"first"});
}
