// Getting started: the smallest uvws server, an echo on ws://127.0.0.1:9001/.
// [server]
#include <uvws/server.h>

class Echo : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.send(message.data(), message.opcode());  // text back as text, binary as binary
  }
};

int main() {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 9001;
  uvws::Server server(options);
  Echo echo;
  server.route("/", echo);
  server.run();  // until SIGINT or SIGTERM, then a graceful close
}
// [server]
