// The asynchronous client: a Handler on a loop of the application's own.
#include <cstdio>

#include <uvws/client.h>

// [client]
class Greeter : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override { ws.send_text("hello"); }
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    std::printf("received: %.*s\n", static_cast<int>(message.size()), message.text().data());
    ws.close(1000, "done");
  }
  void on_error(uvws::WebSocket* ws, std::error_code ec) override {
    (void)ws;
    std::printf("error: %s\n", ec.message().c_str());
  }
};

int main() {
  uvws::net::Loop loop;
  Greeter greeter;
  uvws::ClientOptions options;
  options.reconnect.enabled = true;  // retry with exponential backoff after a failure
  options.reconnect.max_attempts = 5;
  uvws::Client client(loop, "ws://127.0.0.1:9001/", greeter, options);
  client.on_give_up = [&](std::error_code last) {
    std::printf("giving up: %s\n", last.message().c_str());
  };
  client.connect();
  loop.run();  // returns when nothing is left to do: closed, and no reconnect pending
}
// [client]
