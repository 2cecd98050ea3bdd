// WebSocket: what a Handler holds — one open server- or client-side WebSocket connection.
//
// Ownership: the connection is owned by its loop; the application gets a WebSocket& that is
// valid during a callback only. To keep a connection beyond a callback (to send later, from
// a timer or another thread), take handle(): a WebSocketHandle that safely does nothing once
// the connection is gone.
//
// Threads: every WebSocket member must be called on the connection's loop thread (inside a
// callback, or from a task posted to that loop). WebSocketHandle may be used from any thread.
//
// Sending never blocks. Frames sent during one loop iteration are corked and written with one
// system call. send_*() returns:
//   ok            queued (and probably already written);
//   backpressure  queued, but more than max_backpressure bytes now wait for the peer: stop
//                 sending until on_drain;
//   dropped       not sent: the connection is closing or closed, or (with the drop policy)
//                 the backlog was already over max_backpressure.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "uvws/core/export.h"
#include "uvws/ws/frame.h"

namespace uvws {

using ws::Opcode;

// What a send did (see the file comment): ok, backpressure (queued; wait for on_drain) or dropped.
enum class SendStatus : std::uint8_t { ok, backpressure, dropped };

// What happens to a send when more than max_backpressure bytes already wait for the peer
// (ServerOptions, ClientOptions).
enum class BackpressurePolicy : std::uint8_t {
  drop,   // a send over the limit is dropped (send returns dropped); the connection stays
  close,  // the connection is closed with 1008 (policy violation)
};

// A received message: a view valid during the callback only (copy what you keep).
class UVWS_EXPORT Message {
 public:
  // A view of `data` (not copied).
  Message(Opcode opcode, std::span<const std::uint8_t> data) : data_(data), opcode_(opcode) {}
  // text or binary.
  Opcode opcode() const { return opcode_; }
  // The message is text (valid UTF-8).
  bool is_text() const { return opcode_ == Opcode::text; }
  // The message is binary.
  bool is_binary() const { return opcode_ == Opcode::binary; }
  // The payload; for text it is valid UTF-8.
  std::span<const std::uint8_t> data() const { return data_; }
  // The payload as a string_view, valid during the callback only.
  std::string_view text() const {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }
  // The payload's size in bytes.
  std::size_t size() const { return data_.size(); }

