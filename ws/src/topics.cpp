#include "topics.h"

#include <algorithm>

namespace uvws::detail {

PublishedFrame::PublishedFrame(ws::Opcode opcode, std::span<const std::uint8_t> payload)
    : opcode_(opcode) {
  ws::Frame f;
  f.opcode = opcode;
  f.length = payload.size();
  f.payload = payload;
  ws::serialize(f, plain_);
  header_size_ = static_cast<std::uint8_t>(plain_.size() - payload.size());
}

std::span<const std::uint8_t> PublishedFrame::frame_for(
    const std::optional<ws::StatelessCompression>& settings) const {
  if (!settings || payload().size() < settings->min_size) return plain();
  if (!compressed_ready_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mutex_);
    if (!compressed_ready_.load(std::memory_order_relaxed)) {
      core::Buffer payload_out;
      ws::compress_stateless(payload(), *settings, payload_out);
      ws::Frame f;
      f.opcode = opcode_;
      f.rsv1 = true;  // compressed (RFC 7692 6)
      f.length = payload_out.size();
      f.payload = payload_out.span();
      ws::serialize(f, compressed_);
      compressed_with_ = *settings;
      compressed_ready_.store(true, std::memory_order_release);
    }
  }
  // A stream made with a window of W bits never refers further back than 2^W: any peer that
  // agreed to at least W can inflate it.
  if (compressed_with_.window_bits > settings->window_bits) return plain();
  return compressed_.span();
}

SharedFrame make_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
  return std::make_shared<const PublishedFrame>(opcode, payload);
}

void TopicCounts::add(std::string_view topic, std::ptrdiff_t delta) {
  bool edge = false;
  {
    std::lock_guard lock(mutex_);
    subscriptions_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(subscriptions_) + delta);
    auto it = counts_.find(std::string(topic));
    if (it == counts_.end()) {
      if (delta > 0) counts_.emplace(std::string(topic), static_cast<std::size_t>(delta));
      edge = delta > 0;
    } else {
      it->second = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(it->second) + delta);
      if (it->second == 0) {
        counts_.erase(it);
        edge = true;
      }
    }
  }
  // Outside the lock: the hook posts to a loop (which takes that loop's queue lock). Hooks of
  // two threads may run in either order, so the hook reads the count again rather than trust
  // the order of its calls.
  if (edge && edge_hook_) edge_hook_(topic);
}

std::size_t TopicCounts::get(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::string(topic));
  return it == counts_.end() ? 0 : it->second;
}

void TopicCounts::totals(std::uint64_t& topics, std::uint64_t& subscriptions) const {
  std::lock_guard lock(mutex_);
  topics = counts_.size();
  subscriptions = subscriptions_;
}

Topic* TopicRegistry::find(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : it->second.get();
}

bool TopicRegistry::is_subscribed(const Subscriber& s, std::string_view topic) {
  for (const Subscription& sub : s.subscriptions) {
    if (sub.topic->name == topic) return true;
  }
  return false;
}

bool TopicRegistry::subscribe(Subscriber& s, std::string_view topic) {
  if (is_subscribed(s, topic)) return false;
  Topic* t = find(topic);
  if (t == nullptr) {
    auto owned = std::make_unique<Topic>();
    owned->name.assign(topic);
    t = owned.get();
    topics_.emplace(owned->name, std::move(owned));
  }
  t->subscribers.push_back({&s, s.subscriptions.size()});
  s.subscriptions.push_back({t, t->subscribers.size() - 1});
  counts_.add(topic, 1);
  return true;
}

