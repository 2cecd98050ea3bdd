// What can go wrong with a peer's bytes, as std::error_code values.
//
// ws::Error lists every specific failure (a bad opcode, an invalid close code, a handshake
// without a key...). Each one maps to one close code (RFC 6455 7.4.1) for failures after the
// handshake, or to one HTTP status for handshake failures: the tables are in error.cpp, the
// one place that decides what a bad peer is told. ws::Condition groups them, so applications
// can test `ec == uvws::ws::Condition::protocol_violation` without listing every value.
//
// Functions of this layer whose failures are always a ws::Error return std::optional<Error>
// (std::nullopt: no failure), so that no caller has to check an error_code's category before
// reading its value as an Error. std::error_code is used where values travel to the
// application (ProtocolListener::on_failed, ServerProtocol::accept).
#pragma once

#include <cstdint>
#include <system_error>

#include "uvws/core/export.h"

namespace uvws::ws {

// Why a connection failed: a protocol violation by the peer (RFC 6455 5, 7; RFC 7692) or a failed
// handshake (RFC 6455 4). Values are std::error_code values of error_category() ("uvws.ws").
enum class Error {
  // Frame level (RFC 6455 5.2): close code 1002 unless noted.
  reserved_bits = 1,        // RSV1-3 set without an extension that defines them
  bad_opcode,               // opcode 3-7 or 0xB-0xF
  bad_length,               // 64-bit length with the most significant bit set
  non_minimal_length,       // length not in its shortest form (only when strict_lengths)
  masked_frame,             // a server sent a masked frame (client side)
  unmasked_frame,           // a client sent an unmasked frame (server side)
  control_too_long,         // control frame payload over 125 bytes
  control_fragmented,       // control frame with FIN clear
  unexpected_continuation,  // continuation frame with no message started
  expected_continuation,    // new data frame while a fragmented message is open
  bad_close_payload,        // close payload of 1 byte
  bad_close_code,           // close code not allowed on the wire (RFC 6455 7.4)
  bad_close_reason,         // close reason not valid UTF-8 (close code 1007)
  bad_utf8,                 // text message not valid UTF-8 (close code 1007)
  message_too_big,          // over the message size limit (close code 1009)
  frame_too_big,            // over the frame size limit (close code 1009)
  bad_compressed_data,      // permessage-deflate data that does not inflate (1007)

  // The connection ended without a close frame (RFC 6455 7.1.5): not a protocol violation,
  // Condition::connection_lost. Close code 1006, reported and never sent.
  unexpected_eof,

  // Handshake (RFC 6455 4.2.1): HTTP status in parentheses.
  bad_http = 100,       // not a parsable HTTP/1.1 request or response (400)
  not_http,             // bytes that cannot begin an HTTP request (a TLS record...) (400)
  early_data,           // over max_header_bytes sent after the request, before its answer (400)
  headers_too_large,    // over the header byte or count limits (431)
  bad_method,           // not GET (405 on the server side, so it's a 400-class answer)
  bad_http_version,     // a version the server does not speak; upgrades: not 1.1 (505)
  missing_host,         // no Host header (400)
  missing_upgrade,      // no "Upgrade: websocket" (426)
  missing_connection,   // no "Connection: Upgrade" (400)
  bad_version,          // Sec-WebSocket-Version not 13 (426 with the version header)
  bad_key,              // Sec-WebSocket-Key missing or not base64 of 16 bytes (400)
  bad_extension_offer,  // a malformed Sec-WebSocket-Extensions header (400)
  origin_refused,       // the Origin check refused (403)
  not_found,            // no handler for the path (404)
  rejected,             // the application rejected the request
  // Client side of the handshake.
  bad_status,              // response status not 101
  bad_accept,              // Sec-WebSocket-Accept does not match the key
  unexpected_extension,    // an extension that was not offered, or bad parameters
  unexpected_subprotocol,  // a subprotocol that was not offered
};

// The groups of Error values, for tests like `ec == Condition::handshake_failed`.
enum class Condition {
  protocol_violation = 1,  // the peer broke RFC 6455/7692 after the handshake
  handshake_failed,        // the opening handshake did not complete
  connection_lost,         // the TCP connection ended without a close frame (unexpected_eof)
};

// The category of Error ("uvws.ws").
UVWS_EXPORT const std::error_category& error_category() noexcept;
// The category of Condition.
UVWS_EXPORT const std::error_category& condition_category() noexcept;

// An Error as a std::error_code (found by argument-dependent lookup).
inline std::error_code make_error_code(Error e) noexcept {
  return {static_cast<int>(e), error_category()};
}
// A Condition as a std::error_condition (found by argument-dependent lookup).
inline std::error_condition make_error_condition(Condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

// Close codes (RFC 6455 7.4.1) that uvws itself sends or reports.
namespace close_code {
// Normal closure.
inline constexpr std::uint16_t normal = 1000;
// The endpoint is going away (server shutdown, page left).
inline constexpr std::uint16_t going_away = 1001;
// The peer broke the protocol.
inline constexpr std::uint16_t protocol_error = 1002;
// A data type the endpoint cannot accept.
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // reported, never sent
inline constexpr std::uint16_t abnormal = 1006;   // reported, never sent
// Data inconsistent with its type (e.g. text that is not UTF-8).
inline constexpr std::uint16_t invalid_payload = 1007;
// A message that violates the endpoint's policy (uvws: the backpressure policy).
inline constexpr std::uint16_t policy_violation = 1008;
// A message or frame too big to process.
inline constexpr std::uint16_t too_big = 1009;
// The client expected an extension the server did not negotiate.
inline constexpr std::uint16_t mandatory_extension = 1010;
// The server met an unexpected condition.
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// The close code to send for a failure after the handshake (1002, 1007 or 1009), or 1006 for
// unexpected_eof, which is reported and never sent. (Handshake errors give 1002.)
UVWS_EXPORT std::uint16_t close_code_for(Error e) noexcept;

// The HTTP status to answer a failed handshake with (400, 403, 404, 426, 431, 505...).
// (Errors after the handshake give 400.)
UVWS_EXPORT int http_status_for(Error e) noexcept;

// RFC 6455 7.4: may `code` appear in a close frame on the wire? 1000-1003, 1007-1011 (and
// 1012-1014, registered with IANA since), and 3000-4999. 1004-1006, 1015, the rest of
// 1000-2999 and anything outside 1000-4999 may not.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != 1005 && code != 1006;
}

}  // namespace uvws::ws

template <>
struct std::is_error_code_enum<uvws::ws::Error> : std::true_type {};
template <>
struct std::is_error_condition_enum<uvws::ws::Condition> : std::true_type {};
