// The topic registry alone (ws/src/topics.h): opaque subscribers and one drain callback, no
// connection, no loop. What it queues, what it drains, in which order, and what it forgets.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "topics.h"

using uvws::detail::make_frame;
using uvws::detail::SharedFrame;
using uvws::detail::Subscriber;
using uvws::detail::TopicCounts;
using uvws::detail::TopicRegistry;
using uvws::ws::Opcode;

namespace {

// What a drain callback received: per subscriber (its `owner` is an index), every call's
// frames, as payload strings (the 2-byte header of these short unmasked frames skipped).
struct Drained {
  std::vector<std::vector<std::vector<std::string>>> calls;  // [subscriber][call][frame]
};
Drained* drained = nullptr;

void record(Subscriber& s, std::span<const std::span<const std::uint8_t>> frames) {
  auto& mine = drained->calls[reinterpret_cast<std::size_t>(s.owner)];
  mine.emplace_back();
  for (auto f : frames) mine.back().emplace_back(f.begin() + 2, f.end());
}

SharedFrame text(const std::string& s) {
  return make_frame(Opcode::text, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

struct Fixture {
  Fixture() {
    drained = &log;
    log.calls.resize(3);
    for (std::size_t i = 0; i < 3; ++i) subs[i].owner = reinterpret_cast<void*>(i);
  }
  ~Fixture() { drained = nullptr; }
  Drained log;
  TopicCounts counts;
  TopicRegistry registry{counts, &record};
  Subscriber subs[3];
};

}  // namespace

TEST_CASE_METHOD(Fixture, "a registry drains each subscriber's frames once per flush, in order",
                 "[glue][topics]") {
  REQUIRE(registry.subscribe(subs[0], "a"));
  REQUIRE(registry.subscribe(subs[1], "a"));
  REQUIRE(registry.subscribe(subs[1], "b"));
  registry.publish("a", text("1"), nullptr);
  registry.publish("b", text("2"), nullptr);
  registry.publish("a", text("3"), &subs[0]);  // skipped: the publisher itself
  registry.publish("nobody", text("4"), nullptr);
  CHECK(log.calls[0].empty());  // nothing is written before the flush
  registry.flush();
  REQUIRE(log.calls[0].size() == 1);
  CHECK(log.calls[0][0] == std::vector<std::string>{"1"});
  REQUIRE(log.calls[1].size() == 1);  // one drain call (one writev) for three frames
  CHECK(log.calls[1][0] == std::vector<std::string>{"1", "2", "3"});
  CHECK(log.calls[2].empty());
  registry.flush();  // nothing queued: nothing drained
  CHECK(log.calls[1].size() == 1);
  CHECK(counts.get("a") == 2);
  CHECK(counts.get("b") == 1);
  CHECK(registry.local_subscribers("a") == 2);
}

TEST_CASE_METHOD(Fixture, "flushing one subscriber drains it alone, before its later frames",
                 "[glue][topics]") {
  REQUIRE(registry.subscribe(subs[0], "a"));
  REQUIRE(registry.subscribe(subs[1], "a"));
  registry.publish("a", text("1"), nullptr);
  registry.flush(subs[0]);  // e.g. something else is about to be written to subs[0]
  REQUIRE(log.calls[0].size() == 1);
  CHECK(log.calls[1].empty());
  registry.publish("a", text("2"), nullptr);
  registry.flush();
  REQUIRE(log.calls[0].size() == 2);
  CHECK(log.calls[0][1] == std::vector<std::string>{"2"});
  REQUIRE(log.calls[1].size() == 1);
  CHECK(log.calls[1][0] == std::vector<std::string>{"1", "2"});
}

TEST_CASE_METHOD(Fixture, "a subscriber that leaves is forgotten, queue and topics",
                 "[glue][topics]") {
  for (const char* t : {"a", "b", "c"}) {
    REQUIRE(registry.subscribe(subs[0], t));
    REQUIRE(registry.subscribe(subs[1], t));
  }
  CHECK_FALSE(registry.subscribe(subs[0], "a"));  // already
  registry.publish("a", text("1"), nullptr);
  registry.leave(subs[0]);
  CHECK(subs[0].subscriptions.empty());
  CHECK(subs[0].queued.empty());
  registry.flush();
  CHECK(log.calls[0].empty());
  REQUIRE(log.calls[1].size() == 1);
  // The other subscriber's bookkeeping survived the swap-and-pop removals.
  for (const char* t : {"a", "b", "c"}) {
    CHECK(TopicRegistry::is_subscribed(subs[1], t));
    CHECK(registry.local_subscribers(t) == 1);
    CHECK(counts.get(t) == 1);
  }
  REQUIRE(registry.unsubscribe(subs[1], "b"));
  CHECK_FALSE(registry.unsubscribe(subs[1], "b"));
  CHECK(registry.local_subscribers("b") == 0);
  CHECK(counts.get("b") == 0);
  registry.leave(subs[1]);
  CHECK(registry.local_subscribers("a") == 0);
}

TEST_CASE_METHOD(Fixture, "a burst is drained as it reaches 64 KiB, in slices of frames",
                 "[glue][topics]") {
  REQUIRE(registry.subscribe(subs[0], "a"));
  const std::string big(1000, 'x');
  std::size_t published = 0;
  while (log.calls[0].empty()) {
    registry.publish("a", text(big), nullptr);
    ++published;
    REQUIRE(published < 100);
  }
  // 66 frames of 1,004 bytes reach 64 KiB; they go out in slices of at most 64 parts.
  std::size_t frames = 0;
  for (const auto& call : log.calls[0]) {
    CHECK(call.size() <= 64);
    frames += call.size();
  }
  CHECK(frames == published);
  CHECK(subs[0].queued.empty());
  registry.flush();
}
