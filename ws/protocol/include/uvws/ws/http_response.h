// HTTP responses for the opening handshake (RFC 6455 4.1, 4.2.2; RFC 7230 3): parsing a
// server's answer on the client side, and building answers on the server side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "uvws/core/export.h"
#include "uvws/ws/http_request.h"

namespace uvws::ws {

// The usual reason phrase for `status` ("Switching Protocols", "Bad Request"...), or "" for a
// code uvws does not name (RFC 7230 3.1.2 allows an empty reason phrase).
UVWS_EXPORT std::string_view reason_phrase(int status) noexcept;

// Appends "name: value\r\n" to `out`. Throws std::invalid_argument when `name` is not a token,
// when `value` holds a control character other than HTAB (CR or LF would let a caller's string
// inject headers), or when `name` is Content-Length or Transfer-Encoding: uvws's builders write
// the message framing themselves.
UVWS_EXPORT void append_header(std::string& out, std::string_view name, std::string_view value);

// An HTTP response head, either parsed from a server's bytes (client side) or built to be sent
// (server side). Owned by value; one thread at a time. parse() reports malformed input as an
// Error; the builder functions throw std::invalid_argument on arguments that would make
// an invalid message (caller bugs, not peer input).
class UVWS_EXPORT HTTPResponse : public HTTPMessage {
 public:
  // An empty response, to parse() into.
  HTTPResponse() = default;
  // A response to build, HTTP/1.1. Throws std::invalid_argument unless 100 <= status <= 999
  // and `reason` holds no control characters other than HTAB.
  HTTPResponse(int status, std::string_view reason);

  // Parses `header_block`, exactly one status line and header fields ending in "\r\n\r\n"
  // (see find_header_end), copied. A body announced by the head is not part of the block and
  // is ignored. Returns std::nullopt on success, else the error: Error::headers_too_large over the
  // limits; Error::bad_http for anything llhttp rejects, a field name that is not a token, a folded
  // field, or bytes after the head.
  std::optional<Error> parse(std::span<const std::uint8_t> header_block, const HTTPLimits& limits);
  std::optional<Error> parse(std::string_view header_block, const HTTPLimits& limits) {
    return parse({reinterpret_cast<const std::uint8_t*>(header_block.data()), header_block.size()},
                 limits);
  }

  // The status code, e.g. 101.
  int status() const noexcept { return status_; }
  // The reason phrase as received or built.
  std::string_view reason() const noexcept { return view(reason_); }

  // Adds a header field, checked as append_header() does (throws std::invalid_argument).
  HTTPResponse& add_header(std::string_view name, std::string_view value);
  // The body to send; serialize() adds its Content-Length. Throws std::invalid_argument for a
  // non-empty body on a 1xx, 204 or 304 response, which RFC 7230 3.3.3 says has none.
  HTTPResponse& set_body(std::string body);
  // The body set with set_body().
  const std::string& body() const noexcept { return body_; }

  // The status line, the header fields in order, Content-Length (except for 1xx, 204 and 304,
  // RFC 7230 3.3.2, so an empty 200 says "Content-Length: 0" rather than leaving the client to
  // read until the connection closes), the blank line, then the body. A parsed head's own
  // Content-Length and Transfer-Encoding fields are left out.
  std::string serialize() const;

 private:
  std::string body_;
};

}  // namespace uvws::ws
