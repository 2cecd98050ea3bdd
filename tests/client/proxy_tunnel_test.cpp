// TCPConnection::start_tunnel, the seam the client's proxy support rests on, against scripted
// proxies on loopback (proxy_peers.h): the subclass never sees the proxy's answer, the bytes that
// follow it in the same read reach on_data, and a refusal or an early close reaches the
// callback with its error and closes the connection without on_error.
#include <catch2/catch.hpp>

#include <string>

#include "net/net_test_util.h"
#include "net/proxy_peers.h"
#include "uvws/net/error.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_handshake.h"
#include "uvws/net/tcp_connection.h"

using namespace uvws::net;
namespace nt = uvws::net::test;

namespace {

struct Recorder : TCPConnection {
  explicit Recorder(Loop& loop, bool& closed_flag, std::string& data_out, int& errors_out)
      : TCPConnection(loop), closed(closed_flag), data(data_out), errors(errors_out) {}
  void on_data(std::span<std::uint8_t> bytes) override {
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void on_error(std::error_code) override { ++errors; }
  void on_closed() override { closed = true; }
  bool& closed;
  std::string& data;
  int& errors;
};

// What one tunnel attempt through a scripted proxy produced.
struct Outcome {
  bool opened = false;
  std::error_code error;
  std::string data;  // what on_data got
  int on_error_calls = 0;
  bool closed = false;
  std::string request;  // what the proxy read before answering
};

// Connects to a proxy that reads the CONNECT request head, answers `answer` in one send and then
// closes; runs the tunnel until the connection closed.
Outcome through_scripted_proxy(const std::string& answer) {
  Outcome out;
  {  // The proxy's thread is joined before `out` is returned.
    nt::LoopbackServer proxy([&](int fd) {
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
      out.request = head;
      nt::send_all(fd, answer);
    });
    Loop loop;
    nt::Pump pump(loop);
    auto* conn = TCPConnection::create<Recorder>(loop, out.closed, out.data, out.on_error_calls);
    const sockaddr_in address = nt::loopback_address(proxy.port());
    ProxyConfig config;
    config.host = "127.0.0.1";
    config.port = proxy.port();
    const auto ec = conn->connect(reinterpret_cast<const sockaddr*>(&address), [&](auto connected) {
      REQUIRE_FALSE(connected);
      CHECK(conn->start_tunnel(make_proxy_handshake(config, "target.example", 443),
                               [&](std::error_code tunnel) {
                                 out.opened = !tunnel;
                                 out.error = tunnel;
                               }) == std::error_code());
      CHECK(conn->tunneling());
    });
    REQUIRE_FALSE(ec);
    // The proxy closes after its answer, so the connection ends by itself (EOF).
    CHECK(pump.until([&] { return out.closed; }, 10000));
  }
  return out;
}

}  // namespace

TEST_CASE("start_tunnel: the bytes behind the proxy's answer reach on_data, the answer does not",
          "[client][proxy][tunnel]") {
  const auto out =
      through_scripted_proxy("HTTP/1.1 200 Connection established\r\n\r\nfirst target bytes");
  CHECK(out.request.rfind("CONNECT target.example:443 HTTP/1.1\r\n", 0) == 0);
  CHECK(out.opened);
  CHECK(out.data == "first target bytes");
  CHECK(out.on_error_calls == 0);
}

TEST_CASE("start_tunnel: a refusal reaches the callback, not on_error or on_data",
          "[client][proxy][tunnel]") {
  const auto out = through_scripted_proxy(
      "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
  CHECK_FALSE(out.opened);
  CHECK(out.error == std::error_code(407, proxy_http_category()));
  CHECK(out.data.empty());
  CHECK(out.on_error_calls == 0);
}

TEST_CASE("start_tunnel: a proxy that closes mid-answer reports EOF", "[client][proxy][tunnel]") {
  const auto out = through_scripted_proxy("HTTP/1.1 200 Conn");
  CHECK_FALSE(out.opened);
  CHECK(out.error == uv_error(UV_EOF));
  CHECK(out.data.empty());
}

TEST_CASE("start_tunnel: refused before connect and for a target that cannot be sent",
          "[client][proxy][tunnel]") {
  Loop loop;
  nt::Pump pump(loop);
  bool closed = false;
  std::string data;
  int errors = 0;
  auto* idle = TCPConnection::create<Recorder>(loop, closed, data, errors);
  ProxyConfig config;
  CHECK(idle->start_tunnel(make_proxy_handshake(config, "t", 1), {}) == uv_error(UV_EINVAL));
  idle->close();
  CHECK(pump.until([&] { return closed; }));

  nt::LoopbackServer proxy([](int) {});
  const sockaddr_in address = nt::loopback_address(proxy.port());
  closed = false;
  auto* conn = TCPConnection::create<Recorder>(loop, closed, data, errors);
  std::error_code started;
  bool called = false;
  REQUIRE_FALSE(conn->connect(reinterpret_cast<const sockaddr*>(&address), [&](auto) {
    // A 300-byte name does not fit a CONNECT target this handshake will send.
    started = conn->start_tunnel(make_proxy_handshake(config, std::string(300, 'a'), 1),
                                 [&](std::error_code) { called = true; });
  }));
  CHECK(pump.until([&] { return closed; }));
  CHECK(started == ProxyErrc::bad_target);
  CHECK_FALSE(called);
}
