// uvws-xpublish: the fan-out server for measuring a cross-loop publish (bench/threads.sh).
//
//   uvws-xpublish [--threads N] [--mode loop|thread] [--port 0] [--log-level warn]
//
// Every connection subscribes to one topic when it opens; the first message a connection
// sends unsubscribes it (that is uvws-fanout's publisher, which should not get its own
// messages). Each message received is then published to the topic:
//   --mode loop    with WebSocket::publish on the loop that received it (as uvws-broadcast);
//   --mode thread  with Server::publish from a thread that runs no loop: the loop hands the
//                  payload to that thread through a mutex-guarded queue, and the thread
//                  publishes every message it finds there, in order. Each Server::publish
//                  then reaches every loop from outside, which is what this mode measures.
// The handoff in thread mode costs a lock per message and at most one wake-up per batch (the
// publisher thread sleeps only when the queue is empty): a part of what an application that
// publishes from its own thread pays anyway. Prints "uvws-xpublish listening on
// ws://HOST:PORT/" like the examples, so bench/lib.sh finds the port.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../examples/common/cli.h"
#include "uvws/server.h"

namespace {

constexpr std::string_view topic = "fanout";

// The queue between the loops and the publishing thread.
class Publisher {
 public:
  explicit Publisher(uvws::Server& server) : server_(server) {}

  void push(std::span<const std::uint8_t> data) {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(data.begin(), data.end());
    }
    ready_.notify_one();
  }
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::vector<std::vector<std::uint8_t>> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        batch.swap(queue_);
      }
      for (const auto& m : batch) server_.publish(topic, m);
      batch.clear();
    }
  }

  uvws::Server& server_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::vector<std::uint8_t>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class Fanout final : public uvws::Handler {
 public:
  explicit Fanout(Publisher* publisher) : publisher_(publisher) {}
  void on_open(uvws::WebSocket& ws) override { ws.subscribe(topic); }
  void on_message(uvws::WebSocket& ws, uvws::Message message) override {
    if (ws.is_subscribed(topic)) ws.unsubscribe(topic);  // the publisher
    if (publisher_ != nullptr) {
      publisher_->push(message.data());
    } else {
      ws.publish(topic, message.data(), message.opcode());
    }
  }

 private:
  Publisher* publisher_;
};

}  // namespace

int main(int argc, char** argv) {
  uvws::ServerOptions options;
  options.host = "127.0.0.1";
  bool from_thread = false;
  examples::parse_server_args(argc, argv, "uvws-xpublish [--mode loop|thread]", options,
                              [&](std::string_view arg, const std::function<std::string()>& value) {
                                if (arg != "--mode") return false;
                                const std::string mode = value();
                                if (mode != "loop" && mode != "thread") {
                                  std::fprintf(stderr, "uvws-xpublish: --mode loop|thread\n");
                                  std::exit(2);
                                }
                                from_thread = mode == "thread";
                                return true;
                              });
  try {
    uvws::Server server(options);
    Publisher publisher(server);
    Fanout fanout(from_thread ? &publisher : nullptr);
    server.route("/", fanout);
    server.listen();
    if (from_thread) publisher.start();
    std::printf("uvws-xpublish listening on ws://%s:%u/\n", options.host.c_str(), server.port());
    std::fflush(stdout);
    server.run();
    publisher.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uvws-xpublish: %s\n", e.what());
    return 1;
  }
  return 0;
}
