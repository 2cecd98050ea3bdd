// The Redis bridge's subscribe side (redis_bridge.h): a topic subscribed in Redis while it has
// subscribers here, messages of other processes delivered here, their sequence numbers checked.
#include <algorithm>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "redis_bridge.h"
#include "redis_envelope.h"
#include "server_context.h"
#include "uvws/core/log.h"

namespace uvws::detail {

namespace {

auto& logger() {
  return core::log(core::Layer::ws);
}

std::string_view reply_text(const redisReply* r) {
  return r->str != nullptr ? std::string_view(r->str, r->len) : std::string_view();
}

}  // namespace

void RedisBridge::reconcile(std::string_view topic) {
  if (stopping_) return;
  const bool wanted = shared_.topic_counts.get(topic) > 0;
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    if (!wanted) return;
    it = topics_.emplace(std::string(topic), State::none).first;
  }
  State& state = it->second;
  // While a (UN)SUBSCRIBE is on its way nothing more is sent: its reply reconciles again
  // (hiredis keeps one callback per channel, which an UNSUBSCRIBE reply removes).
  if (state == State::subscribing || state == State::unsubscribing) return;
  if (wanted && state == State::none) {
    if (!sub_.ready) return;  // ready() subscribes it
    send("SUBSCRIBE", topic);
    state = State::subscribing;
  } else if (!wanted && state == State::subscribed) {
    send("UNSUBSCRIBE", topic);
    state = State::unsubscribing;
  } else if (!wanted && state == State::none) {
    topics_.erase(it);
    if (auto s = seen_.find(topic); s != seen_.end()) seen_.erase(s);
  }
}

void RedisBridge::send(std::string_view verb, std::string_view topic) {
  channel_.assign(prefix_).append(topic);
  send_channel(verb);
}

void RedisBridge::send_channel(std::string_view verb) {
  const std::string command = std::string(verb) + " %b";
  if (redisAsyncCommand(sub_.ac, &on_subscribe_reply, this, command.c_str(), channel_.data(),
                        channel_.size()) != REDIS_OK) {
    logger().warn("redis: {} {} refused by hiredis", verb, channel_);
  }
}

void RedisBridge::on_subscribe_reply(redisAsyncContext*, void* r, void* bridge) {
  auto* reply = static_cast<redisReply*>(r);
  auto& b = *static_cast<RedisBridge*>(bridge);
  if (reply == nullptr || b.stopping_) return;
  if (reply->type == REDIS_REPLY_ERROR) {
    logger().warn("redis: subscribe link: {}", reply_text(reply));
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
  const std::string_view kind = reply_text(reply->element[0]);
  const std::string_view channel = reply_text(reply->element[1]);
  if (channel == b.anchor_ || !channel.starts_with(b.prefix_)) return;
  const std::string_view topic = channel.substr(b.prefix_.size());
  if (kind == "message") {
    const redisReply* data = reply->element[2];
    b.received(topic, {reinterpret_cast<const std::uint8_t*>(data->str), data->len});
    return;
  }
  auto it = b.topics_.find(topic);
  if (it == b.topics_.end()) return;
  if (kind == "subscribe") {
    it->second = State::subscribed;
  } else if (kind == "unsubscribe") {
    it->second = State::none;
  }
  b.reconcile(topic);
}

void RedisBridge::received(std::string_view topic, std::span<const std::uint8_t> message) {
  const Envelope e = read_envelope(message);
  if (!e.raw) {
    if (e.origin == origin_) return;  // ours: its subscribers here had it at once
    auto it = seen_.find(topic);
    if (it == seen_.end()) it = seen_.emplace(std::string(topic), std::vector<Seen>{}).first;
    auto& origins = it->second;
    auto o = std::find_if(origins.begin(), origins.end(),
                          [&](const Seen& s) { return s.origin == e.origin; });
    if (o == origins.end()) {
      origins.push_back({e.origin, e.sequence});  // the first one seen: nothing to compare
    } else {
      if (e.sequence <= o->sequence) {
        logger().debug("redis: {}: a message from {:016x} again (sequence {}, last {})", topic,
                       e.origin, e.sequence, o->sequence);
        return;
      }
      if (e.sequence != o->sequence + 1) {
        const std::uint64_t lost = e.sequence - o->sequence - 1;
        counters_.gaps.fetch_add(1, std::memory_order_relaxed);
        counters_.lost.fetch_add(lost, std::memory_order_relaxed);
        logger().warn("redis: {}: {} message(s) of process {:016x} lost (sequence {} after {})",
                      topic, lost, e.origin, e.sequence, o->sequence);
        if (const auto& hook = shared_.options.on_redis_gap) {
          try {
            hook(topic, lost);
          } catch (const std::exception& ex) {
            logger().error("redis: on_redis_gap threw: {}", ex.what());
          }
        }
      }
      o->sequence = e.sequence;
    }
  }
  counters_.received.fetch_add(1, std::memory_order_relaxed);
  deliver_local(shared_, &home_, topic, make_frame(e.opcode, e.payload));
}

}  // namespace uvws::detail
