#include "redis_url.h"

#include <charconv>
#include <stdexcept>

namespace uvws::detail {

namespace {

[[noreturn]] void bad(std::string_view url, const char* why) {
  throw std::invalid_argument("uvws::ServerOptions: redis URL \"" + std::string(url) +
                              "\": " + why);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Credentials may hold ':' '@' '/' percent-encoded (RFC 3986 2.1).
std::string percent_decode(std::string_view url, std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) {
      bad(url, "bad percent-encoding in the credentials");
    }
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

template <typename T>
T number(std::string_view url, std::string_view s, T max, const char* what) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value > max) bad(url, what);
  return value;
}

}  // namespace

std::string RedisUrl::address() const {
  if (!unix_path.empty()) return unix_path;
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

RedisUrl parse_redis_url(std::string_view url) {
  RedisUrl r;
  if (url.starts_with("/")) {
    r.unix_path = url;
    return r;
  }
  if (url.starts_with("unix://")) {
    r.unix_path = url.substr(7);
    if (!r.unix_path.starts_with("/")) bad(url, "a Unix socket path must be absolute");
    return r;
  }
  if (!url.starts_with("redis://")) bad(url, "expected redis://host:port or a socket path");
  std::string_view rest = url.substr(8);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) r.db = number<int>(url, db, 1 << 20, "the database must be a number");
    rest = rest.substr(0, slash);
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      r.password = percent_decode(url, credentials);  // redis://password@host, as redis-cli
    } else {
      r.user = percent_decode(url, credentials.substr(0, colon));
      r.password = percent_decode(url, credentials.substr(colon + 1));
    }
  }
  std::string_view port;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad(url, "unterminated [IPv6 address]");
    r.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') bad(url, "expected :port after the IPv6 address");
      port = rest.substr(1);
    }
  } else {
    const auto colon = rest.find(':');
    r.host = rest.substr(0, colon);
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (r.host.empty()) bad(url, "no host");
  if (!port.empty() || rest.ends_with(":")) {
    r.port = number<std::uint16_t>(url, port, 65535, "the port must be 1..65535");
    if (r.port == 0) bad(url, "the port must be 1..65535");
  }
  return r;
}

}  // namespace uvws::detail
