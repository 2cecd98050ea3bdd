// The SOCKS5 handshake against Debian's dante-server (danted), run by the test on a free port
// with a generated configuration, to an echo server on 127.0.0.1 through the tunnel; and the
// RFC 1929 authentication against a small SOCKS5 server in the test (proxy_peers.h), because
// dante's username method checks the system's user database.
#include <catch2/catch.hpp>

#include <string>

#include "net/proxy_peers.h"
#include "net/proxy_process.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_socks5.h"

using namespace uvws::net;
using namespace uvws::net::test;
using State = ProxyStep::State;

namespace {

// A danted in the foreground (no -D) without authentication that refuses, by a block rule,
// connections to `blocked_port` ("connection not allowed by ruleset", RFC 1928 6 code 0x02).
struct Dante : RunningProxy {
  explicit Dante(std::uint16_t blocked_port) {
    const auto program = find_program({"/usr/sbin/danted", "/usr/bin/danted"});
    const auto conf = [&](std::uint16_t p) {
      return "logoutput: stderr\ninternal: 127.0.0.1 port = " + std::to_string(p) +
             "\nexternal: 127.0.0.1\nclientmethod: none\nsocksmethod: none\n"
             "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
             "socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 port = " +
             std::to_string(blocked_port) +
             " }\n"
             "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }\n";
    };
    // -p: the PID file in the temporary directory (the default, /var/run, needs root).
    const auto pid_file = (dir.path() / "danted.pid").string();
    port = start_on_free_port(process, dir, "danted.conf", conf, [&](const std::string& file) {
      return std::vector<std::string>{program, "-f", file, "-p", pid_file};
    });
    INFO(process.log());
    REQUIRE(port != 0);
  }
};

}  // namespace

TEST_CASE("dante: socks5h sends the name, socks5 an address; both reach the echo server",
          "[net][proxy][dante]") {
  LoopbackServer echo(echo_handler);
  Dante proxy(free_port());
  for (const std::string target : {"localhost", "127.0.0.1"}) {
    Socks5Handshake h(target, echo.port(), std::nullopt);
    Tunnel t;
    open_tunnel(t, proxy.port, h);
    INFO(target << ": " << t.message << proxy.process.log());
    REQUIRE(t.state == State::done);
    const auto payload = pattern(256 * 1024);
    CHECK(echo_through(t, payload) == payload);
  }
}

TEST_CASE("dante: a block rule gives 0x02, a closed port 0x05", "[net][proxy][dante]") {
  LoopbackServer echo(echo_handler);
  const auto blocked = free_port();
  Dante proxy(blocked);
  {
    Socks5Handshake h("127.0.0.1", blocked, std::nullopt);
    Tunnel t;
    open_tunnel(t, proxy.port, h);
    REQUIRE(t.state == State::failed);
    CHECK(t.error == std::error_code(0x02, proxy_socks5_category()));
    CHECK(t.message == "SOCKS5 proxy: connection not allowed by ruleset (0x02)");
  }
  // A port nothing listens on: dante's connect is refused and so is ours.
  const auto closed = free_port();
  Socks5Handshake h("127.0.0.1", closed, std::nullopt);
  Tunnel t;
  open_tunnel(t, proxy.port, h);
  REQUIRE(t.state == State::failed);
  CHECK(t.message == "SOCKS5 proxy: connection refused (0x05)");
}

TEST_CASE("SOCKS5 user/password (RFC 1929) against the test's SOCKS5 server",
          "[net][proxy][socks-auth]") {
  LoopbackServer echo(echo_handler);
  LoopbackServer socks(socks5_auth_handler("bob", "p@ss word"));
  {
    Socks5Handshake h("localhost", echo.port(), ProxyCredentials{"bob", "p@ss word"});
    Tunnel t;
    open_tunnel(t, socks.port(), h);
    INFO(t.message);
    REQUIRE(t.state == State::done);
    CHECK(echo_through(t, "through SOCKS5 with a password") == "through SOCKS5 with a password");
  }
  {
    Socks5Handshake h("localhost", echo.port(), ProxyCredentials{"bob", "nope"});
    Tunnel t;
    open_tunnel(t, socks.port(), h);
    REQUIRE(t.state == State::failed);
    CHECK(t.error == ProxyErrc::socks_auth_failed);
  }
  Socks5Handshake h("localhost", echo.port(), std::nullopt);
  Tunnel t;
  open_tunnel(t, socks.port(), h);
  REQUIRE(t.state == State::failed);
  CHECK(t.message == "SOCKS5 proxy: no acceptable authentication method (0xFF)");
}
