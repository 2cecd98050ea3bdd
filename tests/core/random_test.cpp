#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <set>
#include <thread>
#include <vector>

#include "uvws/core/random.h"

using uvws::core::random_bytes;
using uvws::core::random_mask_key;

TEST_CASE("random_bytes fills the whole span with fresh bytes", "[core][random]") {
  std::array<std::uint8_t, 32> a{};
  std::array<std::uint8_t, 32> b{};
  random_bytes(a);
  random_bytes(b);
  REQUIRE(a != b);
  REQUIRE(a != std::array<std::uint8_t, 32>{});
  // The last byte is written too (a 1 in 2^64 chance of failing).
  std::array<std::uint8_t, 9> c{};
  bool last_written = false;
  for (int i = 0; i < 8 && !last_written; ++i) {
    random_bytes(c);
    last_written = c[8] != 0;
  }
  REQUIRE(last_written);
  random_bytes({});
}

TEST_CASE("random bytes have about half their bits set", "[core][random]") {
  std::vector<std::uint8_t> buf(1 << 16);
  random_bytes(buf);
  std::size_t ones = 0;
  for (std::uint8_t b : buf) ones += static_cast<std::size_t>(std::popcount(b));
  const double ratio = static_cast<double>(ones) / (8.0 * static_cast<double>(buf.size()));
  // 524288 bits: the standard deviation of the ratio is 0.0007.
  REQUIRE(ratio > 0.49);
  REQUIRE(ratio < 0.51);
}

TEST_CASE("masking keys are distinct across many calls, past pool refills", "[core][random]") {
  std::set<std::uint32_t> keys;
  for (int i = 0; i < 20000; ++i) keys.insert(random_mask_key());
  // 20000 draws from 2^32 values collide about 0.05 times on average.
  REQUIRE(keys.size() >= 19998);
  std::size_t bits = 0;
  for (std::uint32_t k : keys) bits |= k;
  REQUIRE(bits == 0xFFFFFFFFu);
}

TEST_CASE("each thread draws its own masking keys", "[core][random]") {
  constexpr int threads = 4;
  constexpr int per_thread = 2000;
  std::vector<std::vector<std::uint32_t>> drawn(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&drawn, t] {
      for (int i = 0; i < per_thread; ++i)
        drawn[static_cast<std::size_t>(t)].push_back(random_mask_key());
    });
  }
  for (auto& th : pool) th.join();
  std::set<std::uint32_t> all;
  for (const auto& v : drawn) all.insert(v.begin(), v.end());
  REQUIRE(all.size() >= threads * per_thread - 2);
}

TEST_CASE("a forked child does not repeat its parent's masking keys", "[core][random]") {
  random_mask_key();  // fill this thread's pool before forking
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::uint32_t k = random_mask_key();
    const bool ok = write(fds[1], &k, sizeof k) == static_cast<ssize_t>(sizeof k);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::uint32_t child_key = 0;
  const ssize_t got = read(fds[0], &child_key, sizeof child_key);
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == static_cast<ssize_t>(sizeof child_key));
  REQUIRE(random_mask_key() != child_key);
}
