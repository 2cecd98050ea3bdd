#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "net/net_test_util.h"
#include "net/recorder.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_listener.h"

using namespace uvws::net;
using namespace uvws::net::test;

TEST_CASE("a listener on IPv6 ::1 accepts and echoes", "[net][listener]") {
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    ListenOptions o;
    o.host = "::1";
    REQUIRE_FALSE(listener.listen(o));
    REQUIRE(listener.port() != 0);
    sockaddr_in6 addr{};
    uv_ip6_addr("::1", listener.port(), &addr);
    RawClient* client = RawClient::tcp(loop, reinterpret_cast<const sockaddr*>(&addr));
    client->start_reading();
    REQUIRE(pump.until([&] { return client->connected() && ev.accepted == 1; }));
    CHECK(ev.peer.rfind("[::1]:", 0) == 0);
    client->write("six");
    REQUIRE(pump.until([&] { return client->received == "six"; }));
    client->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a listener on a Unix-domain socket accepts, echoes and removes its file",
          "[net][listener]") {
  const std::string path = "/tmp/uvws-net-test-" + std::to_string(getpid()) + ".sock";
  ::unlink(path.c_str());
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    ListenOptions o;
    o.unix_path = path;
    REQUIRE_FALSE(listener.listen(o));
    CHECK(listener.port() == 0);
    CHECK(::access(path.c_str(), F_OK) == 0);

    RawClient* client = RawClient::unix_socket(loop, path);
    client->start_reading();
    REQUIRE(pump.until([&] { return client->connected() && ev.accepted == 1; }));
    CHECK(ev.peer == path);
    client->write("local");
    REQUIRE(pump.until([&] { return client->received == "local"; }));
    client->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));

    listener.close();
    CHECK_FALSE(listener.listening());
    CHECK(::access(path.c_str(), F_OK) != 0);

    o.unix_path = std::string(200, 'x');
    CHECK(listener.listen(o) == uv_error(UV_ENAMETOOLONG));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("bind and listen failures come back as error codes", "[net][listener]") {
  Loop loop;
  Events ev;
  TCPListener first(loop, recorder_factory(ev));
  ListenOptions o;
  o.host = "127.0.0.1";
  REQUIRE_FALSE(first.listen(o));
  CHECK(first.listen(o) == uv_error(UV_EALREADY));

  TCPListener second(loop, recorder_factory(ev));
  o.port = first.port();
  CHECK(second.listen(o) == uv_error(UV_EADDRINUSE));
  CHECK_FALSE(second.listening());

  o.host = "not-an-address";
  CHECK(second.listen(o) == uv_error(UV_EINVAL));
  first.close();
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a factory that returns nullptr refuses the connection", "[net][listener]") {
  Loop loop;
  int asked = 0;
  {
    Pump pump(loop);
    TCPListener listener(loop, [&](Loop&) -> TCPConnection* {
      ++asked;
      return nullptr;
    });
    ListenOptions o;
    o.host = "127.0.0.1";
    REQUIRE_FALSE(listener.listen(o));
    const sockaddr_in addr = ip4(listener.port());
    RawClient* client = RawClient::tcp(loop, reinterpret_cast<const sockaddr*>(&addr));
    client->start_reading();
    REQUIRE(pump.until([&] { return client->eof || client->read_error != 0; }));
    CHECK(asked == 1);
    CHECK(loop.connection_count() == 0);
    client->close();
  }
  REQUIRE_FALSE(loop.close_all());
}

namespace {

// One loop on its own thread with a reuse_port listener; counts what it accepts.
struct Worker {
  std::atomic<int> accepted{0};
  std::atomic<int> close_status{1};
  std::atomic<Loop*> loop{nullptr};
  std::thread thread;

  void start(std::uint16_t port, std::promise<std::uint16_t>* bound) {
    thread = std::thread([this, port, bound] {
      LoopOptions lo;
      lo.keep_alive = true;
      Loop l(lo);
      TCPListener listener(l, [this](Loop& on) -> TCPConnection* {
        ++accepted;
        return TCPConnection::create<Sink>(on);
      });
      ListenOptions o;
      o.host = "127.0.0.1";
      o.port = port;
      o.reuse_port = true;
      const std::error_code ec = listener.listen(o);
      loop = &l;
      if (bound != nullptr) bound->set_value(ec ? 0 : listener.port());
      l.run();  // until the test's request_stop(), even if listen() failed
      listener.close();
      close_status = l.close_all().value();
    });
  }

  // Reads and drops.
  class Sink : public TCPConnection {
   public:
    explicit Sink(Loop& l) : TCPConnection(l) {}

   protected:
    void on_data(std::span<std::uint8_t>) override {}
  };
};

int blocking_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE("two reuse_port listeners on one port in two loops on two threads share connections",
          "[net][listener]") {
  Worker w1, w2;
  std::promise<std::uint16_t> bound1;
  w1.start(0, &bound1);
  const std::uint16_t port = bound1.get_future().get();
  std::promise<std::uint16_t> bound2;
  w2.start(port, &bound2);
  // No REQUIRE before the joins below: the worker threads must always be stopped.
  CHECK(port != 0);
  CHECK(bound2.get_future().get() == port);

  constexpr int clients = 64;
  std::vector<int> fds;
  for (int i = 0; i < clients; ++i) fds.push_back(blocking_connect(port));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (w1.accepted + w2.accepted < clients && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const int fd : fds) ::close(fd);
  w1.loop.load()->request_stop();
  w2.loop.load()->request_stop();
  w1.thread.join();
  w2.thread.join();

  CHECK(std::count(fds.begin(), fds.end(), -1) == 0);
  CHECK(w1.accepted + w2.accepted == clients);
  CHECK(w1.accepted > 0);
  CHECK(w2.accepted > 0);
  CHECK(w1.close_status == 0);
  CHECK(w2.close_status == 0);
}
