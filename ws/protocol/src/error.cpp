#include "uvws/ws/error.h"

#include <string>

namespace uvws::ws {
namespace {

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
      case Error::unexpected_eof:
        return "connection closed without a close frame";
      case Error::bad_http:
        return "malformed HTTP message";
      case Error::not_http:
        return "not an HTTP request";
      case Error::headers_too_large:
        return "request headers too large";
      case Error::bad_method:
        return "method is not GET";
      case Error::bad_http_version:
        return "HTTP version not supported (a WebSocket upgrade needs HTTP/1.1)";
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
    switch (static_cast<Error>(ev)) {
      case Error::reserved_bits:
      case Error::bad_opcode:
      case Error::bad_length:
      case Error::non_minimal_length:
      case Error::masked_frame:
      case Error::unmasked_frame:
      case Error::control_too_long:
      case Error::control_fragmented:
      case Error::unexpected_continuation:
      case Error::expected_continuation:
      case Error::bad_close_payload:
      case Error::bad_close_code:
      case Error::bad_close_reason:
      case Error::bad_utf8:
      case Error::message_too_big:
      case Error::frame_too_big:
      case Error::bad_compressed_data:
        return Condition::protocol_violation;
      case Error::unexpected_eof:
        return Condition::connection_lost;
      case Error::bad_http:
      case Error::not_http:
      case Error::headers_too_large:
      case Error::bad_method:
      case Error::bad_http_version:
      case Error::missing_host:
      case Error::missing_upgrade:
      case Error::missing_connection:
      case Error::bad_version:
      case Error::bad_key:
      case Error::bad_extension_offer:
      case Error::origin_refused:
      case Error::not_found:
      case Error::rejected:
      case Error::bad_status:
      case Error::bad_accept:
      case Error::unexpected_extension:
      case Error::unexpected_subprotocol:
        return Condition::handshake_failed;
    }
    // A value that is no Error (an error_code built by hand): the default, which matches no
    // Condition.
    return std::error_category::default_error_condition(ev);
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
      case Condition::connection_lost:
        return "WebSocket connection lost without a close frame";
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
    case Error::reserved_bits:
    case Error::bad_opcode:
    case Error::bad_length:
    case Error::non_minimal_length:
    case Error::masked_frame:
    case Error::unmasked_frame:
    case Error::control_too_long:
    case Error::control_fragmented:
    case Error::unexpected_continuation:
    case Error::expected_continuation:
    case Error::bad_close_payload:
    case Error::bad_close_code:
      return close_code::protocol_error;
    case Error::bad_close_reason:
    case Error::bad_utf8:
    case Error::bad_compressed_data:
      return close_code::invalid_payload;
    case Error::message_too_big:
    case Error::frame_too_big:
      return close_code::too_big;
    case Error::unexpected_eof:
      return close_code::abnormal;
    // Handshake failures close no WebSocket connection (there is none yet); should a caller
    // ask anyway, 1002 is what RFC 6455 7.4.1 gives for a peer that broke the protocol.
    case Error::bad_http:
    case Error::not_http:
    case Error::headers_too_large:
    case Error::bad_method:
    case Error::bad_http_version:
    case Error::missing_host:
    case Error::missing_upgrade:
    case Error::missing_connection:
    case Error::bad_version:
    case Error::bad_key:
    case Error::bad_extension_offer:
    case Error::origin_refused:
    case Error::not_found:
    case Error::rejected:
    case Error::bad_status:
    case Error::bad_accept:
    case Error::unexpected_extension:
    case Error::unexpected_subprotocol:
      return close_code::protocol_error;
  }
  return close_code::protocol_error;  // a value that is no Error
}

int http_status_for(Error e) noexcept {
  switch (e) {
    case Error::headers_too_large:
      return 431;  // RFC 6585 5
    case Error::bad_method:
      return 405;
    case Error::bad_http_version:
      return 505;
    case Error::missing_upgrade:
    case Error::bad_version:
      return 426;  // RFC 6455 4.2.2, 4.4
    case Error::origin_refused:
      return 403;  // RFC 6455 4.2.2
    case Error::not_found:
      return 404;
    case Error::bad_http:
    case Error::not_http:
    case Error::missing_host:
    case Error::missing_connection:
    case Error::bad_key:
    case Error::bad_extension_offer:
    case Error::rejected:
    case Error::bad_status:
    case Error::bad_accept:
    case Error::unexpected_extension:
    case Error::unexpected_subprotocol:
      return 400;  // RFC 6455 4.2.1: "HTTP/1.1 400 Bad Request"
    // Failures after the handshake have no HTTP answer; should a caller ask anyway, 400 is
    // the answer to a request that is not acceptable.
    case Error::reserved_bits:
    case Error::bad_opcode:
    case Error::bad_length:
    case Error::non_minimal_length:
    case Error::masked_frame:
    case Error::unmasked_frame:
    case Error::control_too_long:
    case Error::control_fragmented:
    case Error::unexpected_continuation:
    case Error::expected_continuation:
    case Error::bad_close_payload:
    case Error::bad_close_code:
    case Error::bad_close_reason:
    case Error::bad_utf8:
    case Error::message_too_big:
    case Error::frame_too_big:
    case Error::bad_compressed_data:
    case Error::unexpected_eof:
      return 400;
  }
  return 400;  // a value that is no Error
}

}  // namespace uvws::ws
