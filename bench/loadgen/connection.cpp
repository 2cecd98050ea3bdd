#include "connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "uvws/core/crypto.h"
#include "uvws/core/random.h"
#include "uvws/ws/mask.h"

namespace uvws::bench {

namespace {

// RFC 6455 1.3: the GUID appended to the key before hashing.
constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t max_response_bytes = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

bool Connection::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
  return false;
}

bool Connection::fail_tls(const char* what, int ssl_error) {
  std::string text = std::string(what) + ": SSL error " + std::to_string(ssl_error);
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    text.append(" (").append(reason).append(")");
  } else if (ssl_error == SSL_ERROR_SYSCALL && errno != 0) {
    text.append(" (").append(std::strerror(errno)).append(")");
  }
  return fail(std::move(text));
}

bool Connection::connect(const sockaddr* addr, socklen_t len) {
  fd_ = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(errno_text("socket"));
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  state_ = State::connecting;
  if (::connect(fd_, addr, len) != 0 && errno != EINPROGRESS) return fail(errno_text("connect"));
  return true;
}

bool Connection::connected(std::string_view host_header, std::string_view path) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    errno = err;
    return fail(errno_text("connect"));
  }
  if (tls_ctx_ != nullptr) {
    ssl_ = SSL_new(tls_ctx_);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) return fail_tls("SSL_new", 0);
    if (offer_ != nullptr) {
      SSL_set_session(ssl_, offer_);  // takes its own reference
      SSL_SESSION_free(offer_);
      offer_ = nullptr;
    }
    state_ = State::tls_handshaking;
    return tls_handshake(host_header, path);
  }
  return send_upgrade(host_header, path);
}

bool Connection::tls_handshake(std::string_view host_header, std::string_view path) {
  ERR_clear_error();
  const int rc = SSL_connect(ssl_);
  tls_wants_write_ = false;
  if (rc == 1) return send_upgrade(host_header, path);
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ) return true;
  if (err == SSL_ERROR_WANT_WRITE) {
    tls_wants_write_ = true;
    return true;
  }
  return fail_tls("TLS handshake", err);
}

bool Connection::send_upgrade(std::string_view host_header, std::string_view path) {
  // RFC 6455 4.1: a random 16-byte nonce, base64-encoded.
  std::array<std::uint8_t, 16> nonce;
  core::random_bytes(nonce);
  const std::string key = core::base64_encode(nonce);
  const core::Sha1Digest digest = core::sha1(key + std::string(websocket_guid));
  expected_accept_ = core::base64_encode(digest);
  std::string request;
  request.reserve(256);
  request.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_header);
  request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  request.append(key).append("\r\nSec-WebSocket-Version: 13\r\n");
  if (greeting_) request.append("Sec-WebSocket-Extensions: ").append(DeflateGreeting::offer());
  request.append(greeting_ ? "\r\n\r\n" : "\r\n");
  out_.append(request);
  state_ = State::handshaking;
  return flush();
}

bool Connection::receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ns,
                         EchoSink& sink) {
  if (state_ == State::handshaking && !greeting_sent_) {
    return receive_handshake(bytes, now_ns, sink);
  }
  return receive_frames(bytes, now_ns, sink);
}

