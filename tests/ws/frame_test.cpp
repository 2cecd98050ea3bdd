// The RFC 6455 5.2 wire format: header parsing and serialization, and the example frames of
// RFC 6455 5.7 parsed and produced byte for byte by both roles.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "protocol_helpers.h"
#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

using namespace uvws::ws;
using namespace uvws::ws::test;

namespace {

// RFC 6455 5.7, in the order the RFC lists them.
const Bytes unmasked_hello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
const Bytes masked_hello =
    bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
const Bytes fragment_hel = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
const Bytes fragment_lo = bytes({0x80, 0x02, 0x6c, 0x6f});
const Bytes unmasked_ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
const Bytes masked_pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
const Bytes header_256 = bytes({0x82, 0x7E, 0x01, 0x00});
const Bytes header_64k = bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});

Bytes binary_data(std::size_t n) {
  Bytes out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + 7) % 256);
  return out;
}

Frame parse(std::string_view header, bool strict, HeaderStatus expected = HeaderStatus::ok) {
  Frame f;
  REQUIRE(header.size() == header_size(static_cast<std::uint8_t>(header[1])));
  CHECK(parse_header(as_span(header), f, strict) == expected);
  return f;
}

std::string serialized(const Frame& f) {
  uvws::core::Buffer out;
  serialize(f, out);
  return std::string(out.view());
}

}  // namespace

TEST_CASE("header_size counts the extended length and the masking key", "[ws][frame]") {
  CHECK(header_size(0x05) == 2);
  CHECK(header_size(0x85) == 6);
  CHECK(header_size(0x7D) == 2);
  CHECK(header_size(0x7E) == 4);
  CHECK(header_size(0xFE) == 8);
  CHECK(header_size(0x7F) == 10);
  CHECK(header_size(0xFF) == 14);
}

TEST_CASE("parse_header reads the headers of RFC 6455 5.7's frames", "[ws][frame][rfc]") {
  const Frame text = parse(std::string_view(unmasked_hello).substr(0, 2), true);
  CHECK(text.fin);
  CHECK_FALSE(text.rsv1);
  CHECK(text.opcode == Opcode::text);
  CHECK_FALSE(text.masked);
  CHECK(text.length == 5);

  const Frame masked = parse(std::string_view(masked_hello).substr(0, 6), true);
  CHECK(masked.masked);
  CHECK(masked.length == 5);
  // The key is kept in wire order, the way mask.h uses it.
  CHECK(std::memcmp(&masked.mask_key, rfc_key.data(), 4) == 0);

  const Frame first = parse(std::string_view(fragment_hel).substr(0, 2), true);
  CHECK_FALSE(first.fin);
  CHECK(first.opcode == Opcode::text);
  const Frame last = parse(std::string_view(fragment_lo).substr(0, 2), true);
  CHECK(last.fin);
  CHECK(last.opcode == Opcode::continuation);

  CHECK(parse(std::string_view(unmasked_ping).substr(0, 2), true).opcode == Opcode::ping);
  CHECK(parse(std::string_view(masked_pong).substr(0, 6), true).opcode == Opcode::pong);
  CHECK(parse(header_256, true).length == 256);
  const Frame big = parse(header_64k, true);
  CHECK(big.opcode == Opcode::binary);
  CHECK(big.length == 65536);
}

TEST_CASE("parse_header reads the reserved bits", "[ws][frame]") {
  const Frame f = parse(bytes({0xF2, 0x00}), true);
  CHECK(f.rsv1);
  CHECK(f.rsv2);
  CHECK(f.rsv3);
  CHECK(f.opcode == Opcode::binary);
}

TEST_CASE("parse_header refuses a 64-bit length with its top bit set", "[ws][frame]") {
  parse(bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}), true, HeaderStatus::bad_length);
  parse(bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}), false, HeaderStatus::bad_length);
  CHECK(parse(bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), true).length ==
        0x7FFFFFFFFFFFFFFFull);
}

TEST_CASE("parse_header refuses lengths not in their shortest form when strict", "[ws][frame]") {
  parse(bytes({0x82, 0x7E, 0x00, 0x7D}), true, HeaderStatus::non_minimal_length);
  parse(bytes({0x82, 0x7E, 0x00, 0x00}), true, HeaderStatus::non_minimal_length);
  parse(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}), true, HeaderStatus::non_minimal_length);
  parse(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x05}), true, HeaderStatus::non_minimal_length);
  // The smallest length of each form is minimal.
  CHECK(parse(bytes({0x82, 0x7E, 0x00, 0x7E}), true).length == 126);
  CHECK(parse(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}), true).length == 0x10000);
  // Without strict_lengths they are read as they are.
  CHECK(parse(bytes({0x82, 0x7E, 0x00, 0x7D}), false).length == 125);
  CHECK(parse(bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0x05}), false).length == 5);
}

