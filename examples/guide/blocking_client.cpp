// The blocking client: one call at a time, errors as exceptions.
#include <cstdio>

#include <uvws/blocking_client.h>

int main() {
  // [blocking]
  try {
    uvws::BlockingClient c = uvws::connect("ws://127.0.0.1:9001/");
    c.send_text("hello");
    uvws::ReceivedMessage reply = c.recv(std::chrono::seconds(5));
    std::printf("%.*s\n", static_cast<int>(reply.data.size()), reply.text().data());
    std::printf("round trip: %lld us\n", static_cast<long long>(c.ping().count()));
    c.close(1000, "bye");
  } catch (const uvws::HandshakeError& e) {
    std::printf("refused with HTTP %d\n", e.status());
  } catch (const uvws::WebSocketError& e) {  // ConnectError, TimeoutError, ConnectionClosed
    std::printf("failed: %s\n", e.what());
  }
  // [blocking]
}
