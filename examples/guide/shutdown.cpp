// Graceful shutdown: stop() from anywhere; run() returns once every connection closed.
#include <csignal>
#include <cstdio>

#include <uvws/server.h>

class Echo : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());
  }
};

int main() {
  // [shutdown]
  uvws::ServerOptions options;
  options.handle_signals = true;  // SIGINT / SIGTERM start the graceful shutdown (default)
  options.close_timeout = std::chrono::seconds(2);  // how long each peer has to answer 1001
  uvws::Server server(options);
  Echo echo;
  server.route("*", echo);
  server.run();  // returns after: listeners closed, 1001 sent to all, loops closed
  std::printf("all connections closed\n");
  // [shutdown]
}
