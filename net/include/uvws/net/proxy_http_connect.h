// The HTTP CONNECT handshake (RFC 9110 9.3.6) with an HTTP/1.1 proxy, sans-I/O: the request
// with Host and, when credentials are set, Proxy-Authorization Basic (RFC 7617, RFC 9110 11.7.2),
// then the proxy's response head, bounded in size. A 2xx response opens the tunnel: any bytes
// after its head are the target's (a 2xx answer to CONNECT has no body). 1xx interim responses
// are skipped (RFC 9110 15.2). Any other status fails with proxy_http_category() and the status
// line in the message, e.g. "proxy refused CONNECT: 403 Forbidden".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "uvws/net/proxy_handshake.h"

namespace uvws::net {

// A CONNECT handshake with an HTTP proxy (see the top of this file).
class UVWS_EXPORT HttpConnectHandshake final : public ProxyHandshake {
 public:
  // The default bound of the response head (status line and header fields), in bytes.
  static constexpr std::size_t default_max_head = 16 * 1024;

  // A CONNECT to `target_host`:`target_port` (IPv6 literals unbracketed), authenticated when
  // `credentials` is set; a response head over `max_head` bytes fails.
  HttpConnectHandshake(std::string target_host, std::uint16_t target_port,
                       std::optional<ProxyCredentials> credentials,
                       std::size_t max_head = default_max_head);

  // The CONNECT request; an empty string when the target cannot be sent (the first feed() then
  // fails with ProxyErrc::bad_target).
  std::string start() override;
  // Consumes the proxy's response, answering need_more, done or failed (never send).
  ProxyStep feed(std::span<const std::uint8_t> bytes) override;

 private:
  ProxyStep fail(std::error_code error, std::string message);
  // Judges the complete head buffer_[0, end); answers need_more after a 1xx head.
  ProxyStep judge_head(std::size_t end, std::size_t fed_offset);

  std::string host_;
  std::uint16_t port_;
  std::optional<ProxyCredentials> credentials_;
  std::size_t max_head_;
  std::string buffer_;  // The head bytes read so far (of the current response).
  std::optional<ProxyStep> final_;
};

}  // namespace uvws::net
