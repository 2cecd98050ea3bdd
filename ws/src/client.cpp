// Client: connects, reconnects, and reports one detail::Connection at a time (ClientLink).
// Over 400 lines: one attempt's stages (proxy choice, lookups, connect, proxy tunnel, TLS,
// upgrade) and the reconnect policy share the Impl's state and read best in one place.
//
// Proxies: the seam is net::TCPConnection::start_tunnel (net/src/tcp_connection_tunnel.cpp).
// This file only picks the proxy (ClientOptions::proxy or the environment), resolves the proxy
// (and, for socks5://, the target) and connects to the proxy; the connection runs the proxy
// handshake below TLS and reports back once the tunnel is open, so detail::Connection never sees
// a proxy byte and the upgrade starts exactly as on a direct connection.
#include "uvws/client.h"

#include <arpa/inet.h>
#include <uv.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "connection.h"
#include "endpoint.h"
#include "log.h"
#include "uvws/core/random.h"
#include "uvws/net/proxy.h"
#include "uvws/net/proxy_handshake.h"
#include "uvws/net/resolver.h"
#include "uvws/net/timer.h"
#include "uvws/version.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/http_request.h"

namespace uvws {
namespace {

void require(bool ok, const char* what) {
  detail::require_option(ok, "uvws::ClientOptions", what);
}

bool has_header(const ClientOptions& o, std::string_view name) {
  return std::any_of(o.headers.begin(), o.headers.end(),
                     [&](const auto& h) { return ws::ascii_iequals(h.first, name); });
}

ws::ClientProtocolOptions protocol_options(const ClientOptions& o) {
  detail::check_settings(detail::connection_settings(o), "uvws::ClientOptions");
  require(o.max_received_bytes > 0, "max_received_bytes must be > 0");
  require(o.connect_timeout.count() > 0, "connect_timeout must be > 0");
  for (auto d : {o.connect_timeout, o.reconnect.initial_delay, o.reconnect.max_delay}) {
    require(d.count() <= 0x7FFFFFFF, "timeouts and delays must be under 24 days");
  }
  const ReconnectOptions& r = o.reconnect;
  require(r.initial_delay.count() > 0, "reconnect.initial_delay must be > 0");
  require(r.max_delay >= r.initial_delay, "reconnect.max_delay must be >= initial_delay");
  require(r.multiplier >= 1.0 && r.multiplier <= 100.0, "reconnect.multiplier must be 1..100");
  require(r.jitter >= 0.0 && r.jitter <= 1.0, "reconnect.jitter must be 0..1");

  ws::ClientProtocolOptions p;
  p.headers = o.headers;
  if (!o.origin.empty() && !has_header(o, "Origin")) p.headers.emplace_back("Origin", o.origin);
  if (!has_header(o, "User-Agent")) {
    p.headers.emplace_back("User-Agent", o.user_agent.empty() ? version() : o.user_agent);
  }
  detail::set_protocol_limits(p, o, "uvws::ClientOptions");
  return p;
}

// An IP literal as a socket address (no lookup needed), or nothing.
bool parse_ip(const std::string& host, std::uint16_t port, sockaddr_storage& out) {
  out = {};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return true;
  out = {};
  return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

// An address as text without the port (IPv6 unbracketed), as a SOCKS5 request carries it.
std::string address_text(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&address), text, sizeof text);
  } else {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&address), text, sizeof text);
  }
  return text;
}

}  // namespace

struct Client::Impl final : detail::ClientLink {
  // Where the client is between connect() and the end.
  enum class Stage : std::uint8_t { idle, resolving, connecting, handshaking, open, waiting };

