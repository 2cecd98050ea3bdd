// The permessage-deflate codec: RFC 7692 7.2.3 examples byte for byte, round trips, limits
// against bombs, bad data, and what it keeps in memory.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "uvws/ws/error.h"
#include "uvws/ws/permessage_deflate.h"

namespace ws = uvws::ws;
using uvws::core::Buffer;
using Bytes = std::vector<std::uint8_t>;
using Role = ws::PerMessageDeflate::Role;

namespace {

constexpr std::size_t no_limit = std::size_t{64} << 20;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Bytes to_bytes(const Buffer& b) {
  return {b.data(), b.data() + b.size()};
}

ws::PerMessageDeflate codec(Role role, ws::DeflateParams params = {}, int level = 6) {
  ws::DeflateOptions o;
  o.compression_level = level;
  return ws::PerMessageDeflate(params, role, o);
}

// Inflates one whole message fed in pieces of `chunk` bytes.
std::optional<ws::Error> inflate_message(ws::PerMessageDeflate& d,
                                         std::span<const std::uint8_t> payload, std::size_t chunk,
                                         Buffer& out, std::size_t limit = no_limit) {
  for (std::size_t i = 0; i < payload.size(); i += chunk) {
    const auto e = d.inflate(payload.subspan(i, std::min(chunk, payload.size() - i)), out, limit);
    if (e) return e;
  }
  return d.finish_inflate(out, limit);
}

std::string inflated(ws::PerMessageDeflate& d, const Bytes& payload, std::size_t chunk = 1 << 20) {
  Buffer out;
  REQUIRE_FALSE(inflate_message(d, payload, chunk, out));
  return std::string(out.view());
}

Bytes compressed(ws::PerMessageDeflate& c, std::string_view message) {
  Buffer out;
  c.compress(bytes_of(message), out);
  return to_bytes(out);
}

std::string text_message(std::mt19937& rng, std::size_t words) {
  static const char* const vocabulary[] = {"hello",   "world",      "websocket", "deflate",
                                           "message", "{\"type\":", "\"chat\",", "the",
                                           "a",       "is"};
  std::string s;
  for (std::size_t i = 0; i < words; ++i) {
    s += vocabulary[rng() % 10];
    s += ' ';
  }
  return s;
}

}  // namespace

