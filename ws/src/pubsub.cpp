#include "pubsub.h"

#include <stdexcept>
#include <string>

#include "connection.h"
#include "server_context.h"

namespace uvws::detail {

namespace {

void fan_out(const ServerShared& shared, LoopContext* here, std::string_view topic,
             const SharedFrame& frame, const Subscriber* skip, bool forward) {
  // Counted once, on the loop that handles it first: the publisher's, or loop 0 for a publish
  // from outside the loops (Server::publish).
  if (here != nullptr) {
    here->metrics.publishes.add();
    // Other loops may deliver it before this one's iteration ends: what led to it (the message
    // received) is counted first.
    if (shared.loops.size() > 1) here->metrics.publish();
    here->topics.publish(topic, frame, skip);
    // Loop 0's registry forwards (topics.h RemotePublisher); from loop 0 itself at once.
    if (forward && here == shared.loops.front()) here->topics.forward(topic, frame);
  }
  for (LoopContext* other : shared.loops) {
    if (other == here) continue;
    // The forward rides on loop 0's task: no task more, and one publisher's messages reach
    // other processes in the order they reach this one's loops.
    const bool fwd = forward && other == shared.loops.front();
    const bool count = here == nullptr && other == shared.loops.front();
    other->loop.post([other, name = std::string(topic), frame, fwd, count] {
      if (count) other->metrics.publishes.add();
      other->topics.publish(name, frame, nullptr);
      if (fwd) other->topics.forward(name, frame);
    });
  }
}

}  // namespace

void fan_out(const ServerShared& shared, LoopContext* here, std::string_view topic,
             const SharedFrame& frame, const Subscriber* skip) {
  fan_out(shared, here, topic, frame, skip, true);
}

void deliver_local(const ServerShared& shared, LoopContext* here, std::string_view topic,
                   const SharedFrame& frame) {
  fan_out(shared, here, topic, frame, nullptr, false);
}

void drain_to_connection(Subscriber& subscriber,
                         std::span<const std::span<const std::uint8_t>> frames) {
  static_cast<Connection*>(subscriber.owner)->write_published(frames);
}

// ---------------------------------------------------------------------------------------
// A connection's verbs. Topics are a server's: a client connection has none to join.

bool Connection::subscribe(std::string_view topic) {
  if (client_ || !opened() || closing()) return false;
  Subscriber& s = extras().subscriber;
  // Compressed published frames are shared with connections that compress statelessly.
  const ws::PerMessageDeflate* d = protocol().deflate();
  s.deflate = d != nullptr ? d->stateless() : std::nullopt;
  return ctx().topics.subscribe(s, topic);
}

bool Connection::unsubscribe(std::string_view topic) {
  if (client_ || !extras_) return false;
  return ctx().topics.unsubscribe(extras_->subscriber, topic);
}

bool Connection::is_subscribed(std::string_view topic) const {
  return extras_ && TopicRegistry::is_subscribed(extras_->subscriber, topic);
}

void Connection::publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode,
                         bool include_self) {
  if (client_) throw std::logic_error("WebSocket::publish: topics exist on a server only");
  const Subscriber* skip = include_self || !extras_ ? nullptr : &extras_->subscriber;
  fan_out(ctx().shared, &ctx(), topic, make_frame(opcode, data), skip);
}

}  // namespace uvws::detail
