#include "uvws/ws/error.h"

#include <string>

namespace uvws::ws {
namespace {

bool is_handshake(int ev) {
  return ev >= static_cast<int>(Error::bad_http);
}

class ErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.ws"; }

  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::reserved_bits:
        return "reserved bits set without a negotiated extension";
      case Error::bad_opcode:
        return "unknown opcode";
      case Error::bad_length:
        return "64-bit payload length with the top bit set";
      case Error::non_minimal_length:
        return "payload length not in its shortest form";
      case Error::masked_frame:
        return "masked frame from a server";
      case Error::unmasked_frame:
        return "unmasked frame from a client";
      case Error::control_too_long:
        return "control frame payload over 125 bytes";
      case Error::control_fragmented:
        return "fragmented control frame";
      case Error::unexpected_continuation:
        return "continuation frame without a message";
      case Error::expected_continuation:
        return "new data frame inside a fragmented message";
      case Error::bad_close_payload:
        return "close frame payload of 1 byte";
      case Error::bad_close_code:
        return "invalid close code";
      case Error::bad_close_reason:
        return "close reason is not valid UTF-8";
      case Error::bad_utf8:
        return "text message is not valid UTF-8";
      case Error::message_too_big:
        return "message over the size limit";
      case Error::frame_too_big:
        return "frame over the size limit";
      case Error::bad_compressed_data:
        return "compressed data does not inflate";
      case Error::data_after_close:
        return "data after the close frame";
      case Error::unexpected_eof:
        return "connection closed without a close frame";
      case Error::bad_http:
        return "malformed HTTP message";
      case Error::headers_too_large:
        return "request headers too large";
      case Error::bad_method:
        return "method is not GET";
      case Error::bad_http_version:
        return "HTTP version is not 1.1";
      case Error::missing_host:
        return "missing Host header";
      case Error::missing_upgrade:
        return "missing or wrong Upgrade header";
      case Error::missing_connection:
        return "missing Connection: Upgrade";
      case Error::bad_version:
        return "unsupported Sec-WebSocket-Version";
      case Error::bad_key:
        return "missing or invalid Sec-WebSocket-Key";
      case Error::bad_extension_offer:
        return "malformed Sec-WebSocket-Extensions";
      case Error::origin_refused:
        return "origin not allowed";
      case Error::not_found:
        return "no handler for this path";
      case Error::rejected:
        return "rejected by the application";
      case Error::bad_status:
        return "handshake response status is not 101";
      case Error::bad_accept:
        return "wrong Sec-WebSocket-Accept";
      case Error::unexpected_extension:
        return "extension not offered or with bad parameters";
      case Error::unexpected_subprotocol:
        return "subprotocol not offered";
    }
    return "unknown uvws.ws error";
  }

  std::error_condition default_error_condition(int ev) const noexcept override {
    return is_handshake(ev) ? Condition::handshake_failed : Condition::protocol_violation;
  }
};

class ConditionCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.ws.condition"; }
  std::string message(int ev) const override {
    switch (static_cast<Condition>(ev)) {
      case Condition::protocol_violation:
        return "WebSocket protocol violation";
      case Condition::handshake_failed:
        return "WebSocket handshake failed";
    }
    return "unknown uvws.ws condition";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const ErrorCategory c;
  return c;
}

const std::error_category& condition_category() noexcept {
  static const ConditionCategory c;
  return c;
}

std::uint16_t close_code_for(Error e) noexcept {
  switch (e) {
    case Error::bad_close_reason:
    case Error::bad_utf8:
    case Error::bad_compressed_data:
      return close_code::invalid_payload;
    case Error::message_too_big:
    case Error::frame_too_big:
      return close_code::too_big;
    case Error::unexpected_eof:
      return close_code::abnormal;
    default:
      return close_code::protocol_error;
  }
}

int http_status_for(Error e) noexcept {
  switch (e) {
    case Error::headers_too_large:
      return 431;
    case Error::bad_method:
      return 405;
    case Error::bad_http_version:
      return 505;
    case Error::missing_upgrade:
    case Error::bad_version:
      return 426;
    case Error::origin_refused:
      return 403;
    case Error::not_found:
      return 404;
    default:
      return 400;
  }
}

}  // namespace uvws::ws
