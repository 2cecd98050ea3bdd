// bench-echo-epoll: the floor of the echo benchmark — the least work a single-threaded
// WebSocket echo server can do on Linux.
//
//   bench-echo-epoll [--port N] [--broadcast] [--validate-utf8]
//                                   (0: any free port; prints "listening PORT" first)
//
// One epoll loop, level-triggered, on 127.0.0.1. The opening handshake is read until the
// blank line and answered from its Sec-WebSocket-Key (RFC 6455 4.2.2) with no other check.
// Frames are then streamed: each header is answered with an unmasked header of the same
// opcode and length (RFC 6455 5.2), and each piece of payload is unmasked (5.3) straight into
// the output, so a frame is echoed as it arrives, even a large one. Pings are answered with
// pongs, a close frame is echoed and ends the connection; nothing else — no fragmentation
// rules, no UTF-8 checks, no limits. Output is built for all of one read in a shared buffer
// and written with one send(); only a rest the kernel would not take is kept per connection,
// and reading from that connection waits until it is written.
//
// --broadcast makes it the floor of the fan-out benchmark (bench/fanout.sh) instead: each
// data frame a client sends is relayed, once it has arrived whole (a frame must not be cut
// into by another sender's), to every other open connection. The frames completed by one read
// are gathered in one shared buffer and written to each receiver with one send() (or queued
// behind what it has not taken yet), the least work a relay can do; control frames are
// answered to their sender as in echo mode.
//
// --validate-utf8 makes it the conforming floor of bench/instructions.sh ("floor-utf8"): the
// payload of every text message is also checked as it is unmasked, with uvws's own
// core::Utf8Validator, as RFC 6455 8.1 requires of every endpoint (a message that is not valid
// UTF-8 ends the connection). It is the one check of a received data frame's payload the RFC
// makes mandatory, so the difference to the plain floor is what a conforming server cannot
// avoid spending beyond it on each message.
//
// Not a server to deploy: a peer's bytes are trusted. Errors end that connection.
// Connections are kept in a table indexed by file descriptor.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/core/crypto.h"
#include "uvws/core/utf8.h"

namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

struct Conn {
  int fd = -1;
  bool open = false;     // handshake answered
  bool closing = false;  // close frame echoed: end once the output is written
  std::string request;   // the handshake so far
  std::array<std::uint8_t, 14> header{};
  std::size_t header_len = 0;
  std::uint64_t left = 0;  // payload bytes of the current frame still to come
  std::uint32_t key = 0;   // its masking key, rotated to the next payload byte's phase
  bool in_frame = false;
  bool echo_payload = true;        // false for a client's pong: its payload is dropped
  bool fin = false;                // the current frame ends its message
  bool check = false;              // --validate-utf8: the current frame's payload is checked
  bool relay = false;              // --broadcast: the current frame goes to the others
  bool text = false;               // --validate-utf8: the current data message is text
  uvws::core::Utf8Validator utf8;  // --validate-utf8: the current text message so far
  uvws::core::Buffer frame;        // --broadcast: the frame being relayed, until it is whole
  uvws::core::Buffer pending;      // output the kernel did not take yet
};

bool broadcast = false;
bool validate_utf8 = false;
uvws::core::Buffer out;  // output of the current read for its own connection (one for all)
uvws::core::Buffer fan;  // --broadcast: frames of the current read for every other connection
std::vector<std::unique_ptr<Conn>> conns;  // by file descriptor
int epoll_fd = -1;

std::size_t header_size(std::uint8_t b1) {
  const unsigned len7 = b1 & 0x7Fu;
  return 2u + (len7 == 126 ? 2u : len7 == 127 ? 8u : 0u) + ((b1 & 0x80u) ? 4u : 0u);
}

// Unmasks n bytes from src, appending them to `to`, and advances the key's phase. Returns the
// unmasked bytes (in `to`).
const std::uint8_t* unmask_append(uvws::core::Buffer& to, const std::uint8_t* src, std::size_t n,
                                  std::uint32_t& key) {
  std::uint8_t* dst = to.prepare(n);
  const std::uint64_t key64 = (static_cast<std::uint64_t>(key) << 32) | key;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, src + i, 8);
    v ^= key64;
    std::memcpy(dst + i, &v, 8);
  }
  std::uint32_t k = key;
  for (; i < n; ++i) {
    dst[i] = static_cast<std::uint8_t>(src[i] ^ (k & 0xFF));
    k = (k >> 8) | (k << 24);  // the key's bytes in memory order, little-endian
  }
  key = k;
  to.commit(n);
  return dst;
}

