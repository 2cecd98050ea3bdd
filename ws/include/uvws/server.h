// Server: a WebSocket server on one or more libuv loops.
//
//   uvws::Server server({.port = 9001});
//   server.route("/chat", chat_handler);
//   server.run();   // until SIGINT/SIGTERM or stop(), then a graceful close
//
// Each of `threads` loops runs on its own thread with its own SO_REUSEPORT listener; a
// connection lives and dies on the loop that accepted it, and its Handler callbacks run
// there. Plain HTTP requests go to Handler::on_http (426 by default); paths without a route
// (and no "*" route) get 404. Routes may have parameters (server.route("/rooms/:id", h)) and
// options of their own (RouteOptions, uvws/route.h).
//
// Ownership: the Server owns its loops, listeners and connections; Handlers are the
// application's and must outlive run(). Threads: construct, route() and listen() on one
// thread before run(); stop() and port() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/handler.h"
#include "uvws/metrics.h"
#include "uvws/net/tls.h"
#include "uvws/route.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws {

namespace net {
class Clock;
class Loop;
}  // namespace net

// Server configuration: plain values with safe defaults. Invalid values make the Server
// constructor throw std::invalid_argument naming the field.
struct UVWS_EXPORT ServerOptions {
  std::string host = "0.0.0.0";  // "::" for IPv6 (and IPv4 where the system maps it)
  std::uint16_t port = 9001;     // 0: any free port (see Server::port())
  std::string unix_path;         // non-empty: listen on this Unix socket instead
  unsigned threads = 1;          // loops, each on its own thread with its own listener
  // The listen() backlog: connections the kernel queues before they are accepted.
  int backlog = 511;
  std::size_t max_connections = 100000;  // per server; more are accepted and closed at once

  // Protocol limits (RFC 6455 has none; these keep hostile peers bounded). A message over
  // max_message_size fails the connection with 1009. 1 MiB, as python-websockets: a chat
  // line or a JSON update is far smaller, and a server that takes larger messages (files,
  // images) says so here; each connection may hold that much while its message arrives.
  std::size_t max_message_size = 1u << 20;
  // The largest frame accepted (its header announces it); a bigger one closes with 1009.
  std::size_t max_frame_size = 1u << 20;
  std::size_t max_header_bytes = 8192;  // opening handshake: answered with 431 past these
  // The most request headers accepted (431 past it).
  std::size_t max_headers = 100;

  std::chrono::milliseconds handshake_timeout{10000};  // TCP accepted, no complete handshake
  std::chrono::milliseconds idle_timeout{120000};      // nothing received; 0 = off
  std::chrono::milliseconds ping_interval{0};          // ping idle peers this often; 0 = off
  std::chrono::milliseconds close_timeout{5000};       // wait this long for the peer's close frame

  // Bytes queued per connection before the policy; over it, the connection also stops reading
  // until the peer has read enough (so it cannot make us owe it more: echoes, pongs).
  std::size_t max_backpressure = 1u << 20;
  // What a send over max_backpressure does: drop it, or close with 1008.
  BackpressurePolicy backpressure_policy = BackpressurePolicy::drop;

  // All connections together: bytes held for messages still arriving and for output their
  // peers have not read. Over it, the connection holding the most is failed with 1009 (input)
  // or 1008 (output) and closed at once, until the sum is back within it. Split evenly among
  // the threads' loops; at least 1 MiB per thread.
  std::size_t memory_budget = 256u << 20;

  std::vector<std::string> allowed_origins;  // empty: any origin
  std::vector<std::string> subprotocols;     // supported, preferred first
  ws::DeflateOptions compression;            // permessage-deflate; off unless .enabled
  // A compressing connection that received nothing for this long gives its zlib state back,
  // keeping only the window context takeover needs (about 40 KiB less per quiet connection;
  // rebuilt at its next message); 0 = never.
  std::chrono::milliseconds compression_idle_release{10000};

  // Scale-out through Redis (docs/REDIS.md): every process on the same Redis shares its
  // topics. "redis://[user:password@]host[:port][/db]" or a Unix socket path; empty: off
  // (nothing Redis-related starts). Channels are redis_prefix + topic.
  std::string redis;
  std::string redis_prefix = "uvws:";  // the Redis channel of topic t is redis_prefix + t
  // Publishes waiting for Redis (link down, or written more slowly than made), in bytes; past
  // it a publish is dropped (RedisStats::dropped).
  std::size_t redis_queue_bytes = 8u << 20;
  // Messages of another process that never arrived (Redis restarted, a link cut): `lost` of
  // them on `topic`. Runs on the server's first loop; also counted in RedisStats.
  std::function<void(std::string_view topic, std::uint64_t lost)> on_redis_gap;

  // Count traffic for Server::metrics() and MetricsHandler: messages, bytes, control frames,
  // closes, deliveries, backpressure, and each loop's iteration lag: at most about 1.3 % of the
  // CPU per echoed message (docs/guide/11-metrics.md). false: none of these; what happens
  // at most once per connection or per publish is still counted (connections accepted and
  // refused, handshakes, publishes, drops, memory-budget failures).
  bool metrics = true;

  // run() stops gracefully on SIGINT / SIGTERM; with `tls`, SIGHUP reloads its certificate
  // files (reload_tls(); bad new files are logged and the old certificates kept).
  bool handle_signals = true;

  // TLS on the listening port (wss:// and https://), off unless set: certificate and key files,
  // SNI certificates, versions, ciphers, client certificates (uvws/net/tls.h). The files are
  // read by the constructor (std::invalid_argument with OpenSSL's reason if one is bad).
  std::optional<net::TlsServerConfig> tls;

