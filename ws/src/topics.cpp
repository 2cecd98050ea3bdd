#include "topics.h"

#include <algorithm>

#include "connection.h"

namespace uvws::detail {

SharedFrame make_frame(ws::Opcode opcode, std::span<const std::uint8_t> payload) {
  auto buffer = std::make_shared<core::Buffer>();
  ws::Frame f;
  f.opcode = opcode;
  f.length = payload.size();
  f.payload = payload;
  ws::serialize(f, *buffer);
  return buffer;
}

void TopicCounts::add(std::string_view topic, std::ptrdiff_t delta) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::string(topic));
  if (it == counts_.end()) {
    if (delta > 0) counts_.emplace(std::string(topic), static_cast<std::size_t>(delta));
    return;
  }
  it->second = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(it->second) + delta);
  if (it->second == 0) counts_.erase(it);
}

std::size_t TopicCounts::get(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::string(topic));
  return it == counts_.end() ? 0 : it->second;
}

Topic* TopicRegistry::find(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : it->second.get();
}

bool TopicRegistry::is_subscribed(const std::vector<Subscription>& subs, std::string_view topic) {
  for (const Subscription& s : subs) {
    if (s.topic->name == topic) return true;
  }
  return false;
}

bool TopicRegistry::subscribe(Connection& c, std::vector<Subscription>& subs,
                              std::string_view topic) {
  if (is_subscribed(subs, topic)) return false;
  Topic* t = find(topic);
  if (t == nullptr) {
    auto owned = std::make_unique<Topic>();
    owned->name.assign(topic);
    t = owned.get();
    topics_.emplace(owned->name, std::move(owned));
  }
  t->subscribers.push_back({&c, subs.size()});
  subs.push_back({t, t->subscribers.size() - 1});
  counts_.add(topic, 1);
  return true;
}

void TopicRegistry::remove(std::vector<Subscription>& subs, std::size_t sub_index) {
  Topic* t = subs[sub_index].topic;
  // Take the connection out of the topic: the last subscriber moves into its slot.
  const std::size_t i = subs[sub_index].index;
  if (i + 1 != t->subscribers.size()) {
    t->subscribers[i] = t->subscribers.back();
    const Topic::Entry& moved = t->subscribers[i];
    moved.connection->subscriptions()[moved.index].index = i;
  }
  t->subscribers.pop_back();
  // Take the topic out of the connection's list the same way.
  if (sub_index + 1 != subs.size()) {
    subs[sub_index] = subs.back();
    const Subscription& moved = subs[sub_index];
    moved.topic->subscribers[moved.index].index = sub_index;
  }
  subs.pop_back();
  counts_.add(t->name, -1);
  if (t->subscribers.empty()) topics_.erase(topics_.find(std::string_view(t->name)));
}

bool TopicRegistry::unsubscribe(Connection&, std::vector<Subscription>& subs,
                                std::string_view topic) {
  for (std::size_t j = 0; j < subs.size(); ++j) {
    if (subs[j].topic->name == topic) {
      remove(subs, j);
      return true;
    }
  }
  return false;
}

void TopicRegistry::unsubscribe_all(std::vector<Subscription>& subs) {
  while (!subs.empty()) remove(subs, subs.size() - 1);
}

void TopicRegistry::publish(std::string_view topic, const SharedFrame& frame,
                            const Connection* skip) {
  Topic* t = find(topic);
  if (t == nullptr) return;
  const auto index = static_cast<std::uint32_t>(frames_.size());
  frames_.push_back(frame);
  bool used = false;
  // By index: queueing never runs application code, but a subscriber closed by the
  // backpressure policy stays listed until its close callback; the size is re-read anyway.
  for (std::size_t i = 0; i < t->subscribers.size(); ++i) {
    Connection* c = t->subscribers[i].connection;
    if (c == skip || !c->admit_published()) continue;
    Connection::Queue& q = c->publish_queue();
    if (q.frames.empty()) {
      q.dirty_slot = static_cast<std::uint32_t>(dirty_.size());
      dirty_.push_back(c);
    }
    q.frames.push_back(index);
    q.bytes += frame->size();
    used = true;
    // A burst (many publishes before the loop polls again) goes out as it grows, so that the
    // backpressure policy sees it in buffered_amount() rather than in an unbounded queue.
    if (q.bytes >= flush_at) flush(*c);
  }
  if (!used) frames_.pop_back();  // nobody took it (it is the last one: nothing refers to it)
}

void TopicRegistry::flush(Connection& c) {
  Connection::Queue& q = c.publish_queue();
  if (q.frames.empty()) return;
  // Parts on the stack for the usual few frames per iteration; more go in slices.
  constexpr std::size_t slice = 64;
  std::span<const std::uint8_t> parts[slice];
  std::span<const std::uint32_t> left(q.frames);
  while (!left.empty()) {
    const std::size_t n = std::min(slice, left.size());
    for (std::size_t k = 0; k < n; ++k) parts[k] = frames_[left[k]]->span();
    c.write_published({parts, n});
    left = left.subspan(n);
  }
  drop_queue(c);
  c.published_written();
}

void TopicRegistry::drop_queue(Connection& c) {
  Connection::Queue& q = c.publish_queue();
  dirty_[q.dirty_slot] = nullptr;
  q.frames.clear();
  q.bytes = 0;
  // The usual few entries stay for the next iteration; a burst's capacity is given back.
  if (q.frames.capacity() > 1024) q.frames = {};
}

void TopicRegistry::flush() {
  if (dirty_.empty()) return;
  // No application code runs here, so nothing is queued meanwhile.
  for (Connection* c : dirty_) {
    if (c != nullptr) flush(*c);
  }
  dirty_.clear();
  frames_.clear();
}

void TopicRegistry::forget(Connection& c) {
  Connection::Queue& q = c.publish_queue();
  if (!q.frames.empty()) drop_queue(c);
}

std::size_t TopicRegistry::local_subscribers(std::string_view topic) const {
  const Topic* t = find(topic);
  return t == nullptr ? 0 : t->subscribers.size();
}

}  // namespace uvws::detail