bool Connection::receive_handshake(std::span<const std::uint8_t> bytes, std::uint64_t now_ns,
                                   EchoSink& sink) {
  const std::size_t old = handshake_.size();
  handshake_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // Search from just before the new bytes, in case the terminator straddles two reads.
  const std::size_t end = handshake_.find("\r\n\r\n", old < 3 ? 0 : old - 3);
  if (end == std::string::npos) {
    if (handshake_.size() > max_response_bytes) return fail("handshake: response too long");
    return true;
  }
  const std::string_view head(handshake_.data(), end + 2);
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status = head.substr(0, line_end);
  if (status.substr(0, 13) != "HTTP/1.1 101 " && status != "HTTP/1.1 101") {
    return fail("handshake: status line '" + std::string(status) + "'");
  }
  // RFC 6455 4.1, client requirements 2-4: Upgrade, Connection and the accept value.
  bool upgrade = false;
  bool accept = false;
  std::string extensions;
  for (std::size_t pos = line_end + 2; pos < head.size();) {
    const std::size_t eol = head.find("\r\n", pos);
    const std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail("handshake: malformed header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "upgrade")) upgrade = iequals(value, "websocket");
    if (iequals(name, "sec-websocket-accept")) {
      if (value != expected_accept_) return fail("handshake: wrong Sec-WebSocket-Accept");
      accept = true;
    }
    if (iequals(name, "sec-websocket-extensions")) {
      extensions.append(extensions.empty() ? "" : ", ").append(value);
    }
  }
  if (!upgrade) return fail("handshake: no 'Upgrade: websocket'");
  if (!accept) return fail("handshake: no Sec-WebSocket-Accept");
  const std::string rest = handshake_.substr(end + 4);
  std::string().swap(handshake_);
  std::string().swap(expected_accept_);
  if (greeting_) {
    // RFC 7692 5: an extension the server answers must be one we offered; here it must be
    // there, since the benchmark measures compressing connections.
    if (!greeting_->accept_response(extensions)) return fail(greeting_->error());
    greeting_->append_message(out_, core::random_mask_key());
    greeting_sent_ = true;
  } else {
    state_ = State::open;
  }
  return receive_frames({reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()}, now_ns,
                        sink);
}

bool Connection::receive_frames(std::span<const std::uint8_t> bytes, std::uint64_t now_ns,
                                EchoSink& sink) {
  while (!bytes.empty()) {
    if (!in_frame_) {
      // Assemble the header: 2 bytes tell how long it is (RFC 6455 5.2).
      const std::size_t need = header_len_ < 2 ? 2 : ws::header_size(header_[1]);
      const std::size_t n = std::min(need - header_len_, bytes.size());
      std::memcpy(header_.data() + header_len_, bytes.data(), n);
      header_len_ += n;
      bytes = bytes.subspan(n);
      if (header_len_ < need || (need == 2 && ws::header_size(header_[1]) > 2)) continue;
      if (!start_frame()) return false;
      if (frame_left_ == 0 && !finish_frame(now_ns, sink)) return false;
      continue;
    }
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(frame_left_, bytes.size()));
    const auto chunk = bytes.first(n);
    if (ws::is_control(frame_.opcode)) {
      control_.append(reinterpret_cast<const char*>(chunk.data()), n);
    } else if (greeting_sent_) {
      greeting_->add_payload(chunk);
    } else {
      if (!pattern_->matches(message_tag_, message_offset_, chunk)) {
        return fail("echo differs from the message sent (message " + std::to_string(received_) +
                    ", offset " + std::to_string(message_offset_) + ")");
      }
      message_offset_ += n;
    }
    frame_left_ -= n;
    bytes = bytes.subspan(n);
    if (frame_left_ == 0 && !finish_frame(now_ns, sink)) return false;
  }
  return true;
}

bool Connection::start_frame() {
  header_len_ = 0;
  ws::Frame f;
  if (ws::parse_header(header_, f, false) != ws::HeaderStatus::ok) {
    return fail("frame: bad length");
  }
  // RFC 6455 5.1: a server never masks; 5.2: RSV bits only for a negotiated extension, and
  // permessage-deflate uses RSV1 on data frames only (RFC 7692 6).
  if (f.masked) return fail("frame: masked by the server");
  const bool rsv1_allowed = greeting_sent_ && !ws::is_control(f.opcode);
  if ((f.rsv1 && !rsv1_allowed) || f.rsv2 || f.rsv3) return fail("frame: reserved bit set");
  if (!ws::is_known_opcode(static_cast<unsigned>(f.opcode))) return fail("frame: bad opcode");
  if (ws::is_control(f.opcode)) {
    // RFC 6455 5.5: control frames are short and never fragmented.
    if (!f.fin || f.length > ws::max_control_payload) return fail("frame: bad control frame");
    control_.clear();
  } else if (greeting_sent_) {
    if (!greeting_->start_frame(f)) return fail(greeting_->error());
  } else if (f.opcode == ws::Opcode::continuation) {
    if (!in_message_) return fail("frame: continuation without a message");
  } else {
    if (in_message_) return fail("frame: new message inside a fragmented one");
    if (f.opcode != pattern_->opcode()) return fail("echo has the wrong opcode");
    if (starts_.empty()) return fail("echo of a message never sent");
    in_message_ = true;
    message_offset_ = 0;
    message_tag_ = PayloadPattern::make_tag(index_, received_);
  }
  if (!ws::is_control(f.opcode) && !greeting_sent_ &&
      message_offset_ + f.length > pattern_->size()) {
    return fail("echo longer than the message sent");
  }
  frame_ = f;
  frame_left_ = f.length;
  in_frame_ = true;
  return true;
}

