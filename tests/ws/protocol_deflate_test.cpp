// permessage-deflate through the protocol (RFC 7692): RFC 7692 7.2.3's example messages, RSV1
// rules, limits on inflated size, bad compressed data, and round trips in both directions.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocol_helpers.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

constexpr std::string_view deflate_header = "Sec-WebSocket-Extensions: permessage-deflate\r\n";

ServerProtocolOptions server_options(std::size_t max_message_size = 16u << 20) {
  ServerProtocolOptions o;
  o.deflate.enabled = true;
  o.max_message_size = max_message_size;
  return o;
}

ClientProtocolOptions client_options() {
  ClientProtocolOptions o;
  o.deflate.enabled = true;
  o.deflate.min_size_to_compress = 0;
  return o;
}

// The frames a deflate client writes for `message` (binary unless `text`).
Bytes compressed_by_client(std::string_view message, bool text = false) {
  Client c(client_options(), true, deflate_header);
  REQUIRE(c->compression_enabled());
  REQUIRE(c->send_message(text ? Opcode::text : Opcode::binary, as_span(message), c.out));
  const Bytes out = c.output();
  REQUIRE((static_cast<unsigned char>(out[0]) & 0x40) != 0);  // RSV1: compressed
  return out;
}

// RFC 7692 7.2.3.1-7.2.3.5: payloads that all inflate to "Hello".
const std::vector<Bytes> rfc_hello_payloads = {
    bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}),
    bytes({0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}),
    bytes({0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}),
    bytes({0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}),
};

}  // namespace

TEST_CASE("a client inflates RFC 7692 7.2.3's example messages", "[ws][deflate][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c(client_options(), true, deflate_header);
  REQUIRE(c->compression_enabled());
  Bytes wire;
  for (const Bytes& payload : rfc_hello_payloads) wire += server_frame(0xC1, payload);
  // 7.2.3.1: the same message in two fragments; 7.2.3.2: a second message using the window.
  wire += bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00});
  wire += bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  wire += bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00});
  feed(c, wire, split);
  CHECK(c.events() == std::vector<std::string>(7, "text Hello"));
  CHECK(c.output().empty());
}

TEST_CASE("a server inflates RFC 7692 7.2.3's example messages, masked", "[ws][deflate][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s(server_options(), true, deflate_header);
  REQUIRE(s->compression_enabled());
  Bytes wire;
  for (const Bytes& payload : rfc_hello_payloads) wire += client_frame(0xC1, payload);
  wire += client_frame(0x41, bytes({0xf2, 0x48, 0xcd})) + client_frame(0x89, "p") +
          client_frame(0x80, bytes({0xc9, 0xc9, 0x07, 0x00}));
  wire += client_frame(0x81, "plain");  // RSV1 clear: not compressed (RFC 7692 6)
  feed(s, wire, split);
  CHECK(s.events() == std::vector<std::string>{"text Hello", "text Hello", "text Hello",
                                               "text Hello", "ping p", "text Hello", "text plain"});
}

TEST_CASE("a deflate server sends RFC 7692 7.2.3.1's and 7.2.3.2's frames", "[ws][deflate][rfc]") {
  ServerProtocolOptions o = server_options();
  o.deflate.min_size_to_compress = 0;
  Server s(o, true, deflate_header);
  REQUIRE(s->send_text("Hello", s.out));
  CHECK(hex(s.output()) == hex(bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})));
  REQUIRE(s->send_text("Hello", s.out));
  CHECK(hex(s.output()) == hex(bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00})));
}

TEST_CASE("messages under min_size_to_compress go out uncompressed", "[ws][deflate]") {
  Server s(server_options(), true, deflate_header);
  REQUIRE(s->send_text("short", s.out));
  CHECK(s.output() == server_frame(0x81, "short"));
  const std::string long_text(200, 'z');
  REQUIRE(s->send_text(long_text, s.out));
  const Bytes out = s.output();
  CHECK(static_cast<unsigned char>(out[0]) == 0xC1);
  CHECK(out.size() < 40);
  // Fragments are sent uncompressed, which RFC 7692 6 allows.
  REQUIRE(s->send_fragment(Opcode::text, as_span(long_text), true, s.out));
  CHECK(s.output() == server_frame(0x81, long_text));
}

TEST_CASE("RSV1 on a continuation or control frame fails with 1002", "[ws][deflate]") {
  const Split split = UVWS_SPLITS();
  const Bytes input = GENERATE(
      // the continuation of a compressed message, and of an uncompressed one
      client_frame(0x41, bytes({0xf2, 0x48, 0xcd})) + client_frame(0xC0, bytes({0xc9})),
      client_frame(0x01, "Hel") + client_frame(0xC0, "lo"),
      // a ping and a close
      client_frame(0xC9, ""), client_frame(0xC8, close_payload(1000)));
  CAPTURE(split, hex(input));
  Server s(server_options(), true, deflate_header);
  feed(s, input, split);
  check_failed(s, Error::reserved_bits, close_code::protocol_error);
}

