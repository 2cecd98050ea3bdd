#include "uvws/net/proxy.h"

#include <uv.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "uvws/net/proxy_error.h"

namespace uvws::net {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 3986 2.1 percent-decoding of a user name or password; nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool is_ipv4(const std::string& s, unsigned char* out = nullptr) {
  unsigned char buf[4];
  return uv_inet_pton(AF_INET, s.c_str(), out ? out : buf) == 0;
}

bool is_ipv6(const std::string& s, unsigned char* out = nullptr) {
  unsigned char buf[16];
  return uv_inet_pton(AF_INET6, s.c_str(), out ? out : buf) == 0;
}

// A host name's characters (RFC 3986 3.2.2 reg-name without escapes): what a proxy URL's host
// may hold besides an IP literal.
bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

std::optional<std::string> lookup(const EnvLookup& env, std::string_view name) {
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

// True when `address` lies in `network`/`bits` (bits 0 or absent: the whole address).
bool cidr_match(const unsigned char* address, const unsigned char* network, std::size_t len,
                unsigned bits) {
  if (bits == 0 || bits > len * 8) bits = static_cast<unsigned>(len * 8);
  const std::size_t bytes = bits / 8;
  const unsigned rest = bits % 8;
  if (std::memcmp(address, network, bytes) != 0) return false;
  if (rest == 0) return true;
  const unsigned mask = (0xFFu << (8 - rest)) & 0xFFu;
  return ((address[bytes] ^ network[bytes]) & mask) == 0;
}

// One no_proxy pattern against an IP literal host (`family` AF_INET or AF_INET6).
bool ip_pattern_matches(const unsigned char* host, int family, std::string_view pattern) {
  std::string address(pattern);
  unsigned bits = 0;
  if (const auto slash = address.find('/'); slash != std::string::npos) {
    const auto b = std::string_view(address).substr(slash + 1);
    if (b.empty() || b.size() > 3 ||
        !std::all_of(b.begin(), b.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    bits = static_cast<unsigned>(std::atoi(std::string(b).c_str()));
    address.resize(slash);
  }
  unsigned char net[16];
  if (uv_inet_pton(family, address.c_str(), net) != 0) return false;
  const std::size_t len = family == AF_INET ? 4 : 16;
  if (bits > len * 8) return false;
  return cidr_match(host, net, len, bits);
}

// One no_proxy pattern against a host name (trailing dot already removed).
bool name_pattern_matches(std::string_view host, std::string_view pattern) {
  if (!pattern.empty() && pattern.back() == '.') pattern.remove_suffix(1);
  if (!pattern.empty() && pattern.front() == '.') pattern.remove_prefix(1);
  if (pattern.empty()) return false;
  if (pattern.size() == host.size()) return iequals(pattern, host);
  if (pattern.size() > host.size()) return false;
  const std::size_t at = host.size() - pattern.size();
  return host[at - 1] == '.' && iequals(host.substr(at), pattern);
}

}  // namespace

std::optional<ProxyConfig> parse_proxy_url(std::string_view url, std::error_code& error) {
  error.clear();
  const auto fail = [&](ProxyErrc e) {
    error = e;
    return std::nullopt;
  };
  ProxyConfig config;
  std::string_view rest = url;
  if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
    const auto scheme = rest.substr(0, sep);
    if (iequals(scheme, "http")) {
      config.kind = ProxyKind::http_connect;
    } else if (iequals(scheme, "socks5")) {
      config.kind = ProxyKind::socks5;
    } else if (iequals(scheme, "socks5h")) {
      config.kind = ProxyKind::socks5h;
    } else {
      return fail(ProxyErrc::unsupported_proxy_scheme);
    }
    rest.remove_prefix(sep + 3);
  }
  // The authority ends at the path; only an empty path or "/" is accepted.
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) return fail(ProxyErrc::bad_proxy_url);
    rest.remove_suffix(1);
  }
  if (rest.find_first_of("?#") != std::string_view::npos) return fail(ProxyErrc::bad_proxy_url);
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    auto pass = colon == std::string_view::npos ? std::optional<std::string>(std::string())
                                                : percent_decode(userinfo.substr(colon + 1));
    if (!user || !pass) return fail(ProxyErrc::bad_proxy_url);
    config.credentials = ProxyCredentials{std::move(*user), std::move(*pass)};
    rest.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(ProxyErrc::bad_proxy_url);
    config.host = std::string(rest.substr(1, close - 1));
    if (!is_ipv6(config.host)) return fail(ProxyErrc::bad_proxy_url);
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(ProxyErrc::bad_proxy_url);
      port = rest.substr(1);
      if (port.empty()) return fail(ProxyErrc::bad_proxy_url);
    }
  } else {
    const auto colon = rest.find(':');
    config.host = std::string(rest.substr(0, colon));
    if (!valid_name(config.host)) return fail(ProxyErrc::bad_proxy_url);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return fail(ProxyErrc::bad_proxy_url);
    }
  }
  if (!port.empty()) {
    const auto p = parse_port(port);
    if (!p) return fail(ProxyErrc::bad_proxy_url);
    config.port = *p;
  }
  return config;
}

