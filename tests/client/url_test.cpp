// WebSocketUrl::parse: the ws://, wss:// and ws+unix:// addresses a client accepts (RFC 6455 3),
// the Host header it derives (4.1), and everything it must refuse.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "uvws/client.h"

using uvws::WebSocketUrl;

TEST_CASE("url parser reads host, port, target and the Host header", "[client][url]") {
  SECTION("a bare host gets port 80, target / and a Host header without the port") {
    const auto u = WebSocketUrl::parse("ws://example.com");
    CHECK(u.host == "example.com");
    CHECK(u.port == 80);
    CHECK(u.target == "/");
    CHECK(u.host_header == "example.com");
    CHECK(u.unix_path.empty());
  }
  SECTION("an explicit port appears in the Host header") {
    const auto u = WebSocketUrl::parse("ws://127.0.0.1:9001/");
    CHECK(u.host == "127.0.0.1");
    CHECK(u.port == 9001);
    CHECK(u.target == "/");
    CHECK(u.host_header == "127.0.0.1:9001");
  }
  SECTION("an explicit port 80 is the default one: Host has no port") {
    const auto u = WebSocketUrl::parse("ws://h:80/x");
    CHECK(u.port == 80);
    CHECK(u.host_header == "h");
  }
  SECTION("the largest port") {
    const auto u = WebSocketUrl::parse("ws://h:65535");
    CHECK(u.port == 65535);
    CHECK(u.host_header == "h:65535");
    CHECK(u.target == "/");
  }
  SECTION("path and query form the target") {
    const auto u = WebSocketUrl::parse("ws://h:81/chat/room?id=7&x=y");
    CHECK(u.host == "h");
    CHECK(u.port == 81);
    CHECK(u.target == "/chat/room?id=7&x=y");
  }
  SECTION("a query without a path gets the root path") {
    const auto u = WebSocketUrl::parse("ws://h?x=1");
    CHECK(u.host == "h");
    CHECK(u.port == 80);
    CHECK(u.target == "/?x=1");
    CHECK(u.host_header == "h");
  }
  SECTION("an IPv6 literal without a port: Host keeps the brackets") {
    const auto u = WebSocketUrl::parse("ws://[::1]/echo");
    CHECK(u.host == "::1");
    CHECK(u.port == 80);
    CHECK(u.target == "/echo");
    CHECK(u.host_header == "[::1]");
  }
  SECTION("an IPv6 literal with a port") {
    const auto u = WebSocketUrl::parse("ws://[fe80::1:2]:8080");
    CHECK(u.host == "fe80::1:2");
    CHECK(u.port == 8080);
    CHECK(u.target == "/");
    CHECK(u.host_header == "[fe80::1:2]:8080");
  }
  SECTION("the scheme is case-insensitive") {
    const auto u = WebSocketUrl::parse("WS://Host:1234/P");
    CHECK(u.host == "Host");
    CHECK(u.port == 1234);
    CHECK(u.target == "/P");
    const auto m = WebSocketUrl::parse("Ws://h");
    CHECK(m.host == "h");
  }
}

TEST_CASE("url parser reads ws+unix socket paths and their request targets", "[client][url]") {
  SECTION("a socket path alone requests /") {
    const auto u = WebSocketUrl::parse("ws+unix:///tmp/x.sock");
    CHECK(u.unix_path == "/tmp/x.sock");
    CHECK(u.target == "/");
    CHECK(u.host.empty());
    CHECK(u.host_header == "localhost");
  }
  SECTION("a socket path, then ':' and the target with its query") {
    const auto u = WebSocketUrl::parse("ws+unix:///tmp/x.sock:/chat?x");
    CHECK(u.unix_path == "/tmp/x.sock");
    CHECK(u.target == "/chat?x");
    CHECK(u.host_header == "localhost");
  }
  SECTION("the scheme is case-insensitive") {
    const auto u = WebSocketUrl::parse("WS+UNIX:///run/app.sock:/a");
    CHECK(u.unix_path == "/run/app.sock");
    CHECK(u.target == "/a");
  }
  SECTION("a relative socket path is refused") {
    CHECK_THROWS_AS(WebSocketUrl::parse("ws+unix://relative.sock"), std::invalid_argument);
    CHECK_THROWS_AS(WebSocketUrl::parse("ws+unix://"), std::invalid_argument);
  }
}

TEST_CASE("url parser reads wss:// with port 443 by default", "[client][url][tls]") {
  const auto u = WebSocketUrl::parse("WSS://secure.example/chat?x=1");
  CHECK(u.tls);
  CHECK(u.host == "secure.example");
  CHECK(u.port == 443);
  CHECK(u.target == "/chat?x=1");
  CHECK(u.host_header == "secure.example");
  const auto p = WebSocketUrl::parse("wss://[::1]:8443");
  CHECK(p.tls);
  CHECK(p.port == 8443);
  CHECK(p.host == "::1");
  CHECK(p.host_header == "[::1]:8443");
  CHECK(WebSocketUrl::parse("wss://h:80/").host_header == "h:80");
  CHECK_FALSE(WebSocketUrl::parse("ws://h:443/").tls);
  CHECK(WebSocketUrl::parse("ws://h:443/").host_header == "h:443");
}

TEST_CASE("url parser refuses what a WebSocket URL may not be", "[client][url]") {
  const std::string url =
      GENERATE(as<std::string>{},
               // Schemes that are not WebSocket at all, and a wss:// without host.
               "wss://", "wss:///x", "http://h/", "https://h", "h:80/x", "", "ws:/h", "ws:h",
               // No host.
               "ws://", "ws:///path", "ws://:80/", "ws://?x", "ws://[]:80",
               // Bad ports.
               "ws://h:0", "ws://h:65536", "ws://h:x", "ws://h:-1", "ws://h:99999999999",
               "ws://h:80x/", "ws://[::1]:0", "ws://[::1]:65536",
               // RFC 6455 3: no fragment identifier.
               "ws://h/#frag", "ws://h/a?b#c", "ws://h#",
               // No user info.
               "ws://user@h/", "ws://user:pw@h:80/",
               // Spaces and control characters.
               "ws://h/a b", "ws://h /", "ws://h/\r\nX: y", "ws://h/\t", "ws://h/\x7f",
               std::string("ws://h/\0", 8),
               // Brackets.
               "ws://[::1", "ws://[::1/x", "ws://[::1]x/");
  CAPTURE(url);
  CHECK_THROWS_AS(WebSocketUrl::parse(url), std::invalid_argument);
}

TEST_CASE("url parser's error names the URL", "[client][url]") {
  try {
    (void)WebSocketUrl::parse("wss://secure.example:0/");
    FAIL("port 0 was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("wss://secure.example:0/") != std::string::npos);
  }
}

TEST_CASE("url parser refuses a colon in a host that is not a bracketed IPv6 literal",
          "[client][url]") {
  // RFC 3986 3.2.2: an IPv6 literal must be in brackets; outside them the one ':' of the
  // authority separates the port. "ws://h:80:90" would otherwise become host "h:80", port 90,
  // and a Host header "[h:80]:90".
  const std::string url =
      GENERATE(as<std::string>{}, "ws://h:80:90/", "ws://::1/", "ws://::1:9001/", "ws://a:b:c");
  CAPTURE(url);
  CHECK_THROWS_AS(WebSocketUrl::parse(url), std::invalid_argument);
}
