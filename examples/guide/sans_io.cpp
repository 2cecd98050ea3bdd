// The protocol without sockets: ws::ServerProtocol takes bytes and gives events and bytes.
// This program feeds it a client's handshake and one masked frame, and prints what it owes
// the peer (the 101 answer, then the echo).
#include <cstdio>
#include <span>

#include <uvws/ws/server_protocol.h>

// [sans_io]
class EchoListener : public uvws::ws::ProtocolListener {
 public:
  uvws::ws::ServerProtocol* protocol = nullptr;
  uvws::core::Buffer* out = nullptr;

  void on_request(const uvws::ws::HTTPRequest&) override { protocol->accept({}, *out); }
  void on_message(uvws::ws::Opcode opcode, std::span<std::uint8_t> data) override {
    protocol->send_message(opcode, data, *out);
  }
};

int main() {
  uvws::ws::ServerProtocolOptions options;
  EchoListener listener;
  uvws::ws::ServerProtocol protocol(options, listener);
  uvws::core::Buffer out;  // what to write to the socket after each call
  listener.protocol = &protocol;
  listener.out = &out;

  protocol.receive_data(
      "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",
      out);
  std::printf("%.*s", static_cast<int>(out.size()), out.view().data());  // 101 Switching...
  out.clear();
  // "Hello", masked by the client (RFC 6455 5.7); any split of the bytes works the same.
  const std::uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  protocol.receive_data(std::span<const std::uint8_t>(frame), out);
  std::printf("echo frame: %zu bytes\n", out.size());  // 81 05 'Hello', unmasked
}
// [sans_io]
