// A published message's frames (ws/src/topics.h, PublishedFrame): the plain frame for every
// subscriber, and one compressed frame shared by the subscribers that compress statelessly
// (RFC 7692 no_context_takeover on the server's side), made once and inflating back to the
// message with a client's codec.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "topics.h"
#include "uvws/ws/permessage_deflate.h"

using uvws::detail::make_frame;
using uvws::detail::SharedFrame;
using uvws::ws::DeflateOptions;
using uvws::ws::DeflateParams;
using uvws::ws::Opcode;
using uvws::ws::PerMessageDeflate;
using uvws::ws::StatelessCompression;

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A chat-like message that deflate shrinks well below 126 bytes (a 2-byte frame header).
const std::string message = [] {
  std::string m;
  for (int i = 0; i < 20; ++i) m += R"({"type":"message","room":"lobby","text":"hello"})";
  return m;
}();

StatelessCompression settings(int window_bits, std::uint32_t min_size = 64) {
  return {static_cast<std::uint8_t>(window_bits), 6, 4, min_size};
}

// The message a client with `window_bits` reads from a compressed frame with a 2-byte header.
std::string inflate(std::span<const std::uint8_t> frame, int window_bits) {
  REQUIRE(frame.size() >= 2);
  REQUIRE((frame[1] & 0x7f) < 126);
  DeflateParams params;
  params.server_max_window_bits = window_bits;
  params.server_no_context_takeover = true;
  PerMessageDeflate client(params, PerMessageDeflate::Role::client, DeflateOptions{});
  uvws::core::Buffer out;
  REQUIRE_FALSE(client.inflate(frame.subspan(2), out, 1 << 20));
  REQUIRE_FALSE(client.finish_inflate(out, 1 << 20));
  return {reinterpret_cast<const char*>(out.data()), out.size()};
}

}  // namespace

TEST_CASE("a published frame: plain for subscribers without stateless compression",
          "[glue][pubsub][deflate]") {
  const SharedFrame f = make_frame(Opcode::text, bytes(message));
  const auto plain = f->frame_for(std::nullopt);
  CHECK(plain.data() == f->plain().data());
  CHECK(plain[0] == 0x81);  // FIN, text, RSV1 clear
  CHECK(plain.size() == 4 + message.size());
}

TEST_CASE("a published frame is compressed once and inflates back to the message",
          "[glue][pubsub][deflate]") {
  const SharedFrame f = make_frame(Opcode::text, bytes(message));
  const auto a = f->frame_for(settings(15));
  const auto b = f->frame_for(settings(15));
  CHECK(a.data() == b.data());  // the same bytes: made once
  CHECK(a[0] == 0xc1);          // FIN, RSV1 (compressed), text
  CHECK(a.size() < message.size() / 4);
  CHECK(inflate(a, 15) == message);
  // What a connection's own codec would send: compress_stateless is compress() without state.
  DeflateParams params;
  params.server_no_context_takeover = true;
  DeflateOptions options;
  options.compression_level = 6;
  options.mem_level = 4;
  options.compression_window_bits = 15;
  PerMessageDeflate server(params, PerMessageDeflate::Role::server, options);
  REQUIRE(server.stateless().has_value());
  CHECK(*server.stateless() == settings(15));
  uvws::core::Buffer own;
  server.compress(bytes(message), own);
  CHECK(std::vector<std::uint8_t>(own.span().begin(), own.span().end()) ==
        std::vector<std::uint8_t>(a.begin() + 2, a.end()));
}

TEST_CASE("a compressed frame goes only to subscribers whose window holds it",
          "[glue][pubsub][deflate]") {
  SECTION("made for 10 bits: a 15-bit subscriber takes it") {
    const SharedFrame f = make_frame(Opcode::text, bytes(message));
    const auto small = f->frame_for(settings(10));
    CHECK(small[0] == 0xc1);
    CHECK(f->frame_for(settings(15)).data() == small.data());
    CHECK(inflate(small, 10) == message);
  }
  SECTION("made for 15 bits: a 10-bit subscriber gets the plain frame") {
    const SharedFrame f = make_frame(Opcode::text, bytes(message));
    CHECK(f->frame_for(settings(15))[0] == 0xc1);
    CHECK(f->frame_for(settings(10)).data() == f->plain().data());
  }
  SECTION("below min_size: plain") {
    const SharedFrame f = make_frame(Opcode::binary, bytes("short"));
    CHECK(f->frame_for(settings(15)).data() == f->plain().data());
    CHECK(f->frame_for(settings(15, 0))[0] == 0xc2);  // FIN, RSV1, binary
  }
}

TEST_CASE("loops asking for the compressed frame at once get the same one",
          "[glue][pubsub][deflate][threads]") {
  const SharedFrame f = make_frame(Opcode::text, bytes(message));
  std::vector<const std::uint8_t*> seen(4);
  std::vector<std::thread> loops;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    loops.emplace_back([&, i] { seen[i] = f->frame_for(settings(15)).data(); });
  }
  for (auto& t : loops) t.join();
  for (const auto* p : seen) CHECK(p == seen[0]);
  CHECK(inflate(f->frame_for(settings(15)), 15) == message);
}