bool Connection::finish_frame(std::uint64_t now_ns, EchoSink& sink) {
  in_frame_ = false;
  const auto control =
      std::span(reinterpret_cast<const std::uint8_t*>(control_.data()), control_.size());
  switch (frame_.opcode) {
    case ws::Opcode::ping:
      if (state_ == State::open) send_control(ws::Opcode::pong, control);
      return true;
    case ws::Opcode::pong:
      return true;
    case ws::Opcode::close:
      if (state_ != State::closing) {
        const unsigned code =
            control.size() >= 2 ? (static_cast<unsigned>(control[0]) << 8) | control[1] : 1005u;
        return fail("server closed the connection (code " + std::to_string(code) + ")");
      }
      state_ = State::closed;
      return true;
    default:
      break;
  }
  if (!frame_.fin) return true;
  if (greeting_sent_) return finish_greeting();
  if (message_offset_ != pattern_->size()) return fail("echo shorter than the message sent");
  in_message_ = false;
  ++received_;
  const std::uint64_t start = starts_.front();
  starts_.pop_front();
  sink.on_echo(*this, start, now_ns);
  return true;
}

// The echo of the compressed message matched: the connection is open, and no longer holds
// the greeting's buffers.
bool Connection::finish_greeting() {
  if (!greeting_->finish_message()) return fail(greeting_->error());
  greeting_.reset();
  greeting_sent_ = false;
  state_ = State::open;
  return true;
}

bool Connection::receive_eof() {
  if (state_ == State::closing || state_ == State::closed) {
    state_ = State::closed;
    return true;
  }
  return fail("server ended the TCP connection");
}

void Connection::send_message(std::uint64_t start_ns) {
  pattern_->append_frame(out_, PayloadPattern::make_tag(index_, sent_++), core::random_mask_key());
  starts_.push_back(start_ns);
}

void Connection::send_control(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
  ws::Frame f;
  f.opcode = opcode;
  f.masked = true;
  f.mask_key = core::random_mask_key();
  f.length = payload.size();
  f.payload = payload;
  ws::serialize(f, out_);
}

void Connection::send_close() {
  // RFC 6455 5.5.1: the status code, big-endian; 1000 is a normal closure.
  const std::array<std::uint8_t, 2> code{0x03, 0xE8};
  send_control(ws::Opcode::close, code);
  state_ = State::closing;
}

ssize_t Connection::read_some(std::span<std::uint8_t> buffer) {
  if (ssl_ == nullptr) return ::read(fd_, buffer.data(), buffer.size());
  ERR_clear_error();
  const int n = SSL_read(ssl_, buffer.data(),
                         static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX)));
  if (n > 0) return n;
  const int err = SSL_get_error(ssl_, n);
  // No close_notify is needed at the end (SSL_OP_IGNORE_UNEXPECTED_EOF on the context): the
  // WebSocket close handshake already ended the stream.
  if (err == SSL_ERROR_ZERO_RETURN) return 0;
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  fail_tls("SSL_read", err);
  errno = ECONNRESET;
  return -1;
}

bool Connection::flush() {
  while (ssl_ != nullptr && !out_.empty()) {
    // SSL_MODE_ENABLE_PARTIAL_WRITE and SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER (on the context):
    // a retry may pass the buffer at a new address, longer, after more was queued.
    ERR_clear_error();
    const int n =
        SSL_write(ssl_, out_.data(), static_cast<int>(std::min<std::size_t>(out_.size(), INT_MAX)));
    if (n > 0) {
      out_.consume(static_cast<std::size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) return true;
    return fail_tls("SSL_write", err);
  }
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.consume(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      return fail(errno_text("send"));
    }
  }
  // A large message's buffer is not kept once it is written.
  if (out_.capacity() > 256 * 1024) out_.release();
  return true;
}

void Connection::close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    const linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  if (ssl_ != nullptr) {
    // After a complete WebSocket close handshake the session ended cleanly: say so, or
    // SSL_free would mark its SSL_SESSION (shared with --resume) as not resumable.
    if (!reset) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  ::close(fd_);
  fd_ = -1;
  state_ = State::closed;
}

}  // namespace uvws::bench
