// What the net layer gives clients: Timer, Resolver, connect_unix, and error codes that
// compare with std::errc.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>

#include "net/net_test_util.h"
#include "net/recorder.h"
#include "uvws/net/error.h"
#include "uvws/net/resolver.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tcp_listener.h"
#include "uvws/net/timer.h"

using namespace uvws::net;
using namespace uvws::net::test;

TEST_CASE("libuv error codes compare equal to the std::errc they stand for", "[net][error]") {
  CHECK(uv_error(UV_ECONNREFUSED) == std::errc::connection_refused);
  CHECK(uv_error(UV_ETIMEDOUT) == std::errc::timed_out);
  CHECK(uv_error(UV_EOF) != std::errc::io_error);  // libuv's own codes stay its own
  CHECK(uv_error(UV_EOF).message().find("EOF") != std::string::npos);
}

TEST_CASE("a timer fires once after its delay, can be re-armed and stopped", "[net][timer]") {
  Loop loop;
  Pump pump(loop);
  int fired = 0;
  SECTION("fires once") {
    Timer t(loop);
    const std::uint64_t start = uv_now(loop.uv());
    t.start(20, [&] { ++fired; });
    CHECK(t.active());
    REQUIRE(pump.until([&] { return fired == 1; }));
    CHECK(uv_now(loop.uv()) - start >= 20);
    CHECK_FALSE(t.active());
    pump.run_for(40);
    CHECK(fired == 1);
  }
  SECTION("a callback may start its own timer again") {
    Timer t(loop);
    std::function<void()> again = [&] {
      if (++fired < 3) t.start(1, again);
    };
    t.start(1, again);
    REQUIRE(pump.until([&] { return fired == 3; }));
    CHECK_FALSE(t.active());
  }
  SECTION("stop and destruction cancel the callback") {
    {
      Timer t(loop);
      t.start(5, [&] { ++fired; });
      t.stop();
      CHECK_FALSE(t.active());
      Timer u(loop);
      u.start(5, [&] { ++fired; });
    }
    pump.run_for(30);
    CHECK(fired == 0);
  }
  SECTION("a timer outlived by close_all() is safe to destroy") {
    Timer t(loop);
    t.start(10000, [&] { ++fired; });
    CHECK_FALSE(loop.close_all());
    CHECK_FALSE(t.active());
    t.start(1, [&] { ++fired; });  // a no-op once the loop closed it
    CHECK(fired == 0);
  }
}

TEST_CASE("the resolver finds loopback addresses and reports unknown names", "[net][resolver]") {
  Loop loop;
  Pump pump(loop);
  Resolver resolver(loop);
  bool done = false;
  std::error_code error;
  std::vector<sockaddr_storage> found;
  auto record = [&](std::error_code ec, std::vector<sockaddr_storage> addresses) {
    done = true;
    error = ec;
    found = std::move(addresses);
  };
  SECTION("localhost has a loopback address, with the port set") {
    resolver.resolve("localhost", 4242, record);
    CHECK(resolver.busy());
    REQUIRE(pump.until([&] { return done; }, 10000));
    REQUIRE_FALSE(error);
    REQUIRE_FALSE(found.empty());
    for (const auto& ss : found) {
      if (ss.ss_family == AF_INET) {
        const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
        CHECK(ntohs(in.sin_port) == 4242);
        CHECK(ntohl(in.sin_addr.s_addr) == INADDR_LOOPBACK);
      } else {
        REQUIRE(ss.ss_family == AF_INET6);
        CHECK(ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port) == 4242);
      }
    }
    CHECK_FALSE(resolver.busy());
  }
  SECTION("a name under .invalid (RFC 6761) fails") {
    resolver.resolve("no-such-host.invalid", 80, record);
    REQUIRE(pump.until([&] { return done; }, 20000));
    CHECK(error);
    CHECK(found.empty());
  }
  SECTION("a cancelled lookup never calls back") {
    resolver.resolve("localhost", 80, record);
    resolver.cancel();
    CHECK_FALSE(resolver.busy());
    pump.run_for(200);
    CHECK_FALSE(done);
  }
}

TEST_CASE("connect_unix connects to a Unix-domain listener and reports a missing socket",
          "[net][connection][unix]") {
  Loop loop;
  Events ev;
  Events client_events;
  const std::string path = "/tmp/uvws-net-" + std::to_string(::getpid()) + ".sock";
  {
    Pump pump(loop);
    std::error_code result = std::make_error_code(std::errc::interrupted);
    SECTION("connects; bytes flow both ways") {
      ev.echo = true;
      TCPListener listener(loop, recorder_factory(ev));
      ListenOptions o;
      o.unix_path = path;
      REQUIRE_FALSE(listener.listen(o));
      auto* c = TCPConnection::create<Recorder>(loop, client_events);
      REQUIRE_FALSE(c->connect_unix(path, [&](std::error_code ec) { result = ec; }));
      CHECK_FALSE(result);  // a local connect completes within the call
      c->output().append(std::string_view("ping"));
      c->flush();
      REQUIRE(pump.until([&] { return client_events.received == "ping"; }));
      CHECK(ev.received == "ping");
      c->close();
      REQUIRE(pump.until([&] { return client_events.closed == 1; }));
    }
    SECTION("no socket at the path: ENOENT, and the connection closes") {
      auto* c = TCPConnection::create<Recorder>(loop, client_events);
      REQUIRE_FALSE(c->connect_unix(path + ".missing", [&](std::error_code ec) { result = ec; }));
      CHECK(result == std::errc::no_such_file_or_directory);
      REQUIRE(pump.until([&] { return client_events.closed == 1; }));
    }
    SECTION("a path too long for sockaddr_un is refused with EINVAL") {
      auto* c = TCPConnection::create<Recorder>(loop, client_events);
      const auto ec =
          c->connect_unix(std::string(200, 'x'), [&](std::error_code e) { result = e; });
      CHECK(ec == std::errc::invalid_argument);
      CHECK(result == std::errc::interrupted);  // the callback did not run
      REQUIRE(pump.until([&] { return client_events.closed == 1; }));
    }
  }
  CHECK_FALSE(loop.close_all());
}
