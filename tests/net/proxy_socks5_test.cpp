#include <catch2/catch.hpp>

#include <string>

#include "net/proxy_test_util.h"
#include "uvws/net/proxy_error.h"
#include "uvws/net/proxy_socks5.h"

using namespace uvws::net;
using namespace uvws::net::test;
using State = ProxyStep::State;
using namespace std::string_literals;

namespace {

// RFC 1928 6: a success reply bound to 10.0.0.1:4660.
const std::string kReplyV4 = "\x05\x00\x00\x01\x0a\x00\x00\x01\x12\x34"s;
const std::string kReplyV6 = "\x05\x00\x00\x04"s + std::string(16, '\x01') + "\x00\x50"s;
const std::string kReplyName = "\x05\x00\x00\x03\x04host\x01\xbb"s;

}  // namespace

TEST_CASE("SOCKS5 requests: greeting, RFC 1929 auth, CONNECT by name, IPv4 and IPv6",
          "[net][proxy]") {
  Socks5Handshake name("example.com", 443, std::nullopt);
  auto out = drive(name, {"\x05\x00"s, kReplyV4});
  REQUIRE(out.sent.size() == 2);
  CHECK(out.sent[0] == "\x05\x01\x00"s);
  CHECK(out.sent[1] == "\x05\x01\x00\x03\x0b"s + "example.com" + "\x01\xbb"s);
  CHECK(out.state == State::done);

  Socks5Handshake v4("127.0.0.1", 8080, ProxyCredentials{"user", "pw"});
  out = drive(v4, {"\x05\x02"s, "\x01\x00"s, kReplyV4});
  REQUIRE(out.sent.size() == 3);
  CHECK(out.sent[0] == "\x05\x02\x00\x02"s);
  CHECK(out.sent[1] == "\x01\x04user\x02pw"s);
  CHECK(out.sent[2] == "\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"s);

  Socks5Handshake v6("::1", 1, ProxyCredentials{"u", "p"});
  out = drive(v6, {"\x05\x00"s, kReplyV6});  // The proxy may skip auth even when offered.
  REQUIRE(out.sent.size() == 2);
  CHECK(out.sent[1] == "\x05\x01\x00\x04"s + std::string(15, '\0') + "\x01\x00\x01"s);
  CHECK(out.state == State::done);
}

TEST_CASE("SOCKS5 replies of every address type open the tunnel at every split", "[net][proxy]") {
  for (const auto& reply : {kReplyV4, kReplyV6, kReplyName}) {
    for (const auto& chunks : every_split({"\x05\x02"s, "\x01\x00"s, reply + "tunnel"})) {
      Socks5Handshake h("example.com", 80, ProxyCredentials{"u", "p"});
      const auto out = drive(h, chunks);
      CHECK(out.state == State::done);
      CHECK(out.sent.size() == 3);
      CHECK(out.leftover == "tunnel");
    }
  }
}

TEST_CASE("each SOCKS5 reply code fails with its RFC 1928 6 meaning at every split",
          "[net][proxy]") {
  const char* messages[] = {
      "SOCKS5 proxy: general SOCKS server failure (0x01)",
      "SOCKS5 proxy: connection not allowed by ruleset (0x02)",
      "SOCKS5 proxy: network unreachable (0x03)",
      "SOCKS5 proxy: host unreachable (0x04)",
      "SOCKS5 proxy: connection refused (0x05)",
      "SOCKS5 proxy: TTL expired (0x06)",
      "SOCKS5 proxy: command not supported (0x07)",
      "SOCKS5 proxy: address type not supported (0x08)",
      "SOCKS5 proxy: unassigned reply code (0x09)",
  };
  for (int code = 1; code <= 9; ++code) {
    const std::string reply =
        "\x05"s + static_cast<char>(code) + "\x00\x01\x00\x00\x00\x00\x00\x00"s;
    for (const auto& chunks : every_split({"\x05\x00"s, reply})) {
      Socks5Handshake h("example.com", 80, std::nullopt);
      const auto out = drive(h, chunks);
      REQUIRE(out.state == State::failed);
      CHECK(out.error == std::error_code(code, proxy_socks5_category()));
      CHECK(out.message == messages[code - 1]);
    }
  }
}

