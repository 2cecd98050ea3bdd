// Every way a peer can break RFC 6455 after the handshake, one test each: the exact ws::Error
// reported and the exact close code sent (RFC 6455 7.4.1), every input fed at every split.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

TEST_CASE("a server fails on reserved bits without an extension", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0xC1, 0xA1, 0x91, 0xE1, 0xC9, 0xC0);  // RSV1, RSV2, RSV3, ...
  CAPTURE(split, b0);
  Server s;
  feed(s, client_frame(static_cast<std::uint8_t>(b0), "Hello"), split);
  check_failed(s, Error::reserved_bits, close_code::protocol_error);
}

TEST_CASE("a server fails on unknown opcodes", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int opcode = GENERATE(3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF);
  CAPTURE(split, opcode);
  Server s;
  feed(s, client_frame(static_cast<std::uint8_t>(0x80 | opcode), "x"), split);
  check_failed(s, Error::bad_opcode, close_code::protocol_error);
}

TEST_CASE("a server fails on a 64-bit length with its top bit set", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s, bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 5, 0x37, 0xfa, 0x21, 0x3d}), split);
  check_failed(s, Error::bad_length, close_code::protocol_error);
}

TEST_CASE("a server fails on lengths not in their shortest form", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const Bytes header = GENERATE(bytes({0x82, 0xFE, 0x00, 0x05}), bytes({0x82, 0xFE, 0x00, 0x7D}),
                                bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x00, 0x05}),
                                bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}));
  CAPTURE(split, hex(header));
  Server s;
  feed(s, header + bytes({0x37, 0xfa, 0x21, 0x3d}), split);
  check_failed(s, Error::non_minimal_length, close_code::protocol_error);
}

TEST_CASE("without strict_lengths a server reads lengths in any form", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.strict_lengths = false;
  Server s(o);
  const Bytes masked = client_frame(0x81, "Hello");
  Bytes long_form = bytes({0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5});
  long_form += masked.substr(2);
  feed(s, long_form, split);
  CHECK(s.events() == std::vector<std::string>{"text Hello"});
}

TEST_CASE("a server fails on an unmasked frame", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x81, 0x82, 0x89, 0x88);
  CAPTURE(split, b0);
  Server s;
  feed(s, server_frame(static_cast<std::uint8_t>(b0), "Hello"), split);
  check_failed(s, Error::unmasked_frame, close_code::protocol_error);
}

TEST_CASE("a client fails on a masked frame", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x81, 0x82, 0x89, 0x88);
  CAPTURE(split, b0);
  Client c;
  feed(c, client_frame(static_cast<std::uint8_t>(b0), "Hello"), split);
  check_failed(c, Error::masked_frame, close_code::protocol_error);
}

TEST_CASE("a client fails on reserved bits and unknown opcodes too", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  SECTION("RSV1") {
    Client c;
    feed(c, server_frame(0xC1, "Hello"), split);
    check_failed(c, Error::reserved_bits, close_code::protocol_error);
  }
  SECTION("opcode 0xB") {
    Client c;
    feed(c, server_frame(0x8B, ""), split);
    check_failed(c, Error::bad_opcode, close_code::protocol_error);
  }
}

TEST_CASE("a server fails on a control frame over 125 bytes", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x88, 0x89, 0x8A);
  CAPTURE(split, b0);
  Server s;
  Bytes payload = close_payload(1000) + Bytes(124, 'a');
  const Bytes f = client_frame(static_cast<std::uint8_t>(b0), payload);
  // The header alone shows it: the payload need not arrive.
  feed(s, f.substr(0, 8), split);
  check_failed(s, Error::control_too_long, close_code::protocol_error);
}

TEST_CASE("a server accepts control frames of exactly 125 bytes", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  const Bytes payload(125, 'p');
  feed(s, client_frame(0x89, payload), split);
  CHECK(s.events() == std::vector<std::string>{"ping " + describe_payload(payload)});
  CHECK(s.output() == server_frame(0x8A, payload));
}

TEST_CASE("a server fails on a fragmented control frame", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x08, 0x09, 0x0A);
  CAPTURE(split, b0);
  Server s;
  feed(s, client_frame(static_cast<std::uint8_t>(b0), ""), split);
  check_failed(s, Error::control_fragmented, close_code::protocol_error);
}

