// The client through real proxies: Debian's tinyproxy (HTTP CONNECT) and dante (SOCKS5), run by
// the test on free ports and stopped by PID (tests/net/proxy_process.h), in front of a uvws
// Server on its own thread. ws:// and wss:// echo through the tunnel, a refusal reaches the
// caller with the proxy's own code, and the proxy comes from the environment as curl reads it.
#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <string>

#include "client/client_helpers.h"
#include "net/proxy_daemons.h"
#include "net/proxy_peers.h"
#include "net/proxy_process.h"
#include "net/tls_test_util.h"
#include "uvws/blocking_client.h"
#include "uvws/net/proxy_error.h"

using uvws::test::Ms;
using uvws::test::RecordingHandler;
using uvws::test::ServerThread;
namespace nt = uvws::net::test;
using nt::Dante;
using nt::Tinyproxy;

namespace {

std::string url(const char* scheme, const std::string& host, std::uint16_t port) {
  return std::string(scheme) + "://" + host + ":" + std::to_string(port) + "/";
}

uvws::ClientOptions through(const std::string& proxy) {
  uvws::ClientOptions o;
  o.proxy = proxy;
  o.connect_timeout = Ms(10000);
  return o;
}

// An environment holding exactly `vars`.
std::function<std::optional<std::string>(std::string_view)> env(
    std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void echoes(const std::string& target, const uvws::ClientOptions& options,
            const std::string& text) {
  auto client = uvws::connect(target, options);
  client.send_text(text);
  CHECK(client.recv(Ms(5000)).text() == text);
  const std::string big(256 * 1024, 'p');
  client.send_text(big);
  CHECK(client.recv(Ms(10000)).text() == big);
  client.close(1000, "bye");
}

// How connecting to `target` failed; fails the test if it connects.
struct Refusal {
  std::error_code code;
  std::string what;
  bool handshake = false;  // a HandshakeError (else a ConnectError)
};
Refusal refused(const std::string& target, const uvws::ClientOptions& options) {
  try {
    uvws::connect(target, options);
  } catch (const uvws::HandshakeError& e) {
    return {e.code(), e.what(), true};
  } catch (const uvws::ConnectError& e) {
    return {e.code(), e.what(), false};
  }
  FAIL("connected to " << target);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("ws:// through tinyproxy (HTTP CONNECT) echoes", "[client][proxy][tinyproxy]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  Tinyproxy proxy(server.port());
  INFO(proxy.process.log());
  echoes(url("ws", "127.0.0.1", server.port()), through(proxy.url()), "through tinyproxy");
}

TEST_CASE("wss:// through tinyproxy: TLS to the target inside the tunnel",
          "[client][proxy][tinyproxy][tls]") {
  RecordingHandler handler;
  uvws::ServerOptions so = ServerThread::options();
  so.tls = nt::server_config("server");
  ServerThread server(so, handler);
  Tinyproxy proxy(server.port());
  INFO(proxy.process.log());
  uvws::ClientOptions o = through(proxy.url());
  o.tls = nt::client_config();
  // The certificate is checked against the target's name, not the proxy's 127.0.0.1.
  echoes(url("wss", "localhost", server.port()), o, "tls through tinyproxy");
  // A certificate for another host still fails inside the tunnel.
  uvws::ServerOptions other = ServerThread::options();
  other.tls = nt::server_config("other");
  ServerThread wrong(other, handler);
  Tinyproxy proxy2(wrong.port());
  o.proxy = proxy2.url();
  const auto e = refused(url("wss", "localhost", wrong.port()), o);
  CHECK(e.code.message() == "certificate verify failed: hostname mismatch");
}

TEST_CASE("ws:// through dante: socks5h sends the name, socks5 the address",
          "[client][proxy][dante]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  Dante proxy(nt::free_port());
  INFO(proxy.process.log());
  echoes(url("ws", "localhost", server.port()), through(proxy.url("socks5h")), "socks5h");
  echoes(url("ws", "127.0.0.1", server.port()), through(proxy.url("socks5")), "socks5 literal");
  // socks5:// with a name: the client resolves localhost and sends the address.
  echoes(url("ws", "localhost", server.port()), through(proxy.url("socks5")), "socks5 name");
}

TEST_CASE("a proxy's refusal reaches the caller with the proxy's code", "[client][proxy]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  SECTION("tinyproxy: 403 for a port ConnectPort does not allow") {
    Tinyproxy proxy(static_cast<std::uint16_t>(server.port() == 1 ? 2 : 1));
    const auto e = refused(url("ws", "127.0.0.1", server.port()), through(proxy.url()));
    CHECK(e.handshake);
    CHECK(e.code == std::error_code(403, uvws::net::proxy_http_category()));
    CHECK(e.code.message() == "proxy refused CONNECT: 403 Forbidden");
    CHECK(e.what.find("403 Forbidden") != std::string::npos);
  }
  SECTION("dante: 0x02 for a blocked port") {
    Dante proxy(server.port());
    const auto e = refused(url("ws", "127.0.0.1", server.port()), through(proxy.url("socks5")));
    CHECK(e.handshake);
    CHECK(e.code == std::error_code(0x02, uvws::net::proxy_socks5_category()));
    INFO(e.what);
    CHECK(e.what.find("not allowed by ruleset") != std::string::npos);
  }
  SECTION("a proxy URL that does not parse") {
    const auto e = refused(url("ws", "127.0.0.1", server.port()), through("ftp://127.0.0.1:1"));
    CHECK(e.handshake);
    CHECK(e.code == uvws::net::ProxyErrc::unsupported_proxy_scheme);
  }
  SECTION("nothing listens at the proxy's address") {
    const auto e = refused(url("ws", "127.0.0.1", server.port()),
                           through("http://127.0.0.1:" + std::to_string(nt::free_port())));
    CHECK_FALSE(e.handshake);
    CHECK(e.code == std::errc::connection_refused);
  }
}

TEST_CASE("the proxy from the environment, as curl reads it", "[client][proxy][env]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  Dante dante(nt::free_port());
  Tinyproxy tiny(server.port());
  INFO(dante.process.log() << tiny.process.log());
  const std::string dead = "http://127.0.0.1:" + std::to_string(nt::free_port());
  uvws::ClientOptions o;
  SECTION("ALL_PROXY for ws://") {
    o.proxy_env = env({{"ALL_PROXY", dante.url("socks5h")}});
    echoes(url("ws", "localhost", server.port()), o, "ALL_PROXY");
  }
  SECTION("HTTPS_PROXY for wss://, ahead of ALL_PROXY") {
    uvws::ServerOptions so = ServerThread::options();
    so.tls = nt::server_config("server");
    ServerThread tls_server(so, handler);
    Tinyproxy tls_proxy(tls_server.port());
    o.tls = nt::client_config();
    o.proxy_env = env({{"HTTPS_PROXY", tls_proxy.url()}, {"ALL_PROXY", dead}});
    echoes(url("wss", "localhost", tls_server.port()), o, "HTTPS_PROXY");
  }
  SECTION("a refusal from the environment's proxy is reported") {
    // ws_proxy wins over http_proxy (dante would pass): the 403 shows which one was used.
    Tinyproxy other(static_cast<std::uint16_t>(server.port() == 1 ? 2 : 1));
    o.proxy_env = env({{"ws_proxy", other.url()}, {"http_proxy", dante.url("socks5")}});
    CHECK(refused(url("ws", "127.0.0.1", server.port()), o).code ==
          std::error_code(403, uvws::net::proxy_http_category()));
  }
  SECTION("NO_PROXY and an explicit \"\" bypass it") {
    o.proxy_env = env({{"ALL_PROXY", dead}, {"NO_PROXY", "localhost,127.0.0.1"}});
    echoes(url("ws", "127.0.0.1", server.port()), o, "NO_PROXY");
    o.proxy_env = env({{"ALL_PROXY", dead}});
    o.proxy = "";
    echoes(url("ws", "127.0.0.1", server.port()), o, "no proxy");
    o.proxy.reset();
    CHECK(refused(url("ws", "127.0.0.1", server.port()), o).code == std::errc::connection_refused);
  }
}

TEST_CASE("Client: a proxy's refusal reaches on_error once, without a WebSocket",
          "[client][proxy][tinyproxy]") {
  RecordingHandler handler;
  ServerThread server(ServerThread::options(), handler);
  Tinyproxy proxy(static_cast<std::uint16_t>(server.port() == 1 ? 2 : 1));
  uvws::test::ClientRun run(url("ws", "127.0.0.1", server.port()), through(proxy.url()));
  REQUIRE(run.wait([&] { return !run.rec.errors.empty(); }));
  uvws::test::run_for(run.loop, Ms(200));
  REQUIRE(run.rec.errors.size() == 1);
  CHECK_FALSE(run.rec.errors[0].with_ws);
  CHECK(run.rec.errors[0].ec.message() == "proxy refused CONNECT: 403 Forbidden");
  CHECK(run.rec.opens == 0);
  CHECK(run.client->handshake_status() == 0);
}

TEST_CASE("Client: connect_timeout covers a proxy that never answers", "[client][proxy]") {
  // Reads until the client gives up and closes.
  nt::LoopbackServer silent([](int fd) {
    char c;
    while (::recv(fd, &c, 1, 0) > 0) {
    }
  });
  uvws::ClientOptions o = through("socks5h://127.0.0.1:" + std::to_string(silent.port()));
  o.connect_timeout = Ms(300);
  uvws::test::ClientRun run("ws://localhost:9/", o);
  const auto started = uvws::test::Clock::now();
  REQUIRE(run.wait([&] { return !run.rec.errors.empty(); }));
  CHECK(run.rec.errors[0].ec == std::errc::timed_out);
  CHECK(uvws::test::Clock::now() - started >= Ms(250));
}
