// check_frame(): the checks one received frame must pass by itself (RFC 6455 5.1-5.5,
// RFC 7692 6), every rejection and the order they are checked in.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>

#include "uvws/ws/error.h"
#include "uvws/ws/frame.h"

using namespace uvws::ws;

namespace {

// A frame header as check_frame() sees it: `b0` the first byte (FIN, RSV1-3, opcode), masked
// or not, with `length` payload bytes.
Frame header(std::uint8_t b0, bool masked, std::uint64_t length = 0) {
  Frame f;
  f.fin = (b0 & 0x80) != 0;
  f.rsv1 = (b0 & 0x40) != 0;
  f.rsv2 = (b0 & 0x20) != 0;
  f.rsv3 = (b0 & 0x10) != 0;
  f.opcode = static_cast<Opcode>(b0 & 0x0F);
  f.masked = masked;
  f.length = length;
  return f;
}

// What check_frame() says about `f` when a server (a masked `f`) or a client (unmasked)
// receives it, with or without compression.
std::optional<Error> check_as_receiver(std::uint8_t b0, Role receiver, bool compression,
                                       std::uint64_t length = 0) {
  return check_frame(header(b0, receiver == Role::server, length), receiver, compression);
}

}  // namespace

TEST_CASE("check_frame passes every valid frame for both roles", "[ws][frame]") {
  const Role receiver = GENERATE(Role::server, Role::client);
  const bool compression = GENERATE(false, true);
  CAPTURE(receiver == Role::server, compression);
  for (const int b0 : {0x81, 0x82, 0x01, 0x02, 0x00, 0x80, 0x88, 0x89, 0x8A}) {
    CAPTURE(b0);
    CHECK(check_as_receiver(static_cast<std::uint8_t>(b0), receiver, compression, 5) ==
          std::nullopt);
  }
  // RFC 6455 5.5: 125 bytes is the largest control frame; data frames have no limit here.
  CHECK(check_as_receiver(0x89, receiver, compression, 125) == std::nullopt);
  CHECK(check_as_receiver(0x82, receiver, compression, 1ull << 40) == std::nullopt);
  // RFC 7692 6: with permessage-deflate, RSV1 marks the first frame of a data message.
  const auto rsv1_text = check_as_receiver(0xC1, receiver, compression);
  const auto rsv1_first_fragment = check_as_receiver(0x42, receiver, compression);
  if (compression) {
    CHECK(rsv1_text == std::nullopt);
    CHECK(rsv1_first_fragment == std::nullopt);
  } else {
    CHECK(rsv1_text == Error::reserved_bits);
    CHECK(rsv1_first_fragment == Error::reserved_bits);
  }
}

TEST_CASE("check_frame refuses unknown opcodes", "[ws][frame]") {
  const Role receiver = GENERATE(Role::server, Role::client);
  for (const int opcode : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    CAPTURE(opcode);
    CHECK(check_as_receiver(static_cast<std::uint8_t>(0x80 | opcode), receiver, true) ==
          Error::bad_opcode);
  }
}

TEST_CASE("check_frame refuses reserved bits no extension defines", "[ws][frame]") {
  const Role receiver = GENERATE(Role::server, Role::client);
  const bool compression = GENERATE(false, true);
  CAPTURE(receiver == Role::server, compression);
  // RSV2 and RSV3 on any frame.
  for (const int b0 : {0xA1, 0x91, 0xB2, 0xA9, 0x98}) {
    CAPTURE(b0);
    CHECK(check_as_receiver(static_cast<std::uint8_t>(b0), receiver, compression) ==
          Error::reserved_bits);
  }
  // RSV1 on a continuation or control frame, even with compression (RFC 7692 6).
  for (const int b0 : {0xC0, 0x40, 0xC8, 0xC9, 0xCA}) {
    CAPTURE(b0);
    CHECK(check_as_receiver(static_cast<std::uint8_t>(b0), receiver, compression) ==
          Error::reserved_bits);
  }
}

TEST_CASE("check_frame refuses a mask bit wrong for the sender's role", "[ws][frame]") {
  for (const int b0 : {0x81, 0x02, 0x80, 0x88, 0x89, 0x8A}) {
    CAPTURE(b0);
    const auto op = static_cast<std::uint8_t>(b0);
    // RFC 6455 5.1: a client masks every frame, a server none.
    CHECK(check_frame(header(op, false), Role::server, false) == Error::unmasked_frame);
    CHECK(check_frame(header(op, true), Role::client, false) == Error::masked_frame);
  }
}

TEST_CASE("check_frame refuses fragmented and long control frames", "[ws][frame]") {
  const Role receiver = GENERATE(Role::server, Role::client);
  for (const int opcode : {0x8, 0x9, 0xA}) {
    CAPTURE(opcode);
    const auto op = static_cast<std::uint8_t>(opcode);
    CHECK(check_as_receiver(op, receiver, false) == Error::control_fragmented);
    CHECK(check_as_receiver(0x80 | op, receiver, false, 126) == Error::control_too_long);
    CHECK(check_as_receiver(0x80 | op, receiver, false, 1ull << 40) == Error::control_too_long);
  }
}

TEST_CASE("check_frame reports the first failure in its documented order", "[ws][frame]") {
  // An unknown opcode before reserved bits, reserved bits before the mask, the mask before
  // the control frame rules, FIN before the length.
  CHECK(check_frame(header(0x73, false), Role::server, false) == Error::bad_opcode);
  CHECK(check_frame(header(0xE1, false), Role::server, false) == Error::reserved_bits);
  CHECK(check_frame(header(0x09, false, 200), Role::server, false) == Error::unmasked_frame);
  CHECK(check_frame(header(0x09, true, 200), Role::server, false) == Error::control_fragmented);
}
