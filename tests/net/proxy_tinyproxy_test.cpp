// The HTTP CONNECT handshake against Debian's tinyproxy, run by the test on a free port with a
// generated configuration, to an echo server on 127.0.0.1 through the tunnel.
#include <catch2/catch.hpp>

#include <string>

#include "net/proxy_daemons.h"
#include "net/proxy_peers.h"
#include "net/proxy_process.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_http_connect.h"

using namespace uvws::net;
using namespace uvws::net::test;
using State = ProxyStep::State;

TEST_CASE("tinyproxy: CONNECT opens a tunnel to the echo server", "[net][proxy][tinyproxy]") {
  LoopbackServer echo(echo_handler);
  Tinyproxy proxy(echo.port(), "");
  HttpConnectHandshake h("127.0.0.1", echo.port(), std::nullopt);
  Tunnel t;
  open_tunnel(t, proxy.port, h);
  INFO(t.message << proxy.process.log());
  REQUIRE(t.state == State::done);
  const auto payload = pattern(256 * 1024);
  CHECK(echo_through(t, payload) == payload);
}

TEST_CASE(
    "tinyproxy: Basic auth lets the right credentials through, 407 without any, 401 with wrong "
    "ones",
    "[net][proxy][tinyproxy]") {
  LoopbackServer echo(echo_handler);
  Tinyproxy proxy(echo.port(), "alice s3cr3t");
  {
    HttpConnectHandshake h("127.0.0.1", echo.port(), ProxyCredentials{"alice", "s3cr3t"});
    Tunnel t;
    open_tunnel(t, proxy.port, h);
    INFO(t.message);
    REQUIRE(t.state == State::done);
    CHECK(echo_through(t, "through an authenticated tunnel") == "through an authenticated tunnel");
  }
  {
    HttpConnectHandshake h("127.0.0.1", echo.port(), std::nullopt);
    Tunnel t;
    open_tunnel(t, proxy.port, h);
    REQUIRE(t.state == State::failed);
    CHECK(t.error == std::error_code(407, proxy_http_category()));
    CHECK(t.message == "proxy refused CONNECT: 407 Proxy Authentication Required");
  }
  // tinyproxy answers wrong credentials with 401 rather than 407.
  HttpConnectHandshake h("127.0.0.1", echo.port(), ProxyCredentials{"alice", "wrong"});
  Tunnel t;
  open_tunnel(t, proxy.port, h);
  REQUIRE(t.state == State::failed);
  CHECK(t.error == std::error_code(401, proxy_http_category()));
  CHECK(t.message == "proxy refused CONNECT: 401 Unauthorized");
  CHECK(t.error.message() == t.message);
}

TEST_CASE("tinyproxy: a port outside ConnectPort is refused with 403", "[net][proxy][tinyproxy]") {
  LoopbackServer echo(echo_handler);
  Tinyproxy proxy(echo.port(), "");
  const auto other = static_cast<std::uint16_t>(echo.port() == 65535 ? 1 : echo.port() + 1);
  HttpConnectHandshake h("127.0.0.1", other, std::nullopt);
  Tunnel t;
  open_tunnel(t, proxy.port, h);
  REQUIRE(t.state == State::failed);
  CHECK(t.error == std::error_code(403, proxy_http_category()));
  CHECK(t.error.message() == "proxy refused CONNECT: 403 Forbidden");
  CHECK(t.message == "proxy refused CONNECT: 403 Access violation");
}
