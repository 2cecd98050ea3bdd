#include "uvws/net/tcp_listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "detail.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_connection.h"

namespace uvws::net {

class TCPListener::Handle final : public detail::OwnedHandle {
 public:
  Handle(Loop& loop, TCPListener& owner) : OwnedHandle(loop), owner_(&owner) {
    uv_tcp_init(loop.uv(), &tcp_);  // without a socket: cannot fail
    tcp_.data = this;
  }

  void close() noexcept override {
    if (closing_) return;
    closing_ = true;
    if (owner_ != nullptr) owner_->handle_ = nullptr;
    owner_ = nullptr;
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
  }

  std::error_code open(const ListenOptions& o);
  std::uint16_t port() const noexcept;

 private:
  static void connection_cb(uv_stream_t* server, int status);
  void refuse() noexcept;

  uv_tcp_t tcp_{};
  TCPListener* owner_;
  std::string unix_path_;  // set once bound: the file close() removes
  bool closing_ = false;
};

namespace {

int last_error() noexcept {
  return uv_translate_sys_error(errno);
}

int set_flag(int fd, int level, int option) noexcept {
  const int one = 1;
  return ::setsockopt(fd, level, option, &one, sizeof one) == 0 ? 0 : last_error();
}

}  // namespace

std::error_code TCPListener::Handle::open(const ListenOptions& o) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const bool is_unix = !o.unix_path.empty();
  if (is_unix) {
    auto& un = reinterpret_cast<sockaddr_un&>(ss);
    if (o.unix_path.size() >= sizeof un.sun_path) return uv_error(UV_ENAMETOOLONG);
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, o.unix_path.data(), o.unix_path.size());
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + o.unix_path.size() + 1);
  } else if (uv_ip4_addr(o.host.c_str(), o.port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) {
    len = sizeof(sockaddr_in);
  } else if (uv_ip6_addr(o.host.c_str(), o.port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) {
    len = sizeof(sockaddr_in6);
  } else {
    return uv_error(UV_EINVAL);
  }

  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return uv_error(last_error());
  int rc = 0;
  if (!is_unix) {
    // SO_REUSEADDR as libuv's own bind does: restart without waiting out TIME_WAIT.
    rc = set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
    if (rc == 0 && o.reuse_port) rc = set_flag(fd, SOL_SOCKET, SO_REUSEPORT);
    if (rc == 0 && ss.ss_family == AF_INET6 && o.ipv6_only) {
      rc = set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
    }
  }
  if (rc == 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) rc = last_error();
  if (rc == 0 && is_unix) unix_path_ = o.unix_path;
  if (rc == 0) rc = uv_tcp_open(&tcp_, fd);
  if (rc != 0) {
    ::close(fd);
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
    unix_path_.clear();
    return uv_error(rc);
  }
  // From here the handle owns the descriptor.
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), o.backlog, &Handle::connection_cb);
  return uv_error(rc);
}

std::uint16_t TCPListener::Handle::port() const noexcept {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

void TCPListener::Handle::connection_cb(uv_stream_t* server, int status) {
  auto* self = static_cast<Handle*>(server->data);
  if (status < 0) {
    detail::log().debug("accept failed: {}", uv_error(status).message());
    return;
  }
  if (self->owner_ == nullptr) {
    self->refuse();
    return;
  }
  Loop& loop = self->owner_loop_;
  TCPConnection* c = nullptr;
  detail::guarded("listener factory", [&] { c = self->owner_->factory_(loop); });
  if (c == nullptr) {
    self->refuse();
    return;
  }
  const std::error_code ec =
      c->accept_from(server, self->unix_path_.empty(), self->owner_->tls_.get());
  if (ec) detail::log().debug("accept failed: {}", ec.message());
}

void TCPListener::Handle::refuse() noexcept {
  // libuv holds the accepted descriptor until uv_accept() takes it (and stops accepting
  // meanwhile), so a refused connection still needs a handle for a moment.
  auto* h = new uv_tcp_t;
  uv_tcp_init(owner_loop_.uv(), h);
  uv_accept(reinterpret_cast<uv_stream_t*>(&tcp_), reinterpret_cast<uv_stream_t*>(h));
  uv_close(reinterpret_cast<uv_handle_t*>(h),
           [](uv_handle_t* closed) { delete reinterpret_cast<uv_tcp_t*>(closed); });
}

TCPListener::TCPListener(Loop& loop, Factory factory) : loop_(loop), factory_(std::move(factory)) {}

TCPListener::~TCPListener() {
  close();
}

std::error_code TCPListener::listen(const ListenOptions& options) {
  if (handle_ != nullptr) return uv_error(UV_EALREADY);
  handle_ = new Handle(loop_, *this);
  const std::error_code ec = handle_->open(options);
  if (ec) close();
  return ec;
}

std::uint16_t TCPListener::port() const noexcept {
  return handle_ != nullptr ? handle_->port() : 0;
}

void TCPListener::close() noexcept {
  if (handle_ != nullptr) handle_->close();  // clears handle_
}

}  // namespace uvws::net