TEST_CASE("write_header picks the shortest length form and parse_header reads it back",
          "[ws][frame]") {
  const std::uint64_t length = GENERATE(0ull, 1ull, 125ull, 126ull, 127ull, 0xFFFFull, 0x10000ull,
                                        0xFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull);
  const bool masked = GENERATE(false, true);
  CAPTURE(length, masked);
  Frame f;
  f.fin = false;
  f.rsv1 = true;
  f.opcode = Opcode::binary;
  f.masked = masked;
  f.mask_key = masked ? fixed_mask_key() : 0;
  f.length = length;
  std::uint8_t out[max_header_size];
  const std::size_t n = write_header(f, out);
  const std::size_t ext = length < 126 ? 0 : length <= 0xFFFF ? 2 : 8;
  CHECK(n == 2 + ext + (masked ? 4 : 0));
  REQUIRE(header_size(out[1]) == n);
  Frame back;
  REQUIRE(parse_header({out, n}, back, true) == HeaderStatus::ok);
  CHECK_FALSE(back.fin);
  CHECK(back.rsv1);
  CHECK(back.opcode == Opcode::binary);
  CHECK(back.masked == masked);
  CHECK(back.mask_key == f.mask_key);
  CHECK(back.length == length);
}

TEST_CASE("serialize writes RFC 6455 5.7's frames byte for byte", "[ws][frame][rfc]") {
  Frame f;
  const Bytes hello = "Hello";
  f.payload = as_span(hello);
  f.length = hello.size();
  CHECK(hex(serialized(f)) == hex(unmasked_hello));

  f.masked = true;
  f.mask_key = fixed_mask_key();
  CHECK(hex(serialized(f)) == hex(masked_hello));

  f.opcode = Opcode::pong;
  CHECK(hex(serialized(f)) == hex(masked_pong));

  Frame hel;
  hel.fin = false;
  hel.payload = as_span("Hel");
  hel.length = 3;
  CHECK(hex(serialized(hel)) == hex(fragment_hel));

  for (const std::size_t n : {std::size_t{256}, std::size_t{65536}}) {
    const Bytes data = binary_data(n);
    Frame bin;
    bin.opcode = Opcode::binary;
    bin.payload = as_span(data);
    bin.length = n;
    CHECK(serialized(bin) == (n == 256 ? header_256 : header_64k) + data);
  }
}

TEST_CASE("append_unmasked_frame writes what serialize writes for the same frame", "[ws][frame]") {
  for (const std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{125}, std::size_t{126},
                              std::size_t{65535}, std::size_t{65536}, std::size_t{70000}}) {
    const Bytes data = binary_data(n);
    for (const std::uint8_t first : {std::uint8_t{0x81}, std::uint8_t{0x82}, std::uint8_t{0xC1},
                                     std::uint8_t{0x00}, std::uint8_t{0x8A}}) {
      Frame f;
      f.fin = (first & 0x80) != 0;
      f.rsv1 = (first & 0x40) != 0;
      f.opcode = static_cast<Opcode>(first & 0x0F);
      f.payload = as_span(data);
      f.length = n;
      uvws::core::Buffer out;
      out.append("x", 1);  // appends after what is there
      append_unmasked_frame(first, as_span(data), out);
      CHECK(Bytes(reinterpret_cast<const char*>(out.data()) + 1, out.size() - 1) == serialized(f));
    }
  }
}

TEST_CASE("a client receives RFC 6455 5.7's unmasked text frame", "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c;
  feed(c, unmasked_hello, split);
  CHECK(c.events() == std::vector<std::string>{"text Hello"});
  CHECK(c.output().empty());
}

TEST_CASE("a server receives RFC 6455 5.7's masked text frame", "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  feed(s, masked_hello, split);
  CHECK(s.events() == std::vector<std::string>{"text Hello"});
  CHECK(s.output().empty());
}

TEST_CASE("a client reassembles RFC 6455 5.7's fragmented text message", "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c;
  feed(c, fragment_hel + fragment_lo, split);
  CHECK(c.events() == std::vector<std::string>{"text Hello"});
}