std::optional<std::string> proxy_url_from_env(std::string_view scheme, const EnvLookup& env) {
  std::array<const char*, 6> names{};
  std::size_t n = 0;
  if (iequals(scheme, "ws")) {
    names = {"ws_proxy", "WS_PROXY", "http_proxy"};
    n = 3;
  } else if (iequals(scheme, "http")) {
    names = {"http_proxy"};
    n = 1;
  } else if (iequals(scheme, "wss")) {
    names = {"wss_proxy", "WSS_PROXY", "https_proxy", "HTTPS_PROXY"};
    n = 4;
  } else if (iequals(scheme, "https")) {
    names = {"https_proxy", "HTTPS_PROXY"};
    n = 2;
  }
  names[n++] = "all_proxy";
  names[n++] = "ALL_PROXY";
  for (std::size_t i = 0; i < n; ++i) {
    if (auto v = lookup(env, names[i])) return v;
  }
  return std::nullopt;
}

bool no_proxy_matches(std::string_view host, std::string_view no_proxy) {
  if (host.empty() || no_proxy.empty()) return false;
  if (no_proxy == "*") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string h(host);
  unsigned char address[16];
  int family = 0;
  if (is_ipv4(h, address)) {
    family = AF_INET;
  } else if (is_ipv6(h, address)) {
    family = AF_INET6;
  } else if (host.back() == '.') {
    host.remove_suffix(1);
  }
  std::size_t i = 0;
  while (i < no_proxy.size()) {
    const auto is_sep = [](char c) { return c == ',' || c == ' ' || c == '\t'; };
    while (i < no_proxy.size() && is_sep(no_proxy[i])) ++i;
    std::size_t end = i;
    while (end < no_proxy.size() && !is_sep(no_proxy[end])) ++end;
    const auto pattern = no_proxy.substr(i, end - i);
    i = end;
    if (pattern.empty()) continue;
    const bool match = family != 0 ? ip_pattern_matches(address, family, pattern)
                                   : name_pattern_matches(host, pattern);
    if (match) return true;
  }
  return false;
}

std::optional<ProxyConfig> proxy_from_env(std::string_view scheme, std::string_view host,
                                          const EnvLookup& env, std::error_code& error) {
  error.clear();
  const auto url = proxy_url_from_env(scheme, env);
  if (!url) return std::nullopt;
  auto no_proxy = lookup(env, "no_proxy");
  if (!no_proxy) no_proxy = lookup(env, "NO_PROXY");
  if (no_proxy && no_proxy_matches(host, *no_proxy)) return std::nullopt;
  return parse_proxy_url(*url, error);
}

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

}  // namespace uvws::net
