// Topics: the pub/sub registry of one loop. Private to ws/src.
//
// Each loop keeps its own topics and their subscribers (connections of that loop only), so
// publishing never takes a lock: a publish on one loop reaches the other loops as a posted
// task carrying the same frame. A published message is framed once, into a reference-counted
// buffer that every subscriber on every loop writes from.
//
// Publishing is batched per loop iteration, as the fastest servers do: publish() queues the
// frame for each subscriber (an index into this iteration's frames), and flush() — run by the
// loop right before it polls — writes each subscriber's queue with one writev, straight from
// the shared frames. A subscriber writes its queue first whenever anything else is about to
// be written to it (Connection::output), so its bytes keep the order they were sent in.
//
// Bookkeeping is two-sided so that a closing connection leaves no dangling pointer: a Topic
// lists its subscribers with, for each, the index of the topic in the subscriber's own list,
// and a connection lists its topics with its index in each topic's list. Removal is O(1)
// swap-and-pop on both sides.
//
// Threads: one loop thread per registry. Server-wide subscriber counts (for
// Server::subscribers from any thread) are kept in TopicCounts, under a mutex taken only by
// subscribe and unsubscribe, never by publish.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"

namespace uvws::detail {

class Connection;

// One whole frame, as every subscriber receives it (unmasked: servers do not mask).
using SharedFrame = std::shared_ptr<const core::Buffer>;
SharedFrame make_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload);

// Server-wide subscriber counts per topic. Any thread.
class TopicCounts {
 public:
  void add(std::string_view topic, std::ptrdiff_t delta);
  std::size_t get(std::string_view topic) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;
};

struct Topic;

// A connection's side of its subscriptions.
struct Subscription {
  Topic* topic;
  std::size_t index;  // of the connection in topic->subscribers
};

struct Topic {
  struct Entry {
    Connection* connection;
    std::size_t index;  // of this topic in the connection's subscriptions
  };
  std::string name;
  std::vector<Entry> subscribers;
};

class TopicRegistry {
 public:
  explicit TopicRegistry(TopicCounts& counts) : counts_(counts) {}
  TopicRegistry(const TopicRegistry&) = delete;
  TopicRegistry& operator=(const TopicRegistry&) = delete;

  // `subs` is the connection's list (Connection owns it). Return false when already (or not)
  // subscribed.
  bool subscribe(Connection& c, std::vector<Subscription>& subs, std::string_view topic);
  bool unsubscribe(Connection& c, std::vector<Subscription>& subs, std::string_view topic);
  static bool is_subscribed(const std::vector<Subscription>& subs, std::string_view topic);
  // Every subscription of `c` (when it closes).
  void unsubscribe_all(std::vector<Subscription>& subs);

  // Queues `frame` for every subscriber of `topic` on this loop except `skip` (may be null),
  // under each one's backpressure policy; flush() writes it.
  void publish(std::string_view topic, const SharedFrame& frame, const Connection* skip);
  // Writes every queued frame: one writev per subscriber. The loop's flush hook.
  void flush();
  // Writes the frames queued for `c` now (before something else is written to it).
  void flush(Connection& c);
  // `c` is closing: its queue is dropped.
  void forget(Connection& c);

  // Subscribers of `topic` on this loop.
  std::size_t local_subscribers(std::string_view topic) const;

 private:
  Topic* find(std::string_view topic) const;
  // Empties `c`'s queue of published frames and takes it off the list of queues to write.
  void drop_queue(Connection& c);
  void remove(std::vector<Subscription>& subs, std::size_t sub_index);

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::unique_ptr<Topic>, Hash, std::equal_to<>> topics_;
  TopicCounts& counts_;
  // This iteration's published frames, and the subscribers with queued frames (nullptr once
  // forgotten). Both keep their capacity: publishing allocates nothing once warm.
  std::vector<SharedFrame> frames_;
  std::vector<Connection*> dirty_;
  // A subscriber's queue is written at once when it reaches this size (a burst).
  static constexpr std::size_t flush_at = 64 * 1024;
};

}  // namespace uvws::detail
