// Handler: the application's callbacks for one route (server) or one client connection.
//
// Subclass it, override what you need, and register it with Server::route (or give it to a
// Client). One Handler object serves every connection of its route, on every loop thread of
// the server, so with threads > 1 its callbacks may run concurrently for different
// connections: keep per-connection state in user data (TypedHandler) and guard shared state.
//
// Guarantees, per connection:
//  - every callback runs on the connection's loop thread;
//  - on_open runs at most once, and before any other callback of that connection except
//    on_http and on_error;
//  - on_close runs exactly once if and only if on_open ran, and is the last callback;
//  - a handshake that fails (bad request, refused origin, timeout) goes to on_error only;
//  - an exception thrown by a callback is caught at the loop boundary, logged, and closes
//    that connection with 1011 (on_close still follows if on_open ran).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/websocket.h"
#include "uvws/ws/http_request.h"

namespace uvws {

using ws::HTTPRequest;

// The answer to a plain HTTP request (one without Upgrade: websocket), filled by on_http.
struct UVWS_EXPORT HTTPReply {
  // The HTTP status.
  int status = 426;
  // The Content-Type of the body.
  std::string content_type = "text/plain; charset=utf-8";
  // The response body.
  std::string body = "426 Upgrade Required: this endpoint speaks WebSocket\n";
  // Extra response headers.
  std::vector<std::pair<std::string, std::string>> headers;
};

// What on_upgrade decides for a WebSocket upgrade request.
struct UVWS_EXPORT UpgradeDecision {
  // False refuses the request with `status` (403 by default) and closes.
  bool accept = true;
  // The HTTP status of a refusal.
  int status = 403;
  // The subprotocol to answer with (one the client offered); empty lets the server choose
  // from its supported list.
  std::string subprotocol;
  std::vector<std::pair<std::string, std::string>> headers;  // extra 101 response headers
};

// The callbacks of a route's connections (server) or of a Client. Every callback runs on the
// connection's loop thread; the WebSocket& is valid during the callback only. The defaults do
// nothing (on_http answers 426, on_upgrade accepts).
class UVWS_EXPORT Handler {
 public:
  virtual ~Handler() = default;

  // A plain HTTP request on this route (a health check, a static page). The connection is
  // closed after the reply. Default: 426 Upgrade Required.
  virtual void on_http(const HTTPRequest& request, HTTPReply& reply) {
    (void)request;
    reply.headers.emplace_back("Upgrade", "websocket");
  }
  // A valid WebSocket upgrade request, before it is answered: authenticate, pick a
  // subprotocol, or refuse. Default: accept. To answer later (after asking a database or
  // another service) without blocking the loop, call PendingUpgrade::defer(request)
  // (uvws/route.h) here and answer through it from any thread; what this returns is then
  // ignored.
  virtual UpgradeDecision on_upgrade(const HTTPRequest& request) {
    (void)request;
    return {};
  }
  // The connection is open; the request (ws.query(), ws.header()) is readable now only.
  virtual void on_open(WebSocket& ws) { (void)ws; }
  // A whole message (text is valid UTF-8). Not called for routes in frame mode.
  virtual void on_message(WebSocket& ws, Message message) {
    (void)ws;
    (void)message;
  }
  // Frame mode only (frame_mode() returns true): each data frame as it completes; `message`
  // carries the message's opcode; `fin` marks its last frame.
  virtual void on_fragment(WebSocket& ws, Message message, bool fin) {
    (void)ws;
    (void)message;
    (void)fin;
  }
  // Override to receive data frame by frame (on_fragment) instead of whole messages.
  virtual bool frame_mode() const { return false; }
  // Pings are answered automatically; these report them.
  virtual void on_ping(WebSocket& ws, std::span<const std::uint8_t> payload) {
    (void)ws;
    (void)payload;
  }
  // A pong arrived (an answer to ping(), or unsolicited).
  virtual void on_pong(WebSocket& ws, std::span<const std::uint8_t> payload) {
    (void)ws;
    (void)payload;
  }
  // The backlog that made a send return backpressure has been written.
  virtual void on_drain(WebSocket& ws) { (void)ws; }
  // Server connections: the backpressure policy (drop) dropped `messages` messages (`bytes`
  // bytes) for `ws` since the last report: sends that returned SendStatus::dropped because
  // the connection was over max_backpressure, and published messages it could not take (over
  // the limit, or in the middle of a fragmented send). Once per loop iteration at most, after
  // the sends (never inside one): it may send, close, or count. Drops are also counted and
  // logged (debug). Not called for a connection that is closing.
  virtual void on_dropped(WebSocket& ws, std::size_t messages, std::size_t bytes) {
    (void)ws;
    (void)messages;
    (void)bytes;
  }
  // The connection ended: `code` is the peer's close code (1005 if its close frame had
  // none), the code uvws sent when the peer broke the protocol (1002, 1007, 1009, ...), or
  // 1006 when TCP ended without a close frame.
  virtual void on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) {
    (void)ws;
    (void)code;
    (void)reason;
  }
  // A failure: a refused or timed-out handshake (ws is nullptr then), a protocol violation by
  // the peer, an I/O error. Informational: the connection is closed by uvws.
  virtual void on_error(WebSocket* ws, std::error_code ec) {
    (void)ws;
    (void)ec;
  }
};

// A Handler with per-connection user data of type T: a T is constructed (by default) before
// on_open and destroyed after on_close, owned by the connection. A T built during the upgrade
// is adopted instead: accept a PendingUpgrade with UpgradeAccept::user_data = new T(...) (its
// on_abandoned deletes it if the connection never opens).
template <class T>
class TypedHandler : public Handler {
 public:
  // The connection's T (between open and the return of close).
  static T& data(WebSocket& ws) { return *static_cast<T*>(ws.user_data()); }

  // The connection is open; `data` was just constructed.
  virtual void open(WebSocket& ws, T& data) {
    (void)ws;
    (void)data;
  }
  // A whole message (text is valid UTF-8); the view lives until the callback returns.
  virtual void message(WebSocket& ws, T& data, Message message) {
    (void)ws;
    (void)data;
    (void)message;
  }
  // The connection ended (see Handler::on_close); `data` is destroyed after this returns.
  virtual void close(WebSocket& ws, T& data, std::uint16_t code, std::string_view reason) {
    (void)ws;
    (void)data;
    (void)code;
    (void)reason;
  }

 private:
  void on_open(WebSocket& ws) final {
    if (ws.user_data() == nullptr) {  // else: a T given by the upgrade's accept
      auto owned = std::make_unique<T>();
      ws.set_user_data(owned.release());
    }
    open(ws, data(ws));
  }
  void on_message(WebSocket& ws, Message m) final { message(ws, data(ws), m); }
  void on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) final {
    if (ws.user_data() == nullptr) return;  // on_open failed before the data existed
    std::unique_ptr<T> owned(&data(ws));
    ws.set_user_data(nullptr);
    close(ws, *owned, code, reason);
  }
};

}  // namespace uvws
