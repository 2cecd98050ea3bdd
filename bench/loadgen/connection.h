// Connection: one client WebSocket connection of uvws-loadgen — its socket, the opening
// handshake (RFC 6455 4.1) and the parsing and checking of the server's echoes.
//
// The load generator owns its connections and drives them from its epoll loop on one thread:
// connect(), connected() when the socket is writable, receive() with the bytes read,
// send_message() and flush(). Echoes come back in order (RFC 6455 6.1 keeps a connection's
// messages in order and an echo server answers each in turn), so each completed echo is
// matched with the oldest message in flight and checked byte for byte.
//
// With `deflate` (uvws-loadgen --deflate), the handshake offers permessage-deflate and the
// connection sends one compressed message and checks its echo before it counts as open
// (DeflateGreeting, deflate.h); until then state() stays handshaking.
//
// With TLS (uvws-loadgen --tls, use_tls()), the connection runs a non-blocking OpenSSL client
// directly on its socket (SSL_set_fd) between the TCP connect and the upgrade request: state
// tls_handshaking, driven by tls_handshake() on every socket event. OpenSSL's WANT_READ and
// WANT_WRITE map straight onto the epoll interest, so there are no buffers to shuttle as with
// memory BIOs, and the load generator's own cost stays small. read_some() and flush() then go
// through SSL_read/SSL_write. The server's certificate is not verified (the benchmark talks to
// its own test server on loopback, and verification would only add client CPU).
//
// Errors: a failed system call, a bad handshake response, a frame that breaks RFC 6455 5.2
// for a client (masked, reserved bits, unknown opcode) or an echo that differs from what was
// sent makes the call return false with error() describing it; the caller then closes it.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "deflate.h"
#include "payload.h"
#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

namespace uvws::bench {

class Connection;

// Told about every echo that came back whole and matched.
class EchoSink {
 public:
  // `start_ns` is when the message was sent (or was due, at a fixed rate).
  virtual void on_echo(Connection& c, std::uint64_t start_ns, std::uint64_t now_ns) = 0;

 protected:
  ~EchoSink() = default;
};

class Connection {
 public:
  enum class State : std::uint8_t {
    idle,
    connecting,
    tls_handshaking,
    handshaking,
    open,
    closing,
    closed
  };

  Connection(std::uint32_t index, const PayloadPattern& pattern, bool deflate = false)
      : pattern_(&pattern),
        index_(index),
        greeting_(deflate ? std::make_unique<DeflateGreeting>(index) : nullptr) {}
  ~Connection() {
    close(false);
    if (offer_ != nullptr) SSL_SESSION_free(offer_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  State state() const { return state_; }
  std::uint32_t index() const { return index_; }
  const std::string& error() const { return error_; }

  // Makes the connection a TLS client of context `ctx` (owned by the caller), offering
  // `session` (may be null; the connection holds a reference until it offered it) for
  // resumption. Before connect().
  void use_tls(SSL_CTX* ctx, SSL_SESSION* session) {
    tls_ctx_ = ctx;
    if (session != nullptr && SSL_SESSION_up_ref(session) == 1) offer_ = session;
  }
  // The TLS session once the TLS handshake began (null without TLS).
  SSL* ssl() const { return ssl_; }

  // Starts a non-blocking connect (TCP_NODELAY on).
  bool connect(const sockaddr* addr, socklen_t len);
  // The socket became writable while connecting: checks the outcome, queues the handshake
  // request for `path` with a fresh random Sec-WebSocket-Key (with TLS: starts the TLS
  // handshake first, in state tls_handshaking).
  bool connected(std::string_view host_header, std::string_view path);
  // A socket event during the TLS handshake: carries it on; once done, queues the upgrade
  // request as connected() does.
  bool tls_handshake(std::string_view host_header, std::string_view path);
  // Reads from the socket (through TLS if on): > 0 bytes, 0 at the end of the stream, -1 with
  // errno (EAGAIN: nothing more for now).
  ssize_t read_some(std::span<std::uint8_t> buffer);
  // Bytes read from the socket, valid during the call. After a complete close handshake,
  // state() is closed.
  bool receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ns, EchoSink& sink);
  // The server ended the TCP connection: fine only after our close frame.
  bool receive_eof();

  // Queues one message, whose latency counts from `start_ns`. Precondition: open.
  void send_message(std::uint64_t start_ns);
  // Queues a close frame (1000) and enters closing. Precondition: open.
  void send_close();
  // Writes what is queued, until done or the socket would block.
  bool flush();
  bool wants_write() const { return !out_.empty() || tls_wants_write_; }
  std::size_t in_flight() const { return starts_.size(); }
  std::uint64_t echoed() const { return received_; }

  // Closes the socket; `reset` sends an RST (SO_LINGER 0) so that no TIME_WAIT remains.
  void close(bool reset);

  // Fixed-rate mode: times at which messages of this connection were due but not yet sent
  // (the in-flight limit was reached), oldest first. Managed by the load generator.
  std::deque<std::uint64_t> due;
  // The generator registered EPOLLOUT for this socket.
  bool epollout = false;

 private:
  bool fail(std::string message);
  bool fail_tls(const char* what, int ssl_error);
  bool send_upgrade(std::string_view host_header, std::string_view path);
  bool receive_handshake(std::span<const std::uint8_t> bytes, std::uint64_t now_ns, EchoSink& sink);
  bool finish_greeting();
  bool receive_frames(std::span<const std::uint8_t> bytes, std::uint64_t now_ns, EchoSink& sink);
  bool start_frame();
  bool finish_frame(std::uint64_t now_ns, EchoSink& sink);
  void send_control(ws::Opcode opcode, std::span<const std::uint8_t> payload);

  const PayloadPattern* pattern_;
  std::uint32_t index_;
  int fd_ = -1;
  State state_ = State::idle;

  SSL_CTX* tls_ctx_ = nullptr;
  SSL_SESSION* offer_ = nullptr;
  SSL* ssl_ = nullptr;
  bool tls_wants_write_ = false;  // OpenSSL waits for the socket to be writable

  core::Buffer out_;
  std::string handshake_;        // the response so far, while handshaking
  std::string expected_accept_;  // Sec-WebSocket-Accept the server must answer
  std::string error_;

  // Sequence numbers of the next message to send and to receive, and the start times of
  // those in flight.
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::deque<std::uint64_t> starts_;

  // Frame parser: a header being assembled, then the rest of the frame's payload.
  std::array<std::uint8_t, ws::max_header_size> header_{};
  std::size_t header_len_ = 0;
  bool in_frame_ = false;
  ws::Frame frame_;
  std::uint64_t frame_left_ = 0;
  std::string control_;  // a control frame's payload (at most 125 bytes)
  bool in_message_ = false;
  std::uint64_t message_offset_ = 0;
  Tag message_tag_{};

  // --deflate: the compressed first message, until its echo matched (then null).
  std::unique_ptr<DeflateGreeting> greeting_;
  bool greeting_sent_ = false;  // the handshake is done, the echo awaited
};

}  // namespace uvws::bench
