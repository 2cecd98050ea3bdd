// TLS on real sockets (127.0.0.1): a TCPListener with a context holder accepts TLS, a client
// connection starts TLS after connect; subclasses see plaintext only.
#include <catch2/catch.hpp>
#include <string>

#include "net/net_test_util.h"
#include "net/recorder.h"
#include "net/tls_test_util.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tcp_listener.h"

using namespace uvws::net;
using namespace uvws::net::test;

namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7) % 251);
  return s;
}

// A listener speaking TLS with `cert` on 127.0.0.1, its accepted connections recorded in `ev`.
struct TlsServer {
  TlsServer(Loop& loop, Events& ev, const std::string& cert = "server")
      : holder(std::make_shared<TlsContextHolder>(server_config(cert))),
        listener(loop, recorder_factory(ev)) {
    listener.set_tls(holder);
    ListenOptions o;
    o.host = "127.0.0.1";
    REQUIRE_FALSE(listener.listen(o));
  }
  std::shared_ptr<TlsContextHolder> holder;
  TCPListener listener;
};

// A client connection to `port` that starts TLS for `name` once connected and then writes
// `first` (before the handshake completed: it waits in the session).
Recorder* tls_client(Loop& loop, Events& ev, std::uint16_t port, const std::string& name,
                     std::string first, TlsClientConfig config = client_config()) {
  ev.echo = false;
  auto* c = TCPConnection::create<Recorder>(loop, ev);
  const sockaddr_in addr = ip4(port);
  auto ctx = TlsContext::client(config);
  REQUIRE_FALSE(c->connect(reinterpret_cast<const sockaddr*>(&addr),
                           [c, ctx, name, first](std::error_code ec) {
                             if (ec) return;
                             REQUIRE_FALSE(c->start_tls(ctx, name));
                             c->output().append(first);
                           }));
  return c;
}

}  // namespace

TEST_CASE("TLS costs a plain connection no byte", "[net][tls]") {
  // The vtable, the timer node with the flags in its padding, and one word for the write state
  // or the TLS side: TLS shares that word with the write state.
  CHECK(sizeof(TCPConnection) - sizeof(uv_tcp_t) <= 48);
}

TEST_CASE("a TLS connection echoes through a listener with a context holder", "[net][tls]") {
  Loop loop;
  Events server_ev, client_ev;
  {
    Pump pump(loop);
    TlsServer server(loop, server_ev);
    const std::string big = pattern(3 * 1024 * 1024 + 17);
    Recorder* client = tls_client(loop, client_ev, server.listener.port(), "127.0.0.1", "hello");
    REQUIRE(pump.until([&] { return client_ev.received == "hello"; }));
    CHECK(server_ev.received == "hello");
    CHECK(client->tls_established());
    REQUIRE(server_ev.conns.size() == 1);
    CHECK(server_ev.conns[0]->tls_established());

    // Megabytes both ways: partial records at every read, backpressure on both sides.
    client->output().append(big);
    REQUIRE(pump.until([&] { return client_ev.received.size() == 5 + big.size(); }, 20000));
    CHECK(client_ev.received.substr(5) == big);
    CHECK(loop.stats().tls_handshake_failures == 0);

    // shutdown() sends close_notify: the server sees the end of the stream, not an error.
    client->shutdown();
    REQUIRE(pump.until([&] { return server_ev.closed == 1 && client_ev.closed == 1; }));
    CHECK(server_ev.eof == 1);
    CHECK(server_ev.errors == 0);
    CHECK(client_ev.errors == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a TLS port refuses plain HTTP at once and counts it", "[net][tls]") {
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TlsServer server(loop, ev);
    const sockaddr_in addr = ip4(server.listener.port());
    RawClient* raw = RawClient::tcp(loop, reinterpret_cast<const sockaddr*>(&addr));
    REQUIRE(pump.until([&] { return raw->connected() && ev.accepted == 1; }));
    raw->start_reading();
    raw->write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    REQUIRE(pump.until([&] { return ev.closed == 1 && (raw->eof || raw->read_error != 0); }));
    CHECK(ev.errors == 1);
    CHECK(ev.last_error.category() == tls_category());
    CHECK(ev.last_error.message() == "http request");
    CHECK(ev.received.empty());
    CHECK(loop.stats().tls_handshake_failures == 1);
    raw->close();
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a client's verification failure reaches on_error with its reason", "[net][tls]") {
  Loop loop;
  Events server_ev, client_ev;
  {
    Pump pump(loop);
    TlsServer server(loop, server_ev, "expired");
    tls_client(loop, client_ev, server.listener.port(), "localhost", "never sent");
    REQUIRE(pump.until([&] { return client_ev.closed == 1 && server_ev.closed == 1; }));
    CHECK(client_ev.errors == 1);
    CHECK(client_ev.last_error.message() == "certificate verify failed: certificate has expired");
    CHECK(server_ev.errors == 1);  // the client's alert
    CHECK(server_ev.received.empty());
    CHECK(loop.stats().tls_handshake_failures == 2);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a TCP EOF without close_notify is an EOF", "[net][tls]") {
  Loop loop;
  Events server_ev, client_ev;
  {
    Pump pump(loop);
    TlsServer server(loop, server_ev);
    Recorder* client = tls_client(loop, client_ev, server.listener.port(), "localhost", "x");
    REQUIRE(pump.until([&] { return server_ev.received == "x"; }));
    // A FIN straight on the socket, past the session (a truncation attack or a crashed peer).
    auto* req = new uv_shutdown_t;
    REQUIRE(uv_shutdown(req, reinterpret_cast<uv_stream_t*>(client->handle()),
                        [](uv_shutdown_t* r, int) { delete r; }) == 0);
    REQUIRE(pump.until([&] { return server_ev.closed == 1; }));
    CHECK(server_ev.eof == 1);
    CHECK(server_ev.errors == 0);
    // The server's close() sent close_notify, then FIN: the client ends without an error.
    REQUIRE(pump.until([&] { return client_ev.closed == 1; }));
    CHECK(client_ev.eof == 1);
    CHECK(client_ev.errors == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a reload serves new TLS connections while an open one keeps echoing", "[net][tls]") {
  Loop loop;
  Events server_ev, old_ev, new_ev;
  server_ev.echo = true;
  {
    Pump pump(loop);
    TlsServer server(loop, server_ev);
    Recorder* old_client = tls_client(loop, old_ev, server.listener.port(), "localhost", "a");
    REQUIRE(pump.until([&] { return old_ev.received == "a"; }));
    server.holder->reload(server_config("other"));
    tls_client(loop, new_ev, server.listener.port(), "other.test", "b");
    REQUIRE(pump.until([&] { return new_ev.received == "b"; }));
    old_client->output().append(std::string("c"));
    REQUIRE(pump.until([&] { return old_ev.received == "ac"; }));
    CHECK(old_ev.errors == 0);
    CHECK(new_ev.errors == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}
