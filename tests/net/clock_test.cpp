// Timers on a ManualClock: the TimerWheel and net::Timer fire exactly when the clock passes
// their deadline, whatever real time has passed, and a jump of the clock fires at once what is
// due. Every wait for the loop is a Pump with a deadline on the loop catching up with the clock.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net_test_util.h"
#include "uvws/net/clock.h"
#include "uvws/net/loop.h"
#include "uvws/net/timer.h"
#include "uvws/net/timer_wheel.h"

using namespace uvws::net;
using std::chrono::milliseconds;

namespace {

struct Item : TimerNode {
  int id = 0;
  int fired = 0;
  std::uint64_t fired_at = 0;  // the clock's time at the last expiry
  std::function<void(Item&)> on_fire;
};

// A loop on a ManualClock with a wheel of Items (not the loop's own wheel: any wheel on a loop
// follows its clock).
struct ClockFixture {
  explicit ClockFixture(std::uint32_t tick_ms)
      : loop(LoopOptions{.clock = &clock}),
        wheel(
            loop,
            [this](TimerNode& n) {
              auto& item = static_cast<Item&>(n);
              ++item.fired;
              item.fired_at = clock.now_ms();
              order.push_back(item.id);
              if (item.on_fire) item.on_fire(item);
            },
            tick_ms),
        pump(loop) {}

  // Moves the clock and runs the loop until it has run the timers now due.
  bool advance(std::uint64_t ms) {
    clock.advance(milliseconds(ms));
    return pump.until([&] { return clock.caught_up(); });
  }

  ManualClock clock;  // first: outlives the loop
  Loop loop;
  TimerWheel wheel;
  test::Pump pump;
  std::vector<int> order;
};

}  // namespace

