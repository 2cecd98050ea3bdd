// How a TCPConnection gets established (accepted by a listener, or connecting as a client), and
// who its peer is.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include <cstddef>
#include <cstring>

#include "detail.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/net/tls.h"
#include "uvws/net/tls_session.h"

namespace uvws::net {
namespace {

// Allocated only for the duration of a connect.
struct ConnectRequest {
  uv_connect_t req{};
  TCPConnection::ConnectCallback callback;
};

std::string unix_path(const sockaddr_storage& ss, int len) {
  const auto& un = reinterpret_cast<const sockaddr_un&>(ss);
  const auto prefix = static_cast<int>(offsetof(sockaddr_un, sun_path));
  if (len <= prefix) return {};  // unnamed
  const auto max = static_cast<std::size_t>(len - prefix);
  return std::string(un.sun_path, strnlen(un.sun_path, max));
}

}  // namespace

std::error_code TCPConnection::accept_from(uv_stream_t* server, bool tcp_nodelay,
                                           const TlsContextHolder* tls) noexcept {
  init_handle();
  const int rc = uv_accept(server, stream());
  if (rc != 0) {
    close();
    return uv_error(rc);
  }
  // Small frames go out at once: corking already batches what one iteration writes, so Nagle
  // would only add latency. (Not for Unix-domain sockets, which have no such option.)
  if (tcp_nodelay) uv_tcp_nodelay(&tcp_, 1);
  // TLS from the first byte: the current context of the listener's holder (a reload affects
  // only connections accepted later).
  if (tls != nullptr) {
    try {
      set_tls_session(TlsSession::server(tls->current()));
    } catch (const std::bad_alloc&) {
      close();
      return uv_error(UV_ENOMEM);
    }
  }
  if (const std::error_code ec = start_reading()) {
    close();
    return ec;
  }
  detail::call_hook(*this, "on_accepted", [&] { on_accepted(); });
  return {};
}

std::error_code TCPConnection::connect(const sockaddr* addr, ConnectCallback on_connect) {
  if (closing() || (flags_ & f_handle) ||
      (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) {
    close();
    return uv_error(UV_EINVAL);
  }
  init_handle();
  auto request = std::make_unique<ConnectRequest>();
  request->req.data = request.get();
  request->callback = std::move(on_connect);
  const int rc = uv_tcp_connect(&request->req, &tcp_, addr, &TCPConnection::connect_cb);
  if (rc != 0) {
    close();
    return uv_error(rc);
  }
  request.release();  // connect_cb takes it back; libuv calls it exactly once
  return {};
}

std::error_code TCPConnection::connect_unix(const std::string& path, ConnectCallback on_connect) {
  sockaddr_un un{};
  if (closing() || (flags_ & f_handle) || path.empty() || path.size() >= sizeof un.sun_path) {
    close();
    return uv_error(UV_EINVAL);
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  init_handle();
  // libuv's uv_tcp_connect takes IP addresses only, but a uv_tcp_t serves any stream socket
  // (the listener accepts Unix connections into one too): connect the socket here, adopt it.
  std::error_code ec;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = uv_error(uv_translate_sys_error(errno));
  } else if (::connect(fd, reinterpret_cast<const sockaddr*>(&un), sizeof un) != 0) {
    ec = uv_error(uv_translate_sys_error(errno));
    ::close(fd);
  } else if (const int rc = uv_tcp_open(&tcp_, fd); rc != 0) {
    ec = uv_error(rc);
    ::close(fd);
  } else {
    ec = start_reading();
  }
  if (on_connect) detail::call_hook(*this, "connect callback", [&] { on_connect(ec); });
  if (ec) close();
  return {};
}

void TCPConnection::connect_cb(uv_connect_t* req, int status) {
  std::unique_ptr<ConnectRequest> request(static_cast<ConnectRequest*>(req->data));
  auto& c = *from_handle(reinterpret_cast<uv_handle_t*>(req->handle));
  std::error_code ec = uv_error(status);
  if (!ec && c.closing()) ec = uv_error(UV_ECANCELED);
  if (!ec) {
    uv_tcp_nodelay(&c.tcp_, 1);
    ec = c.start_reading();
  }
  const ConnectCallback callback = std::move(request->callback);
  request.reset();
  if (callback) detail::call_hook(c, "connect callback", [&] { callback(ec); });
  if (ec) c.close();
}

std::string TCPConnection::remote_address() const {
  if (!(flags_ & f_handle) || closing()) return {};
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char ip[INET6_ADDRSTRLEN] = {};
  switch (ss.ss_family) {
    case AF_INET: {
      const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
      uv_ip4_name(&in, ip, sizeof ip);
      return std::string(ip) + ":" + std::to_string(ntohs(in.sin_port));
    }
    case AF_INET6: {
      const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
      uv_ip6_name(&in6, ip, sizeof ip);
      return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6.sin6_port));
    }
    case AF_UNIX: {
      std::string path = unix_path(ss, len);
      if (!path.empty()) return path;
      // A client socket is usually unnamed: report the path it connected to instead.
      len = sizeof ss;
      if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
      return unix_path(ss, len);
    }
    default:
      return {};
  }
}

}  // namespace uvws::net
