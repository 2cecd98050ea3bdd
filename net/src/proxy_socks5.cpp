#include "uvws/net/proxy_socks5.h"

#include <uv.h>

#include <algorithm>

#include "uvws/net/proxy_error.h"

namespace uvws::net {
namespace {

constexpr std::uint8_t kVersion = 0x05;          // RFC 1928 3.
constexpr std::uint8_t kNoAuth = 0x00;           // RFC 1928 3.
constexpr std::uint8_t kUserPass = 0x02;         // RFC 1928 3, RFC 1929.
constexpr std::uint8_t kNoAcceptable = 0xFF;     // RFC 1928 3.
constexpr std::uint8_t kUserPassVersion = 0x01;  // RFC 1929 2.
constexpr std::uint8_t kConnect = 0x01;          // RFC 1928 4.
constexpr std::uint8_t kAtypIPv4 = 0x01;         // RFC 1928 5.
constexpr std::uint8_t kAtypDomain = 0x03;
constexpr std::uint8_t kAtypIPv6 = 0x04;

}  // namespace

Socks5Handshake::Socks5Handshake(std::string target_host, std::uint16_t target_port,
                                 std::optional<ProxyCredentials> credentials)
    : host_(std::move(target_host)), port_(target_port), credentials_(std::move(credentials)) {}

std::error_code Socks5Handshake::setup_error() const {
  // RFC 1928 5: a domain name is one length byte and at most 255 octets.
  if (host_.empty() || host_.size() > 255 || port_ == 0) return ProxyErrc::bad_target;
  // RFC 1929 2: ULEN and PLEN are one byte each.
  if (credentials_ &&
      (credentials_->username.size() > 255 || credentials_->password.size() > 255)) {
    return ProxyErrc::credentials_too_long;
  }
  return {};
}

std::string Socks5Handshake::start() {
  if (setup_error()) return {};
  std::string greeting{static_cast<char>(kVersion)};
  if (credentials_) {
    greeting += {2, static_cast<char>(kNoAuth), static_cast<char>(kUserPass)};
  } else {
    greeting += {1, static_cast<char>(kNoAuth)};
  }
  return greeting;
}

std::string Socks5Handshake::auth_request() const {
  // RFC 1929 2: VER ULEN UNAME PLEN PASSWD.
  std::string r{static_cast<char>(kUserPassVersion),
                static_cast<char>(credentials_->username.size())};
  r += credentials_->username;
  r += static_cast<char>(credentials_->password.size());
  r += credentials_->password;
  return r;
}

std::string Socks5Handshake::connect_request() const {
  // RFC 1928 4: VER CMD RSV ATYP DST.ADDR DST.PORT (network order).
  std::string r{static_cast<char>(kVersion), static_cast<char>(kConnect), 0};
  unsigned char a[16];
  if (uv_inet_pton(AF_INET, host_.c_str(), a) == 0) {
    r += static_cast<char>(kAtypIPv4);
    r.append(reinterpret_cast<const char*>(a), 4);
  } else if (uv_inet_pton(AF_INET6, host_.c_str(), a) == 0) {
    r += static_cast<char>(kAtypIPv6);
    r.append(reinterpret_cast<const char*>(a), 16);
  } else {
    r += static_cast<char>(kAtypDomain);
    r += static_cast<char>(host_.size());
    r += host_;
  }
  r += static_cast<char>(port_ >> 8);
  r += static_cast<char>(port_ & 0xFF);
  return r;
}

ProxyStep Socks5Handshake::fail(std::error_code error) {
  ProxyStep step;
  step.state = ProxyStep::State::failed;
  step.error = error;
  step.message = error.message();
  final_ = step;
  return step;
}

ProxyStep Socks5Handshake::on_method() {
  // RFC 1928 3: VER METHOD.
  if (buffer_[1] == kNoAcceptable) return fail(ProxyErrc::socks_no_acceptable_method);
  ProxyStep step;
  step.state = ProxyStep::State::send;
  if (buffer_[1] == kNoAuth) {
    phase_ = Phase::reply;
    step.bytes = connect_request();
  } else if (buffer_[1] == kUserPass) {
    if (!credentials_) return fail(ProxyErrc::socks_auth_required);
    phase_ = Phase::auth;
    step.bytes = auth_request();
  } else {
    return fail(ProxyErrc::socks_unexpected_method);
  }
  buffer_.clear();
  return step;
}

ProxyStep Socks5Handshake::on_auth() {
  // RFC 1929 2: VER STATUS, where a STATUS other than 0 is a failure.
  if (buffer_[1] != 0) return fail(ProxyErrc::socks_auth_failed);
  buffer_.clear();
  phase_ = Phase::reply;
  ProxyStep step;
  step.state = ProxyStep::State::send;
  step.bytes = connect_request();
  return step;
}

std::optional<std::size_t> Socks5Handshake::reply_size() {
  // RFC 1928 6: VER REP RSV ATYP BND.ADDR BND.PORT.
  if (buffer_.size() < 4) return std::nullopt;
  switch (buffer_[3]) {
    case kAtypIPv4:
      return 4 + 4 + 2;
    case kAtypIPv6:
      return 4 + 16 + 2;
    case kAtypDomain:
      if (buffer_.size() < 5) return std::nullopt;
      return 4 + 1 + std::size_t{buffer_[4]} + 2;
    default:
      return 0;  // Judged by the caller.
  }
}

ProxyStep Socks5Handshake::feed(std::span<const std::uint8_t> bytes) {
  if (final_) return *final_;
  if (const auto e = setup_error()) return fail(e);
  std::size_t offset = 0;
  // Each message is judged byte by byte as its fields arrive, in the same order whatever the
  // split: the version first, then the method, status or reply code, then the address type.
  while (true) {
    std::size_t want = 2;
    if (phase_ == Phase::reply) {
      const auto size = reply_size();
      want = size ? *size : (buffer_.size() < 4 ? 4 : 5);
    }
    const std::size_t take = std::min(want - std::min(want, buffer_.size()), bytes.size() - offset);
    buffer_.insert(buffer_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                   bytes.begin() + static_cast<std::ptrdiff_t>(offset + take));
    offset += take;
    if (buffer_.empty()) return {};
    const std::uint8_t version = phase_ == Phase::auth ? kUserPassVersion : kVersion;
    if (buffer_[0] != version) {
      return fail(phase_ == Phase::auth ? std::error_code(ProxyErrc::socks_malformed_reply)
                                        : std::error_code(ProxyErrc::socks_bad_version));
    }
    if (buffer_.size() < 2) return {};
    if (phase_ == Phase::reply) {
      if (buffer_[1] != 0) return fail({buffer_[1], proxy_socks5_category()});
      if (buffer_.size() >= 4 && reply_size() == std::size_t{0}) {
        return fail(ProxyErrc::socks_bad_address_type);
      }
      const auto size = reply_size();
      if (!size || buffer_.size() < *size) {
        if (offset == bytes.size()) return {};
        continue;  // The address type or length just arrived: take the rest of the reply.
      }
      ProxyStep step;
      step.state = ProxyStep::State::done;
      step.consumed = offset;
      final_ = ProxyStep{ProxyStep::State::done, {}, 0, {}, {}};
      return step;
    }
    // The proxy speaks only after each request (RFC 1928 3, RFC 1929 2): bytes beyond this
    // reply came before our next request could reach it.
    if (offset != bytes.size()) return fail(ProxyErrc::socks_malformed_reply);
    return phase_ == Phase::method ? on_method() : on_auth();
  }
}

}  // namespace uvws::net
