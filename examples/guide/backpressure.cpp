// Backpressure: stop producing when a peer reads slower than the server sends.
#include <string>
#include <thread>

#include <uvws/server.h>

// [drain]
class Feed : public uvws::TypedHandler<unsigned> {
 public:
  void open(uvws::WebSocket& ws, unsigned& next) override { pump(ws, next); }
  void on_drain(uvws::WebSocket& ws) override { pump(ws, data(ws)); }

 private:
  // Sends until the connection's queue passes max_backpressure, then waits for on_drain.
  static void pump(uvws::WebSocket& ws, unsigned& next) {
    while (next < 1000000) {
      uvws::SendStatus status = ws.send_text("item " + std::to_string(next));
      if (status == uvws::SendStatus::dropped) return;  // closing, or dropped by the policy
      ++next;
      if (status == uvws::SendStatus::backpressure) return;  // queued; on_drain resumes
    }
    ws.close(1000, "done");
  }
};
// [drain]

// [pause]
// A consumer slower than its peers: each message is handed to a worker, and the connection
// stops reading while the worker is busy. TCP then slows the sender down; nothing piles up.
class Ingest : public uvws::Handler {
 public:
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    ws.pause_reading();  // no more callbacks for this connection until resume_reading()
    std::thread([h = ws.handle(), item = std::string(message.text())] {
      store(item);  // slow work, off the loop
      h.post([](uvws::WebSocket& ws) { ws.resume_reading(); });
    }).detach();
  }

 private:
  static void store(const std::string& item) { (void)item; }
};
// [pause]

int main() {
  // [policy]
  uvws::ServerOptions options;
  options.max_backpressure = 4u << 20;                            // bytes queued per connection
  options.backpressure_policy = uvws::BackpressurePolicy::close;  // or drop (the default)
  // [policy]
  uvws::Server server(options);
  Feed feed;
  server.route("/feed", feed);
  Ingest ingest;
  server.route("/ingest", ingest);
  server.run();
}
