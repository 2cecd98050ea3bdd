#include "uvws/core/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <mutex>
#include <stdexcept>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define UVWS_HAVE_ATFORK 1
#endif

namespace uvws::core {
namespace {

// Incremented in the child after every fork(); a pool filled under another value is stale.
std::atomic<unsigned> fork_generation{0};

void watch_forks() {
#ifdef UVWS_HAVE_ATFORK
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork(nullptr, nullptr,
                   [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  });
#endif
}

void fill(std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    const int chunk = static_cast<int>(std::min<std::size_t>(n, INT_MAX));
    if (RAND_bytes(p, chunk) != 1) throw std::runtime_error("uvws: RAND_bytes failed");
    p += chunk;
    n -= static_cast<std::size_t>(chunk);
  }
}

struct KeyPool {
  static constexpr std::size_t size = 512;
  std::uint8_t bytes[size];
  std::size_t pos = size;  // empty until first use
  unsigned generation = 0;

  std::uint32_t take() {
    const unsigned gen = fork_generation.load(std::memory_order_relaxed);
    if (pos + 4 > size || gen != generation) {
      watch_forks();
      fill(bytes, size);
      pos = 0;
      generation = gen;
    }
    std::uint32_t key;
    std::memcpy(&key, bytes + pos, sizeof key);
    pos += sizeof key;
    return key;
  }
};

thread_local KeyPool pool;

}  // namespace

void random_bytes(std::span<std::uint8_t> out) {
  fill(out.data(), out.size());
}

std::uint32_t random_mask_key() {
  return pool.take();
}

}  // namespace uvws::core
