// libFuzzer target: the frame parser of an open ServerProtocol or ClientProtocol.
//
// Input: byte 0 chooses the role and options (frame mode, strict lengths, auto-pong, small
// limits), byte 1 how the second run splits the input, the rest is what the peer sends. The
// input is parsed twice, whole and split, copied or in place; the events and output must be
// equal, every event must respect the options (fuzz_common.h), and what we sent must be
// valid frames for a peer of the other role.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_common.h"

namespace {

using namespace uvws;
using uvws::fuzz::CheckingListener;
using uvws::fuzz::Outcome;

void configure(ws::ProtocolOptions& o, std::uint8_t flags) {
  o.frame_mode = (flags & 0x02) != 0;
  o.strict_lengths = (flags & 0x04) == 0;
  o.auto_pong = (flags & 0x08) == 0;
  o.max_message_size = (flags & 0x10) != 0 ? 300 : 1u << 20;
  o.max_frame_size = (flags & 0x20) != 0 ? 100 : 1u << 20;
}

// An open protocol of the given role, its listener recording from now on.
struct Endpoint {
  // The listener keeps a reference to the options, which are filled in before any use.
  Endpoint(bool client, std::uint8_t flags)
      : is_client(client),
        listener(client ? static_cast<const ws::ProtocolOptions&>(client_options)
                        : server_options) {
    configure(server_options, flags);
    configure(client_options, flags);
    client_options.mask_key_source = &fuzz::fixed_mask_key;
    core::Buffer out;  // the handshake's bytes, not part of the outcome
    if (client) {
      auto c = std::make_unique<ws::ClientProtocol>(client_options, listener);
      c->connect("server.example.com", "/chat", out);
      const std::string request = fuzz::take(out);
      const std::string response =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: " +
          ws::accept_key(fuzz::key_in(request)) + "\r\n\r\n";
      c->receive_data(response, out);
      proto = c.get();
      client_proto = std::move(c);
    } else {
      auto s = std::make_unique<ws::ServerProtocol>(server_options, listener);
      s->receive_data(std::string(fuzz::sample_request) + "\r\n", out);
      s->accept({}, out);
      proto = s.get();
      server_proto = std::move(s);
    }
    fuzz::require(proto->state() == ws::State::open, "handshake did not open");
    listener.log.clear();
  }
  bool is_client = false;
  ws::ServerProtocolOptions server_options;
  ws::ClientProtocolOptions client_options;
  CheckingListener listener;
  // Owned by role (Protocol has no virtual destructor); `proto` is the one in use.
  std::unique_ptr<ws::ServerProtocol> server_proto;
  std::unique_ptr<ws::ClientProtocol> client_proto;
  ws::Protocol* proto = nullptr;
};

Outcome run(bool client, std::uint8_t flags, std::span<const std::uint8_t> input, std::size_t chunk,
            bool in_place) {
  Endpoint e(client, flags);
  std::string wire;
  fuzz::feed(*e.proto, e.listener, wire, input, chunk, in_place);
  if ((flags & 0x40) != 0) e.proto->receive_eof();
  return {e.listener.log, wire, e.proto->state()};
}

// What we sent must parse cleanly on the other side: our close frames, pongs and their
// masking are well-formed whatever the peer did.
void check_output_valid(bool client, const std::string& output) {
  Endpoint peer(!client, 0);
  core::Buffer answer;
  peer.proto->receive_data(output, answer);
  fuzz::require(peer.listener.log.find("failed") == std::string::npos, "our output is invalid");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t split = data[1];
  const std::span<const std::uint8_t> input(data + 2, size - 2);
  const bool client = (flags & 0x01) != 0;
  const Outcome whole = run(client, flags, input, 0, false);
  const std::size_t chunk = (split & 0x80) != 0 ? 1 : 1 + (split & 0x0F);
  const Outcome pieces = run(client, flags, input, chunk, (split & 0x40) != 0);
  fuzz::require(whole == pieces, "the split changed the events or the output");
  check_output_valid(client, whole.output);
  return 0;
}
