#include "uvws/ws/http_response.h"

#include <stdexcept>
#include <utility>

#include "uvws/ws/error.h"

namespace uvws::ws {
namespace {

// RFC 7230 3.2: field-value and reason-phrase allow HTAB, SP, VCHAR and obs-text, so every
// control character but HTAB is refused.
bool has_control(std::string_view s) noexcept {
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && b != '\t') || b == 0x7f) return true;
  }
  return false;
}

bool is_framing(std::string_view name) noexcept {
  return ascii_iequals(name, "Content-Length") || ascii_iequals(name, "Transfer-Encoding");
}

void check_header(std::string_view name, std::string_view value) {
  if (!is_token(name)) throw std::invalid_argument("HTTP header name is not a token");
  if (has_control(value)) throw std::invalid_argument("HTTP header value has a control character");
  if (is_framing(name)) throw std::invalid_argument("uvws writes Content-Length itself");
}

// RFC 7230 3.3.3: 1xx, 204 and 304 responses end at the blank line.
bool body_forbidden(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  check_header(name, value);
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

HTTPResponse::HTTPResponse(int status, std::string_view reason) {
  if (status < 100 || status > 999) throw std::invalid_argument("HTTP status out of range");
  if (has_control(reason)) throw std::invalid_argument("HTTP reason has a control character");
  status_ = status;
  reason_ = append_text(reason);
}

std::optional<Error> HTTPResponse::parse(std::span<const std::uint8_t> header_block,
                                         const HTTPLimits& limits) {
  body_.clear();
  return parse_message(header_block, limits, false);
}

HTTPResponse& HTTPResponse::add_header(std::string_view name, std::string_view value) {
  check_header(name, value);
  const Slice n = append_text(name);
  const Slice v = append_text(value);
  fields_.push_back({n, v});
  return *this;
}

HTTPResponse& HTTPResponse::set_body(std::string body) {
  if (!body.empty() && body_forbidden(status_)) {
    throw std::invalid_argument("this HTTP status has no body");
  }
  body_ = std::move(body);
  return *this;
}

std::string HTTPResponse::serialize() const {
  std::string out;
  std::size_t size = 32 + reason_.length + body_.size();
  for (const Field& f : fields_) size += f.name.length + f.value.length + 4;
  out.reserve(size);
  out.append("HTTP/");
  out.append(std::to_string(major_));
  out.push_back('.');
  out.append(std::to_string(minor_));
  out.push_back(' ');
  out.append(std::to_string(status_));
  out.push_back(' ');
  out.append(reason());
  out.append("\r\n");
  for (const HTTPHeader h : headers()) {
    // A parsed head's own framing fields are replaced by the ones computed below.
    if (is_framing(h.name)) continue;
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
  if (!body_forbidden(status_)) {
    out.append("Content-Length: ");
    out.append(std::to_string(body_.size()));
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(body_);
  return out;
}

}  // namespace uvws::ws
