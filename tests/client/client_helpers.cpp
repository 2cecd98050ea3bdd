// The client tests' fixtures declared in client_helpers.h.
#include "client/client_helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "uvws/core/crypto.h"
#include "uvws/net/timer.h"

namespace uvws::test {
namespace {

Ms remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now());
  return std::max(left, Ms(0));
}

}  // namespace

bool run_until(net::Loop& loop, const std::function<bool()>& pred, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  net::Timer tick(loop);
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    // The tick bounds how long one iteration may block waiting for I/O.
    tick.start(5, [] {});
    loop.run_once();
  }
  return true;
}

void run_for(net::Loop& loop, Ms duration) {
  const auto deadline = Clock::now() + duration;
  run_until(
      loop, [&] { return Clock::now() >= deadline; }, duration + Ms(1000));
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::vector<std::uint8_t> to_bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

std::string pattern(std::size_t n, bool text) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = text ? static_cast<char>(' ' + (i * 7 + i / 95) % 95)
                : static_cast<char>(static_cast<unsigned char>((i * 31 + i / 256) & 0xFF));
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// ClientRecorder

void ClientRecorder::on_open(WebSocket& ws) {
  if (open_) ++violations;  // on_open twice without an on_close between
  open_ = true;
  ++opens;
  events.emplace_back("open");
  subprotocol = std::string(ws.subprotocol());
  compressed = ws.compressed();
  if (open_hook) open_hook(ws);
}

void ClientRecorder::on_message(WebSocket& ws, Message message) {
  if (!open_) ++violations;
  events.emplace_back("message");
  messages.push_back({message.opcode(), std::string(message.text())});
  if (message_hook) message_hook(ws, messages.back());
}

void ClientRecorder::on_pong(WebSocket&, std::span<const std::uint8_t>) {
  if (!open_) ++violations;
  events.emplace_back("pong");
}

void ClientRecorder::on_close(WebSocket&, std::uint16_t code, std::string_view reason) {
  if (!open_) ++violations;
  open_ = false;
  ++closes;
  events.emplace_back("close");
  close_code = code;
  close_reason = std::string(reason);
  closed_at = Clock::now();
  if (close_hook) close_hook(code, reason);
}

void ClientRecorder::on_error(WebSocket* ws, std::error_code ec) {
  events.emplace_back("error");
  errors.push_back({ws != nullptr, ec});
  error_at = Clock::now();
}

// ---------------------------------------------------------------------------------------
// ClientRun

ClientRun::ClientRun(std::string_view url, ClientOptions options, bool connect)
    : client(std::make_unique<Client>(loop, url, rec, std::move(options))) {
  if (connect) client->connect();
}

ClientRun::~ClientRun() {
  shut_down();
}

bool ClientRun::close_and_wait(std::uint16_t code, std::string_view reason) {
  if (!client) return false;
  const int before = rec.closes;
  client->close(code, reason);
  return wait([&] { return rec.closes > before; });
}

std::error_code ClientRun::shut_down() {
  client.reset();
  return loop.close_all();
}

std::string ws_url(std::uint16_t port, std::string_view target, std::string_view host) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string url = "ws://";
  url += v6 ? "[" + std::string(host) + "]" : std::string(host);
  url += ":" + std::to_string(static_cast<unsigned>(port));
  url += target;
  return url;
}

// ---------------------------------------------------------------------------------------
// Fake server

std::string accept_key(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  const core::Sha1Digest digest = core::sha1(s);
  return core::base64_encode(std::span<const std::uint8_t>(digest));
}

std::string switching_protocols(std::string_view request_head, std::string_view extra) {
  HttpResult request;
  request.head = std::string(request_head);
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r += accept_key(request.header("Sec-WebSocket-Key"));
  r += "\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

std::uint16_t ClientFrame::close_code() const {
  if (payload.size() < 2) return 0;
  return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                    static_cast<unsigned char>(payload[1]));
}

std::string ClientFrame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : std::string();
}

std::string FakePeer::read_request(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::string_view text(reinterpret_cast<const char*>(in_.data()), in_.size());
    const auto end = text.find("\r\n\r\n");
    if (end != std::string_view::npos) {
      std::string head(text.substr(0, end + 4));
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(end + 4));
      return head;
    }
    const auto st = socket_.read_some(in_, remaining(deadline));
    if (st == Socket::ReadStatus::eof || st == Socket::ReadStatus::error) return {};
    if (st == Socket::ReadStatus::timeout && Clock::now() >= deadline) return {};
  }
}

std::optional<ClientFrame> FakePeer::read_frame(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (in_.size() >= 2) {
      const std::uint8_t b0 = in_[0];
      const std::uint8_t b1 = in_[1];
      const std::size_t header = ws::header_size(b1);
      if (in_.size() >= header) {
        std::uint64_t length = b1 & 0x7Fu;
        std::size_t pos = 2;
        if (length == 126) {
          length = (std::uint64_t{in_[2]} << 8) | in_[3];
          pos = 4;
        } else if (length == 127) {
          length = 0;
          for (std::size_t i = 0; i < 8; ++i) length = (length << 8) | in_[2 + i];
          pos = 10;
        }
        const bool masked = (b1 & 0x80u) != 0;
        std::uint8_t key[4] = {};
        if (masked) {
          std::memcpy(key, in_.data() + pos, 4);
          pos += 4;
        }
        if (in_.size() - header >= length) {
          ClientFrame f;
          f.fin = (b0 & 0x80u) != 0;
          f.rsv = (b0 & 0x70u) != 0;
          f.opcode = static_cast<ws::Opcode>(b0 & 0x0Fu);
          f.masked = masked;
          f.payload.resize(static_cast<std::size_t>(length));
          for (std::size_t i = 0; i < length; ++i) {
            f.payload[i] = static_cast<char>(in_[header + i] ^ (masked ? key[i % 4] : 0));
          }
          in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(header + length));
          return f;
        }
      }
    }
    const auto st = socket_.read_some(in_, remaining(deadline));
    if (st == Socket::ReadStatus::eof || st == Socket::ReadStatus::error) return std::nullopt;
    if (st == Socket::ReadStatus::timeout && Clock::now() >= deadline) return std::nullopt;
  }
}

bool FakePeer::send_frame(const RawFrame& frame) {
  return socket_.send_all(frame_bytes(frame));
}

bool FakePeer::client_closed_within(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto st = socket_.read_some(in_, remaining(deadline));
    if (st == Socket::ReadStatus::eof || st == Socket::ReadStatus::error) return true;
    if (st == Socket::ReadStatus::timeout && Clock::now() >= deadline) return false;
  }
}

FakeServer::FakeServer(Script script, bool accept, int backlog) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return;
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, backlog) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  if (!accept || !script) return;
  thread_ = std::thread([this, script = std::move(script)] {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        {
          std::lock_guard lock(mutex_);
          accepted_ = true;
        }
        FakePeer peer{Socket(fd)};
        script(peer);
      }
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  });
}

FakeServer::~FakeServer() {
  join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::string FakeServer::url(std::string_view target) const {
  return "ws://127.0.0.1:" + std::to_string(static_cast<unsigned>(port_)) + std::string(target);
}

bool FakeServer::join(Ms timeout) {
  if (thread_.joinable()) {
    std::unique_lock lock(mutex_);
    if (!done_cv_.wait_for(lock, timeout, [&] { return done_; })) {
      std::fprintf(stderr, "fake server: the script did not end in time; aborting\n");
      std::abort();
    }
    lock.unlock();
    thread_.join();
  }
  std::lock_guard lock(mutex_);
  return accepted_;
}

}  // namespace uvws::test