  Impl(Client& owner, net::Loop& l, std::string_view u, Handler& h, ClientOptions o)
      : client(owner),
        loop(l),
        handler(h),
        url(WebSocketUrl::parse(u)),
        options(std::move(o)),
        protocol(protocol_options(options)),
        resolver(l),
        timer(l) {
    settings = detail::connection_settings(options);
    // A header or subprotocol that cannot be sent is the caller's mistake, told now rather
    // than at every connect: build the request once with a sample key.
    try {
      ws::client_request(url.host_header, url.target,
                         "dGhlIHNhbXBsZSBub25jZQ==", protocol.subprotocols, {}, protocol.headers);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("uvws::ClientOptions: ") + e.what());
    }
    endpoint.handler = &handler;
    endpoint.settings = &settings;
    endpoint.client = this;
    // wss://: one context for every attempt (files read now: a bad one throws here).
    if (url.tls) tls = net::TlsContext::client(options.tls);
  }

  ~Impl() {
    *alive = false;
    resolver.cancel();
    timer.stop();
    if (conn == nullptr) return;
    // The application hears of the end now: the connection outlives this object only to
    // close its socket, detached.
    detail::Connection* c = conn;
    conn = nullptr;
    if (c->opened()) {
      call_app("on_close", [&] { handler.on_close(*c, ws::close_code::abnormal, {}); });
    }
    c->detach();
  }

  // Runs a callback of the application, which may destroy the Client or call it again (a
  // new connect(), a close()). Returns false when the Client is gone: nothing of it may be
  // touched then. Exceptions are logged: they would otherwise cross libuv's C frames.
  template <class F>
  bool call_app(const char* what, F&& callback) {
    const std::shared_ptr<bool> token = alive;
    try {
      callback();
    } catch (const std::exception& e) {
      detail::logger().error("{} threw: {}", what, e.what());
    } catch (...) {
      detail::logger().error("{} threw a non-std exception", what);
    }
    return *token;
  }

  // The connection is on its way out (a close, a failure): a connect() now must wait for it.
  bool ending() const {
    return conn != nullptr &&
           (user_closed || failing || conn->closing() || (conn->opened() && !conn->is_open()));
  }

  // --- Attempts ----------------------------------------------------------------------------

  void start() {
    stage = Stage::resolving;
    status = 0;
    failing = false;
    tcp_established = false;
    addresses.clear();
    next_address = 0;
    timer.start(static_cast<std::uint64_t>(options.connect_timeout.count()),
                [this] { connect_timed_out(); });
    if (!url.unix_path.empty()) {
      connect_next();
      return;
    }
    std::error_code proxy_error;
    proxy = choose_proxy(proxy_error);
    if (proxy_error) {
      // Reported from the loop, as every other failure of an attempt: connect() returns first.
      timer.start(0, [this, proxy_error] { attempt_failed(proxy_error); });
      return;
    }
    target_host = url.host;
    if (proxy && !net::proxy_resolves_names(*proxy)) {
      // socks5://: the request carries the target's address, looked up here.
      resolve(url.host, url.port, [this](std::vector<sockaddr_storage> found) {
        target_host = address_text(found.front());
        resolve(proxy->host, proxy->port, [this](auto at) { connect_first(std::move(at)); });
      });
      return;
    }
    if (proxy) {
      resolve(proxy->host, proxy->port, [this](auto at) { connect_first(std::move(at)); });
      return;
    }
    resolve(url.host, url.port, [this](auto at) { connect_first(std::move(at)); });
  }

  // The proxy for this attempt, or nullopt (none, or `error` set when its URL is bad).
  std::optional<net::ProxyConfig> choose_proxy(std::error_code& error) const {
    if (!options.proxy) {
      const std::string_view scheme = url.tls ? "wss" : "ws";
      if (options.proxy_env) return net::proxy_from_env(scheme, url.host, options.proxy_env, error);
      return net::proxy_from_env(scheme, url.host, net::process_env, error);
    }
    if (options.proxy->empty()) return std::nullopt;
    return net::parse_proxy_url(*options.proxy, error);
  }

  // Looks `host` up (an IP literal needs no lookup) and hands its addresses to `next`; a
  // failed lookup ends the attempt.
  template <class Next>
  void resolve(const std::string& host, std::uint16_t port, Next next) {
    stage = Stage::resolving;
    sockaddr_storage literal;
    if (parse_ip(host, port, literal)) {
      next(std::vector<sockaddr_storage>{literal});
      return;
    }
    resolver.resolve(host, port, [this, host, next](std::error_code ec, auto found) {
      if (ec || found.empty()) {
        if (!ec) ec = std::make_error_code(std::errc::host_unreachable);
        detail::logger().debug("client: cannot resolve {}: {}", host, ec.message());
        attempt_failed(ec);
        return;
      }
      next(std::move(found));
    });
  }

  void connect_first(std::vector<sockaddr_storage> found) {
    addresses = std::move(found);
    connect_next();
  }

  // Connects to the next address (or the Unix socket); the connection reports back through
  // tcp_result() and then this link.
  void connect_next() {
    stage = Stage::connecting;
    auto* c = net::TCPConnection::create<detail::Connection>(loop, endpoint, protocol);
    conn = c;
    // The callback runs while `c` exists; it reaches this Impl through the connection's link,
    // which a destroyed Client has detached.
    auto on_connect = [c](std::error_code ec) {
      if (auto* self = static_cast<Impl*>(c->endpoint()->client)) self->tcp_result(*c, ec);
    };
    if (!url.unix_path.empty()) {
      c->connect_unix(url.unix_path, on_connect);
      return;
    }
    const auto& address = addresses[next_address++];
    if (auto ec = c->connect(reinterpret_cast<const sockaddr*>(&address), on_connect)) {
      // Refused before starting (closed already): on_closed follows and tries the next one.
      last_error = ec;
    }
  }

  void tcp_result(detail::Connection& c, std::error_code ec) {
    if (ec) {
      // The connection closes; connection_closed() tries the next address. A connect that
      // connect_timed_out() cancelled reports ECANCELED: the cause stays the timeout.
      if (!(ec == std::errc::operation_canceled && last_error == std::errc::timed_out)) {
        last_error = ec;
      }
      return;
    }
    if (proxy) {
      // Through the proxy first: the stream reaches the target once on_open runs.
      auto on_open = [&c](std::error_code tunnel_ec) {
        auto* self = static_cast<Impl*>(c.endpoint()->client);
        if (self == nullptr) return;
        if (tunnel_ec) {
          self->proxy_failed(tunnel_ec);
        } else {
          self->tunnel_open(c);
        }
      };
      if (const std::error_code tunnel_ec =
              c.start_tunnel(net::make_proxy_handshake(*proxy, target_host, url.port), on_open)) {
        proxy_failed(tunnel_ec);  // the connection is closing already
      }
      return;
    }
    tunnel_open(c);
  }

  // The proxy refused or failed: the connection closes, and the attempt ends with this error
  // (the proxy's other addresses would hear the same request).
  void proxy_failed(std::error_code ec) {
    detail::logger().debug("client: proxy {}:{}: {}", proxy->host, proxy->port, ec.message());
    last_error = ec;
    next_address = addresses.size();
  }

  // The stream reaches the target (directly, or through the proxy's tunnel).
  void tunnel_open(detail::Connection& c) {
    // wss://: TLS first; the upgrade request below waits in the session until it is up.
    if (tls) {
      if (const std::error_code tls_ec = c.start_tls(tls, url.host)) {
        last_error = tls_ec;
        c.terminate();
        return;
      }
    }
    tcp_established = true;
    timer.stop();
    stage = Stage::handshaking;
    c.start_client_handshake(url.host_header, url.target);
  }

  void connect_timed_out() {
    last_error = std::make_error_code(std::errc::timed_out);
    if (stage == Stage::resolving) {
      resolver.cancel();
      attempt_failed(last_error);
    } else if (stage == Stage::connecting && conn != nullptr) {
      next_address = addresses.size();  // no time left for the others
      conn->terminate();                // connection_closed() reports it
    }
  }

  // An attempt ended before TCP was up (lookup, connect, timeout): the application hears it,
  // then the reconnect policy decides.
  void attempt_failed(std::error_code ec) {
    timer.stop();
    stage = Stage::idle;
    last_error = ec;
    if (!call_app("on_error", [&] { handler.on_error(nullptr, ec); })) return;
    if (stage != Stage::idle || conn != nullptr) return;  // the handler connected again
    retry();
  }

  void retry() {
    stage = Stage::idle;
    if (!options.reconnect.enabled || user_closed) return;
    const ReconnectOptions& r = options.reconnect;
    ++failures;
    if (r.max_attempts != 0 && failures > r.max_attempts) {
      if (client.on_give_up) call_app("on_give_up", [&] { client.on_give_up(last_error); });
      return;
    }
    // initial * multiplier^(n-1), capped, then jittered (so that many clients cut off at once
    // do not come back in step).
    double delay = static_cast<double>(r.initial_delay.count()) *
                   std::pow(r.multiplier, static_cast<double>(failures - 1));
    delay = std::min(delay, static_cast<double>(r.max_delay.count()));
    if (r.jitter > 0) {
      const double unit = static_cast<double>(core::random_mask_key()) / 4294967295.0;
      delay *= 1.0 - r.jitter + 2.0 * r.jitter * unit;
    }
    const auto wait = std::chrono::milliseconds(std::max<long long>(1, std::llround(delay)));
    stage = Stage::waiting;
    if (client.on_attempt &&
        !call_app("on_attempt", [&] { client.on_attempt(failures, wait, last_error); })) {
      return;
    }
    if (user_closed || stage != Stage::waiting) return;  // on_attempt closed or reconnected
    timer.start(static_cast<std::uint64_t>(wait.count()), [this] { start(); });
  }

  // --- detail::ClientLink ------------------------------------------------------------------

  void connection_opened() override {
    stage = Stage::open;
    status = 101;
    failures = 0;
    last_error = {};
    ping_outstanding = false;
  }
  void connection_failed(std::error_code ec, int http_status) override {
    last_error = ec;
    status = http_status;
    failing = true;
  }
  void keepalive_ping_sent() override {
    ping_sent_at = std::chrono::steady_clock::now();
    ping_outstanding = true;
  }
  void pong_received() override {
    if (!ping_outstanding) return;
    ping_outstanding = false;
    latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - ping_sent_at);
  }
  void close_requested() override {
    user_closed = true;
    timer.stop();
  }
  void connection_closed(bool was_open) override {
    conn = nullptr;
    if (connect_when_closed) {  // connect() came while this connection was ending
      connect_when_closed = false;
      user_closed = false;
      failures = 0;
      timer.stop();
      start();
      return;
    }
    if (user_closed) {
      stage = Stage::idle;
      return;
    }
    if (!was_open && !tcp_established) {
      if (next_address < addresses.size()) {
        connect_next();  // this address refused: the next one, within the same timeout
        return;
      }
      attempt_failed(last_error ? last_error : std::make_error_code(std::errc::not_connected));
      return;
    }
    if (was_open) last_error = {};  // ended with a close (or 1006, in on_close's code)
    retry();
  }

  Client& client;
  net::Loop& loop;
  Handler& handler;
  WebSocketUrl url;
  ClientOptions options;
  ws::ClientProtocolOptions protocol;
  std::shared_ptr<const net::TlsContext> tls;  // wss:// only
  std::optional<net::ProxyConfig> proxy;       // this attempt's proxy
  std::string target_host;  // the target as sent to the proxy (an address for socks5://)
  detail::ConnectionSettings settings;
  detail::Endpoint endpoint{{}, nullptr, nullptr, nullptr};
  net::Resolver resolver;
  net::Timer timer;  // connect timeout, then reconnect backoff
  detail::Connection* conn = nullptr;
  std::vector<sockaddr_storage> addresses;
  std::size_t next_address = 0;
  std::error_code last_error;
  unsigned failures = 0;
  int status = 0;  // handshake_status()
  Stage stage = Stage::idle;
  bool user_closed = false;
  bool connect_when_closed = false;  // connect() came while the connection was ending
  bool failing = false;              // connection_failed() for the current attempt
  // False once the Impl is destroyed: see call_app().
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  bool tcp_established = false;
  bool ping_outstanding = false;
  std::chrono::steady_clock::time_point ping_sent_at;
  std::chrono::microseconds latency{0};
};