  // For tests and simulations: the time every timeout above runs on, for all loops (e.g. a
  // net::ManualClock, uvws/net/clock.h, that the test advances); nullptr: real time. Not owned:
  // it must outlive the Server's loops (run() returns after closing them, else ~Server). With
  // a clock that stands still, stop() waits on it too: its close_timeout must pass on it.
  const net::Clock* clock = nullptr;
};

// The Redis bridge's counters (Server::redis_stats()); all zero when ServerOptions::redis is
// empty.
struct UVWS_EXPORT RedisStats {
  bool connected = false;        // both links (subscribe, publish) up
  std::uint64_t published = 0;   // messages of this process handed on to Redis
  std::uint64_t received = 0;    // messages of other processes delivered here
  std::uint64_t dropped = 0;     // publishes dropped: over redis_queue_bytes, or at shutdown
  std::uint64_t gaps = 0;        // sequence gaps seen in other processes' messages
  std::uint64_t lost = 0;        // the messages missing in those gaps
  std::uint64_t reconnects = 0;  // links re-established after a loss
};

// A WebSocket server (see the file comment): routes, loops, listeners and connections.
class UVWS_EXPORT Server {
 public:
  // Checks `options` (std::invalid_argument naming a bad field); binds nothing yet.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves `handler` on the paths `pattern` matches (the request target without its query):
  //   "/chat"        exactly that path;
  //   "/rooms/:id"   any one non-empty segment in place of ":id" (WebSocket::param("id"),
  //                  route_param() in on_http / on_upgrade);
  //   "/files/*"     a trailing wildcard: every path under "/files/" (param("*") is the rest,
  //                  possibly empty; "/files" itself is not matched);
  //   "*"            the catch-all: every path no other route matches.
  // Precedence, segment by segment from the left: an exact segment, then a parameter, then a
  // wildcard; the catch-all last. A branch that fails further down falls back to the next
  // choice, so "/rooms/new" and "/rooms/:id/log" may coexist. Matching costs O(segments).
  // Segments are compared as sent (not percent-decoded; "/a/" is not "/a").
  // `options` override the ServerOptions defaults for this route's connections.
  // Throws std::invalid_argument for a malformed pattern, one registered twice, one whose
  // parameter has another name than an earlier pattern's at the same place ("/r/:id" and
  // "/r/:name/x"), or a bad option; std::logic_error after listen().
  void route(std::string pattern, Handler& handler, RouteOptions options = {});

  // Binds the listeners now (run() does it if not done): throws std::system_error when the
  // address cannot be bound. After it, port() is the bound port.
  void listen();
  // The bound port (after listen(); the actual one when options.port is 0).
  std::uint16_t port() const;

  // Runs every loop until stop() (or a signal with handle_signals): `threads - 1` new threads
  // plus the calling one. Returns after the graceful shutdown: listeners closed, every
  // connection sent 1001 and given close_timeout to answer, every loop closed.
  void run();
  // Starts the graceful shutdown; any thread, any number of times.
  void stop();

  // Open WebSocket connections (from on_open to on_close), all loops together; any thread
  // (approximate while connections come and go on other threads).
  std::size_t connection_count() const;
  // Accepted TCP connections, all loops together: open WebSockets, handshakes under way, plain
  // HTTP requests and connections closing. What max_connections limits. Any thread.
  std::size_t tcp_connection_count() const;

  // The server's counters, all loops together (uvws/metrics.h; MetricsHandler serves them to
  // Prometheus). Any thread, after listen(); before it, all zero.
  ServerMetrics metrics() const;

  // The server's loops, for the application's own work next to its connections: a
  // net::Timer, a Client, a task. There are options().threads of them, from listen() (or
  // run()) until run() returns; loop(i) before listen() throws std::logic_error. A loop's
  // members are for its own thread (net/loop.h), except post().
  net::Loop& loop(unsigned index);
  // Runs `task` on loop `index`'s thread (any thread, after listen()); false when the loop no
  // longer takes tasks (it is closing). An exception `task` throws is logged.
  bool post(unsigned index, std::function<void()> task);

  // Pub/sub from outside the loops (any thread once listen() has returned; before run() the
  // message waits in the loops' queues):
  // `data` goes as one message to every subscriber of `topic` on every loop. Framed once; the
  // bytes are shared by all subscribers. Messages published from one thread keep their order.
  void publish(std::string_view topic, std::span<const std::uint8_t> data,
               Opcode opcode = Opcode::text);
  void publish(std::string_view topic, std::string_view data, Opcode opcode = Opcode::text) {
    publish(topic, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, opcode);
  }
  // Subscribers of `topic` on all loops (any thread; exact between subscribe/unsubscribe
  // calls, which update it under a lock).
  std::size_t subscribers(std::string_view topic) const;

  // The Redis bridge's counters (any thread).
  RedisStats redis_stats() const;

  // The options the server was made with.
  const ServerOptions& options() const;

  // Certificate reload (any thread, e.g. on SIGHUP after a renewal): connections accepted from
  // now on use the new certificates, open ones keep theirs. Reads the files of the last
  // configuration loaded again (options().tls, or the last one the overload loaded); the
  // overload takes a new configuration. Throws std::invalid_argument (OpenSSL's reason),
  // keeping the current certificates, if a file is bad; std::logic_error if TLS is off.
  void reload_tls();
  void reload_tls(const net::TlsServerConfig& config);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace uvws
