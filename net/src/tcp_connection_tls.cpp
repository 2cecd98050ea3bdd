// The TLS paths of TCPConnection: a connection with a TlsSession decrypts what it reads before
// on_data() and encrypts what it writes at the flush, with OpenSSL on memory only (libuv keeps
// the socket). Loop thread only, like the rest of TCPConnection.
//
// Buffers: ciphertext is read behind Loop::tls_headroom in the loop's read buffer and decrypted
// to the buffer's start (TlsSession::read explains why that is safe); ciphertext to send is
// made in the loop's tls_out_, which is empty between calls, and sent like the cork.
#include <memory>
#include <stdexcept>
#include <string>

#include "detail.h"
#include "tcp_write_state.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tls.h"
#include "uvws/net/tls_session.h"

namespace uvws::net {

TCPConnection::WriteState* TCPConnection::tagged_write_state() const noexcept {
  if (side_ & side_tls) return reinterpret_cast<TlsSide*>(side_ & ~side_tls)->write.get();
  return tunnel_write_state(side_ & ~side_tunnel).get();
}

void TCPConnection::set_write_state(std::unique_ptr<WriteState> state) noexcept {
  if (side_ & side_tls) {
    reinterpret_cast<TlsSide*>(side_ & ~side_tls)->write = std::move(state);
  } else if (side_ & side_tunnel) {
    tunnel_write_state(side_ & ~side_tunnel) = std::move(state);
  } else {
    delete reinterpret_cast<WriteState*>(side_);
    side_ = reinterpret_cast<std::uintptr_t>(state.release());
  }
}

TlsSession* TCPConnection::tls_session() const noexcept {
  if (!(side_ & side_tls)) return nullptr;
  return reinterpret_cast<TlsSide*>(side_ & ~side_tls)->session.get();
}

// Once per connection; a write state already in flight moves into the TlsSide.
void TCPConnection::set_tls_session(std::unique_ptr<TlsSession> session) {
  auto side = std::make_unique<TlsSide>();
  side->session = std::move(session);
  side->write.reset(reinterpret_cast<WriteState*>(side_));
  side_ = reinterpret_cast<std::uintptr_t>(side.release()) | side_tls;
}

bool TCPConnection::tls_established() const noexcept {
  return tls() && tls_session()->established();
}

std::error_code TCPConnection::start_tls(std::shared_ptr<const TlsContext> context,
                                         const std::string& server_name) {
  if (closing() || !(flags_ & f_handle) || tls() || tunneling() || !context ||
      context->is_server()) {
    return uv_error(UV_EINVAL);
  }
  try {
    set_tls_session(TlsSession::client(std::move(context), server_name));
  } catch (const std::bad_alloc&) {
    return uv_error(UV_ENOMEM);
  } catch (const std::invalid_argument&) {  // a server name OpenSSL cannot check
    return uv_error(UV_EINVAL);
  }
  if (tls_session()->context().insecure()) {
    detail::log().warn("TLS to {} without certificate verification (insecure)", server_name);
  }
  core::Buffer& out = loop().tls_out_;
  const std::error_code ec = tls_session()->start(out);
  send_ciphertext(out);
  if (ec) {
    ++loop().stats_.tls_handshake_failures;
    detail::call_hook(*this, "on_error", [&] { on_error(ec); });
    close();
  }
  return {};
}

void TCPConnection::tls_read(std::size_t nread) noexcept {
  static_assert(Loop::tls_headroom >= TlsSession::max_record_plaintext,
                "the read buffer's headroom must hold one record's plaintext");
  Loop& l = loop();
  std::uint8_t* start = l.read_buffer_.get();
  const bool was_established = tls_session()->established();
  core::Buffer& out = l.tls_out_;
  const TlsSession::ReadResult r = tls_session()->read({start + Loop::tls_headroom, nread},
                                                       {start, Loop::tls_headroom + nread}, out);
  // Handshake messages and alerts first (the alert of a failure too: it tells the peer why).
  send_ciphertext(out);
  if (r.error) {
    if (!was_established) ++l.stats_.tls_handshake_failures;
    if (closing()) return;
    detail::call_hook(*this, "on_error", [&] { on_error(r.error); });
    close();
    return;
  }
  if (r.plaintext > 0 && !closing()) {
    detail::call_hook(*this, "on_data", [&] { on_data({start, r.plaintext}); });
  }
  if (r.closed && !closing()) {
    // close_notify: the peer sends nothing more, as after a FIN.
    stop_reading();
    detail::call_hook(*this, "on_eof", [&] { on_eof(); });
  }
  // One write syscall for everything the bytes of this read produced.
  if (l.cork_holder_ == this) flush();
}

void TCPConnection::tls_send(core::Buffer& plaintext) noexcept {
  core::Buffer& out = loop().tls_out_;
  const std::error_code ec = tls_session()->write(plaintext.span(), out);
  plaintext.clear();
  if (ec) {
    // Encryption fails only when OpenSSL does (out of memory): nothing sensible can follow.
    detail::log().error("TLS encryption failed: {}; closing the connection", ec.message());
    out.clear();
    close();
    return;
  }
  send(out);
  out.clear();
}

void TCPConnection::send_ciphertext(core::Buffer& ciphertext) noexcept {
  if (ciphertext.empty()) return;
  if (closing() || !(flags_ & f_handle)) {
    ciphertext.clear();
  } else if (write_state()) {
    write_state()->ciphertext.append(ciphertext.span());
    ciphertext.clear();
  } else {
    send(ciphertext);
    ciphertext.clear();
  }
}

void TCPConnection::tls_next_write() noexcept {
  WriteState& w = *write_state();
  std::swap(w.in_flight, w.ciphertext);
  const std::error_code ec = tls_session()->write(w.backlog.span(), w.in_flight);
  w.backlog.clear();
  if (ec) {
    detail::log().error("TLS encryption failed: {}; closing the connection", ec.message());
    close();
  }
}

void TCPConnection::tls_shutdown() noexcept {
  // close_notify before the FIN (RFC 8446 6.1), behind every byte already written: a backlog
  // is encrypted now, since output() takes nothing more after shutdown().
  if (write_state()) {
    if (!tls_session()->write(write_state()->backlog.span(), write_state()->ciphertext))
      write_state()->backlog.clear();
    tls_session()->close_notify(write_state()->ciphertext);
    return;
  }
  core::Buffer& out = loop().tls_out_;
  tls_session()->close_notify(out);
  send_ciphertext(out);
}

void TCPConnection::tls_close() noexcept {
  Loop& l = loop();
  core::Buffer& out = l.tls_out_;
  if (l.cork_holder_ == this) {
    l.cork_holder_ = nullptr;
    if (tls_session()->write(l.cork_.span(), out)) out.clear();
    l.cork_.clear();
  }
  tls_session()->close_notify(out);
  if (!out.empty()) try_write(out.span());
  out.clear();
}

}  // namespace uvws::net