TEST_CASE("a message is compressed as in RFC 7692 7.2.3.1", "[ws][deflate]") {
  auto server = codec(Role::server);
  CHECK(compressed(server, "Hello") == Bytes{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
}

TEST_CASE("the RFC 7692 7.2.3.1 message inflates at every split", "[ws][deflate]") {
  const std::size_t chunk = GENERATE(range(std::size_t{1}, std::size_t{8}));
  auto client = codec(Role::client);
  const Bytes payload{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  CHECK(inflated(client, payload, chunk) == "Hello");
  CHECK(inflated(client, payload, chunk) == "Hello");  // and again on the same stream
}

TEST_CASE("context takeover shares the window as in RFC 7692 7.2.3.2", "[ws][deflate]") {
  auto server = codec(Role::server);
  auto client = codec(Role::client);
  const Bytes first{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  const Bytes second{0xf2, 0x00, 0x11, 0x00, 0x00};
  CHECK(compressed(server, "Hello") == first);
  CHECK(compressed(server, "Hello") == second);
  CHECK(inflated(client, first) == "Hello");
  CHECK(inflated(client, second) == "Hello");
}

TEST_CASE("no context takeover compresses each message alone", "[ws][deflate]") {
  const ws::DeflateParams params{15, 15, true, true};
  const Role role = GENERATE(Role::server, Role::client);
  auto c = codec(role, params);
  const Bytes first{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  CHECK(compressed(c, "Hello") == first);
  CHECK(compressed(c, "Hello") == first);
  // The peer resets its inflater too, so the same bytes inflate twice.
  auto peer = codec(role == Role::server ? Role::client : Role::server, params);
  CHECK(inflated(peer, first) == "Hello");
  CHECK(inflated(peer, first) == "Hello");
}

TEST_CASE("the other RFC 7692 7.2.3 payloads inflate", "[ws][deflate]") {
  auto client = codec(Role::client);
  SECTION("a block with no compression (7.2.3.3)") {
    CHECK(inflated(client, {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}) ==
          "Hello");
  }
  SECTION("a block with BFINAL set (7.2.3.4), keeping the window for the next message") {
    const std::size_t chunk = GENERATE(as<std::size_t>{}, 1, 3, 8);
    const Bytes final_block{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00};
    CHECK(inflated(client, final_block, chunk) == "Hello");
    CHECK(inflated(client, {0xf2, 0x00, 0x11, 0x00, 0x00}, chunk) == "Hello");
  }
  SECTION("a block with BFINAL set, with or without padding after it") {
    CHECK(inflated(client, {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) == "Hello");
    CHECK(inflated(client, {0xf2, 0x00, 0x11, 0x00, 0x00}) == "Hello");
    CHECK(inflated(client, {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00, 0xff, 0xff}, 2) ==
          "Hello");
    CHECK(inflated(client, {0xf2, 0x00, 0x11, 0x00, 0x00}) == "Hello");
  }
  SECTION("two DEFLATE blocks in one message (7.2.3.5)") {
    CHECK(inflated(client, {0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
                            0x00}) ==
          "He"
          "llo");
  }
  SECTION("an empty message (7.2.3.6)") {
    auto server = codec(Role::server);
    CHECK(compressed(server, "Hello").size() == 7);
    CHECK(compressed(server, "") == Bytes{0x00});
    CHECK(inflated(client, {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) == "Hello");
    CHECK(inflated(client, {0x00}).empty());
    CHECK(inflated(client, {}).empty());
    CHECK(inflated(client, {0xf2, 0x00, 0x11, 0x00, 0x00}) == "Hello");
  }
}

TEST_CASE("random and text messages survive a round trip", "[ws][deflate]") {
  const bool no_context_takeover = GENERATE(false, true);
  const int bits = GENERATE(8, 9, 12, 15);
  const int level = GENERATE(1, 6, 9);
  const std::size_t chunk = GENERATE(as<std::size_t>{}, 1, 100, 1 << 20);
  CAPTURE(no_context_takeover, bits, level, chunk);
  const ws::DeflateParams params{bits, bits, no_context_takeover, no_context_takeover};
  auto server = codec(Role::server, params, level);
  auto client = codec(Role::client, params, level);
  CHECK(server.should_compress(1000) == (bits > 8));
  CHECK_FALSE(server.should_compress(10));

  std::mt19937 rng(static_cast<std::uint32_t>(bits * 100 + level));
  for (int i = 0; i < 12; ++i) {
    std::string message = text_message(rng, rng() % 3000);
    if (i % 3 == 2) {
      for (char& ch : message) ch = static_cast<char>(rng());
    }
    auto& sender = i % 2 == 0 ? server : client;
    auto& receiver = i % 2 == 0 ? client : server;
    const Bytes payload = compressed(sender, message);
    // Byte-at-a-time runs stay short; every message is inflated, as context takeover needs.
    const std::size_t piece = chunk == 1 && payload.size() > 2000 ? 7 : chunk;
    CHECK(inflated(receiver, payload, piece) == message);
  }
}

TEST_CASE("the removed tail may straddle the compressor's output rounds", "[ws][deflate]") {
  // Incompressible messages just larger than the first round of output room (4 KiB plus a
  // quarter of the message) end with 0x00 0x00 0xff 0xff split at every possible position.
  std::mt19937 rng(13);
  auto server = codec(Role::server);
  auto client = codec(Role::client);
  for (std::size_t n = 5400; n < 5600; ++n) {
    std::string message(n, ' ');
    for (char& ch : message) ch = static_cast<char>(rng());
    const Bytes payload = compressed(server, message);
    REQUIRE(inflated(client, payload) == message);
  }
}

TEST_CASE("a message compressed in fragments inflates as one", "[ws][deflate]") {
  const bool no_context_takeover = GENERATE(false, true);
  const ws::DeflateParams params{15, 15, no_context_takeover, false};
  auto server = codec(Role::server, params);
  auto client = codec(Role::client, params);
  std::mt19937 rng(7);
  for (int round = 0; round < 3; ++round) {
    const std::string a = text_message(rng, 400), b = text_message(rng, 10), c;
    Buffer wire;
    server.compress_fragment(bytes_of(a), false, wire);
    server.compress_fragment(bytes_of(c), false, wire);  // an empty middle frame
    server.compress_fragment(bytes_of(b), true, wire);
    CHECK(inflated(client, to_bytes(wire), 333) == a + b);
    // An empty final fragment still ends the message properly.
    wire.clear();
    server.compress_fragment(bytes_of(b), false, wire);
    server.compress_fragment(bytes_of(c), true, wire);
    CHECK(inflated(client, to_bytes(wire)) == b);
  }
}

TEST_CASE("a back-reference beyond the agreed window is judged the same at every split",
          "[ws][deflate]") {
  // Two copies of 4 KiB of noise: the second refers 4 KiB back, beyond a 9-bit window. zlib
  // alone would refuse it when the split puts the first copy in an earlier inflate call and
  // accept it otherwise; the inflater accepts every valid DEFLATE distance, at every split
  // (permessage_deflate.cpp, inflater()). Windows 8 to 14 alike.
  std::mt19937 rng(3);
  std::string noise(4096, ' ');
  for (char& ch : noise) ch = static_cast<char>(rng());
  ws::DeflateOptions wide;
  wide.compression_window_bits = 15;  // a compressor that refers that far back
  ws::PerMessageDeflate server({}, Role::server, wide);
  const Bytes payload = compressed(server, noise + noise);
  REQUIRE(payload.size() < 5000);
  const int bits = GENERATE(8, 9, 12, 14);
  const std::size_t chunk = GENERATE(std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20);
  CAPTURE(bits, chunk);
  auto client = codec(Role::client, {bits, 15, false, false});
  CHECK(inflated(client, payload, chunk) == noise + noise);
}

TEST_CASE("garbage is bad compressed data", "[ws][deflate]") {
  auto server = codec(Role::server);
  Buffer out;
  SECTION("a reserved block type") {
    CHECK(inflate_message(server, Bytes{0xff, 0xff, 0xff, 0xff}, 1, out) ==
          ws::Error::bad_compressed_data);
  }
  SECTION("a stored block with a wrong length check") {
    CHECK(inflate_message(server, Bytes{0x00, 0x05, 0x00, 0x00, 0x00, 'H'}, 2, out) ==
          ws::Error::bad_compressed_data);
  }
  SECTION("a message that does not end on a block boundary") {
    const std::size_t chunk = GENERATE(as<std::size_t>{}, 1, 6);
    CHECK(inflate_message(server, Bytes{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07}, chunk, out) ==
          ws::Error::bad_compressed_data);
  }
  SECTION("random bytes") {
    std::mt19937 rng(11);
    Bytes junk(256);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    junk[0] = 0xff;  // a final block with the reserved type
    CHECK(inflate_message(server, junk, 16, out) == ws::Error::bad_compressed_data);
  }
  // The stream is left usable, though the caller fails the connection anyway.
  out.clear();
  CHECK(inflated(server, {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) == "Hello");
}

TEST_CASE("a zip bomb stops at the limit", "[ws][deflate]") {
  const std::string zeros(std::size_t{10} << 20, '\0');
  auto client = codec(Role::client, {}, 9);
  const Bytes bomb = compressed(client, zeros);
  CHECK(bomb.size() < 20000);  // over 500 times smaller than what it inflates to

  const std::size_t limit = std::size_t{1} << 20;
  const std::size_t chunk = GENERATE(as<std::size_t>{}, 100, 1 << 20);
  auto server = codec(Role::server);
  Buffer out;
  CHECK(inflate_message(server, bomb, chunk, out, limit) == ws::Error::message_too_big);
  CHECK(out.size() <= limit + 1);
  CHECK(out.capacity() <= 2 * limit);
  CHECK(server.memory_usage() < 48 * 1024);  // the inflater's state and window only
}

TEST_CASE("the inflate limit is exact", "[ws][deflate]") {
  std::mt19937 rng(5);
  const std::string message = text_message(rng, 2000);
  auto server = codec(Role::server);
  const Bytes payload = compressed(server, message);
  const std::size_t chunk = GENERATE(as<std::size_t>{}, 1, 64, 1 << 20);
  SECTION("a message of exactly the limit passes") {
    auto client = codec(Role::client, {15, 15, true, false});
    Buffer out;
    CHECK_FALSE(inflate_message(client, payload, chunk, out, message.size()));
    CHECK(out.view() == message);
  }
  SECTION("one byte more fails") {
    auto client = codec(Role::client);
    Buffer out;
    CHECK(inflate_message(client, payload, chunk, out, message.size() - 1) ==
          ws::Error::message_too_big);
    CHECK(out.size() == message.size());
  }
  SECTION("the limit counts what the buffer held before") {
    auto client = codec(Role::client);
    Buffer out;
    out.append(std::string_view("prefix"));
    CHECK(inflate_message(client, payload, chunk, out, message.size() + 5) ==
          ws::Error::message_too_big);
  }
}

TEST_CASE("streams are allocated lazily and freed when stateless", "[ws][deflate]") {
  const Bytes hello{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  SECTION("with context takeover the state is kept") {
    auto server = codec(Role::server);
    CHECK(server.memory_usage() == 0);
    CHECK(inflated(server, hello) == "Hello");
    const std::size_t inflate_only = server.memory_usage();
    CHECK(inflate_only > 32 * 1024);  // the 32 KiB window and the inflate state
    CHECK(inflate_only < 48 * 1024);
    compressed(server, "Hello");
    // The compressor within 12 bits (DeflateOptions::compression_window_bits): 4 * 4 KiB of
    // window and chains, the 4 KiB hash head and pending buffer, its state.
    CHECK(server.memory_usage() - inflate_only > 24 * 1024);
    CHECK(server.memory_usage() - inflate_only < 40 * 1024);
    // Idle: both streams are freed; their windows stay (context takeover may refer to them),
    // 5 bytes each here.
    server.release_idle();
    CHECK(server.memory_usage() < 1024);
  }
  SECTION("context takeover survives release_idle in both directions") {
    auto server = codec(Role::server);
    auto client = codec(Role::client);
    std::mt19937 rng(5);
    const std::string first = text_message(rng, 200);
    const std::string second = first + " again";
    const Bytes c1 = compressed(client, first);
    CHECK(inflated(server, c1) == first);
    const Bytes s1 = compressed(server, first);
    CHECK(inflated(client, s1) == first);
    const std::size_t busy = server.memory_usage() + client.memory_usage();
    server.release_idle();
    client.release_idle();
    const std::size_t idle = server.memory_usage() + client.memory_usage();
    CHECK(idle < 4 * first.size() + 1024);  // the windows' bytes, not zlib's state
    CHECK(busy - idle > 128 * 1024);
    // The second messages refer to the first (the window was kept): much smaller than alone.
    const Bytes c2 = compressed(client, second);
    CHECK(c2.size() < c1.size() / 4);
    CHECK(inflated(server, c2) == second);
    const Bytes s2 = compressed(server, second);
    CHECK(s2.size() < s1.size() / 4);
    CHECK(inflated(client, s2) == second);
  }
  SECTION("without context takeover nothing stays after release_idle") {
    auto server = codec(Role::server, {15, 15, true, true});
    CHECK(compressed(server, "Hello") == hello);
    CHECK(server.memory_usage() == 0);  // it borrowed the thread's shared compressor
    CHECK(ws::PerMessageDeflate::shared_compressor_memory() > 24 * 1024);
    Buffer out;
    REQUIRE_FALSE(server.inflate(hello, out, no_limit));
    server.release_idle();  // mid-message: the inflater stays
    CHECK(server.memory_usage() > 0);
    REQUIRE_FALSE(server.finish_inflate(out, no_limit));
    CHECK(out.view() == "Hello");
    server.release_idle();
    CHECK(server.memory_usage() == 0);
    CHECK(inflated(server, hello) == "Hello");  // and it comes back when needed
  }
  SECTION("small windows cost little to compress with") {
    auto client = codec(Role::client, {9, 9, false, false});
    compressed(client, "Hello");
    CHECK(client.memory_usage() < 24 * 1024);
  }
}

TEST_CASE("the compressor's window is compression_window_bits, not what was negotiated",
          "[ws][deflate]") {
  // 6000 random bytes twice: the second copy is 6000 bytes back, beyond a 12-bit window.
  std::mt19937 rng(11);
  std::string block(6000, '\0');
  for (char& c : block) c = static_cast<char>(rng());
  const std::string twice = block + block;
  const auto with_bits = [](int bits) {
    ws::DeflateOptions o;
    o.compression_window_bits = bits;
    return ws::PerMessageDeflate({}, Role::server, o);
  };
  auto small = with_bits(12);  // the default
  auto large = with_bits(15);
  const Bytes a = compressed(small, twice);
  const Bytes b = compressed(large, twice);
  CHECK(a.size() > twice.size() * 9 / 10);   // nothing found within 4 KiB
  CHECK(b.size() < block.size() * 11 / 10);  // the second copy is one back-reference
  auto client = codec(Role::client);
  CHECK(inflated(client, a) == twice);
  auto client2 = codec(Role::client);
  CHECK(inflated(client2, b) == twice);
  // Context takeover across messages is bounded the same way.
  const Bytes a2 = compressed(small, block);
  CHECK(a2.size() > block.size() * 9 / 10);
  CHECK(inflated(client, a2) == block);
  const Bytes b2 = compressed(large, block);
  CHECK(b2.size() < 64);
  CHECK(inflated(client2, b2) == block);

  // A smaller negotiated window wins; 8 bits still sends stored blocks only.
  ws::DeflateOptions o;
  o.compression_window_bits = 13;
  CHECK(ws::PerMessageDeflate({10, 15, true, false}, Role::server, o).stateless()->window_bits ==
        10);
  CHECK(ws::PerMessageDeflate({15, 15, true, false}, Role::server, o).stateless()->window_bits ==
        13);
  CHECK(ws::PerMessageDeflate({}, Role::server, ws::DeflateOptions{}).stateless() == std::nullopt);
  CHECK_FALSE(ws::PerMessageDeflate({8, 15, true, false}, Role::server, o).stateless());
  CHECK_FALSE(ws::PerMessageDeflate({8, 15, false, false}, Role::server, o).should_compress(1000));

  // Not negotiated: the handshake is the same whatever the compressor's window.
  ws::DeflateOptions enabled;
  enabled.enabled = true;
  ws::DeflateOptions enabled15 = enabled;
  enabled15.compression_window_bits = 15;
  std::string response, response15;
  std::error_code ec;
  const std::string_view offer = "permessage-deflate; client_max_window_bits";
  CHECK(ws::negotiate_server(offer, enabled, response, ec) ==
        ws::negotiate_server(offer, enabled15, response15, ec));
  CHECK(response == response15);
  CHECK(response.find("server_max_window_bits") == std::string::npos);
  CHECK(ws::client_offer(enabled) == ws::client_offer(enabled15));

  for (const int bad : {8, 16}) {
    ws::DeflateOptions v;
    v.compression_window_bits = bad;
    CHECK_THROWS_AS(ws::validate(v), std::invalid_argument);
  }
}

TEST_CASE("codecs move with their state", "[ws][deflate]") {
  auto server = codec(Role::server);
  CHECK(compressed(server, "Hello").size() == 7);
  ws::PerMessageDeflate moved = std::move(server);
  CHECK(compressed(moved, "Hello") == Bytes{0xf2, 0x00, 0x11, 0x00, 0x00});
  CHECK(moved.role() == Role::server);
}
