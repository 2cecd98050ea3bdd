// WebSocketUrl::parse: the ws://, wss:// and ws+unix:// addresses the clients accept
// (RFC 6455 3).
#include <charconv>
#include <stdexcept>
#include <string>

#include "uvws/client.h"

namespace uvws {
namespace {

[[noreturn]] void bad(std::string_view url, const char* why) {
  throw std::invalid_argument("uvws: bad WebSocket URL \"" + std::string(url) + "\": " + why);
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

WebSocketUrl WebSocketUrl::parse(std::string_view url) {
  WebSocketUrl u;
  // Spaces and control characters would end the request line or a header early.
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) bad(url, "space or control character");
  }
  if (starts_with_ci(url, "ws+unix://")) {
    // ws+unix:///run/app.sock:/chat?x=1 — the socket path, then ":" and the request target.
    std::string_view rest = url.substr(10);
    const auto colon = rest.find(":/");
    u.unix_path.assign(rest.substr(0, colon));
    if (colon != std::string_view::npos) u.target.assign(rest.substr(colon + 1));
    if (u.unix_path.empty() || u.unix_path[0] != '/') bad(url, "the socket path must be absolute");
    u.host_header = "localhost";
    return u;
  }
  u.tls = starts_with_ci(url, "wss://");
  if (!u.tls && !starts_with_ci(url, "ws://")) {
    bad(url, "the scheme must be ws://, wss:// or ws+unix://");
  }
  // RFC 6455 3: port 443 by default for wss://.
  const std::uint16_t default_port = u.tls ? 443 : 80;
  u.port = default_port;
  std::string_view rest = url.substr(u.tls ? 6 : 5);
  // RFC 6455 3: no fragment identifiers.
  if (rest.find('#') != std::string_view::npos) bad(url, "fragments are not allowed");
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    u.target.assign(rest.substr(slash));
    if (u.target[0] == '?') u.target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) bad(url, "user info is not allowed");
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) bad(url, "unterminated IPv6 literal");
    u.host.assign(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') bad(url, "junk after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    u.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    // RFC 3986 3.2.2: an IPv6 literal is written in brackets; no other host has a colon.
    if (port_text.find(':') != std::string_view::npos) bad(url, "an IPv6 address needs brackets");
  }
  if (u.host.empty()) bad(url, "no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      bad(url, "bad port");
    }
    u.port = static_cast<std::uint16_t>(port);
  }
  // RFC 6455 4.1: Host carries the port unless it is the default one.
  const bool ipv6 = u.host.find(':') != std::string::npos;
  u.host_header = ipv6 ? "[" + u.host + "]" : u.host;
  if (u.port != default_port) u.host_header += ":" + std::to_string(u.port);
  return u;
}

}  // namespace uvws
