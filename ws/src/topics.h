// Topics: the pub/sub registry of one loop. Private to ws/src.
//
// The registry knows its subscribers only as opaque Subscriber records (embedded in whatever
// subscribes: a connection's extras) and writes to them through one drain callback given at
// construction. It includes nothing of the connection, so the two do not call each other.
//
// Each loop keeps its own topics and their subscribers (of that loop only), so publishing
// never takes a lock: a publish reaches the other loops as a posted task carrying the same
// frame (see pubsub.h). A published message is framed once, into a reference-counted
// PublishedFrame that every subscriber on every loop writes from (compressed once, too).
//
// Publishing is batched per loop iteration: publish() queues the frame for each subscriber
// (an index into this iteration's frames), and flush() — run by the loop right before it
// polls — hands each subscriber's queue to the drain callback, which writes it with one
// writev. Whoever writes anything else to a subscriber calls flush(subscriber) first, so a
// subscriber's bytes keep the order they were sent in (docs/ARCHITECTURE.md, "write path").
//
// Bookkeeping is two-sided so that a closing subscriber leaves no dangling pointer: a Topic
// lists its subscribers with, for each, the index of the topic in the subscriber's own list,
// and a Subscriber lists its topics with its index in each topic's list. Removal is O(1)
// swap-and-pop on both sides.
//
// Threads: one loop thread per registry. Server-wide subscriber counts (for
// Server::subscribers from any thread) are kept in TopicCounts, under a mutex taken only by
// subscribe and unsubscribe, never by publish.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/ws/frame.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws::detail {

// One published message, framed once for every subscriber on every loop (unmasked: servers do
// not mask). Besides the plain frame it has, for subscribers whose permessage-deflate
// compressor resets after every message (no_context_takeover on our side), the compressed
// frame: made once, by whichever loop first needs it (ws::compress_stateless), then shared. So
// a message is compressed once, not once per subscriber (RFC 7692 lets a sender leave any
// message uncompressed: the other subscribers get the plain frame).
//
// Threads: made by the publisher, then read-only but for the compressed frame, which the first
// loop to need it makes under a lock; an atomic flag spares the others the lock from then on.
class PublishedFrame {
 public:
  PublishedFrame(ws::Opcode opcode, std::span<const std::uint8_t> payload);
  PublishedFrame(const PublishedFrame&) = delete;
  PublishedFrame& operator=(const PublishedFrame&) = delete;

  // The whole uncompressed frame.
  std::span<const std::uint8_t> plain() const { return plain_.span(); }
  // What a subscriber gets whose connection compresses statelessly with `settings` (nullopt:
  // it does not): the compressed frame, unless the message is below settings->min_size or the
  // compressed frame was made for a larger window than this subscriber's (one compressed form
  // per message); the plain frame otherwise.
  std::span<const std::uint8_t> frame_for(
      const std::optional<ws::StatelessCompression>& settings) const;

 private:
  std::span<const std::uint8_t> payload() const { return plain_.span().subspan(header_size_); }

  core::Buffer plain_;
  std::uint8_t header_size_;
  ws::Opcode opcode_;
  mutable std::atomic<bool> compressed_ready_{false};  // compressed_ and its settings are set
  mutable std::mutex mutex_;                           // guards making compressed_
  mutable core::Buffer compressed_;
  mutable ws::StatelessCompression compressed_with_;
};

using SharedFrame = std::shared_ptr<const PublishedFrame>;
SharedFrame make_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload);

// Server-wide subscriber counts per topic. Any thread.
class TopicCounts {
 public:
  // `hook(topic)` runs, on the calling thread and outside the lock, each time a topic gets its
  // first subscriber or loses its last one (the Redis bridge subscribes and unsubscribes
  // there). Set it before any subscribe; it is read without a lock.
  void set_edge_hook(std::function<void(std::string_view)> hook) { edge_hook_ = std::move(hook); }
  void add(std::string_view topic, std::ptrdiff_t delta);
  std::size_t get(std::string_view topic) const;
  // Topics with subscribers, and subscriptions, all loops together (for the metrics).
  void totals(std::uint64_t& topics, std::uint64_t& subscriptions) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> counts_;
  std::uint64_t subscriptions_ = 0;  // the sum of counts_
  std::function<void(std::string_view)> edge_hook_;
};

