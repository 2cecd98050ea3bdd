#include <catch2/catch.hpp>

#include <string>

#include "net/net_test_util.h"
#include "net/recorder.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tcp_listener.h"

using namespace uvws::net;
using namespace uvws::net::test;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

// Bytes whose value depends on their position, so that a reordering or a loss shows.
std::string pattern(std::size_t n, std::size_t offset = 0) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((offset + i) % 251);
  return s;
}

ListenOptions loopback() {
  ListenOptions o;
  o.host = "127.0.0.1";
  return o;
}

// Connects a raw client to `listener` and waits until the server side accepted it.
RawClient* connect_client(Loop& loop, Pump& pump, TCPListener& listener, Events& ev) {
  const int before = ev.accepted;
  const sockaddr_in addr = ip4(listener.port());
  RawClient* client = RawClient::tcp(loop, reinterpret_cast<const sockaddr*>(&addr));
  REQUIRE(pump.until([&] { return client->connected() && ev.accepted == before + 1; }));
  return client;
}

}  // namespace

TEST_CASE("a connection fits in 320 bytes including libuv's handle", "[net][connection]") {
  STATIC_REQUIRE(sizeof(TCPConnection) <= 320);
  CHECK(sizeof(TCPConnection) - sizeof(uv_tcp_t) <= 72);
}