TEST_CASE("a server fails on a continuation frame without a message", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x80, 0x00);
  CAPTURE(split, b0);
  Server s;
  // After a complete message too: that one is over.
  feed(s, client_frame(0x81, "a") + client_frame(static_cast<std::uint8_t>(b0), "b"), split);
  check_failed(s, Error::unexpected_continuation, close_code::protocol_error, {"text a"});
}

TEST_CASE("a server fails on a new data frame inside a fragmented message", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  const int b0 = GENERATE(0x81, 0x82, 0x01, 0x02);
  CAPTURE(split, b0);
  Server s;
  feed(s, client_frame(0x01, "Hel") + client_frame(static_cast<std::uint8_t>(b0), "lo"), split);
  check_failed(s, Error::expected_continuation, close_code::protocol_error);
}

TEST_CASE("a server fails on a close payload of 1 byte", "[ws][parser][close]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s, client_frame(0x88, bytes({0x03})), split);
  check_failed(s, Error::bad_close_payload, close_code::protocol_error);
}

TEST_CASE("a server fails on close codes not allowed on the wire", "[ws][parser][close]") {
  const Split split = UVWS_SPLITS();
  const int code = GENERATE(0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535);
  CAPTURE(split, code);
  Server s;
  feed(s, client_frame(0x88, close_payload(static_cast<std::uint16_t>(code), "x")), split);
  check_failed(s, Error::bad_close_code, close_code::protocol_error);
}

TEST_CASE("a server accepts every close code allowed on the wire", "[ws][parser][close]") {
  const Split split = UVWS_SPLITS();
  const int code = GENERATE(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                            3000, 3999, 4000, 4999);
  CAPTURE(split, code);
  Server s;
  const auto c = static_cast<std::uint16_t>(code);
  feed(s, client_frame(0x88, close_payload(c, "bye")), split);
  CHECK(s.events() == std::vector<std::string>{"close " + std::to_string(code) + " bye"});
  CHECK(hex(s.output()) == hex(server_frame(0x88, close_payload(c))));
  CHECK(s->close_code_received() == c);
}

TEST_CASE("a server fails on a close reason that is not UTF-8", "[ws][parser][close]") {
  const Split split = UVWS_SPLITS();
  const Bytes reason = GENERATE(bytes({0xFF}), bytes({'o', 'k', 0xC3}), bytes({0xED, 0xA0, 0x80}));
  CAPTURE(split, hex(reason));
  Server s;
  feed(s, client_frame(0x88, close_payload(1000) + reason), split);
  check_failed(s, Error::bad_close_reason, close_code::invalid_payload);
}

TEST_CASE("a server fails on invalid UTF-8 in a text message", "[ws][parser][utf8]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  SECTION("in one frame") {
    feed(s, client_frame(0x81, "caf\xC3\xA9 \xC0\xAF"), split);
    check_failed(s, Error::bad_utf8, close_code::invalid_payload);
  }
  SECTION("a sequence split across fragments") {
    feed(s, client_frame(0x01, "\xCE\xBA\xE1") + client_frame(0x80, "\xBD\x28"), split);
    check_failed(s, Error::bad_utf8, close_code::invalid_payload);
  }
  SECTION("a message ending inside a sequence") {
    feed(s, client_frame(0x01, "ok") + client_frame(0x80, "\xE2\x82"), split);
    check_failed(s, Error::bad_utf8, close_code::invalid_payload);
  }
  SECTION("a valid sequence split across fragments is fine") {
    feed(s, client_frame(0x01, "\xE2") + client_frame(0x00, "\x82") + client_frame(0x80, "\xAC"),
         split);
    CHECK(s.events() == std::vector<std::string>{"text " + describe_payload("\xE2\x82\xAC")});
  }
  SECTION("binary messages are not checked") {
    feed(s, client_frame(0x82, "\xFF\xFE"), split);
    CHECK(s.listener.take().size() == 1);
    CHECK(s->state() == State::open);
  }
}