TEST_CASE("a wheel on a manual clock fires when the clock reaches the deadline, never before",
          "[net][timer][clock]") {
  ClockFixture f(100);
  Item a, b, c;
  a.id = 1;
  b.id = 2;
  c.id = 3;
  f.wheel.schedule(a, 30000);
  f.wheel.schedule(b, 10000);
  f.wheel.schedule(c, 10050);  // rounded up to the next tick: 10100
  CHECK(f.loop.now_ms() == 0);

  REQUIRE(f.advance(9999));
  CHECK(f.order.empty());
  REQUIRE(f.advance(1));
  CHECK(f.order == std::vector<int>{2});
  CHECK(b.fired_at == 10000);
  REQUIRE(f.advance(99));
  CHECK(c.fired == 0);
  REQUIRE(f.advance(1));
  CHECK(c.fired == 1);
  CHECK(c.fired_at == 10100);
  REQUIRE(f.advance(19899));
  CHECK(a.fired == 0);
  REQUIRE(f.advance(1));
  CHECK(a.fired == 1);
  CHECK(a.fired_at == 30000);
  CHECK(f.order == std::vector<int>{2, 3, 1});
  CHECK(f.wheel.size() == 0);
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("real time does not fire a wheel's timers on a manual clock", "[net][timer][clock]") {
  ClockFixture f(1);  // 1 ms ticks: the wheel's uv timer wakes the loop every millisecond
  Item item;
  f.wheel.schedule(item, 5);
  CHECK(f.wheel.running());
  f.pump.run_for(30);  // six times the delay in real time, none on the clock
  CHECK(item.fired == 0);
  REQUIRE(f.advance(4));
  CHECK(item.fired == 0);
  REQUIRE(f.advance(1));
  CHECK(item.fired == 1);
  CHECK(item.fired_at == 5);
  CHECK_FALSE(f.wheel.running());
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("touch postpones a node on a manual clock to its delay after the touch",
          "[net][timer][clock]") {
  ClockFixture f(100);
  Item idle;
  f.wheel.schedule(idle, 30000);

  SECTION("touched on a tick boundary: due exactly its delay later") {
    REQUIRE(f.advance(10000));
    f.wheel.touch(idle);
    REQUIRE(f.advance(20000));  // the original deadline passes: moved, not fired
    CHECK(idle.fired == 0);
    CHECK(TimerWheel::scheduled(idle));
    REQUIRE(f.advance(9999));
    CHECK(idle.fired == 0);
    REQUIRE(f.advance(1));
    CHECK(idle.fired == 1);
    CHECK(idle.fired_at == 40000);
  }
  SECTION("touched between ticks: due at the first tick at or after touch + delay") {
    REQUIRE(f.advance(10050));
    f.wheel.touch(idle);
    REQUIRE(f.advance(30000));  // 40050: touch + delay, between two ticks
    CHECK(idle.fired == 0);
    REQUIRE(f.advance(49));
    CHECK(idle.fired == 0);
    REQUIRE(f.advance(1));
    CHECK(idle.fired == 1);
    CHECK(idle.fired_at == 40100);
  }
  SECTION("touched again and again: never due while touched within the delay") {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(f.advance(29900));
      f.wheel.touch(idle);
    }
    CHECK(idle.fired == 0);
    REQUIRE(f.advance(29999));
    CHECK(idle.fired == 0);
    REQUIRE(f.advance(1));
    CHECK(idle.fired == 1);
    CHECK(idle.fired_at == 10 * 29900 + 30000);
  }
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("a manual clock drives the wheel across many rounds", "[net][timer][clock]") {
  ClockFixture f(1);  // 1024 slots of 1 ms: a round is 1.024 s
  Item near, later, far, periodic;
  near.id = 1;
  later.id = 2;
  far.id = 3;
  periodic.id = 4;
  f.wheel.schedule(near, 500);
  f.wheel.schedule(later, 1500);     // the second round, slot 476
  f.wheel.schedule(far, 100000);     // about 98 rounds later, slot 672
  f.wheel.schedule(periodic, 3000);  // re-scheduled 3 s after each expiry
  std::vector<std::uint64_t> periodic_at;
  periodic.on_fire = [&](Item& item) {
    periodic_at.push_back(item.fired_at);
    f.wheel.schedule(item, 3000);
  };

  SECTION("in steps shorter than a round: each node fires on its own tick") {
    REQUIRE(f.advance(499));
    CHECK(f.order.empty());
    REQUIRE(f.advance(1));
    CHECK(f.order == std::vector<int>{1});
    REQUIRE(f.advance(999));
    CHECK(later.fired == 0);
    REQUIRE(f.advance(1));
    CHECK(later.fired_at == 1500);
    // Up to 100 s in steps of 0.9 s: the far node waits; the periodic one fires at the first
    // step at or after each deadline (3 s after it last fired), so 3 to 3.9 s apart.
    std::uint64_t now = 1500;
    while (now + 900 < 100000) {
      REQUIRE(f.advance(900));
      now += 900;
    }
    CHECK(far.fired == 0);
    REQUIRE(periodic_at.size() >= 25);
    CHECK(periodic_at.front() >= 3000);
    CHECK(periodic_at.front() < 3900);
    for (std::size_t i = 1; i < periodic_at.size(); ++i) {
      INFO("expiry " << i);
      CHECK(periodic_at[i] - periodic_at[i - 1] >= 3000);
      CHECK(periodic_at[i] - periodic_at[i - 1] < 3900);
    }
    REQUIRE(f.advance(100000 - 1 - now));
    CHECK(far.fired == 0);
    REQUIRE(f.advance(1));
    CHECK(far.fired == 1);
    CHECK(far.fired_at == 100000);
  }
  SECTION("in one jump over about 98 rounds: every node that is due fires once") {
    REQUIRE(f.advance(100000));
    CHECK(near.fired == 1);
    CHECK(later.fired == 1);
    CHECK(far.fired == 1);
    // A jump is one expiry pass: the periodic node fired once and is due 3 s after the jump.
    CHECK(periodic.fired == 1);
    REQUIRE(f.advance(2999));
    CHECK(periodic.fired == 1);
    REQUIRE(f.advance(1));
    CHECK(periodic.fired == 2);
    CHECK(periodic.fired_at == 103000);
  }
  f.wheel.cancel(periodic);
  REQUIRE_FALSE(f.loop.close_all());
}

TEST_CASE("net::Timer follows its loop's manual clock", "[net][timer][clock]") {
  ManualClock clock(milliseconds(5000));  // any origin
  Loop loop(LoopOptions{.clock = &clock});
  test::Pump pump(loop);
  const auto advance = [&](std::uint64_t ms) {
    clock.advance(milliseconds(ms));
    return pump.until([&] { return clock.caught_up(); });
  };
  CHECK(loop.now_ms() == 5000);
  Timer timer(loop);
  int fired = 0;
  std::uint64_t fired_at = 0;
  const auto record = [&] {
    ++fired;
    fired_at = clock.now_ms();
  };

  SECTION("fires when the clock passes start + ms, not before") {
    timer.start(30000, record);
    REQUIRE(advance(29999));
    CHECK(fired == 0);
    CHECK(timer.active());
    REQUIRE(advance(1));
    CHECK(fired == 1);
    CHECK(fired_at == 35000);
    CHECK_FALSE(timer.active());
    REQUIRE(advance(60000));
    CHECK(fired == 1);  // one-shot
  }
  SECTION("real time alone does not fire it") {
    timer.start(5, record);
    pump.run_for(30);
    CHECK(fired == 0);
    CHECK(timer.active());
    REQUIRE(advance(5));
    CHECK(fired == 1);
  }
  SECTION("stop and restart, also from its own callback") {
    timer.start(1000, record);
    REQUIRE(advance(500));
    timer.stop();
    REQUIRE(advance(1000));
    CHECK(fired == 0);
    timer.start(1000, [&] {
      record();
      timer.start(1000, record);
    });
    REQUIRE(advance(1000));
    CHECK(fired == 1);
    REQUIRE(advance(999));
    CHECK(fired == 1);
    REQUIRE(advance(1));
    CHECK(fired == 2);
    CHECK(fired_at == 5000 + 1500 + 2000);
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a manual clock knows its loops and when they have caught up", "[net][clock]") {
  ManualClock clock;
  CHECK_THROWS_AS(clock.advance(milliseconds(-1)), std::invalid_argument);
  CHECK(clock.loop_count() == 0);
  CHECK(clock.caught_up());

  SECTION("loops driven by this thread") {
    Loop a(LoopOptions{.clock = &clock});
    Loop b(LoopOptions{.clock = &clock});
    Loop plain;  // real time: not attached
    CHECK(plain.clock() == nullptr);
    CHECK(a.clock() == &clock);
    CHECK(clock.loop_count() == 2);
    CHECK(clock.caught_up());
    Timer ta(a);
    bool a_fired = false;
    ta.start(100, [&] { a_fired = true; });
    clock.advance(milliseconds(100));
    CHECK(clock.now_ms() == 100);
    CHECK_FALSE(clock.caught_up());  // neither loop has run
    test::Pump pa(a);
    test::Pump pb(b);
    // a catches up (its timer fires, and it reports at the end of that iteration); b, not yet
    // run, still holds the clock back.
    REQUIRE(pa.until([&] { return a_fired; }));
    CHECK_FALSE(clock.caught_up());
    REQUIRE(pb.until([&] { return clock.caught_up(); }));
    clock.advance(milliseconds(100));
    REQUIRE_FALSE(b.close_all());  // a closed loop holds nobody back
    CHECK(clock.loop_count() == 1);
    REQUIRE(pa.until([&] { return clock.caught_up(); }));
    REQUIRE_FALSE(a.close_all());
    CHECK(clock.loop_count() == 0);
    CHECK(clock.caught_up());
  }
  SECTION("a loop on its own thread: wait_caught_up() from another one") {
    Loop loop(LoopOptions{.keep_alive = true, .clock = &clock});
    Timer timer(loop);
    std::atomic<bool> fired{false};
    timer.start(10000, [&] { fired = true; });  // before run(): on the owning thread
    std::thread runner([&] { loop.run(); });
    clock.advance(milliseconds(9999));
    CHECK(clock.wait_caught_up());
    CHECK_FALSE(fired);
    clock.advance(milliseconds(1));
    CHECK(clock.wait_caught_up());
    CHECK(fired);
    loop.request_stop();
    runner.join();
    REQUIRE_FALSE(loop.close_all());
    CHECK(clock.loop_count() == 0);
  }
}
