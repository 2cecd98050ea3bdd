// wss:// in uvws::connect (and so in uvws::Client under it) against a uvws::Server with
// ServerOptions::tls: echo, verification on by default, each failure with OpenSSL's reason.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "client/client_helpers.h"
#include "net/tls_test_util.h"
#include "uvws/blocking_client.h"

using uvws::test::Ms;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;

namespace {

uvws::ServerOptions tls_server(const std::string& cert_name) {
  uvws::ServerOptions o = ServerThread::options();
  o.tls = uvws::net::test::server_config(cert_name);
  return o;
}

uvws::ClientOptions trusting_test_ca() {
  uvws::ClientOptions o;
  o.tls = uvws::net::test::client_config();
  return o;
}

std::string wss(const std::string& host, std::uint16_t port) {
  return "wss://" + host + ":" + std::to_string(port) + "/";
}

// The HandshakeError of connecting to `url`; fails the test if it connects.
uvws::HandshakeError refused(const std::string& url, uvws::ClientOptions options) {
  try {
    uvws::connect(url, std::move(options));
  } catch (const uvws::HandshakeError& e) {
    return e;
  }
  FAIL("connected to " << url);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("wss:// echoes through a TLS server", "[client][tls]") {
  RecordingHandler handler;
  ServerThread server(tls_server("server"), handler);
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto client = uvws::connect(wss(host, server.port()), trusting_test_ca());
    client.send_text("hello over " + host);
    CHECK(client.recv(Ms(5000)).text() == "hello over " + host);
    const std::string big(1 << 20, 'x');
    client.send_text(big);
    CHECK(client.recv(Ms(10000)).text() == big);
    client.close(1000, "bye");
  }
}

TEST_CASE("wss:// refuses a server whose certificate does not verify", "[client][tls]") {
  RecordingHandler handler;
  SECTION("self-signed") {
    ServerThread server(tls_server("self"), handler);
    const auto e = refused(wss("localhost", server.port()), trusting_test_ca());
    CHECK(e.code().category() == uvws::net::tls_category());
    CHECK(e.code().message() == "certificate verify failed: self-signed certificate");
    CHECK(std::string(e.what()).find("self-signed certificate") != std::string::npos);
    CHECK(e.status() == 0);
  }
  SECTION("expired") {
    ServerThread server(tls_server("expired"), handler);
    CHECK(refused(wss("localhost", server.port()), trusting_test_ca()).code().message() ==
          "certificate verify failed: certificate has expired");
  }
  SECTION("another host's") {
    ServerThread server(tls_server("other"), handler);
    CHECK(refused(wss("localhost", server.port()), trusting_test_ca()).code().message() ==
          "certificate verify failed: hostname mismatch");
  }
  SECTION("a CA the system store does not know (verification is on by default)") {
    ServerThread server(tls_server("server"), handler);
    CHECK(refused(wss("localhost", server.port()), {}).code().message() ==
          "certificate verify failed: unable to get local issuer certificate");
  }
  SECTION("insecure connects anyway") {
    ServerThread server(tls_server("self"), handler);
    uvws::ClientOptions o;
    o.tls.insecure = true;
    auto client = uvws::connect(wss("localhost", server.port()), o);
    client.send_text("unverified");
    CHECK(client.recv(Ms(5000)).text() == "unverified");
  }
}

TEST_CASE("wss:// with a CA file that cannot be read is a bad option", "[client][tls]") {
  uvws::ClientOptions o;
  o.tls.ca_file = uvws::net::test::cert("missing.pem");
  CHECK_THROWS_AS(uvws::connect("wss://localhost:1/", o), std::invalid_argument);
}
