// The SOCKS5 handshake (RFC 1928) with optional user/password authentication (RFC 1929),
// sans-I/O: the greeting offering "no authentication" (0x00) and, with credentials,
// "username/password" (0x02); the sub-negotiation when the proxy picks 0x02; then CONNECT with
// the target as a domain name (ATYP 3, resolved by the proxy), an IPv4 (ATYP 1) or an IPv6 (ATYP
// 4) literal. A reply code other than success fails with proxy_socks5_category() (RFC 1928 6),
// e.g. "SOCKS5 proxy: connection refused (0x05)".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "uvws/net/proxy_handshake.h"

namespace uvws::net {

// A SOCKS5 handshake (see the top of this file).
class UVWS_EXPORT Socks5Handshake final : public ProxyHandshake {
 public:
  // A CONNECT to `target_host`:`target_port`: an IP literal (IPv6 unbracketed) is sent as an
  // address, anything else as a domain name of at most 255 bytes.
  Socks5Handshake(std::string target_host, std::uint16_t target_port,
                  std::optional<ProxyCredentials> credentials);

  // The greeting (RFC 1928 3); empty when the target or the credentials cannot be sent (the
  // first feed() then fails with ProxyErrc::bad_target or credentials_too_long).
  std::string start() override;
  // Consumes the proxy's replies: send after the method choice and after the authentication
  // reply, then done or failed.
  ProxyStep feed(std::span<const std::uint8_t> bytes) override;

 private:
  enum class Phase { method, auth, reply };

  std::error_code setup_error() const;
  std::string auth_request() const;
  std::string connect_request() const;
  ProxyStep fail(std::error_code error);
  ProxyStep on_method();
  ProxyStep on_auth();
  // The whole reply's length once its first bytes tell (RFC 1928 6), else nullopt.
  std::optional<std::size_t> reply_size();

  std::string host_;
  std::uint16_t port_;
  std::optional<ProxyCredentials> credentials_;
  Phase phase_ = Phase::method;
  std::vector<std::uint8_t> buffer_;  // The current message's bytes so far.
  std::optional<ProxyStep> final_;
};

}  // namespace uvws::net
