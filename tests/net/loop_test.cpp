#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>
#include <utility>
#include <vector>

#include "net/net_test_util.h"
#include "uvws/net/error.h"
#include "uvws/net/loop.h"

using namespace uvws::net;
using namespace uvws::net::test;

TEST_CASE("tasks posted from four threads all run on the loop thread in per-thread order",
          "[net][loop]") {
  LoopOptions options;
  options.keep_alive = true;  // run() waits for tasks, not for handles
  Loop loop(options);
  constexpr int threads = 4;
  constexpr int per_thread = 250;
  const auto loop_thread = std::this_thread::get_id();
  std::vector<std::pair<int, int>> ran;  // (thread, sequence), touched on the loop thread only
  bool all_on_loop_thread = true;

  std::vector<std::thread> posters;
  for (int t = 0; t < threads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        loop.post([&, t, i] {
          all_on_loop_thread = all_on_loop_thread && std::this_thread::get_id() == loop_thread;
          ran.emplace_back(t, i);
          if (ran.size() == threads * per_thread) loop.stop();
        });
      }
    });
  }
  loop.run();
  for (auto& p : posters) p.join();

  REQUIRE(ran.size() == threads * per_thread);
  CHECK(all_on_loop_thread);
  std::vector<int> next(threads, 0);
  bool in_order = true;
  for (const auto& [t, i] : ran) {
    in_order = in_order && i == next[static_cast<std::size_t>(t)];
    next[static_cast<std::size_t>(t)] = i + 1;
  }
  CHECK(in_order);
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("request_stop from another thread makes run return", "[net][loop]") {
  LoopOptions options;
  options.keep_alive = true;
  Loop loop(options);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(15));
  REQUIRE_FALSE(loop.close_all());
  CHECK_FALSE(loop.post([] {}));
  loop.request_stop();  // a no-op once closed
}

TEST_CASE("without keep_alive run returns once nothing keeps the loop alive", "[net][loop]") {
  Loop loop;
  int ran = 0;
  loop.post([&] {
    ++ran;
    loop.post([&] { ++ran; });  // posted while running: still before run() returns
  });
  // Neither the async handle nor the signal watcher keeps the loop running.
  REQUIRE_FALSE(loop.watch_signals({SIGUSR1}, [](int) {}));
  loop.run();
  CHECK(ran == 2);
  loop.post([&] { ++ran; });
  CHECK_FALSE(loop.run_once());
  CHECK(ran == 3);
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("a watched signal calls its handler on the loop thread", "[net][loop]") {
  Loop loop;
  int got = 0;
  REQUIRE_FALSE(loop.watch_signals({SIGUSR1, SIGUSR2}, [&](int signum) { got = signum; }));
  CHECK(loop.watch_signals({0}, [](int) {}) == uv_error(UV_EINVAL));
  {
    Pump pump(loop);
    REQUIRE(uv_kill(getpid(), SIGUSR2) == 0);
    REQUIRE(pump.until([&] { return got == SIGUSR2; }));
  }
  REQUIRE_FALSE(loop.close_all());
}

TEST_CASE("close_all closes handles it does not own and leaves uv_loop_close at 0", "[net][loop]") {
  Loop loop;
  uv_timer_t foreign;
  uv_timer_init(loop.uv(), &foreign);
  uv_timer_start(
      &foreign, [](uv_timer_t*) {}, 100000, 0);
  uv_check_t check;
  uv_check_init(loop.uv(), &check);
  REQUIRE_FALSE(loop.close_all());
  CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(&foreign)));
  CHECK_FALSE(loop.close_all());  // idempotent
}
