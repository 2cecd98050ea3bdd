// ws::Error and ws::Condition: every error's condition, close code (RFC 6455 7.4.1), HTTP
// status and message, so that a new or moved enumerator cannot change them unnoticed.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "uvws/ws/error.h"

using uvws::ws::Condition;
using uvws::ws::Error;
namespace close_code = uvws::ws::close_code;

namespace {

struct Row {
  Error error;
  Condition condition;
  std::uint16_t close;
  int status;
};

// Every enumerator of ws::Error, in declaration order.
const std::vector<Row> rows = {
    {Error::reserved_bits, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::bad_opcode, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::bad_length, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::non_minimal_length, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::masked_frame, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::unmasked_frame, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::control_too_long, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::control_fragmented, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::unexpected_continuation, Condition::protocol_violation, close_code::protocol_error,
     400},
    {Error::expected_continuation, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::bad_close_payload, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::bad_close_code, Condition::protocol_violation, close_code::protocol_error, 400},
    {Error::bad_close_reason, Condition::protocol_violation, close_code::invalid_payload, 400},
    {Error::bad_utf8, Condition::protocol_violation, close_code::invalid_payload, 400},
    {Error::message_too_big, Condition::protocol_violation, close_code::too_big, 400},
    {Error::frame_too_big, Condition::protocol_violation, close_code::too_big, 400},
    {Error::bad_compressed_data, Condition::protocol_violation, close_code::invalid_payload, 400},
    {Error::unexpected_eof, Condition::connection_lost, close_code::abnormal, 400},
    {Error::bad_http, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::headers_too_large, Condition::handshake_failed, close_code::protocol_error, 431},
    {Error::bad_method, Condition::handshake_failed, close_code::protocol_error, 405},
    {Error::bad_http_version, Condition::handshake_failed, close_code::protocol_error, 505},
    {Error::missing_host, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::missing_upgrade, Condition::handshake_failed, close_code::protocol_error, 426},
    {Error::missing_connection, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::bad_version, Condition::handshake_failed, close_code::protocol_error, 426},
    {Error::bad_key, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::bad_extension_offer, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::origin_refused, Condition::handshake_failed, close_code::protocol_error, 403},
    {Error::not_found, Condition::handshake_failed, close_code::protocol_error, 404},
    {Error::rejected, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::bad_status, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::bad_accept, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::unexpected_extension, Condition::handshake_failed, close_code::protocol_error, 400},
    {Error::unexpected_subprotocol, Condition::handshake_failed, close_code::protocol_error, 400},
};

const std::vector<Condition> conditions = {Condition::protocol_violation,
                                           Condition::handshake_failed, Condition::connection_lost};

}  // namespace

TEST_CASE("every error has exactly one condition, a close code and an HTTP status", "[ws][error]") {
  std::set<std::string> messages;
  for (const Row& row : rows) {
    const std::error_code ec = row.error;
    CAPTURE(ec.value(), ec.message());
    CHECK(ec.category() == uvws::ws::error_category());
    for (const Condition c : conditions) CHECK((ec == c) == (c == row.condition));
    CHECK(uvws::ws::close_code_for(row.error) == row.close);
    CHECK(uvws::ws::http_status_for(row.error) == row.status);
    CHECK(ec.message() != "unknown uvws.ws error");
    messages.insert(ec.message());
  }
  CHECK(messages.size() == rows.size());  // no two errors read alike
}

TEST_CASE("EOF without a close frame is a lost connection, not a protocol violation",
          "[ws][error]") {
  const std::error_code ec = Error::unexpected_eof;
  CHECK(ec == Condition::connection_lost);
  CHECK(ec != Condition::protocol_violation);
  CHECK(ec != Condition::handshake_failed);
  // RFC 6455 7.1.5: reported as 1006, which is never sent.
  CHECK(uvws::ws::close_code_for(Error::unexpected_eof) == close_code::abnormal);
  CHECK_FALSE(uvws::ws::is_valid_close_code(close_code::abnormal));
  CHECK(std::error_condition(Condition::connection_lost).message() ==
        "WebSocket connection lost without a close frame");
}

TEST_CASE("an error code of our category with no Error value matches no condition", "[ws][error]") {
  const std::error_code ec(9999, uvws::ws::error_category());
  for (const Condition c : conditions) CHECK(ec != c);
  CHECK(ec.message() == "unknown uvws.ws error");
  // And another category's codes never match ours.
  const std::error_code other = std::make_error_code(std::errc::connection_reset);
  for (const Condition c : conditions) CHECK(other != c);
}
