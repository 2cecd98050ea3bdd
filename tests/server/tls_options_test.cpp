// ServerOptions::tls and Server::reload_tls(): checked at construction, reloaded from any
// thread (the TLS paths themselves: tests/net/tls_*_test.cpp and tests/interop/tls_python.py).
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "net/tls_test_util.h"
#include "server/test_client.h"
#include "uvws/server.h"

using uvws::net::test::cert;
using uvws::net::test::server_config;
using uvws::test::Ms;

namespace {

uvws::ServerOptions tls_options(const std::string& name) {
  uvws::ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.handle_signals = false;
  o.tls = server_config(name);
  return o;
}

}  // namespace

TEST_CASE("a server with a bad certificate file does not construct", "[server][tls]") {
  try {
    uvws::Server server(tls_options("missing"));
    FAIL("constructed");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find(cert("missing.pem")) != std::string::npos);
  }
}

TEST_CASE("reload_tls swaps the certificates, or keeps them when the new ones are bad",
          "[server][tls]") {
  uvws::Server server(tls_options("server"));
  server.listen();
  CHECK_NOTHROW(server.reload_tls());
  // From another thread, as on SIGHUP.
  std::thread t([&] { server.reload_tls(server_config("other")); });
  t.join();
  CHECK_THROWS_AS(server.reload_tls(server_config("missing")), std::invalid_argument);

  uvws::ServerOptions plain;
  plain.port = 0;
  plain.handle_signals = false;
  uvws::Server without_tls(plain);
  CHECK_THROWS_AS(without_tls.reload_tls(), std::logic_error);
  CHECK_FALSE(without_tls.options().tls.has_value());
}

TEST_CASE("a TLS handshake that stalls is cut by handshake_timeout", "[server][tls][timeout]") {
  uvws::ServerOptions o = tls_options("server");
  o.handshake_timeout = Ms(300);
  uvws::test::RecordingHandler handler;
  uvws::test::ServerThread server(o, handler);
  auto socket = uvws::test::Socket::connect_tcp("127.0.0.1", server.port());
  REQUIRE(socket.valid());
  // The header of a ClientHello record announcing 512 bytes, and nothing after it.
  REQUIRE(socket.send_all(std::string_view("\x16\x03\x01\x02\x00", 5)));
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(socket.wait_closed(Ms(5000)));
  CHECK(std::chrono::steady_clock::now() - start >= Ms(200));  // the timeout, not a refusal
  CHECK(handler.snapshot().opens == 0);
}