TEST_CASE("a compressed bomb over max_message_size fails with 1009 before it ends",
          "[ws][deflate][limits]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  const Bytes bomb = compressed_by_client(std::string(1u << 20, '\0'));
  CHECK(bomb.size() < 4096);
  SECTION("whole message") {
    Server s(server_options(64 * 1024), true, deflate_header);
    feed(s, bomb, split);
    check_failed(s, Error::message_too_big, close_code::too_big);
  }
  SECTION("frame mode") {
    ServerProtocolOptions o = server_options(64 * 1024);
    o.frame_mode = true;
    Server s(o, true, deflate_header);
    feed(s, bomb, split);
    check_failed(s, Error::message_too_big, close_code::too_big);
  }
  SECTION("byte by byte, failing long before the last byte") {
    Server s(server_options(64 * 1024), true, deflate_header);
    const std::size_t n = bytes_until_failure(s, bomb, split.in_place);
    CHECK(n > 0);
    CHECK(n < bomb.size() / 2);
  }
}

TEST_CASE("a compressed message of exactly max_message_size passes", "[ws][deflate][limits]") {
  const std::string message(4096, 'm');
  Server s(server_options(4096), true, deflate_header);
  s->receive_data(compressed_by_client(message), s.out);
  CHECK(s.events() == std::vector<std::string>{"binary " + describe_payload(message)});
  Server over(server_options(4095), true, deflate_header);
  over->receive_data(compressed_by_client(message), over.out);
  check_failed(over, Error::message_too_big, close_code::too_big);
}

TEST_CASE("garbage compressed data fails with 1007", "[ws][deflate]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  const Bytes garbage = GENERATE(bytes({0xff, 0xff, 0xff, 0xff}), bytes({0x07, 0x00}),
                                 bytes({0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xff, 0x00}));
  CAPTURE(hex(garbage));
  Server s(server_options(), true, deflate_header);
  feed(s, client_frame(0xC2, garbage), split);
  check_failed(s, Error::bad_compressed_data, close_code::invalid_payload);
}

TEST_CASE("compressed text that inflates to invalid UTF-8 fails with 1007", "[ws][deflate]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s(server_options(), true, deflate_header);
  feed(s, compressed_by_client(std::string(100, 'a') + "\xC0\xAF", true), split);
  check_failed(s, Error::bad_utf8, close_code::invalid_payload);
}

TEST_CASE("bytes inflated before corrupt data are checked first, at every split",
          "[ws][deflate][utf8]") {
  // Found by fuzz_deflate: this payload inflates to bytes that are not UTF-8, then hits an
  // invalid code. Fed whole, zlib reports both in one call; fed in pieces, the bad text
  // shows first. Either way the failure must be the same: the text's.
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s(server_options(), true, deflate_header);
  feed(s, client_frame(0x41, bytes({0x2a, 0xff, 0x09, 0x0d, 0x0a, 0x09, 0x2a})), split);
  check_failed(s, Error::bad_utf8, close_code::invalid_payload);
}

TEST_CASE("compressed messages round-trip in both directions with context takeover",
          "[ws][deflate]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  std::string json;
  for (int i = 0; i < 200; ++i)
    json += "{\"id\":" + std::to_string(i) + ",\"name\":\"caf\xC3\xA9\"}";
  const std::vector<std::string> messages = {json, json, std::string(70000, 'x'), "tiny", ""};
  Server s(server_options(), true, deflate_header);
  Client c(client_options(), true, deflate_header);
  std::vector<std::string> expected;
  for (const std::string& m : messages) {
    REQUIRE(c->send_text(m, c.out));
    REQUIRE(s->send_text(m, s.out));
    expected.push_back("text " + describe_payload(m));
  }
  const Bytes from_client = c.output();
  const Bytes from_server = s.output();
  CHECK(from_client.size() < 2 * json.size());
  feed(s, from_client, split);
  feed(c, from_server, split);
  CHECK(s.events() == expected);
  CHECK(c.events() == expected);
}

TEST_CASE("frame mode delivers each compressed frame inflated", "[ws][deflate][frame_mode]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  ClientProtocolOptions o = client_options();
  o.frame_mode = true;
  Client c(o, true, deflate_header);
  feed(c, bytes({0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00}), split);
  const auto received = c.listener.take();
  REQUIRE(received.size() == 2);
  CHECK(received[0].type == Event::Type::fragment);
  CHECK_FALSE(received[0].fin);
  CHECK(received[1].fin);
  CHECK(received[0].opcode == Opcode::text);
  CHECK(received[1].opcode == Opcode::text);
  CHECK(received[0].data + received[1].data == "Hello");
}

TEST_CASE("max_frame_size counts compressed frames by their wire size", "[ws][deflate][limits]") {
  ServerProtocolOptions o = server_options();
  o.max_frame_size = 100;
  const Bytes small_on_wire = compressed_by_client(std::string(10000, 'q'));
  REQUIRE(small_on_wire.size() < 100);
  Server s(o, true, deflate_header);
  s->receive_data(small_on_wire, s.out);
  CHECK(s.events() ==
        std::vector<std::string>{"binary " + describe_payload(std::string(10000, 'q'))});
  s->receive_data(client_frame(0xC2, Bytes(101, '\0')), s.out);
  check_failed(s, Error::frame_too_big, close_code::too_big);
}