 private:
  std::span<const std::uint8_t> data_;
  Opcode opcode_;
};

class WebSocketHandle;
namespace detail {
class Connection;
}
namespace net {
class Loop;
}

// One open WebSocket connection, server or client side (see the file comment).
class UVWS_EXPORT WebSocket {
 public:
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Sends a text message; `text` must be valid UTF-8 (the application vouches for it).
  SendStatus send_text(std::string_view text);
  // Sends a binary message.
  SendStatus send_binary(std::span<const std::uint8_t> data);
  // Sends a message with `opcode` (text or binary; std::invalid_argument otherwise).
  SendStatus send(std::span<const std::uint8_t> data, Opcode opcode);
  // Sends a message with `opcode` from a string's bytes.
  SendStatus send(std::string_view data, Opcode opcode) {
    return send({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, opcode);
  }
  // One fragment of a message (RFC 6455 5.4): `opcode` (text or binary) on every call, `fin`
  // on the last. Other data messages wait until it ends (they return dropped meanwhile).
  SendStatus send_fragment(std::span<const std::uint8_t> data, Opcode opcode, bool fin);
  // Ping with up to 125 bytes of payload (std::invalid_argument beyond).
  SendStatus ping(std::span<const std::uint8_t> payload = {});
  // Pong with up to 125 bytes of payload (an unsolicited pong is a heartbeat, RFC 6455 5.5.3).
  SendStatus pong(std::span<const std::uint8_t> payload = {});

  // Starts the close handshake (RFC 6455 7.1.2) with `code` (1000 by default) and a reason of
  // at most 123 bytes of UTF-8; the connection ends when the peer answers, or after the close
  // timeout. on_close follows. Idempotent.
  void close(std::uint16_t code = 1000, std::string_view reason = {});
  // Ends the TCP connection at once, with no close handshake (on_close reports 1006).
  void terminate();

  // Flow control: stops reading from the peer. From the return of pause_reading() until
  // resume_reading(), no message, fragment, ping or pong callback runs for this connection:
  // what was read already waits (at most the rest of one read, counted by the server's memory
  // budget), further bytes wait in the kernel, and TCP flow control slows the peer down. The
  // idle timeout and keepalive pings are suspended meanwhile (the peer is not idle; we are not
  // listening). Closing ends the pause: the close handshake needs the peer's answer.
  void pause_reading();
  // Ends pause_reading(). What was read meanwhile is delivered from the loop right after the
  // current callback or task returns (never inside this call). No-op when not paused.
  void resume_reading();
  // True between pause_reading() and resume_reading() (or the close).
  bool reading_paused() const;
  // The loop the connection lives on: for timers (net::Timer), a Client, or tasks next to it.
  net::Loop& loop() const;

  // Bytes queued and not yet taken by the kernel.
  std::size_t buffered_amount() const;
  // True while the connection is open (not closing or closed).
  bool is_open() const;

  // The peer as "ip:port", "[ipv6]:port" or a Unix socket path; empty if unknown.
  std::string remote_address() const;
  // The request's path (its target without the query), e.g. "/rooms/42" on the route
  // "/rooms/:id" or on "*": during on_open; for the connection's whole life on routes with
  // RouteOptions::keep_request (or keep_headers) and on exact routes (whose pattern is the
  // path); empty otherwise, and on clients.
  std::string_view path() const;
  // The pattern of the route that accepted the connection, as registered ("/rooms/:id", "*");
  // empty on clients.
  std::string_view route() const;
  // The value the route's pattern captured as `name` (":id" captures "id", a trailing "*"
  // the rest of the path), or the `index`-th capture in path order; raw path bytes, not
  // percent-decoded. During on_open, and for the whole life on routes with keep_request;
  // empty otherwise or when there is no such capture. (In on_http / on_upgrade: route_param.)
  std::string_view param(std::string_view name) const;
  std::string_view param(std::size_t index) const;
  // The request's query (after '?'); when path() is, except on exact routes: the request is
  // not kept after on_open unless the route asks (RouteOptions::keep_request), to keep an open
  // connection small — copy what you need into your user data.
  std::string_view query() const;
  // A request header's value (case-insensitive name; empty when absent): during on_open, and
  // for the whole life for the route's RouteOptions::keep_headers.
  std::string_view header(std::string_view name) const;
  // The negotiated subprotocol (empty if none).
  std::string_view subprotocol() const;
  // permessage-deflate was negotiated.
  bool compressed() const;

  // The application's per-connection pointer (nullptr until set). Not owned; see TypedHandler
  // for owned, typed user data.
  void* user_data() const;
  // Sets the per-connection pointer (not owned).
  void set_user_data(void* data);

  // Pub/sub (server side: on a client connection subscribe() returns false and publish()
  // throws std::logic_error). A connection may subscribe to any number of topics; it is
  // unsubscribed from all of them when it closes. subscribe/unsubscribe return false when nothing
  // changed (already subscribed, not subscribed, or the connection is not open).
  bool subscribe(std::string_view topic);
  // Unsubscribes from `topic`; false if it was not subscribed.
  bool unsubscribe(std::string_view topic);
  // True if this connection is subscribed to `topic`.
  bool is_subscribed(std::string_view topic) const;
  // Sends `data` as one message to every subscriber of `topic`, on every loop of the server,
  // except this connection unless `include_self`. The frame is built once and its bytes are
  // shared by every subscriber. Each subscriber is subject to the server's backpressure
  // policy on its own: a slow subscriber has the message dropped (or is closed with 1008)
  // without delaying the others. Messages from one publisher arrive in publish order.
  void publish(std::string_view topic, std::span<const std::uint8_t> data,
               Opcode opcode = Opcode::text, bool include_self = false);
  void publish(std::string_view topic, std::string_view data, Opcode opcode = Opcode::text,
               bool include_self = false) {
    publish(topic, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, opcode,
            include_self);
  }

  // A handle to keep beyond the callback (see WebSocketHandle).
  WebSocketHandle handle();

 protected:
  WebSocket() = default;
  ~WebSocket() = default;

 private:
  detail::Connection& self();
  const detail::Connection& self() const;
};

// A weak, copyable reference to a connection, usable from any thread; it does nothing once
// the connection is gone.
//
// On the connection's loop thread a call runs at once, so it keeps its order with the
// WebSocket's own sends. From another thread it is queued (the data copied into a buffer the
// handle's connection reuses: no allocation per call once warm) and the calls queued during
// one loop iteration run together, in order, on the loop; calls from one thread keep their
// order. A message that does not go out — the connection closed before the call reached it,
// or the backpressure policy dropped it (which on a server also reaches Handler::on_dropped)
// — is counted in dropped().
class UVWS_EXPORT WebSocketHandle {
 public:
  WebSocketHandle() = default;
  // True while the connection is open (a hint from other threads: it may close right after).
  bool alive() const;
  // Sends a text message (copied). False when it certainly does not go out: an empty handle,
  // a connection already gone, or (on the loop thread) a send that returned dropped.
  bool send_text(std::string_view text) const;
  // Sends a binary message (copied); returns as send_text.
  bool send_binary(std::span<const std::uint8_t> data) const;
  // Sends a message with `opcode` (text or binary; std::invalid_argument otherwise).
  bool send(std::span<const std::uint8_t> data, Opcode opcode) const;
  // Sends a ping (at most 125 bytes of payload: std::invalid_argument beyond).
  bool ping(std::span<const std::uint8_t> payload = {}) const;
  // Starts the close handshake (see WebSocket::close; bad arguments throw here, on the
  // caller's thread).
  void close(std::uint16_t code = 1000, std::string_view reason = {}) const;
  // Ends the TCP connection at once, with no close handshake (see WebSocket::terminate).
  void terminate() const;
  // Runs `task` with the connection on its loop thread (at once when called there), unless the
  // connection is gone by then. False when it certainly will not run. An exception `task`
  // throws is handled as one from a Handler callback (logged, 1011).
  bool post(std::function<void(WebSocket&)> task) const;
  // Messages sent through handles of this connection that did not go out (see above).
  std::uint64_t dropped() const;
  // True if the handle was taken from a connection (it may have closed since: see alive()).
  explicit operator bool() const { return static_cast<bool>(token_); }

  struct Token;  // opaque: shared by the connection and its handles

 private:
  friend class WebSocket;
  explicit WebSocketHandle(std::shared_ptr<Token> token) : token_(std::move(token)) {}
  std::shared_ptr<Token> token_;
};

}  // namespace uvws
