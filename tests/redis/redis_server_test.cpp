// The Redis bridge in-process, against a real redis-server (Debian's) that the test starts on
// a free port and stops by PID: Server::publish across two Servers, the bounded queue while
// Redis is down, AUTH failure, and a server without Redis.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/sinks/ringbuffer_sink.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "server/test_client.h"
#include "uvws/core/log.h"
#include "uvws/server.h"

extern char** environ;

namespace {

using namespace uvws;
using namespace uvws::test;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// redis-server on 127.0.0.1:port, ready (answers PING) when start() returns true.
class RedisProcess {
 public:
  explicit RedisProcess(std::uint16_t port) : port_(port) {}
  ~RedisProcess() { stop(); }
  bool start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--loglevel",          "warning"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its own log (and its start-up banner) to /dev/null: the test's output stays readable.
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    if (rc != 0) return false;
    return wait_until([&] { return answers_ping(); }, 10s);
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // SIGSTOP / SIGCONT: a Redis that reads nothing for a while.
  void pause(bool paused) { ::kill(pid_, paused ? SIGSTOP : SIGCONT); }

 private:
  bool answers_ping() const {
    Socket s = Socket::connect_tcp("127.0.0.1", port_);
    if (!s.valid()) return false;
    const std::string ping = "*1\r\n$4\r\nPING\r\n";
    if (!s.send_all(as_bytes(ping))) return false;
    std::vector<std::uint8_t> got;
    s.read_some(got, 1s);
    const std::string reply(got.begin(), got.end());
    // +PONG, or -NOAUTH when a password is required: either way it serves.
    return reply.starts_with("+PONG") || reply.starts_with("-NOAUTH");
  }
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// The test servers' options, bridged to `redis`.
ServerOptions with_redis(const RedisProcess& redis) {
  ServerOptions o = ServerThread::options();
  o.redis = redis.url();
  return o;
}

class Subscribe final : public Handler {
 public:
  void on_open(WebSocket& ws) override { ws.subscribe("news"); }
};

// Subscribes to "a"; a message "switch" moves the connection to "b" in one callback.
class Switch final : public Handler {
 public:
  void on_open(WebSocket& ws) override { ws.subscribe("a"); }
  void on_message(WebSocket& ws, Message m) override {
    if (m.text() != "switch") return;
    ws.unsubscribe("a");
    ws.subscribe("b");
    ws.send_text("switched");
  }
};

}  // namespace

TEST_CASE("a topic subscribed while the last other one leaves (one callback)", "[redis][server]") {
  // Redis may answer the UNSUBSCRIBE of "a" with a count of 0 while the SUBSCRIBE of "b" is on
  // its way: the subscribe link stays in subscribe mode (its anchor channel, redis_bridge.cpp).
  RedisProcess redis(free_port());
  REQUIRE(redis.start());
  Switch handler;
  ServerOptions o = with_redis(redis);
  ServerThread a(o, handler), b(o, handler);
  TestClient c;
  REQUIRE(c.connect(a.port()) == 101);
  REQUIRE(wait_until([&] { return a.server().redis_stats().connected; }));
  REQUIRE(c.send_text("switch"));
  REQUIRE(c.recv().is_message(ws::Opcode::text, "switched"));
  CHECK(wait_until([&] {
    b.server().publish("b", "to b");
    return c.recv(50ms).is_message(ws::Opcode::text, "to b");
  }));
}

TEST_CASE("Server::publish reaches another Server through Redis, once each", "[redis][server]") {
  RedisProcess redis(free_port());
  REQUIRE(redis.start());
  Subscribe handler;
  ServerOptions o = with_redis(redis);
  o.threads = 2;  // loop 1's subscribers and publishes go through loop 0's bridge
  ServerThread a(o, handler), b(o, handler);
  TestClient ca, cb;
  REQUIRE(ca.connect(a.port()) == 101);
  REQUIRE(cb.connect(b.port()) == 101);
  REQUIRE(wait_until([&] { return a.server().redis_stats().connected; }));
  REQUIRE(wait_until([&] { return b.server().redis_stats().connected; }));
  // Both subscribed in Redis: b's message reaches a only once a's SUBSCRIBE is in; poll with
  // a first message until it arrives, then count exactly.
  REQUIRE(wait_until([&] {
    b.server().publish("news", "probe");
    return ca.recv(50ms).is_message(ws::Opcode::text, "probe");
  }));
  while (ca.recv(200ms).kind == Received::Kind::message) {
  }
  while (cb.recv(50ms).kind == Received::Kind::message) {
  }
  const RedisStats before = a.server().redis_stats();
  for (int i = 0; i < 50; ++i) a.server().publish("news", "m" + std::to_string(i));
  for (int i = 0; i < 50; ++i) {
    CHECK(ca.recv().is_message(ws::Opcode::text, "m" + std::to_string(i)));  // local, once
    CHECK(cb.recv().is_message(ws::Opcode::text, "m" + std::to_string(i)));  // via Redis
  }
  CHECK(ca.recv(200ms).kind == Received::Kind::timeout);  // its own echo was skipped
  CHECK(a.server().redis_stats().published - before.published == 50);
  CHECK(b.server().redis_stats().lost == 0);
}

TEST_CASE("the bridge over a Unix socket (no TCP keepalive there)", "[redis][server]") {
  const std::uint16_t port = free_port();
  const std::string socket =
      "/tmp/uvws_redis_test_" + std::to_string(::getpid()) + "_" + std::to_string(port) + ".sock";
  struct Unlink {  // after Redis stops (SIGKILL leaves the socket file behind)
    std::string path;
    ~Unlink() { ::unlink(path.c_str()); }
  } unlink_socket{socket};
  RedisProcess redis(port);
  REQUIRE(redis.start({"--unixsocket", socket}));
  Subscribe handler;
  ServerOptions o = ServerThread::options();
  o.redis = socket;
  ServerThread a(o, handler), b(o, handler);
  TestClient cb;
  REQUIRE(cb.connect(b.port()) == 101);
  REQUIRE(wait_until([&] { return a.server().redis_stats().connected; }));
  REQUIRE(wait_until([&] {
    a.server().publish("news", "over the socket");
    return cb.recv(50ms).is_message(ws::Opcode::text, "over the socket");
  }));
  // Still up: a link that failed after connecting would be counted as a reconnect.
  CHECK(a.server().redis_stats().connected);
  CHECK(a.server().redis_stats().reconnects == 0);
  CHECK(b.server().redis_stats().reconnects == 0);
}

TEST_CASE("while Redis is down publishes wait in a bounded queue; the rest are dropped",
          "[redis][server]") {
  RedisProcess redis(free_port());
  Subscribe handler;
  ServerOptions o = with_redis(redis);
  o.redis_queue_bytes = 64 * 1024;
  ServerThread a(o, handler);
  const std::string kib(1024, 'x');
  for (int i = 0; i < 100; ++i) a.server().publish("news", kib);
  REQUIRE(wait_until([&] {
    const RedisStats s = a.server().redis_stats();
    return s.published + s.dropped == 100;
  }));
  const RedisStats s = a.server().redis_stats();
  CHECK(s.dropped > 0);
  CHECK(s.published * (kib.size() + 21) <= o.redis_queue_bytes);
  CHECK_FALSE(s.connected);
  // Redis comes: the bridge connects (the backoff is capped at 1 s).
  REQUIRE(redis.start());
  CHECK(wait_until([&] { return a.server().redis_stats().connected; }, 5s));
}

TEST_CASE("a Redis that reads nothing cannot make the bridge hold more than its bound",
          "[redis][server]") {
  RedisProcess redis(free_port());
  REQUIRE(redis.start());
  Subscribe handler;
  ServerOptions o = with_redis(redis);
  o.redis_queue_bytes = 1u << 20;
  ServerThread a(o, handler);
  REQUIRE(wait_until([&] { return a.server().redis_stats().connected; }));
  redis.pause(true);
  // 64 MiB published to a Redis that reads nothing: what the kernel's socket buffers do not
  // take stays with hiredis up to 1 MiB; the rest is dropped, and counted.
  const std::string chunk(64 * 1024, 'x');
  constexpr int count = 1024;
  for (int i = 0; i < count; ++i) a.server().publish("news", chunk);
  REQUIRE(wait_until([&] {
    const RedisStats s = a.server().redis_stats();
    return s.published + s.dropped == count;
  }));
  const RedisStats s = a.server().redis_stats();
  CHECK(s.dropped > count / 2);
  CHECK(s.connected);  // slow is not down
  // The server still stops while Redis sleeps: the publish link's grace period (1 s) ends.
  CHECK(a.stop(5s));
  redis.pause(false);
}

TEST_CASE("a wrong password is a clear error in the log", "[redis][server]") {
  RedisProcess redis(free_port());
  REQUIRE(redis.start({"--requirepass", "secret"}));
  auto& logger = core::log(core::Layer::ws);
  // The ring buffer sink reads its lines under its own lock (the loop thread writes them).
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  const auto saved = logger.sinks();
  logger.sinks() = {sink};
  Subscribe handler;
  ServerOptions o = ServerThread::options();
  o.redis = "redis://:wrong@127.0.0.1:" + redis.url().substr(redis.url().rfind(':') + 1);
  {
    ServerThread a(o, handler);
    CHECK(wait_until(
        [&] {
          for (const std::string& line : sink->last_formatted()) {
            if (line.find("AUTH failed") != std::string::npos) return true;
          }
          return false;
        },
        5s));
    CHECK_FALSE(a.server().redis_stats().connected);
  }
  logger.sinks() = saved;
  o.redis = "redis://default:secret@127.0.0.1:" + redis.url().substr(redis.url().rfind(':') + 1);
  ServerThread b(o, handler);
  CHECK(wait_until([&] { return b.server().redis_stats().connected; }, 5s));
}

TEST_CASE("without ServerOptions::redis nothing of it runs", "[redis][server]") {
  Subscribe handler;
  ServerThread a(ServerThread::options(), handler);
  TestClient c;
  REQUIRE(c.connect(a.port()) == 101);
  a.server().publish("news", "local");
  CHECK(c.recv().is_message(ws::Opcode::text, "local"));
  const RedisStats s = a.server().redis_stats();
  CHECK_FALSE(s.connected);
  CHECK(s.published == 0);
  ServerOptions bad = ServerThread::options();
  bad.redis = "http://nope";
  CHECK_THROWS_AS(Server(bad), std::invalid_argument);
}
