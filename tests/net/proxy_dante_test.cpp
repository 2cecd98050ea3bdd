// The SOCKS5 handshake against Debian's dante-server (danted), run by the test on a free port
// with a generated configuration, to an echo server on 127.0.0.1 through the tunnel; and the
// RFC 1929 authentication against a small SOCKS5 server in the test (proxy_peers.h), because
// dante's username method checks the system's user database.
#include <catch2/catch.hpp>

#include <string>

#include "net/proxy_daemons.h"
#include "net/proxy_peers.h"
#include "net/proxy_process.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_socks5.h"

using namespace uvws::net;
using namespace uvws::net::test;
using State = ProxyStep::State;

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