void TopicRegistry::remove(Subscriber& s, std::size_t sub_index) {
  auto& subs = s.subscriptions;
  Topic* t = subs[sub_index].topic;
  // Take the subscriber out of the topic: the last subscriber moves into its slot.
  const std::size_t i = subs[sub_index].index;
  if (i + 1 != t->subscribers.size()) {
    t->subscribers[i] = t->subscribers.back();
    const Topic::Entry& moved = t->subscribers[i];
    moved.subscriber->subscriptions[moved.index].index = i;
  }
  t->subscribers.pop_back();
  // Take the topic out of the subscriber's list the same way.
  if (sub_index + 1 != subs.size()) {
    subs[sub_index] = subs.back();
    const Subscription& moved = subs[sub_index];
    moved.topic->subscribers[moved.index].index = sub_index;
  }
  subs.pop_back();
  counts_.add(t->name, -1);
  if (t->subscribers.empty()) topics_.erase(topics_.find(std::string_view(t->name)));
}

bool TopicRegistry::unsubscribe(Subscriber& s, std::string_view topic) {
  for (std::size_t j = 0; j < s.subscriptions.size(); ++j) {
    if (s.subscriptions[j].topic->name == topic) {
      remove(s, j);
      return true;
    }
  }
  return false;
}

void TopicRegistry::leave(Subscriber& s) {
  if (!s.queued.empty()) drop_queue(s);
  while (!s.subscriptions.empty()) remove(s, s.subscriptions.size() - 1);
}

void TopicRegistry::publish(std::string_view topic, const SharedFrame& frame,
                            const Subscriber* skip) {
  Topic* t = find(topic);
  if (t == nullptr) return;
  const auto index = static_cast<std::uint32_t>(frames_.size());
  frames_.push_back(frame);
  bool used = false;
  // By index: a burst drained below may run the drain callback, which can close a subscriber
  // (its backpressure policy) but never unsubscribes it before its close callback; the size
  // is re-read anyway.
  for (std::size_t i = 0; i < t->subscribers.size(); ++i) {
    Subscriber* s = t->subscribers[i].subscriber;
    if (s == skip) continue;
    if (s->queued.empty()) {
      s->dirty_slot = static_cast<std::uint32_t>(dirty_.size());
      dirty_.push_back(s);
    }
    s->queued.push_back(index);
    s->queued_bytes += frame->plain().size();
    used = true;
    if (s->queued_bytes >= flush_at) flush(*s);
  }
  if (!used) frames_.pop_back();  // nobody took it (it is the last one: nothing refers to it)
}

void TopicRegistry::flush(Subscriber& s) {
  if (s.queued.empty()) return;
  // The queue is taken out before the drain callback runs: whatever the callback writes to
  // the subscriber (the close frame of its backpressure policy) finds nothing left to flush.
  // The callback writes to its own subscriber only, so draining_ is never in use twice.
  draining_.swap(s.queued);
  drop_queue(s);
  // Parts on the stack for the usual few frames per iteration; more go in slices.
  constexpr std::size_t slice = 64;
  std::span<const std::uint8_t> parts[slice];
  std::span<const std::uint32_t> left(draining_);
  while (!left.empty()) {
    const std::size_t n = std::min(slice, left.size());
    for (std::size_t k = 0; k < n; ++k) parts[k] = frames_[left[k]]->frame_for(s.deflate);
    drain_(s, {parts, n});
    left = left.subspan(n);
  }
  draining_.clear();
  if (draining_.capacity() > 1024) draining_ = {};  // a burst's capacity is given back
}

void TopicRegistry::drop_queue(Subscriber& s) {
  dirty_[s.dirty_slot] = nullptr;
  s.queued.clear();
  s.queued_bytes = 0;
  // The usual few entries stay for the next iteration; a burst's capacity is given back.
  if (s.queued.capacity() > 1024) s.queued = {};
}

void TopicRegistry::flush() {
  if (dirty_.empty()) return;
  // A drain callback may close a subscriber but never publishes: nothing is queued meanwhile.
  for (Subscriber* s : dirty_) {
    if (s != nullptr) flush(*s);
  }
  dirty_.clear();
  frames_.clear();
}

std::size_t TopicRegistry::local_subscribers(std::string_view topic) const {
  const Topic* t = find(topic);
  return t == nullptr ? 0 : t->subscribers.size();
}

}  // namespace uvws::detail
