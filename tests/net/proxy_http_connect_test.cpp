#include <catch2/catch.hpp>

#include <string>

#include "net/proxy_test_util.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_http_connect.h"

using namespace uvws::net;
using namespace uvws::net::test;
using State = ProxyStep::State;

TEST_CASE("the CONNECT request names the target, with Basic auth when asked", "[net][proxy]") {
  HttpConnectHandshake plain("example.com", 443, std::nullopt);
  CHECK(plain.start() == "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");

  HttpConnectHandshake v6("2001:db8::1", 80, ProxyCredentials{"Aladdin", "open sesame"});
  // RFC 7617 2's example credentials.
  CHECK(v6.start() ==
        "CONNECT [2001:db8::1]:80 HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n"
        "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST_CASE("a 2xx response opens the tunnel at every split, leaving the tunnel's bytes",
          "[net][proxy]") {
  for (const std::string& head :
       {std::string("HTTP/1.1 200 Connection established\r\n\r\n"),
        std::string("HTTP/1.0 200 OK\r\nProxy-Agent: x\r\nContent-Length: 5\r\n\r\n"),
        std::string("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\n\n")}) {
    for (const auto& chunks : every_split({head + "tunnel"})) {
      HttpConnectHandshake h("example.com", 80, std::nullopt);
      const auto out = drive(h, chunks);
      INFO(head << " in " << chunks.size() << " chunks");
      CHECK(out.state == State::done);
      CHECK(out.leftover == "tunnel");
      CHECK(out.sent.size() == 1);
    }
  }
}

TEST_CASE("a refusal gives the status line at every split", "[net][proxy]") {
  const std::string response = "HTTP/1.1 403 Access violation\r\nContent-Length: 3\r\n\r\nno!";
  for (const auto& chunks : every_split({response})) {
    HttpConnectHandshake h("example.com", 80, std::nullopt);
    const auto out = drive(h, chunks);
    REQUIRE(out.state == State::failed);
    CHECK(out.error == std::error_code(403, proxy_http_category()));
    CHECK(out.error.message() == "proxy refused CONNECT: 403 Forbidden");
    CHECK(out.message == "proxy refused CONNECT: 403 Access violation");
  }
  HttpConnectHandshake h("example.com", 80, std::nullopt);
  const auto out = drive(h, {"HTTP/1.1 407 \r\n\r\n"});
  CHECK(out.error.value() == 407);
  CHECK(out.error.message() == "proxy refused CONNECT: 407 Proxy Authentication Required");
  CHECK(std::error_code(599, proxy_http_category()).message() == "proxy refused CONNECT: 599");
}

TEST_CASE("a response that is not HTTP/1.x fails as malformed at every split", "[net][proxy]") {
  for (const std::string& response :
       {std::string("SSH-2.0-OpenSSH\r\n\r\n"), std::string("HTTP/2 200\r\n\r\n"),
        std::string("HTTP/1.1 20 OK\r\n\r\n"), std::string("HTTP/1.1 2000\r\n\r\n"),
        std::string("HTTP/1.1 099 x\r\n\r\n"), std::string("\r\n\r\n")}) {
    for (const auto& chunks : every_split({response})) {
      HttpConnectHandshake h("example.com", 80, std::nullopt);
      const auto out = drive(h, chunks);
      INFO(response);
      CHECK(out.state == State::failed);
      CHECK(out.error == ProxyErrc::malformed_response);
    }
  }
}

TEST_CASE("the response head is bounded", "[net][proxy]") {
  const std::string head = "HTTP/1.1 200 OK\r\nX: " + std::string(40, 'a') + "\r\n\r\n";
  for (const auto& chunks : every_split({head + "t"})) {
    HttpConnectHandshake fits("h", 80, std::nullopt, head.size());
    CHECK(drive(fits, chunks).state == State::done);
    HttpConnectHandshake over("h", 80, std::nullopt, head.size() - 1);
    const auto out = drive(over, chunks);
    CHECK(out.state == State::failed);
    CHECK(out.error == ProxyErrc::response_too_large);
  }
}

TEST_CASE("a target that would inject bytes is refused before anything is sent", "[net][proxy]") {
  for (const std::string& host : {std::string(""), std::string("a\r\nX: y"), std::string("a b"),
                                  std::string("1:2:3"), std::string(256, 'a')}) {
    HttpConnectHandshake h(host, 80, std::nullopt);
    CHECK(h.start().empty());
    CHECK(h.feed({}).error == ProxyErrc::bad_target);
  }
  HttpConnectHandshake port0("h", 0, std::nullopt);
  CHECK(port0.start().empty());
}

TEST_CASE("after the end a CONNECT handshake keeps its answer", "[net][proxy]") {
  HttpConnectHandshake h("h", 80, std::nullopt);
  h.start();
  CHECK(h.feed(as_bytes("HTTP/1.1 200 OK\r\n\r\nab")).consumed == 19);
  const auto again = h.feed(as_bytes("cd"));
  CHECK(again.state == State::done);
  CHECK(again.consumed == 0);
  HttpConnectHandshake r("h", 80, std::nullopt);
  r.start();
  CHECK(r.feed(as_bytes("HTTP/1.1 502 Bad Gateway\r\n\r\n")).state == State::failed);
  CHECK(r.feed(as_bytes("HTTP/1.1 200 OK\r\n\r\n")).error.value() == 502);
}
