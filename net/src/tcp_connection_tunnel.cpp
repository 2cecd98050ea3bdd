// The proxy tunnel of TCPConnection: a client connection to an HTTP CONNECT or SOCKS5 proxy runs
// the sans-I/O ProxyHandshake (proxy_handshake.h) on its socket before anything else, so that the
// layers above it (TLS, then the WebSocket glue) start on a stream that already reaches the
// target and never see a proxy byte. Loop thread only, like the rest of TCPConnection.
//
// Why here, below TLS: the tunnel is a property of the byte stream, not of the protocol on it.
// Doing it in the read path lets wss:// through a CONNECT proxy start TLS on the tunnel with the
// target's name, and hands the bytes that arrived behind the proxy's answer to the next layer
// through the ordinary read path (decrypted when TLS was started in the callback).
//
// Memory: the state (the handshake, the callback, a write state in flight) lives on the heap and
// hangs off side_ with the side_tunnel tag only while the handshake runs; an established
// connection keeps nothing of it.
#include <cstring>
#include <memory>
#include <string>

#include "detail.h"
#include "tcp_write_state.h"
#include "uvws/net/error.h"
#include "uvws/net/proxy_handshake.h"
#include "uvws/net/tcp_connection.h"

namespace uvws::net {

// The state of a proxy handshake in progress.
struct TCPConnection::Tunnel {
  std::unique_ptr<ProxyHandshake> handshake;
  ConnectCallback on_open;
  std::unique_ptr<WriteState> write;  // the write state while a uv_write is in flight
};

void TCPConnection::delete_tunnel(Tunnel* tunnel) noexcept {
  delete tunnel;
}

std::unique_ptr<TCPConnection::WriteState>& TCPConnection::tunnel_write_state(
    std::uintptr_t side) noexcept {
  return reinterpret_cast<Tunnel*>(side)->write;
}

std::unique_ptr<TCPConnection::Tunnel> TCPConnection::end_tunnel() noexcept {
  std::unique_ptr<Tunnel> tunnel(reinterpret_cast<Tunnel*>(side_ & ~side_tunnel));
  side_ = reinterpret_cast<std::uintptr_t>(tunnel->write.release());
  return tunnel;
}

std::error_code TCPConnection::start_tunnel(std::unique_ptr<ProxyHandshake> handshake,
                                            ConnectCallback on_open) {
  if (closing() || !(flags_ & f_handle) || tls() || tunneling() || !handshake) {
    return uv_error(UV_EINVAL);
  }
  std::string first = handshake->start();
  if (first.empty()) {
    // The target or the credentials cannot be sent: the handshake says why on its first feed.
    const ProxyStep step = handshake->feed({});
    close();
    return step.error ? step.error : uv_error(UV_EINVAL);
  }
  auto tunnel = std::make_unique<Tunnel>();
  tunnel->handshake = std::move(handshake);
  tunnel->on_open = std::move(on_open);
  tunnel->write.reset(reinterpret_cast<WriteState*>(side_));
  side_ = reinterpret_cast<std::uintptr_t>(tunnel.release()) | side_tunnel;
  output().append(std::string_view(first));
  flush();
  return {};
}

void TCPConnection::tunnel_read(ssize_t nread, const uv_buf_t* buf) noexcept {
  if (nread > 0) {
    ++loop().stats_.reads;
    tunnel_bytes(reinterpret_cast<std::uint8_t*>(buf->base), static_cast<std::size_t>(nread));
    return;
  }
  if (nread == UV_EOF) flags_ &= static_cast<std::uint16_t>(~f_reading);  // libuv stopped
  tunnel_eof(uv_error(static_cast<int>(nread)));
}

void TCPConnection::tunnel_bytes(std::uint8_t* bytes, std::size_t nread) noexcept {
  auto& tunnel = *reinterpret_cast<Tunnel*>(side_ & ~side_tunnel);
  ProxyStep step = tunnel.handshake->feed({bytes, nread});
  switch (step.state) {
    case ProxyStep::State::need_more:
      return;
    case ProxyStep::State::send:
      output().append(std::string_view(step.bytes));
      flush();
      return;
    case ProxyStep::State::failed: {
      const std::unique_ptr<Tunnel> ended = end_tunnel();
      if (ended->on_open) {
        detail::call_hook(*this, "tunnel callback", [&] { ended->on_open(step.error); });
      }
      close();
      return;
    }
    case ProxyStep::State::done:
      break;
  }
  // The tunnel is open. The bytes behind the proxy's answer belong to the target: keep them
  // while the callback starts the next layer (it may write, which does not touch the read
  // buffer, but keep them apart anyway: they are few, and this happens once per connection).
  const std::string rest(reinterpret_cast<const char*>(bytes) + step.consumed,
                         nread - step.consumed);
  const std::unique_ptr<Tunnel> ended = end_tunnel();
  if (ended->on_open) detail::call_hook(*this, "tunnel callback", [&] { ended->on_open({}); });
  Loop& l = loop();
  if (!closing() && !rest.empty()) {
    // The same place and path as a fresh read of these bytes (alloc_cb, read_cb).
    std::uint8_t* start = l.read_buffer_.get();
    if (tls()) {
      std::memcpy(start + Loop::tls_headroom, rest.data(), rest.size());
      tls_read(rest.size());
      return;
    }
    std::memcpy(start, rest.data(), rest.size());
    detail::call_hook(*this, "on_data", [&] { on_data({start, rest.size()}); });
  }
  if (l.cork_holder_ == this) flush();
}

void TCPConnection::tunnel_eof(std::error_code ec) noexcept {
  if (closing()) return;
  // The proxy closed (or the read failed) before it answered in full.
  const std::unique_ptr<Tunnel> ended = end_tunnel();
  if (ended->on_open) detail::call_hook(*this, "tunnel callback", [&] { ended->on_open(ec); });
  close();
}

}  // namespace uvws::net
