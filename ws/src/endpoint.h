// Endpoint: what a detail::Connection serves — a server route or a client. Private to ws/src.
//
// A server's routes are Endpoints owned by the Server (ServerShared) and shared by every
// connection of the route; a Client owns the Endpoint of its connections. Either outlives the
// connections that point to it (a Client detaches its connection before it goes). Read-only
// once connections exist; any loop thread reads it without locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

#include "uvws/handler.h"
#include "uvws/websocket.h"

namespace uvws::detail {

class Connection;
struct Route;

// The timeouts and the backpressure limit of a connection (from ServerOptions or
// ClientOptions).
struct ConnectionSettings {
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{0};   // 0 = off
  std::chrono::milliseconds ping_interval{0};  // 0 = off
  std::chrono::milliseconds close_timeout{5000};
  std::chrono::milliseconds compression_idle_release{0};  // 0 = off
  std::size_t max_backpressure = 1u << 20;
  BackpressurePolicy backpressure_policy = BackpressurePolicy::drop;
};

// The settings of ServerOptions or ClientOptions (same field names).
template <class Options>
ConnectionSettings connection_settings(const Options& o) {
  ConnectionSettings c;
  c.handshake_timeout = o.handshake_timeout;
  c.idle_timeout = o.idle_timeout;
  c.ping_interval = o.ping_interval;
  c.close_timeout = o.close_timeout;
  c.compression_idle_release = o.compression_idle_release;
  c.max_backpressure = o.max_backpressure;
  c.backpressure_policy = o.backpressure_policy;
  return c;
}

// Throws std::invalid_argument("NAME: WHAT") unless `ok`: how ServerOptions and ClientOptions
// report a bad field (NAME is "uvws::ServerOptions" or "uvws::ClientOptions").
inline void require_option(bool ok, const char* options_name, const char* what) {
  if (!ok) throw std::invalid_argument(std::string(options_name) + ": " + what);
}

// The checks of the fields ConnectionSettings takes from either options struct.
inline void check_settings(const ConnectionSettings& s, const char* options_name) {
  const auto require = [options_name](bool ok, const char* what) {
    require_option(ok, options_name, what);
  };
  require(s.handshake_timeout.count() > 0, "handshake_timeout must be > 0");
  require(s.close_timeout.count() > 0, "close_timeout must be > 0");
  require(s.idle_timeout.count() >= 0, "idle_timeout must be >= 0 (0 = off)");
  require(s.ping_interval.count() >= 0, "ping_interval must be >= 0 (0 = off)");
  require(s.compression_idle_release.count() >= 0,
          "compression_idle_release must be >= 0 (0 = off)");
  require(s.max_backpressure > 0, "max_backpressure must be > 0");
  for (auto d : {s.handshake_timeout, s.idle_timeout, s.ping_interval, s.close_timeout,
                 s.compression_idle_release}) {
    require(d.count() <= 0x7FFFFFFF, "timeouts must be under 24 days");
  }
}

// The protocol limits ServerOptions and ClientOptions share (same field names), set on `p`
// (ServerProtocolOptions or ClientProtocolOptions) and validated with the options' name.
template <class Protocol, class Options>
void set_protocol_limits(Protocol& p, const Options& o, const char* options_name) {
  p.max_message_size = o.max_message_size;
  p.max_frame_size = o.max_frame_size;
  p.http.max_header_bytes = o.max_header_bytes;
  p.http.max_headers = o.max_headers;
  p.subprotocols = o.subprotocols;
  p.deflate = o.compression;
  try {
    p.validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(options_name) + ": " + e.what());
  }
}

// A client connection's owner, told of the connection's life cycle (Client::Impl implements
// it). Loop thread only; each call comes before the matching Handler callback, so that the
// Client's state is current when the application looks, except connection_closed().
class ClientLink {
 public:
  // The handshake succeeded; on_open is about to run.
  virtual void connection_opened() = 0;
  // A failure: TCP connect, handshake (`http_status` is the refused response's status, or 0),
  // timeout, protocol violation, I/O error. The connection closes after it.
  virtual void connection_failed(std::error_code ec, int http_status) = 0;
  // The application closed the connection (WebSocket::close or a handle's close): no
  // reconnect after it.
  virtual void close_requested() = 0;
  // A keepalive ping went out / a pong came back.
  virtual void keepalive_ping_sent() = 0;
  virtual void pong_received() = 0;
  // The last call: TCP is closed (after on_close when the connection had opened).
  virtual void connection_closed(bool was_open) = 0;

 protected:
  ~ClientLink() = default;
};

struct Endpoint {
  std::string path;  // the route's pattern as registered (server); empty on clients
  Handler* handler;
  const ConnectionSettings* settings;
  ClientLink* client = nullptr;  // client connections only
  const Route* route = nullptr;  // server connections only: the route (router.h)
};

}  // namespace uvws::detail
