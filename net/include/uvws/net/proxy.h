// Which proxy a client connection goes through: a ProxyConfig parsed from a proxy URL
// (http://, socks5://, socks5h://), and the choice from the environment as curl makes it
// (libcurl-env(3), CURLOPT_NOPROXY(3)):
// - ws:// reads ws_proxy, WS_PROXY, then http_proxy (lower case only: HTTP_PROXY may be set by a
//   CGI request's "Proxy:" header); wss:// reads wss_proxy, WSS_PROXY, then https_proxy,
//   HTTPS_PROXY; either then falls back to all_proxy, ALL_PROXY. http:// and https:// targets
//   read the same lists without the ws variables. The lower-case name wins; an empty value counts
//   as unset.
// - no_proxy (or else NO_PROXY) is a list of patterns separated by commas and blanks. "*" alone
//   matches every host. A name pattern matches the host itself or any name under it, case
//   insensitively, a leading and a trailing dot ignored (".example.com" and "example.com" both
//   match www.example.com, never notexample.com). When the host is an IPv4 or IPv6 literal the
//   patterns are addresses instead, with an optional CIDR suffix ("10.0.0.0/8", "::1",
//   IPv6 without brackets), and names never match it. Ports play no part: the target's port is
//   ignored, and a pattern written with a port ("example.com:8080") matches nothing, as in curl.
// - A proxy URL without a scheme is http://; without a port, 1080 (CURLOPT_PROXY(3)).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "uvws/core/export.h"

namespace uvws::net {

// How the client talks to the proxy.
enum class ProxyKind {
  http_connect,  // http://: an HTTP/1.1 CONNECT tunnel (RFC 9110 9.3.6), Basic auth (RFC 7617).
  socks5,        // socks5://: SOCKS5 (RFC 1928), the client resolves the target's name.
  socks5h,       // socks5h://: SOCKS5 with the name sent to the proxy (ATYP 3), which resolves it.
};

// A user name and password, percent-decoded from the proxy URL.
struct ProxyCredentials {
  // The user name (RFC 7617 user-id, RFC 1929 UNAME).
  std::string username;
  // The password (RFC 1929 PASSWD); may be empty.
  std::string password;
};

// A proxy to reach the target through.
struct ProxyConfig {
  // The protocol spoken with the proxy.
  ProxyKind kind = ProxyKind::http_connect;
  std::string host;  // A name or an IP literal (IPv6 without brackets).
  // The proxy's port (1080 unless the URL gives one, as in curl).
  std::uint16_t port = 1080;
  std::optional<ProxyCredentials> credentials;  // Set when the URL has "user[:password]@".
};

// Reads one environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Parses "scheme://[user[:password]@]host[:port][/]" (scheme http, socks5 or socks5h, case
// insensitive, http when absent; host a name, an IPv4 literal or a bracketed IPv6 literal; port
// 1080 when absent). Returns nullopt and sets `error` (ProxyErrc) when the URL is not one.
UVWS_EXPORT std::optional<ProxyConfig> parse_proxy_url(std::string_view url,
                                                       std::error_code& error);

// The proxy URL curl would take from the environment for a target of `scheme` ("ws", "wss",
// "http" or "https"), before no_proxy is consulted; nullopt when none is set.
UVWS_EXPORT std::optional<std::string> proxy_url_from_env(std::string_view scheme,
                                                          const EnvLookup& env);

// True when `host` (a name or an IP literal, IPv6 with or without brackets) is excluded from
// proxying by the no_proxy list `no_proxy` (curl's rules, above).
UVWS_EXPORT bool no_proxy_matches(std::string_view host, std::string_view no_proxy);

// The proxy for a connection to `host` over `scheme`, from the environment read through `env`:
// nullopt with an empty `error` when no proxy applies (none set, or no_proxy excludes the host),
// nullopt with `error` set when the variable holds a URL that does not parse.
UVWS_EXPORT std::optional<ProxyConfig> proxy_from_env(std::string_view scheme,
                                                      std::string_view host, const EnvLookup& env,
                                                      std::error_code& error);

// The process environment as an EnvLookup (std::getenv).
UVWS_EXPORT std::optional<std::string> process_env(std::string_view name);

}  // namespace uvws::net
