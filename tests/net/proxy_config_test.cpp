#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "uvws/net/proxy.h"
#include "uvws/net/proxy_error.h"

using namespace uvws::net;

namespace {

ProxyConfig parse_ok(std::string_view url) {
  std::error_code ec;
  auto config = parse_proxy_url(url, ec);
  INFO(url);
  REQUIRE(config);
  REQUIRE_FALSE(ec);
  return *config;
}

std::error_code parse_error(std::string_view url) {
  std::error_code ec;
  INFO(url);
  CHECK_FALSE(parse_proxy_url(url, ec));
  return ec;
}

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("proxy URLs parse to their kind, host, port and credentials", "[net][proxy]") {
  auto c = parse_ok("http://proxy.example:3128");
  CHECK(c.kind == ProxyKind::http_connect);
  CHECK(c.host == "proxy.example");
  CHECK(c.port == 3128);
  CHECK_FALSE(c.credentials);

  c = parse_ok("SOCKS5H://10.0.0.1/");
  CHECK(c.kind == ProxyKind::socks5h);
  CHECK(c.host == "10.0.0.1");
  CHECK(c.port == 1080);  // CURLOPT_PROXY(3): 1080 whatever the scheme.

  c = parse_ok("socks5://[::1]:1081");
  CHECK(c.kind == ProxyKind::socks5);
  CHECK(c.host == "::1");
  CHECK(c.port == 1081);

  c = parse_ok("proxy:8080");  // No scheme: an HTTP proxy, as in curl.
  CHECK(c.kind == ProxyKind::http_connect);
  CHECK(c.host == "proxy");
  CHECK(c.port == 8080);

  c = parse_ok("http://[2001:db8::7]");
  CHECK(c.host == "2001:db8::7");
  CHECK(c.port == 1080);
}

TEST_CASE("proxy URL credentials are percent-decoded", "[net][proxy]") {
  auto c = parse_ok("http://us%3Aer:p%40ss%25w@proxy:3128");
  REQUIRE(c.credentials);
  CHECK(c.credentials->username == "us:er");
  CHECK(c.credentials->password == "p@ss%w");

  c = parse_ok("socks5h://alice@[::1]:1080");
  REQUIRE(c.credentials);
  CHECK(c.credentials->username == "alice");
  CHECK(c.credentials->password.empty());

  c = parse_ok("socks5://a:b:c@h");  // The first colon splits; the rest is the password.
  CHECK(c.credentials->username == "a");
  CHECK(c.credentials->password == "b:c");
}

TEST_CASE("bad proxy URLs are refused with their reason", "[net][proxy]") {
  CHECK(parse_error("socks4://h:1080") == ProxyErrc::unsupported_proxy_scheme);
  CHECK(parse_error("https://h:443") == ProxyErrc::unsupported_proxy_scheme);
  for (const char* url :
       {"", "http://", "http://:80", "http://h:", "http://h:0", "http://h:65536", "http://h:80x",
        "http://[::1", "http://[::1]x", "http://[nothex]:1", "http://h/path", "http://h?q",
        "http://u%4@h", "http://u:%zz@h", "http://ho st", "http://h\r\n:1"}) {
    CHECK(parse_error(url) == ProxyErrc::bad_proxy_url);
  }
}

TEST_CASE("ws:// reads ws_proxy, WS_PROXY, then lower-case http_proxy only", "[net][proxy]") {
  CHECK(proxy_url_from_env("ws", env_of({{"ws_proxy", "a"}, {"WS_PROXY", "b"}})) == "a");
  CHECK(proxy_url_from_env("ws", env_of({{"WS_PROXY", "b"}, {"http_proxy", "c"}})) == "b");
  CHECK(proxy_url_from_env("ws", env_of({{"http_proxy", "c"}, {"all_proxy", "d"}})) == "c");
  // HTTP_PROXY is never read (libcurl-env(3)): ALL_PROXY applies instead.
  CHECK(proxy_url_from_env("ws", env_of({{"HTTP_PROXY", "x"}, {"ALL_PROXY", "e"}})) == "e");
  CHECK_FALSE(proxy_url_from_env("ws", env_of({{"HTTP_PROXY", "x"}, {"https_proxy", "y"}})));
  CHECK(proxy_url_from_env("http", env_of({{"ws_proxy", "a"}, {"http_proxy", "c"}})) == "c");
}

TEST_CASE("wss:// reads wss_proxy, WSS_PROXY, https_proxy, HTTPS_PROXY, then all_proxy",
          "[net][proxy]") {
  CHECK(proxy_url_from_env("wss", env_of({{"wss_proxy", "a"}, {"https_proxy", "b"}})) == "a");
  CHECK(proxy_url_from_env("wss", env_of({{"WSS_PROXY", "a"}, {"https_proxy", "b"}})) == "a");
  CHECK(proxy_url_from_env("wss", env_of({{"https_proxy", "b"}, {"HTTPS_PROXY", "c"}})) == "b");
  CHECK(proxy_url_from_env("wss", env_of({{"HTTPS_PROXY", "c"}, {"all_proxy", "d"}})) == "c");
  CHECK(proxy_url_from_env("wss", env_of({{"all_proxy", "d"}, {"ALL_PROXY", "e"}})) == "d");
  CHECK(proxy_url_from_env("wss", env_of({{"ALL_PROXY", "e"}, {"http_proxy", "f"}})) == "e");
  CHECK_FALSE(proxy_url_from_env("wss", env_of({{"http_proxy", "f"}, {"ws_proxy", "g"}})));
  // An empty variable counts as unset.
  CHECK(proxy_url_from_env("wss", env_of({{"wss_proxy", ""}, {"HTTPS_PROXY", "c"}})) == "c");
}

TEST_CASE("no_proxy matches names by domain suffix, as curl does", "[net][proxy]") {
  CHECK(no_proxy_matches("example.com", "example.com"));
  CHECK(no_proxy_matches("www.Example.COM", "example.com"));
  CHECK(no_proxy_matches("www.example.com", ".example.com"));
  CHECK(no_proxy_matches("example.com", ".example.com"));
  CHECK(no_proxy_matches("example.com.", "example.com."));
  CHECK(no_proxy_matches("a.b.example.com", "other, example.com"));
  CHECK(no_proxy_matches("host", "foo,,\thost ,bar"));
  CHECK(no_proxy_matches("anything", "*"));
  CHECK_FALSE(no_proxy_matches("notexample.com", "example.com"));
  CHECK_FALSE(no_proxy_matches("example.com.org", "example.com"));
  CHECK_FALSE(no_proxy_matches("example.com", "www.example.com"));
  CHECK_FALSE(no_proxy_matches("anything", "*.example.com"));        // "*" counts alone only.
  CHECK_FALSE(no_proxy_matches("example.com", "example.com:8080"));  // Ports never match.
  CHECK_FALSE(no_proxy_matches("example.com", ""));
}

TEST_CASE("no_proxy matches IP literals by address and CIDR, never by name", "[net][proxy]") {
  CHECK(no_proxy_matches("127.0.0.1", "localhost,127.0.0.1"));
  CHECK(no_proxy_matches("192.168.7.9", "192.168.0.0/16"));
  CHECK_FALSE(no_proxy_matches("192.169.0.1", "192.168.0.0/16"));
  CHECK(no_proxy_matches("10.1.2.3", "10.0.0.0/8"));
  CHECK_FALSE(no_proxy_matches("10.1.2.3", "0.1.2.3"));  // Not a name suffix match.
  CHECK_FALSE(no_proxy_matches("10.1.2.3", "10.0.0.0/33"));
  CHECK(no_proxy_matches("::1", "example.com,::1"));
  CHECK(no_proxy_matches("[::1]", "::1"));
  CHECK(no_proxy_matches("2001:db8::5", "2001:db8::/32"));
  CHECK(no_proxy_matches("2001:db8:8000::1", "2001:db8:8000::/33"));
  CHECK_FALSE(no_proxy_matches("2001:db8::1", "2001:db8:8000::/33"));
  CHECK_FALSE(no_proxy_matches("2001:db9::5", "2001:db8::/32"));
  CHECK_FALSE(no_proxy_matches("127.0.0.1", "localhost"));
}

TEST_CASE("proxy_from_env applies no_proxy, then NO_PROXY, and reports a bad URL", "[net][proxy]") {
  std::error_code ec;
  auto c =
      proxy_from_env("ws", "example.com", env_of({{"http_proxy", "http://u:p@proxy:3128"}}), ec);
  REQUIRE(c);
  CHECK_FALSE(ec);
  CHECK(c->host == "proxy");
  CHECK(c->credentials->username == "u");

  CHECK_FALSE(proxy_from_env("ws", "www.example.com",
                             env_of({{"http_proxy", "http://proxy"}, {"no_proxy", ".example.com"}}),
                             ec));
  CHECK_FALSE(ec);
  // The lower-case list wins: NO_PROXY is not read when no_proxy is set.
  CHECK(proxy_from_env(
      "wss", "example.com",
      env_of({{"HTTPS_PROXY", "socks5h://p"}, {"no_proxy", "other"}, {"NO_PROXY", "example.com"}}),
      ec));
  CHECK_FALSE(proxy_from_env("wss", "example.com",
                             env_of({{"HTTPS_PROXY", "socks5h://p"}, {"NO_PROXY", "example.com"}}),
                             ec));

  CHECK_FALSE(proxy_from_env("ws", "h", env_of({}), ec));
  CHECK_FALSE(ec);
  CHECK_FALSE(proxy_from_env("ws", "h", env_of({{"http_proxy", "ftp://x"}}), ec));
  CHECK(ec == ProxyErrc::unsupported_proxy_scheme);
}

TEST_CASE("process_env reads the process environment", "[net][proxy]") {
  CHECK(process_env("PATH").has_value());
  CHECK_FALSE(process_env("UVWS_SURELY_UNSET_VARIABLE_4711").has_value());
}