// What loop 0's registry hands every message published on this server to, for other
// processes (the Redis bridge, redis_bridge.h). Loop 0's thread only.
class RemotePublisher {
 public:
  virtual void publish(std::string_view topic, const SharedFrame& frame) = 0;
  // The server begins its graceful shutdown.
  virtual void shutdown() = 0;

 protected:
  ~RemotePublisher() = default;
};

struct Topic;

// A subscriber's side of one subscription.
struct Subscription {
  Topic* topic;
  std::size_t index;  // of the subscriber in topic->subscribers
};

// What the registry keeps of a subscriber; owned by the subscriber, which calls leave()
// before it goes.
struct Subscriber {
  void* owner = nullptr;  // opaque to the registry: for the drain callback
  // Its connection's stateless compression, if any: it may receive shared compressed frames.
  std::optional<ws::StatelessCompression> deflate;
  std::vector<Subscription> subscriptions;
  std::vector<std::uint32_t> queued;  // this iteration's frames for it (indexes)
  std::size_t queued_bytes = 0;
  std::uint32_t dirty_slot = 0;  // its place in the registry's list of queues to write
};

struct Topic {
  struct Entry {
    Subscriber* subscriber;
    std::size_t index;  // of this topic in the subscriber's subscriptions
  };
  std::string name;
  std::vector<Entry> subscribers;
};

// Writes `frames` (whole frames, in order) to `subscriber`, or drops them when it cannot take
// them (its backpressure policy, a closing connection). The queue is already empty when it is
// called, so it may write other bytes to the subscriber (which flushes nothing more).
using DrainFn = void (*)(Subscriber& subscriber,
                         std::span<const std::span<const std::uint8_t>> frames);

class TopicRegistry {
 public:
  TopicRegistry(TopicCounts& counts, DrainFn drain) : counts_(counts), drain_(drain) {}
  TopicRegistry(const TopicRegistry&) = delete;
  TopicRegistry& operator=(const TopicRegistry&) = delete;

  // Return false when already (or not) subscribed.
  bool subscribe(Subscriber& s, std::string_view topic);
  bool unsubscribe(Subscriber& s, std::string_view topic);
  static bool is_subscribed(const Subscriber& s, std::string_view topic);
  // `s` goes away: out of every topic, its queue dropped.
  void leave(Subscriber& s);

  // Queues `frame` for every subscriber of `topic` on this loop except `skip` (may be null);
  // flush() hands it to the drain callback.
  void publish(std::string_view topic, const SharedFrame& frame, const Subscriber* skip);
  // Drains every queue: one drain call (one writev) per subscriber. The loop's flush hook.
  void flush();
  // Drains `s`'s queue now (before something else is written to it).
  void flush(Subscriber& s);

  // Subscribers of `topic` on this loop.
  std::size_t local_subscribers(std::string_view topic) const;

  // Loop 0's registry only: where published messages also go (nullptr: nowhere). The server
  // sets it before its loops run and clears it after they stopped.
  void set_remote(RemotePublisher* remote) { remote_ = remote; }
  RemotePublisher* remote() const { return remote_; }
  // Hands a message published on this server to the remote publisher, if any.
  void forward(std::string_view topic, const SharedFrame& frame) {
    if (remote_ != nullptr) remote_->publish(topic, frame);
  }

 private:
  Topic* find(std::string_view topic) const;
  // Empties `s`'s queue and takes it off the list of queues to write.
  void drop_queue(Subscriber& s);
  void remove(Subscriber& s, std::size_t sub_index);

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, std::unique_ptr<Topic>, Hash, std::equal_to<>> topics_;
  TopicCounts& counts_;
  DrainFn drain_;
  RemotePublisher* remote_ = nullptr;
  // This iteration's published frames, and the subscribers with queued frames (nullptr once
  // dropped). Both keep their capacity: publishing allocates nothing once warm.
  std::vector<SharedFrame> frames_;
  std::vector<Subscriber*> dirty_;
  std::vector<std::uint32_t> draining_;  // the queue flush(Subscriber&) is writing
  // A subscriber's queue is drained at once when it reaches this size (a burst), so that its
  // backpressure policy sees the bytes rather than an unbounded queue.
  static constexpr std::size_t flush_at = 64 * 1024;
};

}  // namespace uvws::detail
