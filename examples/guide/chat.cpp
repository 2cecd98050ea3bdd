// A chat room in a few lines: every message goes to every other connection (pub/sub).
// [chat]
#include <uvws/server.h>

class Chat : public uvws::Handler {
  void on_open(uvws::WebSocket& ws) override { ws.subscribe("lobby"); }
  void on_message(uvws::WebSocket& ws, uvws::Message m) override {
    ws.publish("lobby", m.data(), m.opcode());  // framed once, shared by every subscriber
  }
};

int main() {
  uvws::ServerOptions options;
  options.port = 9001;
  uvws::Server server(options);
  Chat chat;
  server.route("/chat", chat);
  server.run();  // until SIGINT/SIGTERM, then every connection gets 1001 and a close timeout
}
// [chat]
