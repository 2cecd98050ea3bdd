// Endpoint: what a detail::Connection serves — a server route or a client. Private to ws/src.
//
// A server's routes are Endpoints owned by the Server (ServerShared) and shared by every
// connection of the route; a Client owns the Endpoint of its connections. Either outlives the
// connections that point to it (a Client detaches its connection before it goes). Read-only
// once connections exist; any loop thread reads it without locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <system_error>

#include "uvws/handler.h"
#include "uvws/websocket.h"

namespace uvws::detail {

class Connection;

// The timeouts and the backpressure limit of a connection (from ServerOptions or
// ClientOptions).
struct ConnectionSettings {
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{0};   // 0 = off
  std::chrono::milliseconds ping_interval{0};  // 0 = off
  std::chrono::milliseconds close_timeout{5000};
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
  c.max_backpressure = o.max_backpressure;
  c.backpressure_policy = o.backpressure_policy;
  return c;
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
  std::string path;  // the route's path (server); empty on clients
  Handler* handler;
  const ConnectionSettings* settings;
  ClientLink* client = nullptr;  // client connections only
};

}  // namespace uvws::detail
