#include "uvws/net/proxy_http_connect.h"

#include <uv.h>

#include <algorithm>

#include "uvws/core/crypto.h"
#include "uvws/net/proxy_error.h"

namespace uvws::net {
namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

// A target the request line and Host field can carry without injection: a host name's
// characters, or an IPv6 literal (which alone may hold ':').
bool valid_target(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  if (host.find(':') != std::string::npos) {
    unsigned char a[16];
    return uv_inet_pton(AF_INET6, host.c_str(), a) == 0;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
  });
}

// The end (one past) of the first empty line in `head` at or after the line feed searched from
// `from`: "\n\n" or "\n\r\n" (RFC 9112 2.2 lets a recipient take a bare LF as a line end).
std::optional<std::size_t> head_end(const std::string& head, std::size_t from) {
  for (std::size_t j = head.find('\n', from); j != std::string::npos; j = head.find('\n', j + 1)) {
    if (j + 1 < head.size() && head[j + 1] == '\n') return j + 2;
    if (j + 2 < head.size() && head[j + 1] == '\r' && head[j + 2] == '\n') return j + 3;
  }
  return std::nullopt;
}

// The status line's text after the version, printable ASCII only and at most 200 bytes, for an
// error message a log line can hold.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}

}  // namespace

HttpConnectHandshake::HttpConnectHandshake(std::string target_host, std::uint16_t target_port,
                                           std::optional<ProxyCredentials> credentials,
                                           std::size_t max_head)
    : host_(std::move(target_host)),
      port_(target_port),
      credentials_(std::move(credentials)),
      max_head_(std::max<std::size_t>(max_head, kVersionPrefix.size())) {}

std::string HttpConnectHandshake::start() {
  if (!valid_target(host_) || port_ == 0) return {};
  // RFC 9110 9.3.6: the request target is the authority form, host and port; an IPv6 literal
  // is bracketed (RFC 3986 3.2.2). Host repeats it (RFC 9112 3.2).
  const bool v6 = host_.find(':') != std::string::npos;
  const std::string authority =
      (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(static_cast<unsigned>(port_));
  std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (credentials_) {
    // RFC 7617 2: the user-id and password joined by a colon, base64-encoded.
    request += "Proxy-Authorization: Basic " +
               core::base64_encode(credentials_->username + ":" + credentials_->password) + "\r\n";
  }
  request += "\r\n";
  return request;
}

ProxyStep HttpConnectHandshake::fail(std::error_code error, std::string message) {
  ProxyStep step;
  step.state = ProxyStep::State::failed;
  step.error = error;
  step.message = message.empty() ? error.message() : std::move(message);
  final_ = step;
  return step;
}

ProxyStep HttpConnectHandshake::judge_head(std::size_t end, std::size_t fed_offset) {
  std::string_view head(buffer_.data(), end);
  std::string_view line = head.substr(0, head.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // RFC 9112 4: status-line = HTTP-version SP status-code SP [ reason-phrase ].
  const bool shaped = line.size() >= 12 && line[7] >= '0' && line[7] <= '9' && line[8] == ' ' &&
                      line[9] >= '1' && line[9] <= '9' && line[10] >= '0' && line[10] <= '9' &&
                      line[11] >= '0' && line[11] <= '9' && (line.size() == 12 || line[12] == ' ');
  if (!shaped) return fail(ProxyErrc::malformed_response, {});
  const int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status >= 100 && status < 200 && status != 101) {
    // An interim response: the final one follows.
    ProxyStep step;
    step.consumed = fed_offset;
    return step;
  }
  if (status >= 200 && status < 300) {
    ProxyStep step;
    step.state = ProxyStep::State::done;
    step.consumed = fed_offset;
    final_ = ProxyStep{ProxyStep::State::done, {}, 0, {}, {}};
    return step;
  }
  return fail({status, proxy_http_category()},
              "proxy refused CONNECT: " + printable(line.substr(9)));
}

ProxyStep HttpConnectHandshake::feed(std::span<const std::uint8_t> bytes) {
  if (final_) return *final_;
  if (!valid_target(host_) || port_ == 0) return fail(ProxyErrc::bad_target, {});
  std::size_t offset = 0;  // How many bytes of `bytes` are part of a finished head.
  while (true) {
    const std::size_t before = buffer_.size();
    const std::size_t take = std::min(max_head_ - before, bytes.size() - offset);
    buffer_.append(reinterpret_cast<const char*>(bytes.data()) + offset, take);
    // The response must begin with the version (RFC 9112 2.1): judged on the first bytes at
    // once, so a non-HTTP answer fails however it is split.
    const std::size_t n = std::min(buffer_.size(), kVersionPrefix.size());
    if (buffer_.compare(0, n, kVersionPrefix, 0, n) != 0) {
      return fail(ProxyErrc::malformed_response, {});
    }
    const auto end = head_end(buffer_, before >= 3 ? before - 3 : 0);
    if (!end) {
      if (buffer_.size() >= max_head_) return fail(ProxyErrc::response_too_large, {});
      return {};
    }
    const std::size_t fed = offset + (*end - before);
    ProxyStep step = judge_head(*end, fed);
    if (step.state != ProxyStep::State::need_more) return step;
    // After an interim response the next head starts right after it.
    buffer_.clear();
    offset = fed;
    if (offset == bytes.size()) return {};
  }
}

}  // namespace uvws::net
