// Pub/sub: topics on the server, published from a connection or from any thread.
#include <chrono>
#include <string>
#include <thread>

#include <uvws/server.h>

// [rooms]
class Room : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override {
    ws.subscribe("room");  // unsubscribed automatically when the connection closes
  }
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    // To every subscriber on every loop, except the sender.
    ws.publish("room", message.data(), message.opcode());
  }
};
// [rooms]

int main() {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 9001;
  options.threads = 2;
  uvws::Server server(options);
  Room room;
  server.route("/", room);
  server.listen();
  // [ticker]
  std::thread ticker([&server] {
    for (int i = 0; i < 10; ++i) {
      server.publish("room", "tick " + std::to_string(i));  // any thread, after listen()
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    server.stop();
  });
  server.run();
  ticker.join();
  // [ticker]
}