Client::Client(net::Loop& loop, std::string_view url, Handler& handler, ClientOptions options)
    : impl_(std::make_unique<Impl>(*this, loop, url, handler, std::move(options))) {}

Client::~Client() = default;

void Client::connect() {
  Impl& i = *impl_;
  if (i.ending()) {
    // The connection is still on its way out (closed, failed): start once it is gone.
    i.connect_when_closed = true;
    return;
  }
  i.user_closed = false;
  if (i.stage != Impl::Stage::idle && i.stage != Impl::Stage::waiting) return;
  i.timer.stop();
  i.failures = 0;
  i.start();
}

void Client::close(std::uint16_t code, std::string_view reason) {
  Impl& i = *impl_;
  i.user_closed = true;
  i.connect_when_closed = false;
  i.timer.stop();
  i.resolver.cancel();
  if (i.conn == nullptr) {
    i.stage = Impl::Stage::idle;
    return;
  }
  if (i.conn->opened()) {
    i.conn->start_close(code, reason);
  } else {
    i.conn->terminate();
  }
}

WebSocket* Client::websocket() {
  Impl& i = *impl_;
  return i.conn != nullptr && i.conn->opened() ? i.conn : nullptr;
}

std::chrono::microseconds Client::latency() const {
  return impl_->latency;
}

int Client::handshake_status() const {
  return impl_->status;
}

}  // namespace uvws
