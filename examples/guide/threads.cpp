// Threads: keep a WebSocketHandle to reach a connection from another thread.
#include <mutex>
#include <thread>
#include <vector>

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
  server.run();
  worker.join();
}
