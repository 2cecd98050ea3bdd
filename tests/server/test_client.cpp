#include "test_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

namespace uvws::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

bool set_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Polls one descriptor; the revents, or 0 on timeout.
short poll_one(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return p.revents;
    if (n == 0) return 0;
    if (errno != EINTR) return POLLERR;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ---------------------------------------------------------------------------------------
// Socket

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Socket Socket::connect_tcp(const std::string& host, std::uint16_t port, Ms timeout, int rcvbuf) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return {};
  }
  Socket s(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid() || !set_non_blocking(s.fd_)) return {};
  if (rcvbuf > 0) ::setsockopt(s.fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (::connect(s.fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) return {};
    const auto ms = static_cast<int>(timeout.count());
    if ((poll_one(s.fd_, POLLOUT, ms) & POLLOUT) == 0) return {};
    int err = 0;
    socklen_t err_len = sizeof(err);
    if (::getsockopt(s.fd_, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) return {};
  }
  return s;
}

Socket Socket::connect_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) return {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  Socket s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return {};
  if (::connect(s.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return {};
  if (!set_non_blocking(s.fd_)) return {};
  return s;
}

bool Socket::send_all(std::span<const std::uint8_t> bytes, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes = bytes.subspan(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      errno_ = errno;
      return false;
    }
    if ((poll_one(fd_, POLLOUT, remaining_ms(deadline)) & (POLLOUT | POLLERR | POLLHUP)) == 0) {
      return false;
    }
  }
  return true;
}

Socket::ReadStatus Socket::read_some(std::vector<std::uint8_t>& out, Ms timeout) {
  const short ev = poll_one(fd_, POLLIN, static_cast<int>(timeout.count()));
  if (ev == 0) return ReadStatus::timeout;
  constexpr std::size_t chunk = 256 * 1024;
  const std::size_t old = out.size();
  out.resize(old + chunk);
  const ssize_t n = ::recv(fd_, out.data() + old, chunk, 0);
  out.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
  if (n > 0) return ReadStatus::data;
  if (n == 0) return ReadStatus::eof;
  if (errno == EAGAIN || errno == EINTR) return ReadStatus::timeout;
  errno_ = errno;
  return ReadStatus::error;
}

bool Socket::wait_closed(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<std::uint8_t> sink;
  for (;;) {
    sink.clear();
    switch (read_some(sink, Ms(remaining_ms(deadline)))) {
      case ReadStatus::eof:
      case ReadStatus::error:
        return true;
      case ReadStatus::data:
        break;
      case ReadStatus::timeout:
        if (Clock::now() >= deadline) return false;
        break;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Raw traffic

std::vector<std::uint8_t> frame_bytes(const RawFrame& raw) {
  ws::Frame f;
  f.fin = raw.fin;
  f.rsv1 = raw.rsv1;
  f.rsv2 = raw.rsv2;
  f.rsv3 = raw.rsv3;
  f.opcode = raw.opcode;
  f.masked = raw.masked;
  f.mask_key = raw.mask_key;
  f.length = raw.payload.size();
  f.payload = as_bytes(raw.payload);
  core::Buffer out;
  ws::serialize(f, out);
  return {out.data(), out.data() + out.size()};
}

std::string upgrade_request(std::string_view target, std::string_view extra, std::string_view key,
                            std::string_view version) {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Key: ";
  r += key;
  r += "\r\nSec-WebSocket-Version: ";
  r += version;
  r += "\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

std::string HttpResult::header(std::string_view name) const {
  std::string_view rest(head);
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !iequals(line.substr(0, colon), name)) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return std::string(value);
  }
  return {};
}

HttpResult http_exchange(std::uint16_t port, std::string_view request, Ms timeout) {
  HttpResult result;
  const auto deadline = Clock::now() + timeout;
  Socket s = Socket::connect_tcp("127.0.0.1", port, timeout);
  if (!s.valid()) return result;
  // The server may answer (and close) before it has read everything, e.g. on oversized
  // headers: a failed send is not an error here, the answer is what counts.
  s.send_all(request, Ms(remaining_ms(deadline)));
  std::vector<std::uint8_t> in;
  for (;;) {
    const auto st = s.read_some(in, Ms(remaining_ms(deadline)));
    const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
    const auto end = text.find("\r\n\r\n");
    if (end != std::string_view::npos && result.status == 0) {
      result.head = std::string(text.substr(0, end + 4));
      if (result.head.rfind("HTTP/1.1 ", 0) == 0 && result.head.size() > 12) {
        result.status = std::atoi(result.head.c_str() + 9);
      }
    }
    if (end != std::string_view::npos) result.body = std::string(text.substr(end + 4));
    if (st == Socket::ReadStatus::eof || st == Socket::ReadStatus::error) {
      result.closed = true;
      return result;
    }
    if (result.status == 101) return result;
    if (st == Socket::ReadStatus::timeout && Clock::now() >= deadline) return result;
  }
}

const char* kind_name(Received::Kind kind) {
  switch (kind) {
    case Received::Kind::message:
      return "message";
    case Received::Kind::ping:
      return "ping";
    case Received::Kind::pong:
      return "pong";
    case Received::Kind::close:
      return "close";
    case Received::Kind::failed:
      return "failed";
    case Received::Kind::eof:
      return "eof";
    case Received::Kind::timeout:
      return "timeout";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// TestClient

TestClient::TestClient(std::size_t max_message_size) {
  options_.max_message_size = max_message_size;
  options_.max_frame_size = max_message_size;
  protocol_ = std::make_unique<ws::ClientProtocol>(options_, listener_);
}

TestClient::~TestClient() = default;

int TestClient::connect(std::uint16_t port, std::string_view target, const Headers& headers,
                        const std::string& host, Ms timeout, int rcvbuf) {
  options_.headers = headers;
  socket_ = Socket::connect_tcp(host, port, timeout, rcvbuf);
  if (!socket_.valid()) return 0;
  const bool v6 = host.find(':') != std::string::npos;
  const std::string host_header =
      (v6 ? "[" + host + "]" : host) + ":" + std::to_string(static_cast<unsigned>(port));
  return handshake(host_header, target, timeout);
}

int TestClient::connect_unix(const std::string& path, std::string_view target, Ms timeout) {
  socket_ = Socket::connect_unix(path);
  if (!socket_.valid()) return 0;
  return handshake("localhost", target, timeout);
}

int TestClient::handshake(const std::string& host_header, std::string_view target, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  protocol_->connect(host_header, target, out_);
  if (!flush()) return 0;
  while (protocol_->state() == ws::State::connecting && !eof_) {
    if (!pump(Ms(remaining_ms(deadline))) && !eof_) break;
    if (Clock::now() >= deadline) break;
  }
  return opened_ ? 101 : http_status_;
}

bool TestClient::flush() {
  // Re-entered from pump() while writing (an automatic answer): the outer call sends it after
  // the bytes it is writing, never in the middle of a frame.
  if (flushing_) return true;
  flushing_ = true;
  const auto deadline = Clock::now() + Ms(60000);
  bool ok = true;
  // Taken out whole: pump() below may append more (an automatic answer), sent next round.
  const auto take = [this] {
    std::vector<std::uint8_t> bytes(out_.data(), out_.data() + out_.size());
    out_.clear();
    return bytes;
  };
  for (std::vector<std::uint8_t> out = take(); ok && !out.empty(); out = take()) {
    std::span<const std::uint8_t> rest(out);
    // Write and read at once: a server echoing while we still send must not fill both
    // directions' buffers and stall.
    while (!rest.empty()) {
      const ssize_t n = ::send(socket_.fd(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n > 0) {
        rest = rest.subspan(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        ok = false;
        break;
      }
      const short ev = poll_one(socket_.fd(), POLLOUT | POLLIN, remaining_ms(deadline));
      if (ev == 0) {
        ok = false;
        break;
      }
      if ((ev & POLLIN) != 0 && !eof_) pump(Ms(0));
    }
  }
  flushing_ = false;
  return ok;
}

void TestClient::feed(std::span<const std::uint8_t> bytes) {
  protocol_->receive_data(bytes, out_);
  collect();
}

void TestClient::collect() {
  for (ws::test::Event& e : listener_.take()) {
    Received r;
    switch (e.type) {
      case ws::test::Event::Type::response:
        opened_ = true;  // frames behind the 101 may already have closed the protocol again
        continue;
      case ws::test::Event::Type::request:
      case ws::test::Event::Type::fragment:
        continue;
      case ws::test::Event::Type::message:
        r.kind = Received::Kind::message;
        break;
      case ws::test::Event::Type::ping:
        r.kind = Received::Kind::ping;
        break;
      case ws::test::Event::Type::pong:
        r.kind = Received::Kind::pong;
        break;
      case ws::test::Event::Type::close:
        r.kind = Received::Kind::close;
        break;
      case ws::test::Event::Type::failed:
        r.kind = Received::Kind::failed;
        break;
    }
    if (e.type == ws::test::Event::Type::failed && e.error == ws::Condition::handshake_failed) {
      const ws::HTTPResponse* response = protocol_->response();
      http_status_ = response != nullptr ? response->status() : 0;
    }
    r.opcode = e.opcode;
    r.code = e.close_code;
    r.data = std::move(e.data);
    r.error = e.error;
    pending_.push_back(std::move(r));
  }
  // Automatic answers (pong, the close reply); the server may be gone already.
  if (socket_.valid() && !eof_) flush();
}

void TestClient::end() {
  if (eof_) return;
  eof_ = true;
  protocol_->receive_eof();
  collect();
  // RFC 6455 7.1.1: once the server has ended TCP, the client closes its side too (a server
  // waits for that, or for its close timeout, before it lets the connection go).
  socket_.close();
  pending_.push_back(Received{Received::Kind::eof, ws::Opcode::text, 0, {}, {}});
}

bool TestClient::pump(Ms timeout) {
  if (eof_ || !socket_.valid()) return false;
  scratch_.clear();
  switch (socket_.read_some(scratch_, timeout)) {
    case Socket::ReadStatus::data:
      feed(scratch_);
      return true;
    case Socket::ReadStatus::timeout:
      return true;
    case Socket::ReadStatus::eof:
    case Socket::ReadStatus::error:
      end();
      return false;
  }
  return false;
}

bool TestClient::take(Received& out) {
  if (pending_.empty()) return false;
  out = std::move(pending_.front());
  pending_.pop_front();
  return true;
}

Received TestClient::recv(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  Received r;
  // At least one read, also with a zero timeout: "nothing arrived" means nothing was readable.
  for (bool first = true; !take(r); first = false) {
    if (eof_ || (!first && Clock::now() >= deadline)) return Received{};
    pump(Ms(remaining_ms(deadline)));
  }
  return r;
}

Received TestClient::recv_data(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Received r = recv(Ms(remaining_ms(deadline)));
    if (r.kind != Received::Kind::ping && r.kind != Received::Kind::pong) return r;
  }
}

bool TestClient::wait_eof(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const Received r = recv(Ms(remaining_ms(deadline)));
    if (r.kind == Received::Kind::eof) return true;
    if (r.kind == Received::Kind::timeout) return false;
  }
}

bool TestClient::send_text(std::string_view text) {
  return protocol_->send_text(text, out_) && flush();
}
bool TestClient::send_binary(std::span<const std::uint8_t> data) {
  return protocol_->send_binary(data, out_) && flush();
}
bool TestClient::send_fragment(ws::Opcode opcode, std::string_view data, bool fin) {
  return protocol_->send_fragment(opcode, as_bytes(data), fin, out_) && flush();
}
bool TestClient::ping(std::string_view payload) {
  return protocol_->send_ping(as_bytes(payload), out_) && flush();
}
bool TestClient::pong(std::string_view payload) {
  return protocol_->send_pong(as_bytes(payload), out_) && flush();
}
bool TestClient::close(std::uint16_t code, std::string_view reason) {
  return protocol_->send_close(code, reason, out_) && flush();
}
bool TestClient::send_raw(std::span<const std::uint8_t> bytes) {
  return socket_.send_all(bytes);
}

}  // namespace uvws::test
