#include "uvws/server.h"

#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "connection.h"
#include "redis_bridge.h"
#include "server_context.h"
#include "uvws/core/log.h"

namespace uvws {

struct Server::Impl {
  detail::ServerShared shared;
  std::vector<std::unique_ptr<detail::LoopContext>> loops;
  std::atomic<std::uint16_t> port{0};
  std::atomic<bool> stop_requested{false};
  bool listening = false;
  bool running = false;
  std::shared_ptr<net::TlsContextHolder> tls;  // ServerOptions::tls; reload_tls() swaps it
  std::mutex tls_config_mutex;
  std::optional<net::TlsServerConfig> tls_config;  // the last loaded; guarded by the mutex
  std::unique_ptr<detail::RedisBridge> redis;      // ServerOptions::redis; made by listen()
};

namespace {

void require(bool ok, const char* what) {
  detail::require_option(ok, "uvws::ServerOptions", what);
}

void validate(const ServerOptions& o) {
  require(o.threads >= 1 && o.threads <= 256, "threads must be 1..256");
  require(!o.host.empty() || !o.unix_path.empty(), "host (or unix_path) must be set");
  require(o.backlog > 0, "backlog must be > 0");
  require(o.max_connections > 0, "max_connections must be > 0");
  require(o.memory_budget >= o.threads * std::size_t{1u << 20},
          "memory_budget must be at least 1 MiB per thread");
  detail::check_settings(detail::connection_settings(o), "uvws::ServerOptions");
  if (!o.redis.empty()) detail::parse_redis_url(o.redis);  // throws std::invalid_argument
  require(o.redis_queue_bytes > 0, "redis_queue_bytes must be > 0");
}

ws::ServerProtocolOptions protocol_options(const ServerOptions& o, bool frame_mode,
                                           const char* options_name) {
  ws::ServerProtocolOptions p;
  p.frame_mode = frame_mode;
  p.allowed_origins = o.allowed_origins;
  detail::set_protocol_limits(p, o, options_name);
  return p;
}

// Loop thread: stop accepting and close every connection gracefully; run() returns once the
// last one is gone (or its close timeout ran out).
// Closes every handle of a loop that has stopped; uv_loop_close must then succeed (anything
// else is a handle leaked by uvws, worth an error in the log).
void close_loop(detail::LoopContext& ctx) {
  ctx.listener.reset();
  if (auto ec = ctx.loop.close_all()) {
    core::log(core::Layer::ws).error("a loop did not close cleanly: {}", ec.message());
  }
  ctx.metrics.publish();  // the last iteration's messages (the flush hook is gone)
}

void begin_shutdown(detail::LoopContext& ctx) {
  if (ctx.shutting_down) return;
  ctx.shutting_down = true;
  if (detail::RemotePublisher* redis = ctx.topics.remote()) redis->shutdown();
  if (ctx.listener) ctx.listener->close();
  if (ctx.lag) ctx.lag->stop();  // its timer would keep the loop running
  for (net::TCPConnection* c : ctx.loop.connections()) {
    static_cast<detail::Connection*>(c)->start_close(ws::close_code::going_away,
                                                     "server shutting down");
  }
}

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  validate(options);
  impl_->shared.protocol = protocol_options(options, false, "uvws::ServerOptions");
  impl_->shared.settings = detail::connection_settings(options);
  if (options.tls) impl_->tls = std::make_shared<net::TlsContextHolder>(*options.tls);
  impl_->shared.options = std::move(options);
}

Server::~Server() {
  if (impl_->redis) impl_->redis->close();
  // Loops that never ran (listen() without run()) are closed here, on the owning thread.
  for (auto& ctx : impl_->loops) close_loop(*ctx);
}

const ServerOptions& Server::options() const {
  return impl_->shared.options;
}

void Server::route(std::string pattern, Handler& handler, RouteOptions options) {
  if (impl_->listening) throw std::logic_error("uvws::Server::route: call before listen()/run()");
  auto route = std::make_unique<detail::Route>(detail::RoutePattern(std::move(pattern)), handler);
  // The server's options with the route's overrides, checked as the server's are.
  ServerOptions o = impl_->shared.options;
  if (options.max_message_size) o.max_message_size = *options.max_message_size;
  if (options.max_frame_size) o.max_frame_size = *options.max_frame_size;
  if (options.idle_timeout) o.idle_timeout = *options.idle_timeout;
  if (options.ping_interval) o.ping_interval = *options.ping_interval;
  if (options.compression) o.compression = *options.compression;
  if (options.max_backpressure) o.max_backpressure = *options.max_backpressure;
  if (options.backpressure_policy) o.backpressure_policy = *options.backpressure_policy;
  route->settings = detail::connection_settings(o);
  detail::check_settings(route->settings, "uvws::RouteOptions");
  route->protocol = protocol_options(o, false, "uvws::RouteOptions");
  route->protocol_frame_mode = protocol_options(o, true, "uvws::RouteOptions");
  route->keep_request = options.keep_request;
  route->keep_headers = std::move(options.keep_headers);
  impl_->shared.router.add(*route);  // throws for a duplicate or a conflict
  impl_->shared.routes.push_back(std::move(route));
}

void Server::listen() {
  if (impl_->listening) return;
  const ServerOptions& o = impl_->shared.options;
  net::ListenOptions lo;
  lo.host = o.host;
  lo.port = o.port;
  lo.unix_path = o.unix_path;
  lo.backlog = o.backlog;
  lo.reuse_port = o.threads > 1;
  for (unsigned i = 0; i < o.threads; ++i) {
    auto ctx = std::make_unique<detail::LoopContext>(impl_->shared);
    detail::LoopContext* raw = ctx.get();
    ctx->loop.set_context(raw);  // how connections find their LoopContext
    ctx->budget.limit = o.memory_budget / o.threads;
    // Published frames go out once per iteration, one writev per subscriber (topics.h).
    ctx->loop.set_flush_hook([raw] {
      raw->metrics.publish();  // the rest of the iteration's counts (after_receive: a read's)
      raw->topics.flush();
      raw->drops.report();
    });
    ctx->listener = std::make_unique<net::TCPListener>(
        ctx->loop, [raw](net::Loop& loop) -> net::TCPConnection* {
          const auto& shared = raw->shared;
          if (raw->shutting_down || shared.connections.load(std::memory_order_relaxed) >=
                                        shared.options.max_connections) {
            raw->metrics.refused.add();
            return nullptr;  // accepted and closed at once
          }
          return net::TCPConnection::create<detail::Connection>(loop);
        });
    if (impl_->tls) ctx->listener->set_tls(impl_->tls);
    if (auto ec = ctx->listener->listen(lo)) {
      throw std::system_error(
          ec, "uvws::Server: cannot listen on " +
                  (o.unix_path.empty() ? o.host + ":" + std::to_string(lo.port) : o.unix_path));
    }
    // With port 0 the first listener picks the port; the others share it (SO_REUSEPORT).
    if (i == 0) lo.port = ctx->listener->port();
    impl_->shared.loops.push_back(ctx.get());
    if (o.metrics) ctx->lag = std::make_unique<detail::LoopLag>(ctx->loop, ctx->metrics);
    impl_->loops.push_back(std::move(ctx));
  }
  if (!o.redis.empty()) {
    impl_->redis = std::make_unique<detail::RedisBridge>(impl_->shared, *impl_->loops[0]);
  }
  impl_->port.store(lo.port, std::memory_order_release);
  impl_->listening = true;
  if (o.handle_signals) {
    // Watched from listen() on, so that a signal between listen() and run() (a program that
    // prints its port and is stopped at once) is a graceful stop, not the default death: libuv
    // holds the signal until the loop runs.
    impl_->loops[0]->loop.watch_signals({SIGINT, SIGTERM}, [this](int signum) {
      core::log(core::Layer::ws).info("signal {}: closing gracefully", signum);
      stop();
    });
    // SIGHUP re-reads the certificate files, as servers conventionally do; new connections get
    // them. The files are read on loop 0, once per signal.
    if (impl_->tls) {
      impl_->loops[0]->loop.watch_signals({SIGHUP}, [this](int) {
        try {
          reload_tls();
          core::log(core::Layer::ws).info("SIGHUP: TLS certificates reloaded");
        } catch (const std::exception& e) {
          core::log(core::Layer::ws).error("SIGHUP: TLS certificates kept: {}", e.what());
        }
      });
    }
  }
  core::log(core::Layer::ws)
      .info("listening on {} ({} thread{})",
            o.unix_path.empty() ? o.host + ":" + std::to_string(lo.port) : o.unix_path, o.threads,
            o.threads == 1 ? "" : "s");
}

void Server::reload_tls() {
  if (!impl_->tls) throw std::logic_error("uvws::Server::reload_tls: TLS is off");
  std::optional<net::TlsServerConfig> config;
  {
    std::lock_guard lock(impl_->tls_config_mutex);
    config = impl_->tls_config ? impl_->tls_config : impl_->shared.options.tls;
  }
  reload_tls(*config);
}

void Server::reload_tls(const net::TlsServerConfig& config) {
  if (!impl_->tls) throw std::logic_error("uvws::Server::reload_tls: TLS is off");
  impl_->tls->reload(config);  // throws, keeping the current certificates, if a file is bad
  std::lock_guard lock(impl_->tls_config_mutex);
  impl_->tls_config = config;  // what reload_tls() (and SIGHUP) read from now on
}

std::uint16_t Server::port() const {
  return impl_->port.load(std::memory_order_acquire);
}

void Server::run() {
  listen();
  if (impl_->running) throw std::logic_error("uvws::Server::run: already running");
  impl_->running = true;
  auto& loops = impl_->loops;
  if (impl_->redis) impl_->redis->start();  // on loop 0's thread, before any loop runs
  // A stop() that came before run() is honoured now.
  if (impl_->stop_requested.load()) {
    for (auto& ctx : loops) begin_shutdown(*ctx);
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops.size(); ++i) {
    detail::LoopContext* ctx = loops[i].get();
    threads.emplace_back([ctx] {
      ctx->loop.run();
      close_loop(*ctx);
    });
  }
  loops[0]->loop.run();
  if (impl_->redis) impl_->redis->close();
  close_loop(*loops[0]);
  for (auto& t : threads) t.join();
  impl_->running = false;
}

void Server::stop() {
  impl_->stop_requested.store(true);
  for (auto& ctx : impl_->loops) {
    detail::LoopContext* raw = ctx.get();
    raw->loop.post([raw] { begin_shutdown(*raw); });
  }
}

void Server::publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode) {
  detail::require_data_opcode(opcode, "Server::publish");
  // From any thread: every loop, this one included, gets a posted task.
  detail::fan_out(impl_->shared, nullptr, topic, detail::make_frame(opcode, data), nullptr);
}

std::size_t Server::subscribers(std::string_view topic) const {
  return impl_->shared.topic_counts.get(topic);
}

RedisStats Server::redis_stats() const {
  return impl_->redis ? impl_->redis->stats() : RedisStats{};
}

std::size_t Server::connection_count() const {
  return impl_->shared.open_websockets.load(std::memory_order_relaxed);
}

ServerMetrics Server::metrics() const {
  return detail::collect_metrics(impl_->shared);
}

std::size_t Server::tcp_connection_count() const {
  return impl_->shared.connections.load(std::memory_order_relaxed);
}

net::Loop& Server::loop(unsigned index) {
  if (!impl_->listening) throw std::logic_error("uvws::Server::loop: call listen() first");
  if (index >= impl_->loops.size()) throw std::out_of_range("uvws::Server::loop: no such loop");
  return impl_->loops[index]->loop;
}

bool Server::post(unsigned index, std::function<void()> task) {
  return loop(index).post(std::move(task));
}

}  // namespace uvws
