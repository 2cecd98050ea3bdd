#include "uvws/net/proxy_error.h"

#include <cstdio>
#include <string>

namespace uvws::net {
namespace {

class ProxyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.proxy"; }
  std::string message(int ev) const override {
    switch (static_cast<ProxyErrc>(ev)) {
      case ProxyErrc::bad_proxy_url:
        return "invalid proxy URL";
      case ProxyErrc::unsupported_proxy_scheme:
        return "unsupported proxy scheme (http, socks5 or socks5h)";
      case ProxyErrc::bad_target:
        return "target host cannot be sent to the proxy";
      case ProxyErrc::credentials_too_long:
        return "proxy user name or password longer than 255 bytes";
      case ProxyErrc::malformed_response:
        return "HTTP proxy sent a malformed response";
      case ProxyErrc::response_too_large:
        return "HTTP proxy response head too large";
      case ProxyErrc::socks_bad_version:
        return "SOCKS5 proxy: reply is not SOCKS version 5";
      case ProxyErrc::socks_no_acceptable_method:
        return "SOCKS5 proxy: no acceptable authentication method (0xFF)";
      case ProxyErrc::socks_unexpected_method:
        return "SOCKS5 proxy: chose an authentication method that was not offered";
      case ProxyErrc::socks_auth_required:
        return "SOCKS5 proxy: requires user name and password";
      case ProxyErrc::socks_auth_failed:
        return "SOCKS5 proxy: user name/password authentication failed";
      case ProxyErrc::socks_bad_address_type:
        return "SOCKS5 proxy: reply with a bad address type";
      case ProxyErrc::socks_malformed_reply:
        return "SOCKS5 proxy: malformed reply";
    }
    return "unknown proxy error";
  }
};

// The reason phrases (RFC 9110 15) of the refusals a CONNECT proxy answers with; any other
// status gets its number alone.
struct Reason {
  int status;
  const char* phrase;
};
constexpr Reason kReasons[] = {{400, "Bad Request"},
                               {401, "Unauthorized"},
                               {403, "Forbidden"},
                               {405, "Method Not Allowed"},
                               {407, "Proxy Authentication Required"},
                               {500, "Internal Server Error"},
                               {502, "Bad Gateway"},
                               {503, "Service Unavailable"},
                               {504, "Gateway Timeout"}};

const char* reason_phrase(int status) {
  for (const auto& r : kReasons) {
    if (r.status == status) return r.phrase;
  }
  return nullptr;
}

class ProxyHttpCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.proxy.http"; }
  std::string message(int status) const override {
    std::string m = "proxy refused CONNECT: " + std::to_string(status);
    if (const char* reason = reason_phrase(status)) m += std::string(" ") + reason;
    return m;
  }
};

class ProxySocks5Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.proxy.socks5"; }
  // RFC 1928 6: the REP field's meanings.
  std::string message(int code) const override {
    const char* what = "unassigned reply code";
    switch (code) {
      case 0x01:
        what = "general SOCKS server failure";
        break;
      case 0x02:
        what = "connection not allowed by ruleset";
        break;
      case 0x03:
        what = "network unreachable";
        break;
      case 0x04:
        what = "host unreachable";
        break;
      case 0x05:
        what = "connection refused";
        break;
      case 0x06:
        what = "TTL expired";
        break;
      case 0x07:
        what = "command not supported";
        break;
      case 0x08:
        what = "address type not supported";
        break;
      default:
        break;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(code) & 0xFFu);
    return std::string("SOCKS5 proxy: ") + what + " (" + hex + ")";
  }
};

}  // namespace

const std::error_category& proxy_category() noexcept {
  static const ProxyCategory c;
  return c;
}

const std::error_category& proxy_http_category() noexcept {
  static const ProxyHttpCategory c;
  return c;
}

const std::error_category& proxy_socks5_category() noexcept {
  static const ProxySocks5Category c;
  return c;
}

}  // namespace uvws::net