TEST_CASE("bytes echo through a connection subclass to a raw libuv client", "[net][connection]") {
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* client = connect_client(loop, pump, listener, ev);
    client->start_reading();
    client->write("hello");
    REQUIRE(pump.until([&] { return client->received == "hello"; }));
    CHECK(ev.received == "hello");
    CHECK(loop.stats().reads >= 1);
    CHECK(loop.stats().try_writes == 1);
    CHECK(loop.stats().writes == 0);
    CHECK(ev.peer.rfind("127.0.0.1:", 0) == 0);
    CHECK(ev.conns.at(0)->remote_address() == ev.peer);
    CHECK(ev.conns.at(0)->buffered_amount() == 0);

    client->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));
    CHECK(ev.eof == 1);
    CHECK(ev.errors == 0);
    CHECK(loop.connection_count() == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("writes made in one loop iteration leave in one write syscall", "[net][connection]") {
  Loop loop;
  Events ev;
  ev.echo = false;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* a = connect_client(loop, pump, listener, ev);
    RawClient* b = connect_client(loop, pump, listener, ev);
    a->start_reading();
    b->start_reading();
    TCPConnection* ca = ev.conns.at(0);
    TCPConnection* cb = ev.conns.at(1);

    const LoopStats s0 = loop.stats();
    loop.post([&] {
      for (int i = 0; i < 100; ++i) ca->output().append(std::string_view("a"));
      CHECK(ca->buffered_amount() == 100);
    });
    REQUIRE(pump.until([&] { return a->received.size() == 100; }));
    CHECK(loop.stats().try_writes - s0.try_writes == 1);
    CHECK(loop.stats().writes == s0.writes);

    // The cork moves to whichever connection writes, flushing the previous holder first.
    const LoopStats s1 = loop.stats();
    loop.post([&] {
      ca->output().append(std::string_view("1"));
      ca->output().append(std::string_view("2"));
      cb->output().append(std::string_view("x"));
      cb->output().append(std::string_view("y"));
      ca->output().append(std::string_view("3"));
    });
    REQUIRE(pump.until([&] { return a->received.size() == 103 && b->received == "xy"; }));
    CHECK(a->received.substr(100) == "123");
    CHECK(loop.stats().try_writes - s1.try_writes == 3);
    a->close();
    b->close();
    REQUIRE(pump.until([&] { return ev.closed == 2; }));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a peer that stops reading makes bytes queue, and on_drain fires once it reads",
          "[net][connection]") {
  Loop loop;
  Events ev;
  ev.echo = false;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* client = connect_client(loop, pump, listener, ev);  // not reading
    TCPConnection* c = ev.conns.at(0);

    const std::string first = pattern(16 * MiB);
    c->output().append(first);
    CHECK(c->buffered_amount() == first.size());
    pump.run_for(100);
    const std::size_t queued = c->buffered_amount();
    CHECK(queued > 0);
    CHECK(loop.stats().writes == 1);
    CHECK(ev.drains == 0);

    // Output during a write in flight queues behind it.
    const std::string second = pattern(1 * MiB, first.size());
    c->output().append(second);
    CHECK(c->buffered_amount() == queued + second.size());

    client->start_reading();
    REQUIRE(
        pump.until([&] { return client->received.size() == first.size() + second.size(); }, 20000));
    REQUIRE(pump.until([&] { return ev.drains == 1; }));
    CHECK(client->received == first + second);
    CHECK(c->buffered_amount() == 0);
    CHECK(loop.stats().writes == 2);
    client->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a graceful shutdown delivers every queued byte before the FIN", "[net][connection]") {
  Loop loop;
  Events ev;
  ev.echo = false;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* client = connect_client(loop, pump, listener, ev);
    TCPConnection* c = ev.conns.at(0);

    const std::string first = pattern(16 * MiB);
    const std::string second = pattern(1 * MiB, first.size());
    c->output().append(first);
    c->flush();                  // partly written, the rest in flight
    c->output().append(second);  // the backlog behind it
    c->shutdown();
    const std::size_t queued = c->buffered_amount();
    c->output().append(std::string_view("dropped after shutdown"));
    CHECK(c->buffered_amount() == queued);

    client->start_reading();
    REQUIRE(pump.until([&] { return client->eof; }, 20000));
    CHECK(client->received == first + second);
    CHECK(ev.errors == 0);

    // Half-closed: the connection still reads.
    client->write("bye");
    REQUIRE(pump.until([&] { return ev.received == "bye"; }));
    CHECK(ev.closed == 0);
    client->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));
    CHECK(ev.eof == 1);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("abort resets the connection while close ends it with a FIN", "[net][connection]") {
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* reset = connect_client(loop, pump, listener, ev);
    RawClient* fin = connect_client(loop, pump, listener, ev);
    reset->start_reading();
    fin->start_reading();

    ev.conns.at(0)->output().append(std::string_view("never sent"));
    ev.conns.at(0)->abort();
    ev.conns.at(1)->output().append(std::string_view("last words"));
    ev.conns.at(1)->close();
    ev.conns.at(1)->close();  // idempotent
    CHECK(ev.conns.at(0)->closing());
    REQUIRE(pump.until([&] { return reset->read_error != 0 && fin->eof; }));
    CHECK(reset->read_error == UV_ECONNRESET);
    CHECK(reset->received.empty());
    CHECK(fin->received == "last words");
    CHECK(ev.closed == 2);
    reset->close();
    fin->close();
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a client connection connects, and a refused connect reports ECONNREFUSED",
          "[net][connection]") {
  Loop loop;
  Events server_ev;
  Events client_ev;
  client_ev.echo = false;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(server_ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    const sockaddr_in addr = ip4(listener.port());

    auto* client = TCPConnection::create<Recorder>(loop, client_ev);
    int calls = 0;
    std::error_code result = uv_error(UV_EINVAL);
    REQUIRE_FALSE(
        client->connect(reinterpret_cast<const sockaddr*>(&addr), [&](std::error_code ec) {
          ++calls;
          result = ec;
          client->output().append(std::string_view("ping"));
        }));
    REQUIRE(pump.until([&] { return client_ev.received == "ping"; }));
    CHECK(calls == 1);
    CHECK_FALSE(result);
    CHECK(client->reading());
    CHECK(client->remote_address() == "127.0.0.1:" + std::to_string(listener.port()));
    client->close();
    REQUIRE(pump.until([&] { return client_ev.closed == 1 && server_ev.closed == 1; }));

    // Nothing listens on this port any more.
    listener.close();
    Events refused_ev;
    auto* refused = TCPConnection::create<Recorder>(loop, refused_ev);
    std::error_code refused_result;
    REQUIRE_FALSE(refused->connect(reinterpret_cast<const sockaddr*>(&addr),
                                   [&](std::error_code ec) { refused_result = ec; }));
    REQUIRE(pump.until([&] { return refused_ev.closed == 1; }));
    CHECK(refused_result == uv_error(UV_ECONNREFUSED));
    CHECK(refused_ev.errors == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a connection's timer fires after its delay, touch postpones it, disarm cancels it",
          "[net][connection][timer]") {
  LoopOptions options;
  options.timer_tick_ms = 10;
  Loop loop(options);
  Events ev;
  {
    Pump pump(loop);
    // A timer needs no socket: this connection is never started.
    auto* c = TCPConnection::create<Recorder>(loop, ev);
    CHECK(loop.connection_count() == 1);
    CHECK(loop.connections().size() == 1);

    uv_update_time(loop.uv());
    const std::uint64_t t0 = uv_now(loop.uv());
    c->arm_timer(200);
    CHECK(c->timer_armed());
    CHECK(loop.connections().size() == 1);
    REQUIRE(pump.until([&] { return ev.timers == 1; }));
    CHECK(ev.timer_at - t0 >= 200);
    CHECK(ev.timer_at - t0 < 300);
    CHECK_FALSE(c->timer_armed());

    c->arm_timer(150);
    pump.run_for(100);
    c->touch();
    pump.run_for(100);
    c->touch();
    const std::uint64_t last_touch = uv_now(loop.uv());
    REQUIRE(pump.until([&] { return ev.timers == 2; }));
    CHECK(ev.timer_at - last_touch >= 150);
    CHECK(ev.timer_at - last_touch < 250);

    c->arm_timer(50);
    c->disarm_timer();
    pump.run_for(120);
    CHECK(ev.timers == 2);

    c->close();
    REQUIRE(pump.until([&] { return ev.closed == 1; }));
    CHECK(loop.connection_count() == 0);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a hook that throws closes only its own connection", "[net][connection]") {
  Loop loop;
  Events ev;
  {
    Pump pump(loop);
    TCPListener listener(loop, recorder_factory(ev));
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* bad = connect_client(loop, pump, listener, ev);
    RawClient* good = connect_client(loop, pump, listener, ev);
    bad->start_reading();
    good->start_reading();
    ev.throw_on_data = true;
    bad->write("boom");
    REQUIRE(pump.until([&] { return bad->eof; }));
    CHECK(ev.closed == 1);
    ev.throw_on_data = false;
    good->write("fine");
    REQUIRE(pump.until([&] { return good->received == "fine"; }));
    bad->close();
    good->close();
    REQUIRE(pump.until([&] { return ev.closed == 2; }));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("close_all closes the connections and listeners left open", "[net][loop]") {
  Loop loop;
  Events ev;
  TCPListener listener(loop, recorder_factory(ev));
  {
    Pump pump(loop);
    REQUIRE_FALSE(listener.listen(loopback()));
    RawClient* client = connect_client(loop, pump, listener, ev);
    ev.conns.at(0)->arm_timer(10000);
    client->close();
  }
  CHECK(listener.listening());
  REQUIRE_FALSE(loop.close_all());
  CHECK(ev.closed == 1);
  CHECK_FALSE(listener.listening());
  CHECK(loop.connection_count() == 0);
  CHECK_FALSE(loop.post([] {}));
}
