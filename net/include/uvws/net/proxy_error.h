// The errors of the client proxy handshakes (HTTP CONNECT, SOCKS5) as std::error_code values in
// three categories: the handshakes' own failures ("uvws.proxy"), an HTTP proxy's refusal whose
// value is the status code ("uvws.proxy.http"), and a SOCKS5 reply code ("uvws.proxy.socks5").
#pragma once

#include <system_error>

#include "uvws/core/export.h"

namespace uvws::net {

// Failures of the proxy configuration and of the proxy handshakes themselves.
enum class ProxyErrc {
  bad_proxy_url = 1,           // The proxy URL does not parse.
  unsupported_proxy_scheme,    // Neither http://, socks5:// nor socks5h://.
  bad_target,                  // The target host cannot be sent (empty, or over 255 bytes).
  credentials_too_long,        // RFC 1929 2: user name and password are at most 255 bytes each.
  malformed_response,          // The HTTP proxy's response head is not HTTP/1.x.
  response_too_large,          // The HTTP proxy's response head exceeds the bound.
  socks_bad_version,           // A SOCKS reply whose version is not 5 (RFC 1928 3, 6).
  socks_no_acceptable_method,  // The proxy answered method 0xFF (RFC 1928 3).
  socks_unexpected_method,     // The proxy chose a method that was not offered.
  socks_auth_required,         // The proxy asks for user/password but none is configured.
  socks_auth_failed,           // RFC 1929 2: a non-zero status.
  socks_bad_address_type,      // A reply whose ATYP is not 1, 3 or 4 (RFC 1928 5).
  socks_malformed_reply,       // A bad RFC 1929 reply version, or bytes before our request.
};

// The category of ProxyErrc ("uvws.proxy").
UVWS_EXPORT const std::error_category& proxy_category() noexcept;
// An HTTP proxy's refusal of CONNECT: the value is the status code and the message reads
// "proxy refused CONNECT: 403 Forbidden" (RFC 9110 15 reason phrases).
UVWS_EXPORT const std::error_category& proxy_http_category() noexcept;
// A SOCKS5 reply code (RFC 1928 6) other than success: the value is the code and the message
// reads "SOCKS5 proxy: connection refused (0x05)".
UVWS_EXPORT const std::error_category& proxy_socks5_category() noexcept;

// A ProxyErrc as an error_code.
inline std::error_code make_error_code(ProxyErrc e) noexcept {
  return {static_cast<int>(e), proxy_category()};
}

}  // namespace uvws::net

template <>
struct std::is_error_code_enum<uvws::net::ProxyErrc> : std::true_type {};
