// The Redis bridge: topics shared by every uvws process on one Redis (ServerOptions::redis).
// Private to ws/src; docs/REDIS.md describes it for users.
//
// Where: on the server's first loop (loop 0), which also delivers there. Loop 0's registry
// hands it every message published on this server (TopicRegistry::forward, from fan_out in
// pubsub.cpp, riding on the task that already carries the message to loop 0), and
// TopicCounts tells it, through a task posted to loop 0, when a topic gets its first
// subscriber on this process or loses its last one.
//
// Two Redis connections (hiredis's async API on libuv, redis_libuv.h, so nothing blocks the
// loop): one in subscribe mode, one for PUBLISH. A publish becomes one PUBLISH of an
// envelope (redis_envelope.h) to prefix + topic; hiredis writes everything appended during a
// loop iteration with one write (a pipeline). A message from Redis is delivered to this
// process's subscribers only, unless its origin is this process (delivered at once already).
//
// Faults: a link that cannot connect, fails AUTH or is lost retries with a backoff doubling
// from 50 ms to 1 s; the subscribe link re-subscribes every topic with subscribers; publishes
// wait in a queue while the publish link is down. That queue and the bytes handed to hiredis
// but not yet written (a Redis that reads slowly) count together against
// ServerOptions::redis_queue_bytes: past it a publish is dropped and counted. Sequence numbers
// per origin and topic show what other processes' messages were lost (stats, the log and
// ServerOptions::on_redis_gap).
//
// Threads: everything on loop 0's thread, except stats() (any thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "redis_url.h"
#include "topics.h"
#include "uvws/server.h"

struct redisAsyncContext;

namespace uvws::net {
class Timer;
}

namespace uvws::detail {

struct ServerShared;
struct LoopContext;

class RedisBridge final : public RemotePublisher {
 public:
  // Connects nothing yet. `home` is loop 0's context.
  RedisBridge(ServerShared& shared, LoopContext& home);
  ~RedisBridge();
  RedisBridge(const RedisBridge&) = delete;
  RedisBridge& operator=(const RedisBridge&) = delete;

  // On loop 0's thread, before the server's loops run: attaches to loop 0, starts connecting.
  void start();
  // After loop 0 stopped, before it is closed: frees what is left (the hiredis handles).
  void close();

  // RemotePublisher (loop 0's thread).
  void publish(std::string_view topic, const SharedFrame& frame) override;
  void shutdown() override;

  // A topic's count crossed 0 (TopicCounts' edge hook): subscribe or unsubscribe in Redis.
  void reconcile(std::string_view topic);

  RedisStats stats() const;  // any thread

 private:
  enum class State : std::uint8_t { none, subscribing, subscribed, unsubscribing };
  struct Link {
    RedisBridge* bridge = nullptr;
    const char* name = "";
    redisAsyncContext* ac = nullptr;
    bool ready = false;       // connected and authenticated
    bool ever_ready = false;  // a later ready is a reconnect
    unsigned failures = 0;    // attempts since the last ready
    std::uint64_t backoff_ms = 0;
    std::unique_ptr<net::Timer> timer;  // the next attempt (the forced close at shutdown)
  };
  struct Seen {
    std::uint64_t origin;
    std::uint64_t sequence;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  template <typename T>
  using TopicMap = std::unordered_map<std::string, T, Hash, std::equal_to<>>;

  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_auth(redisAsyncContext* ac, void* reply, void* link);
  static void on_publish_reply(redisAsyncContext* ac, void* reply, void* bridge);
  static void on_subscribe_reply(redisAsyncContext* ac, void* reply, void* bridge);

  void connect(Link& link);
  void free_link(Link& link);
  void retry(Link& link, std::string_view why, bool lost);
  void ready(Link& link);
  void send(std::string_view verb, std::string_view topic);
  void send_channel(std::string_view verb);  // channel_
  void received(std::string_view topic, std::span<const std::uint8_t> message);
  std::size_t pending_bytes() const;
  void drain_queue();
  void drop_queue();
  void update_connected();

  ServerShared& shared_;
  LoopContext& home_;
  RedisUrl url_;
  std::string prefix_;
  std::size_t limit_;
  std::uint64_t origin_;
  std::string anchor_;  // the channel that keeps the subscribe link in subscribe mode
  bool started_ = false;
  bool stopping_ = false;
  bool publish_error_logged_ = false;
  Link sub_;
  Link pub_;
  TopicMap<State> topics_;             // topics wanted or still known to Redis
  TopicMap<std::uint64_t> sequences_;  // the last sequence number published per topic
  TopicMap<std::vector<Seen>> seen_;   // per topic: the last one seen per origin
  std::string command_;                // a PUBLISH being formatted (keeps capacity)
  std::string channel_;                // prefix + topic for (UN)SUBSCRIBE
  std::vector<std::uint8_t> queue_;    // [u32 length][command], while pub_ is down
  std::size_t queued_ = 0;             // commands in queue_

  struct Counters {
    std::atomic<bool> connected{false};
    std::atomic<std::uint64_t> published{0}, received{0}, dropped{0}, gaps{0}, lost{0},
        reconnects{0};
  } counters_;
};

}  // namespace uvws::detail