TEST_CASE("invalid UTF-8 fails at its first bad byte, before the frame is complete",
          "[ws][parser][utf8]") {
  const bool in_place = GENERATE(false, true);
  const bool server = GENERATE(true, false);
  CAPTURE(in_place, server);
  struct Case {
    Bytes input;
    std::size_t bad_byte;  // the index of the first byte no valid text can have there
  };
  const auto f = [server](std::uint8_t b0, std::string_view payload) {
    return frame(b0, payload, server);
  };
  const std::size_t h = server ? 6 : 2;  // header size of a short frame
  const Bytes first = f(0x01, "ab\xE2");
  const std::vector<Case> cases = {
      {f(0x81, "Hello\xFFworld, more bytes follow"), h + 5},
      {f(0x81,
         "ab\xE2\x41"
         "cdefgh"),
       h + 3},  // 0xE2 0x41: 0x41 is no continuation
      {f(0x81,
         "\xC0\xAF"
         "abcdefgh"),
       h},  // 0xC0 never starts a sequence
      {f(0x81,
         "x\xED\xA0\x80"
         "abcdefgh"),
       h + 2},  // a surrogate fails at 0xA0
      {f(0x81,
         "x\xF4\x90\x80\x80"
         "abcd"),
       h + 2},                                            // over U+10FFFF fails at 0x90
      {first + f(0x80, "A and more"), first.size() + h},  // across fragments
      {first + f(0x89, "ping") + f(0x80, "\x82\xAC\xFF zz"), first.size() + 2 * h + 4 + 2},
      {f(0x81, "abc\xE2\x82"), h + 4},  // the last byte ends the message short
  };
  for (const Case& c : cases) {
    CAPTURE(hex(c.input));
    std::unique_ptr<Server> s;
    std::unique_ptr<Client> cl;
    Endpoint* e = nullptr;
    if (server) {
      s = std::make_unique<Server>();
      e = s.get();
    } else {
      cl = std::make_unique<Client>();
      e = cl.get();
    }
    CHECK(bytes_until_failure(*e, c.input, in_place) == c.bad_byte + 1);
    const std::vector<std::string> evs = e->events();
    REQUIRE(!evs.empty());
    CHECK(evs.back() == failed(Error::bad_utf8));
  }
}

TEST_CASE("a message over max_message_size fails as soon as a header announces it",
          "[ws][parser][limits]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.max_message_size = 10;
  SECTION("one frame, failing with its header") {
    Server s(o);
    const Bytes f = client_frame(0x82, Bytes(11, 'x'));
    feed(s, f.substr(0, 6), split);
    check_failed(s, Error::message_too_big, close_code::too_big);
  }
  SECTION("fragments, failing with the header that passes the limit") {
    Server s(o);
    const Bytes second = client_frame(0x00, "12345");
    feed(s, client_frame(0x02, "123456") + second.substr(0, 6), split);
    check_failed(s, Error::message_too_big, close_code::too_big);
  }
  SECTION("exactly at the limit, in one frame or in fragments") {
    Server s(o);
    feed(s,
         client_frame(0x82, "0123456789") + client_frame(0x02, "01234") +
             client_frame(0x00, "56789") + client_frame(0x80, ""),
         split);
    CHECK(s.events() == std::vector<std::string>{"binary 0123456789", "binary 0123456789"});
  }
}

TEST_CASE("the message limit fails byte by byte right after the header", "[ws][parser][limits]") {
  ServerProtocolOptions o;
  o.max_message_size = 1000;
  Server s(o);
  const Bytes f = client_frame(0x82, Bytes(1001, 'x'));  // 8-byte header
  CHECK(bytes_until_failure(s, f, GENERATE(false, true)) == 8);
  CHECK(s.events() == std::vector<std::string>{failed(Error::message_too_big)});
}

TEST_CASE("a frame over max_frame_size fails with its header", "[ws][parser][limits]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ServerProtocolOptions o;
  o.max_frame_size = 10;
  SECTION("over") {
    Server s(o);
    feed(s, client_frame(0x02, "0123456789").substr(0, 6 + 10) + client_frame(0x00, "0123456789a"),
         split);
    check_failed(s, Error::frame_too_big, close_code::too_big);
  }
  SECTION("a message of frames at the limit passes") {
    Server s(o);
    feed(s, client_frame(0x02, "0123456789") + client_frame(0x80, "0123456789"), split);
    CHECK(s.events() == std::vector<std::string>{"binary 01234567890123456789"});
  }
}