void append_header(uvws::core::Buffer& to, std::uint8_t b0, std::uint64_t len) {
  std::uint8_t h[10];
  std::size_t n = 2;
  h[0] = b0;
  if (len < 126) {
    h[1] = static_cast<std::uint8_t>(len);
  } else if (len <= 0xFFFF) {
    h[1] = 126;
    h[2] = static_cast<std::uint8_t>(len >> 8);
    h[3] = static_cast<std::uint8_t>(len);
    n = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<std::uint8_t>(len >> (56 - 8 * i));
    n = 10;
  }
  to.append(h, n);
}

void close_conn(Conn* c) {
  const int fd = c->fd;
  ::close(fd);
  conns[static_cast<std::size_t>(fd)].reset();
}

void set_interest(Conn* c) {
  epoll_event ev{};
  ev.events = c->pending.empty() ? EPOLLIN : EPOLLOUT;
  ev.data.fd = c->fd;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

// Writes `data` to c; keeps what the kernel does not take. False when the connection failed.
bool write_out(Conn* c, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(c->fd, data, n, MSG_NOSIGNAL);
    if (w > 0) {
      data += w;
      n -= static_cast<std::size_t>(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && errno == EAGAIN) {
      const bool was_empty = c->pending.empty();
      c->pending.append(data, n);
      if (was_empty) set_interest(c);
      return true;
    } else {
      return false;
    }
  }
  return true;
}

bool handshake(Conn* c, const std::uint8_t* data, std::size_t n, std::size_t& used) {
  const std::size_t old = c->request.size();
  c->request.append(reinterpret_cast<const char*>(data), n);
  const std::size_t end = c->request.find("\r\n\r\n", old < 3 ? 0 : old - 3);
  if (end == std::string::npos) {
    used = n;
    return c->request.size() < 16384;
  }
  used = end + 4 - old;
  std::string key;
  for (std::size_t pos = c->request.find("\r\n") + 2; pos < end;) {
    const std::size_t eol = c->request.find("\r\n", pos);
    const std::string_view line(c->request.data() + pos, eol - pos);
    pos = eol + 2;
    constexpr std::string_view name = "sec-websocket-key:";
    if (line.size() > name.size() && std::equal(name.begin(), name.end(), line.begin(),
                                                [](char a, char b) { return a == (b | 0x20); })) {
      std::string_view v = line.substr(name.size());
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      key = v;
    }
  }
  if (key.empty()) return false;
  const std::string accept =
      uvws::core::base64_encode(uvws::core::sha1(key + std::string(websocket_guid)));
  const std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      accept + "\r\n\r\n";
  out.append(response);
  std::string().swap(c->request);
  c->open = true;
  return true;
}

// Parses and echoes the frames in data[0, n); Validate: --validate-utf8 (a template argument,
// so that the plain floor runs the same code as without the option).
template <bool Validate>
bool frames(Conn* c, const std::uint8_t* data, std::size_t n) {
  while (n > 0 && !c->closing) {
    if (!c->in_frame) {
      const std::size_t need = c->header_len < 2 ? 2 : header_size(c->header[1]);
      const std::size_t take = std::min(need - c->header_len, n);
      std::memcpy(c->header.data() + c->header_len, data, take);
      c->header_len += take;
      data += take;
      n -= take;
      if (c->header_len < need || (need == 2 && header_size(c->header[1]) > 2)) continue;
      const std::uint8_t b0 = c->header[0];
      const std::uint8_t b1 = c->header[1];
      if (!(b1 & 0x80)) return false;  // RFC 6455 5.1: clients mask every frame
      std::uint64_t len = b1 & 0x7Fu;
      std::size_t at = 2;
      if (len >= 126) {
        const std::size_t bytes = len == 126 ? 2 : 8;
        len = 0;
        for (std::size_t i = 0; i < bytes; ++i) len = (len << 8) | c->header[at++];
      }
      std::memcpy(&c->key, c->header.data() + at, 4);
      c->header_len = 0;
      c->left = len;
      c->in_frame = true;
      const unsigned opcode = b0 & 0x0Fu;
      c->echo_payload = opcode != 0xA;
      c->relay = broadcast && opcode < 0x8;
      if constexpr (Validate) {
        c->fin = (b0 & 0x80) != 0;
        if (opcode < 0x8) {
          if (opcode != 0x0) {  // a message starts (0x0: it goes on)
            c->text = opcode == 0x1;
            c->utf8.reset();
          }
          c->check = c->text;
        } else {
          c->check = false;
        }
      }
      if (opcode == 0x9) {
        append_header(out, static_cast<std::uint8_t>(0x80 | 0xA), len);  // ping: pong
      } else if (c->relay) {
        append_header(c->frame, b0, len);
      } else if (c->echo_payload) {
        append_header(out, b0, len);
      }
      if (opcode == 0x8) c->closing = true;  // the rest of the close frame is still echoed
    }
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(c->left, n));
    if (c->echo_payload) {
      const std::uint8_t* plain = unmask_append(c->relay ? c->frame : out, data, take, c->key);
      if constexpr (Validate) {
        if (c->check && !c->utf8.feed({plain, take})) return false;  // RFC 6455 8.1
      }
    }
    data += take;
    n -= take;
    c->left -= take;
    if (c->left == 0) {
      c->in_frame = false;
      if constexpr (Validate) {
        if (c->check && c->fin && !c->utf8.complete()) return false;  // ends inside a sequence
      }
      if (c->relay) {
        fan.append(c->frame.span());
        c->frame.clear();
      }
    }
  }
  // A close frame's payload may not have arrived whole yet.
  if (c->closing && c->in_frame && n > 0) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(c->left, n));
    unmask_append(out, data, take, c->key);
    c->left -= take;
    if (c->left == 0) c->in_frame = false;
  }
  return true;
}