TEST_CASE("a client answers RFC 6455 5.7's unmasked ping with its masked pong",
          "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c;  // masks with RFC 6455 5.7's key
  feed(c, unmasked_ping, split);
  CHECK(c.events() == std::vector<std::string>{"ping Hello"});
  CHECK(hex(c.output()) == hex(masked_pong));
}

TEST_CASE("a server receives RFC 6455 5.7's masked pong, and answers a masked ping unmasked",
          "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  Bytes masked_ping = masked_pong;
  masked_ping[0] = static_cast<char>(0x89);
  feed(s, masked_pong + masked_ping, split);
  CHECK(s.events() == std::vector<std::string>{"pong Hello", "ping Hello"});
  Bytes unmasked_pong = unmasked_ping;
  unmasked_pong[0] = static_cast<char>(0x8a);
  CHECK(hex(s.output()) == hex(unmasked_pong));
}

TEST_CASE("a client receives RFC 6455 5.7's 256-byte and 64 KiB binary frames",
          "[ws][parser][rfc]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Client c;
  const Bytes small = binary_data(256);
  const Bytes large = binary_data(65536);
  feed(c, header_256 + small + header_64k + large, split);
  const auto received = c.listener.take();
  REQUIRE(received.size() == 2);
  CHECK(received[0].type == Event::Type::message);
  CHECK(received[0].opcode == Opcode::binary);
  CHECK(received[0].data == small);
  CHECK(received[1].opcode == Opcode::binary);
  CHECK(received[1].data == large);
}

TEST_CASE("a server receives masked frames with 16-bit and 64-bit lengths", "[ws][parser]") {
  const Split split = UVWS_SPLITS();
  CAPTURE(split);
  Server s;
  const Bytes small = binary_data(256);
  const Bytes large = binary_data(65536);
  feed(s, client_frame(0x82, small) + client_frame(0x82, large), split);
  const auto received = s.listener.take();
  REQUIRE(received.size() == 2);
  CHECK(received[0].data == small);
  CHECK(received[1].data == large);
}

TEST_CASE("both roles send RFC 6455 5.7's frames byte for byte", "[ws][frame][rfc]") {
  const std::string_view hello = "Hello";
  SECTION("server, unmasked") {
    Server s;
    CHECK(s->send_text(hello, s.out));
    CHECK(hex(s.output()) == hex(unmasked_hello));
    CHECK(s->send_fragment(Opcode::text, as_span("Hel"), false, s.out));
    CHECK(s->send_fragment(Opcode::text, as_span("lo"), true, s.out));
    CHECK(hex(s.output()) == hex(fragment_hel + fragment_lo));
    CHECK(s->send_ping(as_span(hello), s.out));
    CHECK(hex(s.output()) == hex(unmasked_ping));
    for (const std::size_t n : {std::size_t{256}, std::size_t{65536}}) {
      const Bytes data = binary_data(n);
      CHECK(s->send_binary(as_span(data), s.out));
      CHECK(s.output() == (n == 256 ? header_256 : header_64k) + data);
    }
  }
  SECTION("client, masked with a fixed key") {
    Client c;
    CHECK(c->send_text(hello, c.out));
    CHECK(hex(c.output()) == hex(masked_hello));
    CHECK(c->send_pong(as_span(hello), c.out));
    CHECK(hex(c.output()) == hex(masked_pong));
    CHECK(c->send_fragment(Opcode::text, as_span("Hel"), false, c.out));
    CHECK(c->send_fragment(Opcode::text, as_span("lo"), true, c.out));
    CHECK(hex(c.output()) == hex(client_frame(0x01, "Hel") + client_frame(0x80, "lo")));
  }
}

TEST_CASE("a client masks every frame with a fresh key from the CSPRNG by default", "[ws][frame]") {
  ClientProtocolOptions options;
  RecordingListener listener;
  ClientProtocol c(options, listener);
  uvws::core::Buffer out;
  c.connect("h", "/", out);
  const std::string request(out.view());
  out.clear();
  c.receive_data(response_to(request), out);
  REQUIRE(c.state() == State::open);
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(c.send_text("Hello", out));
    const std::string frame(out.view());
    out.clear();
    REQUIRE(frame.size() == 11);
    CHECK((static_cast<unsigned char>(frame[1]) & 0x80) != 0);
    keys.push_back(frame.substr(2, 4));
  }
  // Four equal 32-bit keys from a CSPRNG would be a 2^-96 event.
  CHECK_FALSE((keys[0] == keys[1] && keys[1] == keys[2] && keys[2] == keys[3]));
}
