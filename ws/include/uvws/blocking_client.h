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
// response that broke RFC 6455 4.1), TimeoutError (connect, recv, ping or close took too
// long; the connection stays usable after a recv or ping timeout), ConnectionClosed (the
// connection ended: code() and reason() of the close, 1006 if it was lost without one).
// Bad options or URLs throw std::invalid_argument.
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

class WebSocketError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UVWS_EXPORT ConnectError : public WebSocketError {
 public:
  ConnectError(const std::string& what, std::error_code ec) : WebSocketError(what), code_(ec) {}
  std::error_code code() const noexcept { return code_; }

 private:
  std::error_code code_;
};

class UVWS_EXPORT HandshakeError : public ConnectError {
 public:
  HandshakeError(const std::string& what, std::error_code ec, int status)
      : ConnectError(what, ec), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

class UVWS_EXPORT TimeoutError : public WebSocketError {
 public:
  using WebSocketError::WebSocketError;
};

class UVWS_EXPORT ConnectionClosed : public WebSocketError {
 public:
  ConnectionClosed(std::uint16_t code, std::string reason);
  std::uint16_t code() const noexcept { return code_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::uint16_t code_;
  std::string reason_;
};

// A message taken by recv(): owned bytes.
struct UVWS_EXPORT ReceivedMessage {
  Opcode opcode = Opcode::text;
  std::vector<std::uint8_t> data;

  bool is_text() const { return opcode == Opcode::text; }
  bool is_binary() const { return opcode == Opcode::binary; }
  std::string_view text() const {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

class UVWS_EXPORT BlockingClient {
 public:
  BlockingClient(BlockingClient&&) noexcept;
  BlockingClient& operator=(BlockingClient&&) noexcept;
  ~BlockingClient();

  void send_text(std::string_view text);
  void send_binary(std::span<const std::uint8_t> data);
  void send(std::span<const std::uint8_t> data, Opcode opcode);

  // The next message; waits without a limit, or up to `timeout` (TimeoutError).
  ReceivedMessage recv();
  ReceivedMessage recv(std::chrono::milliseconds timeout);

  // Sends a ping and waits for its pong; returns the round-trip time.
  std::chrono::microseconds ping(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Starts the close handshake and waits for the connection to end (at most the close
  // timeout). Messages received before the end stay available to recv(). Idempotent.
  void close(std::uint16_t code = 1000, std::string_view reason = {});

  bool is_open() const;
  std::string subprotocol() const;
  // permessage-deflate was negotiated (ClientOptions::compression).
  bool compressed() const;
  // How the connection ended (0 while it is open).
  std::uint16_t close_code() const;
  std::string close_reason() const;

  struct Impl;

 private:
  friend BlockingClient connect(std::string_view url, ClientOptions options);
  explicit BlockingClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Connects to `url` (see Client for the forms) and returns once the connection is open.
// Reconnecting is not available here (options.reconnect is ignored).
BlockingClient connect(std::string_view url, ClientOptions options = {});

}  // namespace uvws
