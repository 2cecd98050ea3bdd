// BlockingClient: a WebSocket client for scripts and tests, one call at a time.
//
//   auto c = uvws::connect("ws://127.0.0.1:9001/echo");
//   c.send_text("hi");
//   auto msg = c.recv();                 // or c.recv(std::chrono::seconds(2))
//   c.close(1000, "bye");                // also done by the destructor
//
// It runs a uvws::Client on a private loop thread; calls post to that thread and wait on a
// condition variable (never spinning), so an idle BlockingClient costs no CPU. Received
// messages queue until recv() takes them; past ClientOptions::max_received_bytes the client
// stops reading (TCP slows the server) until recv() catches up. Sends wait while more than
// max_backpressure bytes are queued for the peer.
//
// Errors are exceptions: ConnectError (the lookup or TCP connect failed), HandshakeError (the
// server answered without accepting: status() is its HTTP status, e.g. 403, or 101 for a
// response that broke RFC 6455 4.1; or wss:// failed its TLS handshake: status() 0, code()
// of net::tls_category() with OpenSSL's reason, e.g. "certificate verify failed: ..."),
// TimeoutError (connect, recv, ping or close took too long; the connection stays usable after a
// recv or ping timeout), ConnectionClosed (the connection ended: code() and reason() of the close,
// 1006 if it was lost without one). Bad options or URLs throw std::invalid_argument.
//
// Ownership: movable, not copyable; the destructor closes with 1000 and joins the thread.
// Threads: one thread at a time may call a BlockingClient (it is not internally serialized
// for concurrent callers).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "uvws/client.h"
#include "uvws/core/export.h"

namespace uvws {

// The base of every exception a BlockingClient throws (what() says what failed).
class UVWS_EXPORT WebSocketError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lookup or the TCP connect failed (code() says why).
class UVWS_EXPORT ConnectError : public WebSocketError {
 public:
  // `what` is the message; `ec` the error that ended the attempt.
  ConnectError(const std::string& what, std::error_code ec) : WebSocketError(what), code_(ec) {}
  // The error that ended the attempt (a libuv error, or a uvws::ws::Error).
  std::error_code code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

// The server answered the upgrade request without accepting it, the TLS handshake failed, or
// the proxy refused the tunnel (code() in net::proxy_http_category(), the HTTP status, or
// net::proxy_socks5_category(), the SOCKS5 reply code; status() is 0 then) or its URL is bad
// (net::ProxyErrc).
class UVWS_EXPORT HandshakeError : public ConnectError {
 public:
  // `status` is the HTTP status of the server's answer.
  HandshakeError(const std::string& what, std::error_code ec, int status)
      : ConnectError(what, ec), status_(status) {}
  // The HTTP status the server answered with (e.g. 403), or 101 for an acceptance that broke RFC
  // 6455 4.1.
  int status() const noexcept { return status_; }

 private:
  int status_;
};

class UVWS_EXPORT TimeoutError : public WebSocketError {
 public:
  using WebSocketError::WebSocketError;
};

// The connection ended: by a close handshake, or lost (code 1006).
class UVWS_EXPORT ConnectionClosed : public WebSocketError {
 public:
  // `code` and `reason` of the close (1006 and empty when it was lost).
  ConnectionClosed(std::uint16_t code, std::string reason);
  // The close code (RFC 6455 7.4); 1006 when the connection was lost without one.
  std::uint16_t code() const noexcept { return code_; }
  // The close reason the peer sent (UTF-8; may be empty).
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::uint16_t code_;
  std::string reason_;
};

// A message taken by recv(): owned bytes.
struct UVWS_EXPORT ReceivedMessage {
  // text or binary.
  Opcode opcode = Opcode::text;
  // The payload; for text it is valid UTF-8.
  std::vector<std::uint8_t> data;

  // The message is text.
  bool is_text() const { return opcode == Opcode::text; }
  // The message is binary.
  bool is_binary() const { return opcode == Opcode::binary; }
  // The payload as a string_view (valid while this message lives).
  std::string_view text() const {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

// A connected WebSocket client with blocking calls; made by uvws::connect().
class UVWS_EXPORT BlockingClient {
 public:
  // Moves the connection; the moved-from client may only be destroyed or assigned to.
  BlockingClient(BlockingClient&&) noexcept;
  // Closes this client's connection (as the destructor does), then takes `other`'s.
  BlockingClient& operator=(BlockingClient&&) noexcept;
  ~BlockingClient();

  // Sends a text message (valid UTF-8, the caller vouches); waits while more than max_backpressure
  // bytes are queued. ConnectionClosed once the connection has ended.
  void send_text(std::string_view text);
  // Sends a binary message; as send_text().
  void send_binary(std::span<const std::uint8_t> data);
  // Sends a message with `opcode` (text or binary; std::invalid_argument otherwise); as
  // send_text().
  void send(std::span<const std::uint8_t> data, Opcode opcode);

  // The next message; waits without a limit, or up to `timeout` (TimeoutError).
  ReceivedMessage recv();
  ReceivedMessage recv(std::chrono::milliseconds timeout);

  // Sends a ping and waits for its pong; returns the round-trip time.
  std::chrono::microseconds ping(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts the close handshake and waits for the connection to end (at most the close
  // timeout). Messages received before the end stay available to recv(). Idempotent.
  void close(std::uint16_t code = 1000, std::string_view reason = {});

  // True until the connection ends.
  bool is_open() const;
  // The subprotocol the server chose (empty if none).
  std::string subprotocol() const;
  // permessage-deflate was negotiated (ClientOptions::compression).
  bool compressed() const;
  // How the connection ended (0 while it is open).
  std::uint16_t close_code() const;
  // The close reason of the end (empty while open).
  std::string close_reason() const;

  struct Impl;

 private:
  friend BlockingClient connect(std::string_view url, ClientOptions options);
  explicit BlockingClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Connects to `url` (see Client for the forms) and returns once the connection is open.
// Reconnecting is not available here (options.reconnect is ignored).
UVWS_EXPORT BlockingClient connect(std::string_view url, ClientOptions options = {});

}  // namespace uvws
