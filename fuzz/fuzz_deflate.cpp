// libFuzzer target: inflating permessage-deflate messages (RFC 7692) through a ServerProtocol
// that negotiated it, and deflate-then-inflate round trips between a client and a server.
//
// Input: byte 0 chooses the negotiated parameters and limits, byte 1 how the second run
// splits the frames. With bit 7 of byte 0 clear, the rest is a list of frames, each as a
// header byte (bit 7 FIN, bit 6 RSV1, bits 0-1 opcode: continuation, text, binary, ping),
// a length byte and that many payload bytes; they are masked and fed twice, whole and split,
// and the events and output must be equal, with a 9-bit or a 15-bit window (fuzz_common.h
// checks limits and UTF-8). With bit 7 set, the rest is a message that a deflate client
// sends (as binary, and as text when it is UTF-8) and the server must receive unchanged.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_common.h"

namespace {

using namespace uvws;
using uvws::fuzz::CheckingListener;
using uvws::fuzz::Outcome;

bool small_window(std::uint8_t flags) {
  return (flags & 0x04) != 0;
}

// Server and client options for the parameters byte 0 selects.
struct Options {
  explicit Options(std::uint8_t flags) {
    for (ws::ProtocolOptions* o :
         {static_cast<ws::ProtocolOptions*>(&server), static_cast<ws::ProtocolOptions*>(&client)}) {
      o->deflate.enabled = true;
      o->deflate.min_size_to_compress = 0;
      o->deflate.client_no_context_takeover = (flags & 0x01) != 0;
      o->deflate.server_no_context_takeover = (flags & 0x02) != 0;
      o->deflate.client_max_window_bits = small_window(flags) ? 9 : 15;
      o->deflate.compression_level = (flags & 0x08) != 0 ? 1 : 6;
      o->frame_mode = (flags & 0x10) != 0;
      o->max_message_size = (flags & 0x20) != 0 ? 1000 : 256 * 1024;
    }
    client.mask_key_source = &fuzz::fixed_mask_key;
  }
  ws::ServerProtocolOptions server;
  ws::ClientProtocolOptions client;
};

// Runs the opening handshake between the two in memory; both must end up compressing.
void handshake(ws::ClientProtocol& c, ws::ServerProtocol& s) {
  core::Buffer to_server;
  core::Buffer to_client;
  c.connect("server.example.com", "/chat", to_server);
  s.receive_data(to_server.span(), to_client);
  fuzz::require(!s.accept({}, to_client), "the server refused the client's handshake");
  c.receive_data(to_client.span(), to_server);
  fuzz::require(c.state() == ws::State::open, "the client refused the server's 101");
  fuzz::require(s.compression_enabled() && c.compression_enabled(), "deflate not negotiated");
}

// The input's frame list as wire bytes from a client (masked).
std::string frames_from(std::span<const std::uint8_t> in) {
  static constexpr std::uint8_t opcodes[4] = {0x0, 0x1, 0x2, 0x9};
  std::string wire;
  std::size_t pos = 0;
  while (pos + 2 <= in.size()) {
    const std::uint8_t h = in[pos];
    const std::size_t n = std::min<std::size_t>(in[pos + 1], in.size() - pos - 2);
    pos += 2;
    wire.push_back(static_cast<char>((h & 0xC0) | opcodes[h & 3]));
    wire.push_back(static_cast<char>(0x80 | (n < 126 ? n : 126)));
    if (n >= 126) {
      wire.push_back(0);
      wire.push_back(static_cast<char>(n));
    }
    const std::uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    wire.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i) wire.push_back(static_cast<char>(in[pos + i] ^ key[i % 4]));
    pos += n;
  }
  return wire;
}

Outcome run_frames(std::uint8_t flags, const std::string& wire, std::size_t chunk, bool in_place) {
  Options o(flags);
  CheckingListener sl(o.server);
  CheckingListener cl(o.client);
  ws::ServerProtocol s(o.server, sl);
  ws::ClientProtocol c(o.client, cl);
  handshake(c, s);
  sl.log.clear();
  std::string out;
  fuzz::feed(s, sl, out, {reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()}, chunk,
             in_place);
  return {sl.log, out, s.state()};
}

// A listener that keeps the messages themselves, for the round trip.
class Keeper final : public ws::ProtocolListener {
 public:
  void on_message(ws::Opcode op, std::span<std::uint8_t> d) override {
    messages.emplace_back(op == ws::Opcode::text ? "t" : "b");
    messages.back().append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void on_fragment(ws::Opcode op, std::span<std::uint8_t> d, bool fin) override {
    if (!in_message_) messages.emplace_back(op == ws::Opcode::text ? "t" : "b");
    messages.back().append(reinterpret_cast<const char*>(d.data()), d.size());
    in_message_ = !fin;
  }
  void on_failed(std::error_code) override { failed = true; }

  std::vector<std::string> messages;
  bool failed = false;

 private:
  bool in_message_ = false;
};

void round_trip(std::uint8_t flags, std::span<const std::uint8_t> message) {
  Options o(flags);
  o.server.max_message_size = o.client.max_message_size = 1u << 20;
  Keeper keeper;
  CheckingListener cl(o.client);
  ws::ServerProtocol s(o.server, keeper);
  ws::ClientProtocol c(o.client, cl);
  handshake(c, s);
  core::Buffer to_server;
  std::vector<std::string> expected;
  const std::string as_string(reinterpret_cast<const char*>(message.data()), message.size());
  for (int i = 0; i < 2; ++i) {  // twice: the second message uses the kept context
    fuzz::require(c.send_binary(message, to_server), "send_binary refused");
    expected.push_back("b" + as_string);
    if (core::is_valid_utf8(message)) {
      fuzz::require(c.send_text(as_string, to_server), "send_text refused");
      expected.push_back("t" + as_string);
    }
  }
  core::Buffer answer;
  s.receive_data(to_server.span(), answer);
  fuzz::require(answer.empty(), "the server answered the client's data messages");
  fuzz::require(!keeper.failed, "the server failed on the client's compressed messages");
  fuzz::require(keeper.messages == expected, "a message changed in the round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t split = data[1];
  const std::span<const std::uint8_t> input(data + 2, size - 2);
  if ((flags & 0x80) != 0) {
    round_trip(flags, input);
    return 0;
  }
  const std::string wire = frames_from(input);
  const Outcome whole = run_frames(flags, wire, 0, false);
  const std::size_t chunk = (split & 0x80) != 0 ? 1 : 1 + (split & 0x1F);
  const Outcome pieces = run_frames(flags, wire, chunk, (split & 0x40) != 0);
  // With any window: the inflater accepts every valid DEFLATE distance whatever was agreed
  // (permessage_deflate.cpp, inflater()), so no split may change the outcome.
  fuzz::require(whole == pieces, "the split changed the events or the output");
  return 0;
}
