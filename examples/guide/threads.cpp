// Threads: keep a WebSocketHandle to reach a connection from another thread.
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <uvws/net/timer.h>
#include <uvws/server.h>

// [handles]
class Registry : public uvws::Handler {
 public:
  void on_open(uvws::WebSocket& ws) override {
    std::lock_guard lock(mutex_);  // callbacks of different loops run on different threads
    handles_.push_back(ws.handle());
  }
  // Any thread: each call is posted to the connection's loop; a closed one ignores it.
  void notify_all(std::string_view text) {
    std::lock_guard lock(mutex_);
    std::erase_if(handles_, [](const uvws::WebSocketHandle& h) { return !h.alive(); });
    for (const uvws::WebSocketHandle& h : handles_) h.send_text(text);
  }

 private:
  std::mutex mutex_;
  std::vector<uvws::WebSocketHandle> handles_;
};
// [handles]

// [loops]
// The application's own work on a server loop: a timer that publishes the time every second,
// made, fired and destroyed on the thread of loop 0 (the loop closes it if it still runs).
class Ticker {
 public:
  explicit Ticker(uvws::Server& server) : server_(server), timer_(server.loop(0)) { tick(); }

 private:
  void tick() {
    server_.publish("clock", std::to_string(ticks_++));
    timer_.start(1000, [this] { tick(); });
  }
  uvws::Server& server_;
  uvws::net::Timer timer_;
  unsigned ticks_ = 0;
};
// [loops]

int main() {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 9001;
  options.threads = 4;
  uvws::Server server(options);
  Registry registry;
  server.route("/", registry);
  server.listen();
  std::thread worker([&] { registry.notify_all("hello from a worker thread"); });
  // [start]
  std::unique_ptr<Ticker> ticker;
  server.post(0, [&] { ticker = std::make_unique<Ticker>(server); });  // runs on loop 0
  // [start]
  server.run();
  worker.join();
}
