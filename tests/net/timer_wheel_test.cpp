#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "uvws/net/loop.h"
#include "uvws/net/timer_wheel.h"

using namespace uvws::net;

namespace {

struct Item : TimerNode {
  int id = 0;
  int fired = 0;
  std::uint64_t fired_at = 0;  // uv_now() at the last expiry
  std::function<void(Item&)> on_fire;
};

// A wheel whose nodes are Items; records the expiry order.
struct WheelFixture {
  explicit WheelFixture(std::uint32_t tick_ms)
      : wheel(
            loop,
            [this](TimerNode& n) {
              auto& item = static_cast<Item&>(n);
              ++item.fired;
              item.fired_at = uv_now(loop.uv());
              order.push_back(item.id);
              if (item.on_fire) item.on_fire(item);
            },
            tick_ms) {
    uv_update_time(loop.uv());
    t0 = uv_now(loop.uv());
  }
  std::uint64_t since_start(const Item& item) const { return item.fired_at - t0; }

  Loop loop;
  TimerWheel wheel;
  std::vector<int> order;
  std::uint64_t t0 = 0;
};

}  // namespace

TEST_CASE("timer wheel expires nodes in deadline order and never early", "[net][timer]") {
  WheelFixture f(10);
  Item a, b, c, d;
  a.id = 1;
  b.id = 2;
  c.id = 3;
  d.id = 4;
  f.wheel.schedule(a, 60);
  f.wheel.schedule(b, 20);
  f.wheel.schedule(c, 40);
  f.wheel.schedule(d, 20);
  CHECK(f.wheel.size() == 4);
  CHECK(f.wheel.running());
  f.loop.run();  // returns by itself: the wheel's timer stops once the wheel is empty
  CHECK(f.order == std::vector<int>{2, 4, 3, 1});
  CHECK(f.since_start(b) >= 20);
  CHECK(f.since_start(c) >= 40);
  CHECK(f.since_start(a) >= 60);
  CHECK(f.since_start(a) < 60 + 50);
  CHECK(f.wheel.size() == 0);
  CHECK_FALSE(f.wheel.running());
  CHECK_FALSE(TimerWheel::scheduled(a));
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("timer wheel cancel and reschedule, also from inside an expiry", "[net][timer]") {
  WheelFixture f(10);
  Item cancelled, moved, self_rearming, victim;
  cancelled.id = 1;
  moved.id = 2;
  self_rearming.id = 3;
  victim.id = 4;
  f.wheel.schedule(cancelled, 20);
  f.wheel.schedule(moved, 20);
  f.wheel.schedule(self_rearming, 40);
  f.wheel.schedule(victim, 40);  // same slot, after self_rearming
  f.wheel.cancel(cancelled);
  f.wheel.cancel(cancelled);  // no-op
  f.wheel.schedule(moved, 100);
  self_rearming.on_fire = [&](Item& item) {
    f.wheel.cancel(victim);
    if (item.fired == 1) f.wheel.schedule(item, 30);
  };
  CHECK(f.wheel.size() == 3);
  f.loop.run();
  CHECK(cancelled.fired == 0);
  CHECK(victim.fired == 0);
  CHECK(moved.fired == 1);
  CHECK(f.since_start(moved) >= 100);
  CHECK(self_rearming.fired == 2);
  CHECK(f.since_start(self_rearming) >= 70);
  CHECK(f.order == std::vector<int>{3, 3, 2});
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("touch postpones a node to its delay after the last touch", "[net][timer]") {
  WheelFixture f(10);
  Item idle, toucher;
  idle.id = 1;
  toucher.id = 2;
  std::uint64_t last_touch = 0;
  toucher.on_fire = [&](Item& item) {
    f.wheel.touch(idle);
    last_touch = uv_now(f.loop.uv());
    if (item.fired < 3) f.wheel.schedule(item, 50);
  };
  f.wheel.schedule(idle, 100);
  f.wheel.schedule(toucher, 50);
  f.loop.run();
  CHECK(toucher.fired == 3);
  REQUIRE(idle.fired == 1);
  CHECK(last_touch - f.t0 >= 150);
  CHECK(idle.fired_at - last_touch >= 100);
  CHECK(idle.fired_at - last_touch < 100 + 50);
  Item never;
  f.wheel.touch(never);  // not scheduled: no effect
  CHECK_FALSE(TimerWheel::scheduled(never));
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("delays beyond the wheel's span expire on time, once", "[net][timer]") {
  WheelFixture f(1);  // 1 ms ticks: the 1024 slots span 1.024 s
  Item early, late;
  early.id = 1;
  late.id = 2;
  f.wheel.schedule(late, 1500);
  f.wheel.schedule(early, 300);
  f.loop.run();
  CHECK(f.order == std::vector<int>{1, 2});
  CHECK(late.fired == 1);
  CHECK(f.since_start(late) >= 1500);
  CHECK(f.since_start(late) < 1500 + 100);
  CHECK(f.since_start(early) >= 300);
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("the wheel's timer runs only while a node is scheduled", "[net][timer]") {
  WheelFixture f(100);
  Item item;
  CHECK_FALSE(f.wheel.running());
  f.wheel.schedule(item, 120000);
  CHECK(f.wheel.running());
  f.wheel.schedule(item, 5000);  // re-schedule: still one node
  CHECK(f.wheel.size() == 1);
  f.wheel.cancel(item);
  CHECK_FALSE(f.wheel.running());
  CHECK(f.wheel.size() == 0);
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("a wheel destroyed with scheduled nodes unlinks them", "[net][timer]") {
  Loop loop;
  Item item;
  {
    TimerWheel wheel(loop, [](TimerNode&) {});
    wheel.schedule(item, 1000);
    CHECK(TimerWheel::scheduled(item));
  }
  CHECK_FALSE(TimerWheel::scheduled(item));
  CHECK_THROWS_AS(TimerWheel(
                      loop, [](TimerNode&) {}, 0),
                  std::invalid_argument);
  REQUIRE_FALSE(loop.close_all());
}