void on_readable(Conn* c, std::vector<std::uint8_t>& buf) {
  const ssize_t r = ::recv(c->fd, buf.data(), buf.size(), 0);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) return close_conn(c);
  const auto* data = buf.data();
  auto n = static_cast<std::size_t>(r);
  out.clear();
  fan.clear();
  if (!c->open) {
    std::size_t used = 0;
    if (!handshake(c, data, n, used)) return close_conn(c);
    data += used;
    n -= used;
  }
  if (c->open && !(validate_utf8 ? frames<true>(c, data, n) : frames<false>(c, data, n))) {
    return close_conn(c);
  }
  if (!fan.empty()) {
    for (auto& slot : conns) {
      Conn* to = slot.get();
      if (to == nullptr || to == c || !to->open || to->closing) continue;
      if (!to->pending.empty()) {
        to->pending.append(fan.span());  // behind what it has not taken yet, in order
      } else if (!write_out(to, fan.data(), fan.size())) {
        close_conn(to);
      }
    }
  }
  if (!out.empty() && !write_out(c, out.data(), out.size())) return close_conn(c);
  if (c->closing && !c->in_frame && c->pending.empty()) return close_conn(c);
}

void on_writable(Conn* c) {
  uvws::core::Buffer rest = std::move(c->pending);
  if (!write_out(c, rest.data(), rest.size())) return close_conn(c);
  if (c->pending.empty()) {
    if (c->closing && !c->in_frame) return close_conn(c);
    set_interest(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--broadcast") == 0) {
      broadcast = true;
    } else if (std::strcmp(argv[i], "--validate-utf8") == 0) {
      validate_utf8 = true;
    } else {
      std::fprintf(stderr, "usage: bench-echo-epoll [--port N] [--broadcast] [--validate-utf8]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(lfd, SOMAXCONN) != 0) {
    std::perror("bench-echo-epoll: bind/listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening %u\n", ntohs(addr.sin_port));
  std::fflush(stdout);

  epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = lfd;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, lfd, &lev);
  std::vector<std::uint8_t> buf(64 * 1024);
  std::array<epoll_event, 512> events;
  for (;;) {
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
      if (fd == lfd) {
        for (;;) {
          const int cfd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          const auto slot = static_cast<std::size_t>(cfd);
          if (conns.size() <= slot) conns.resize(slot + 1);
          conns[slot] = std::make_unique<Conn>();
          conns[slot]->fd = cfd;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = cfd;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, cfd, &cev);
        }
        continue;
      }
      Conn* c = conns[static_cast<std::size_t>(fd)].get();
      if (c == nullptr) continue;
      if (ev & EPOLLOUT) {
        on_writable(c);
      } else {
        on_readable(c, buf);
      }
    }
  }
}
