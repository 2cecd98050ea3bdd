// TlsContext and TlsContextHolder: certificate verification and its messages, SNI, client
// certificates, reload, and the errors of bad configurations (sessions talk through memory).
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "net/tls_test_util.h"

using namespace uvws;
using namespace uvws::net;
using namespace uvws::net::test;

namespace {

// The client's error after a handshake of a client for `name` with a server using `cert`.
std::string client_failure(const std::string& cert, const std::string& name,
                           TlsClientConfig config = client_config()) {
  SessionPair p(TlsContext::server(server_config(cert)), TlsContext::client(config), name);
  p.pump();
  CHECK_FALSE(p.client->established());
  REQUIRE(p.client_error);
  CHECK(p.client_error.category() == tls_category());
  return p.client_error.message();
}

std::string thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("the client verifies the server's certificate by default", "[net][tls]") {
  SECTION("host name and IP SANs") {
    for (const char* name : {"localhost", "LOCALHOST", "127.0.0.1", "::1", "[::1]"}) {
      INFO(name);
      SessionPair p(TlsContext::server(server_config()), TlsContext::client(client_config()), name);
      CHECK(p.handshake());
    }
  }
  SECTION("each failure with its reason") {
    CHECK(client_failure("self", "localhost") ==
          "certificate verify failed: self-signed certificate");
    CHECK(client_failure("expired", "localhost") ==
          "certificate verify failed: certificate has expired");
    CHECK(client_failure("other", "localhost") == "certificate verify failed: hostname mismatch");
    CHECK(client_failure("server", "127.0.0.2") ==
          "certificate verify failed: IP address mismatch");
    // The system store does not know the test CA.
    CHECK(client_failure("server", "localhost", TlsClientConfig{}) ==
          "certificate verify failed: unable to get local issuer certificate");
  }
  SECTION("the server learns why through the client's alert") {
    SessionPair p(TlsContext::server(server_config("self")), TlsContext::client(client_config()),
                  "localhost");
    p.pump();
    REQUIRE(p.server_error);
    CHECK(p.server_error.message().find("alert") != std::string::npos);
  }
  SECTION("insecure skips verification") {
    TlsClientConfig c;
    c.insecure = true;
    for (const char* cert : {"self", "expired", "other"}) {
      SessionPair p(TlsContext::server(server_config(cert)), TlsContext::client(c), "localhost");
      CHECK(p.handshake());
    }
  }
  SECTION("a server chain above max_cert_chain_bytes is refused") {
    TlsClientConfig c = client_config();
    c.max_cert_chain_bytes = 200;
    CHECK(client_failure("server", "localhost", c) ==
          "certificate chain too long (above max_cert_chain_bytes)");
  }
}

TEST_CASE("the server picks its certificate by SNI", "[net][tls]") {
  TlsServerConfig config = server_config();
  config.sni.push_back({"Other.Test", {cert("other.pem"), cert("other.key")}});
  const auto server = TlsContext::server(config);
  const auto client = TlsContext::client(client_config());
  CHECK(SessionPair(server, client, "other.test").handshake());
  CHECK(SessionPair(server, client, "localhost").handshake());
  CHECK(SessionPair(server, client, "127.0.0.1").handshake());  // no SNI: the default
  SessionPair wrong(TlsContext::server(server_config()), client, "other.test");
  wrong.pump();
  CHECK(wrong.client_error.message() == "certificate verify failed: hostname mismatch");
  CHECK(server->context_for("OTHER.test") != nullptr);
  CHECK(server->context_for("localhost") == nullptr);
}

TEST_CASE("a reload serves new sessions while old ones keep their context", "[net][tls]") {
  TlsContextHolder holder(server_config());
  const auto client = TlsContext::client(client_config());
  SessionPair old_session(holder.current(), client, "localhost");
  REQUIRE(old_session.handshake());

  holder.reload(server_config("other"));
  SessionPair fresh(holder.current(), client, "other.test");
  CHECK(fresh.handshake());
  SessionPair refused(holder.current(), client, "localhost");
  refused.pump();
  CHECK(refused.client_error.message() == "certificate verify failed: hostname mismatch");

  const std::string msg = "still here";
  REQUIRE_FALSE(old_session.server->write(
      {reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()}, old_session.to_client));
  old_session.pump();
  CHECK(old_session.client_got == msg);

  // A reload that fails keeps the current context.
  const auto before = holder.current();
  CHECK_THROWS_AS(holder.reload(server_config("missing")), std::invalid_argument);
  CHECK(holder.current() == before);
  CHECK_THROWS_AS(holder.reload(client), std::invalid_argument);
}

TEST_CASE("a server may require client certificates", "[net][tls]") {
  TlsServerConfig config = server_config();
  config.client_certs = ClientCertMode::required;
  config.client_ca_file = cert("ca.pem");
  const auto server = TlsContext::server(config);

  SessionPair without(server, TlsContext::client(client_config()), "localhost");
  without.pump();
  REQUIRE(without.server_error);
  CHECK(without.server_error.message() == "peer did not return a certificate");

  TlsClientConfig with_cert = client_config();
  with_cert.client_certificate = {cert("client.pem"), cert("client.key")};
  SessionPair with(server, TlsContext::client(with_cert), "localhost");
  CHECK(with.handshake());

  config.client_certs = ClientCertMode::optional;
  SessionPair optional(TlsContext::server(config), TlsContext::client(client_config()),
                       "localhost");
  CHECK(optional.handshake());
}

TEST_CASE("bad files and knobs throw with OpenSSL's reason", "[net][tls]") {
  CHECK(thrown([] {
          TlsContext::server(server_config("missing"));
        }).find("certificate chain " + cert("missing.pem")) != std::string::npos);
  TlsServerConfig mismatch = server_config();
  mismatch.certificate.key_file = cert("other.key");
  CHECK(thrown([&] { TlsContext::server(mismatch); }).find("key values mismatch") !=
        std::string::npos);
  TlsServerConfig ciphers = server_config();
  ciphers.protocol.ciphers = "NO-SUCH-CIPHER";
  CHECK(thrown([&] { TlsContext::server(ciphers); }).find("no cipher match") != std::string::npos);
  TlsServerConfig mtls = server_config();
  mtls.client_certs = ClientCertMode::required;
  CHECK(thrown([&] { TlsContext::server(mtls); }).find("client_ca_file") != std::string::npos);
  TlsClientConfig half;
  half.client_certificate.cert_file = cert("client.pem");
  CHECK(thrown([&] { TlsContext::client(half); }).find("key_file") != std::string::npos);
  TlsClientConfig no_ca;
  no_ca.ca_file = cert("missing.pem");
  CHECK(thrown([&] { TlsContext::client(no_ca); }).find("missing.pem") != std::string::npos);
}