TEST_CASE("SOCKS5 authentication failures and refusals", "[net][proxy]") {
  struct Case {
    std::vector<std::string> replies;
    bool credentials;
    ProxyErrc expected;
  };
  const Case cases[] = {
      {{"\x05\xff"s}, true, ProxyErrc::socks_no_acceptable_method},
      {{"\x05\x02"s}, false, ProxyErrc::socks_auth_required},
      {{"\x05\x01"s}, true, ProxyErrc::socks_unexpected_method},
      {{"\x05\x02"s, "\x01\x01"s}, true, ProxyErrc::socks_auth_failed},
      {{"\x05\x02"s, "\x05\x00"s}, true, ProxyErrc::socks_malformed_reply},
      {{"\x04\x5a"s}, false, ProxyErrc::socks_bad_version},
      {{"\x05\x00"s, "\x04\x00\x00\x01"s}, false, ProxyErrc::socks_bad_version},
      {{"\x05\x00"s, "\x05\x00\x00\x02\x00"s}, false, ProxyErrc::socks_bad_address_type},
  };
  for (const auto& c : cases) {
    for (const auto& chunks : every_split(c.replies)) {
      Socks5Handshake h("example.com", 80,
                        c.credentials ? std::optional(ProxyCredentials{"u", "p"}) : std::nullopt);
      const auto out = drive(h, chunks);
      CHECK(out.state == State::failed);
      CHECK(out.error == c.expected);
    }
  }
  Socks5Handshake h("example.com", 80, ProxyCredentials{"u", "p"});
  const auto out = drive(h, {"\x05\x02"s, "\x01\x01"s});
  CHECK(out.message == "SOCKS5 proxy: user name/password authentication failed");
}

TEST_CASE("SOCKS5 bytes ahead of our request are a malformed reply", "[net][proxy]") {
  Socks5Handshake h("example.com", 80, std::nullopt);
  const auto out = drive(h, {"\x05\x00\x05"s});
  CHECK(out.state == State::failed);
  CHECK(out.error == ProxyErrc::socks_malformed_reply);
}

TEST_CASE("SOCKS5 refuses targets and credentials its fields cannot carry", "[net][proxy]") {
  Socks5Handshake long_name(std::string(256, 'a'), 80, std::nullopt);
  CHECK(long_name.start().empty());
  CHECK(long_name.feed({}).error == ProxyErrc::bad_target);
  Socks5Handshake fits(std::string(255, 'a'), 80, std::nullopt);
  CHECK_FALSE(fits.start().empty());
  Socks5Handshake long_user("h", 80, ProxyCredentials{std::string(256, 'u'), "p"});
  CHECK(long_user.start().empty());
  CHECK(long_user.feed({}).error == ProxyErrc::credentials_too_long);
  Socks5Handshake long_pass("h", 80, ProxyCredentials{"u", std::string(256, 'p')});
  CHECK(long_pass.feed({}).error == ProxyErrc::credentials_too_long);
}

TEST_CASE("make_proxy_handshake picks the handshake of the proxy kind", "[net][proxy]") {
  ProxyConfig http;
  CHECK(make_proxy_handshake(http, "h", 80)->start().rfind("CONNECT h:80 ", 0) == 0);
  CHECK(proxy_resolves_names(http));
  ProxyConfig socks;
  socks.kind = ProxyKind::socks5h;
  CHECK(make_proxy_handshake(socks, "h", 80)->start() == "\x05\x01\x00"s);
  CHECK(proxy_resolves_names(socks));
  socks.kind = ProxyKind::socks5;
  CHECK_FALSE(proxy_resolves_names(socks));
}
