// RawClient: one client WebSocket connection on a plain non-blocking loopback socket, for the
// benchmark clients that run their own epoll loop (uvws-fanout, uvws-deflate-load): uvws's
// sans-I/O ClientProtocol does the framing, this class only moves bytes. Also the reading of a
// server's CPU time from /proc and the raising of the descriptor limit that those clients
// share.
//
// Errors end the program: each program defines uvws::bench::die() with its own name in the
// message. Ownership: a RawClient owns its socket. Threads: one.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "uvws/ws/client_protocol.h"

namespace uvws::bench {

// Prints "PROGRAM: what" and exits with status 1 (each program defines it).
[[noreturn]] void die(const std::string& what);

class RawClient {
 public:
  // Connects to 127.0.0.1:`port` (the connection completes in the background) and queues the
  // opening handshake for `target` (path and query). `options` and `listener` must outlive the
  // client.
  RawClient(const ws::ClientProtocolOptions& options, ws::ProtocolListener& listener,
            std::uint16_t port, std::string_view target = "/")
      : proto_(options, listener) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) die("socket: " + std::string(std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EINPROGRESS) {
      die("connect: " + std::string(std::strerror(errno)));
    }
    proto_.connect("127.0.0.1:" + std::to_string(port), target, out_);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int fd() const { return fd_; }
  ws::ClientProtocol& protocol() { return proto_; }
  // What is queued for the server; send into it with protocol().send_*().
  core::Buffer& out() { return out_; }
  bool open() const { return proto_.state() == ws::State::open; }

  // Writes what is queued; false when the socket would block (try again later).
  bool flush() {
    while (!out_.empty()) {
      const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN) return false;
        die("send: " + std::string(std::strerror(errno)));
      }
      out_.consume(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until the socket is empty, feeding the protocol (whose listener gets the
  // messages); returns the bytes read. A read shorter than the buffer emptied the socket, so
  // it ends there without the extra recv() that would say EAGAIN (for a stream socket this is
  // enough for edge-triggered epoll too, epoll(7)): half the system calls when each read
  // brings one small message.
  std::uint64_t read_all() {
    std::uint8_t buf[65536];
    std::uint64_t total = 0;
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        total += static_cast<std::uint64_t>(n);
        proto_.receive_data_in_place({buf, static_cast<std::size_t>(n)}, out_);
        if (static_cast<std::size_t>(n) < sizeof buf) return total;
        continue;
      }
      if (n == 0) die("the server closed a connection");
      if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
      die("recv: " + std::string(std::strerror(errno)));
    }
  }

 private:
  ws::ClientProtocol proto_;
  core::Buffer out_;
  int fd_ = -1;
};

// Raises this process's soft limit on descriptors to the hard limit (thousands of clients).
inline void raise_descriptor_limit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

// utime and stime of process `pid`, all threads, in clock ticks (sysconf(_SC_CLK_TCK)).
inline std::pair<unsigned long long, unsigned long long> user_system_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) die("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return {utime, stime};
}

}  // namespace uvws::bench
