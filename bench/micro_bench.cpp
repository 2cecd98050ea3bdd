// uvws_micro_bench: throughput of the per-byte hot paths on 1 MiB buffers, in one run, as GB/s
// and as a ratio to memcpy of the same size on the same machine.
//
// Each case is called repeatedly for about 0.3 s after one warm-up call; every call is timed,
// and the table shows the rate of the fastest call and of the median one. A call must take
// well over a microsecond (a case that measures small items, such as frames, processes a batch
// of them per call). Results are kept alive through keep() so the compiler cannot drop the
// work.
//
// Usage: uvws_micro_bench [seconds-per-case]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/utf8.h"
#include "uvws/ws/mask.h"

namespace {

using Clock = std::chrono::steady_clock;

// Makes the compiler assume `p`'s memory is read and written here, so the work that produced
// it cannot be optimised away.
inline void keep(const void* p) {
  asm volatile("" : : "r"(p) : "memory");
}

struct Case {
  const char* name;
  // What one call processes: bytes (reported as GB/s, with the ratio to memcpy) or items such
  // as frames (reported as millions per second).
  enum class Unit { bytes, items } unit;
  double per_call;
  std::function<void()> call;
};

struct Result {
  double best_calls_per_second;    // from the fastest call
  double median_calls_per_second;  // from the median call
};

// Times every call separately for about `seconds`. The machine is shared, so a call may be
// preempted or slowed by a neighbour: the fastest call measures the code, the median shows how
// much the figures were disturbed.
Result measure(const Case& c, double seconds) {
  c.call();  // warm-up: page faults, lazy dispatch, caches
  std::vector<double> times;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  do {
    const auto start = Clock::now();
    c.call();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  } while (Clock::now() < deadline || times.size() < 5);
  std::sort(times.begin(), times.end());
  return {1 / times.front(), 1 / times[times.size() / 2]};
}

constexpr std::size_t buffer_size = std::size_t{1} << 20;

// ASCII text, as most chat and JSON payloads are.
std::vector<std::uint8_t> ascii_text() {
  const std::string_view words =
      "{\"type\":\"message\",\"room\":\"lobby\",\"text\":\"hello there\"} ";
  std::vector<std::uint8_t> out;
  while (out.size() < buffer_size) out.insert(out.end(), words.begin(), words.end());
  out.resize(buffer_size);
  return out;
}

// Mixed scripts: ASCII with 2-byte (Latin, Greek, Cyrillic, Arabic), 3-byte (CJK, Hindi) and
// 4-byte (emoji) sequences, cut at a sequence boundary.
std::vector<std::uint8_t> multilingual_text() {
  const std::string_view phrases[] = {
      "Hello, world! ",    "Grüße aus Köln. ",
      "Καλημέρα κόσμε. ",  "Здравствуй, мир! ",
      "مرحبا بالعالم. ",   "你好，世界！",
      "こんにちは世界。",  "नमस्ते दुनिया। ",
      "안녕하세요 세계. ", "🙂🚀🎉 emoji 👍🏽 ",
      "ok 😀 fine 🌍 ",      "Ça va très bien. ",
  };
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; out.size() < buffer_size; ++i) {
    const std::string_view p = phrases[(i * 7) % std::size(phrases)];
    out.insert(out.end(), p.begin(), p.end());
  }
  std::size_t end = buffer_size;
  while ((out[end] & 0xC0) == 0x80) --end;
  out.resize(end);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
  const std::vector<std::uint8_t> ascii = ascii_text();
  const std::vector<std::uint8_t> multi = multilingual_text();
  std::vector<std::uint8_t> src = ascii;
  std::vector<std::uint8_t> dst(buffer_size);
  std::vector<std::uint8_t> payload = ascii;
  if (!uvws::core::is_valid_utf8(ascii) || !uvws::core::is_valid_utf8(multi)) {
    std::fprintf(stderr, "uvws_micro_bench: test text is not valid UTF-8\n");
    return 1;
  }
  const std::uint32_t key = uvws::ws::load_mask_key(
      std::data({std::uint8_t{0x37}, std::uint8_t{0xfa}, std::uint8_t{0x21}, std::uint8_t{0x3d}}));
  bool all_valid = true;
  const auto bytes = [](const std::vector<std::uint8_t>& v) {
    return static_cast<double>(v.size());
  };

  std::vector<Case> cases = {
      {"memcpy 1 MiB", Case::Unit::bytes, bytes(src),
       [&] {
         std::memcpy(dst.data(), src.data(), src.size());
         keep(dst.data());
       }},
      {"mask_in_place 1 MiB", Case::Unit::bytes, bytes(payload),
       [&] {
         uvws::ws::mask_in_place(payload, key, 1);
         keep(payload.data());
       }},
      {"mask_copy 1 MiB", Case::Unit::bytes, bytes(src),
       [&] {
         uvws::ws::mask_copy(dst.data(), src.data(), src.size(), key);
         keep(dst.data());
       }},
      {"Utf8Validator ASCII", Case::Unit::bytes, bytes(ascii),
       [&] {
         keep(ascii.data());
         uvws::core::Utf8Validator v;
         all_valid &= v.feed(ascii) && v.complete();
       }},
      {"Utf8Validator multilingual", Case::Unit::bytes, bytes(multi),
       [&] {
         keep(multi.data());
         uvws::core::Utf8Validator v;
         all_valid &= v.feed(multi) && v.complete();
       }},
      {"UTF-8 scalar path multilingual", Case::Unit::bytes, bytes(multi),
       [&] {
         keep(multi.data());
         all_valid &= uvws::core::detail::utf8_valid_scalar(multi.data(), multi.size());
       }},
      // Frame parser cases go here: {"parse 16-byte frames masked", Case::Unit::items,
      // frames_per_call, [&] { ... }}, and the same unmasked; each reports frames/s.
  };

  std::printf("%-32s %11s %10s %11s\n", "case", "best", "vs memcpy", "median");
  double memcpy_rate = 0;
  for (const Case& c : cases) {
    const Result r = measure(c, seconds);
    const double best = r.best_calls_per_second * c.per_call;
    const double median = r.median_calls_per_second * c.per_call;
    if (c.unit == Case::Unit::bytes) {
      if (memcpy_rate == 0) memcpy_rate = best;
      std::printf("%-32s %6.2f GB/s %9.2fx %6.2f GB/s\n", c.name, best / 1e9, best / memcpy_rate,
                  median / 1e9);
    } else {
      std::printf("%-32s %6.2f M/s  %10s %6.2f M/s\n", c.name, best / 1e6, "", median / 1e6);
    }
  }
  std::printf("avx2 UTF-8 path: %s\n", uvws::core::detail::utf8_has_avx2() ? "yes" : "no");
  return all_valid ? 0 : 1;
}
