// Peers for the proxy integration tests, on plain blocking POSIX sockets: a loopback server
// running a handler per connection on its own thread (an echo server, a small SOCKS5 server with
// RFC 1929 authentication), and a blocking driver that runs a ProxyHandshake on a connection to
// a proxy and then talks through the tunnel.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "net/proxy_process.h"
#include "net/proxy_test_util.h"
#include "uvws/net/proxy_handshake.h"

namespace uvws::net::test {

inline bool send_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Exactly `n` bytes, or fewer when the peer closes or the read times out.
inline std::string recv_exact(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

// A server on 127.0.0.1 (port chosen by the kernel) that runs `handler` on each accepted
// connection on a thread of its own and closes the connection after it; the destructor stops
// accepting and joins every thread.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int)> handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback_address(0);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    ::shutdown(fd_, SHUT_RDWR);  // Wakes accept() (Linux).
    acceptor_.join();
    ::close(fd_);
    for (auto& t : workers_) t.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  void accept_loop() {
    while (true) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      timeval tv{10, 0};  // A stuck peer cannot hold the destructor for good.
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      workers_.emplace_back([this, c] {
        handler_(c);
        ::close(c);
      });
    }
  }

  std::function<void(int)> handler_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // Touched by the acceptor only until it is joined.
};

// Echoes every byte until the peer closes.
inline void echo_handler(int fd) {
  char buf[16384];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    if (!send_all(fd, std::string(buf, static_cast<std::size_t>(n)))) return;
  }
}

// Copies bytes both ways between `a` and `b` until either side closes.
inline void relay(int a, int b) {
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[16384];
  while (::poll(fds, 2, 10000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0 || !send_all(fds[1 - i].fd, std::string(buf, static_cast<std::size_t>(n)))) {
        return;
      }
    }
  }
}

// A SOCKS5 server (RFC 1928) that insists on user/password authentication (RFC 1929) with
// `user`:`password`, connects to 127.0.0.1 at the requested port whatever the address (a name is
// taken to mean this host) and relays. It stands in for dante, whose username method checks
// the system's user database.
inline std::function<void(int)> socks5_auth_handler(std::string user, std::string password) {
  return [user, password](int fd) {
    const auto head = recv_exact(fd, 2);
    if (head.size() != 2 || head[0] != 5) return;
    const auto methods = recv_exact(fd, static_cast<unsigned char>(head[1]));
    if (methods.find('\x02') == std::string::npos) {
      send_all(fd, std::string("\x05\xff", 2));
      return;
    }
    send_all(fd, std::string("\x05\x02", 2));
    const auto ulen = recv_exact(fd, 2);
    if (ulen.size() != 2 || ulen[0] != 1) return;
    const auto got_user = recv_exact(fd, static_cast<unsigned char>(ulen[1]));
    const auto plen = recv_exact(fd, 1);
    if (plen.size() != 1) return;
    const auto got_password = recv_exact(fd, static_cast<unsigned char>(plen[0]));
    const bool ok = got_user == user && got_password == password;
    send_all(fd, std::string(ok ? "\x01\x00" : "\x01\x01", 2));
    if (!ok) return;
    const auto request = recv_exact(fd, 4);
    if (request.size() != 4) return;
    std::size_t address = request[3] == 1 ? 4 : request[3] == 4 ? 16 : 0;
    if (request[3] == 3) address = static_cast<unsigned char>(recv_exact(fd, 1)[0]);
    recv_exact(fd, address);
    const auto port = recv_exact(fd, 2);
    if (port.size() != 2) return;
    const auto p = static_cast<std::uint16_t>((static_cast<unsigned char>(port[0]) << 8) |
                                              static_cast<unsigned char>(port[1]));
    const int up = connect_loopback(p);
    if (up < 0) {
      send_all(fd, std::string("\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10));
      return;
    }
    send_all(fd, std::string("\x05\x00\x00\x01\x7f\x00\x00\x01", 8) + port);
    relay(fd, up);
    ::close(up);
  };
}

// A connection to a proxy after the handshake: open (fd, with the tunnel bytes the handshake
// left) or failed (error and message).
struct Tunnel {
  int fd = -1;
  ProxyStep::State state = ProxyStep::State::need_more;
  std::error_code error;
  std::string message;
  std::string leftover;

  Tunnel() = default;
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;
  ~Tunnel() {
    if (fd >= 0) ::close(fd);
  }
};

// Connects to the proxy on 127.0.0.1:`proxy_port` and runs `h` to its end. A proxy that closes
// or falls silent for 10 s leaves the state need_more.
inline void open_tunnel(Tunnel& t, std::uint16_t proxy_port, ProxyHandshake& h) {
  t.fd = connect_loopback(proxy_port);
  if (t.fd < 0 || !send_all(t.fd, h.start())) return;
  char buf[4096];
  while (true) {
    const ssize_t n = ::recv(t.fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    const std::string chunk(buf, static_cast<std::size_t>(n));
    ProxyStep step = h.feed(as_bytes(chunk));
    t.state = step.state;
    switch (step.state) {
      case ProxyStep::State::need_more:
        break;
      case ProxyStep::State::send:
        if (!send_all(t.fd, step.bytes)) return;
        break;
      case ProxyStep::State::done:
        t.leftover = chunk.substr(step.consumed);
        return;
      case ProxyStep::State::failed:
        t.error = step.error;
        t.message = step.message;
        return;
    }
  }
}

// Sends `payload` through the open tunnel (from a thread, so that a payload larger than the
// socket buffers cannot block both ways) and returns what comes back, as many bytes.
inline std::string echo_through(Tunnel& t, const std::string& payload) {
  bool sent = false;
  std::thread writer([&] { sent = send_all(t.fd, payload); });
  std::string back = t.leftover + recv_exact(t.fd, payload.size() - t.leftover.size());
  writer.join();
  return sent ? back : std::string();
}

// Bytes whose value depends on their position, so that a loss or a reordering shows.
inline std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

}  // namespace uvws::net::test
