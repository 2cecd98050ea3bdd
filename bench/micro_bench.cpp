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
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/mask.h"
#include "uvws/ws/server_protocol.h"

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

// ---------------------------------------------------------------------------------------
// Frame parser cases: 20-byte binary frames (a 6-byte header and 14-byte payload masked, as
// clients send them, to a ServerProtocol; a 2-byte header and 18-byte payload unmasked to a
// ClientProtocol), parsed by an open protocol whose listener does nothing with the messages.
// Each call feeds the same 256 KiB buffer (13107 whole frames, 262140 bytes) in place, as
// the glue feeds the loop's read buffer, so every frame is delivered as a view, without a
// copy. The buffer can be fed again as it is: a ServerProtocol unmasks payloads in place,
// which changes only binary payload bytes, never the headers.

class NullListener final : public uvws::ws::ProtocolListener {
 public:
  void on_message(uvws::ws::Opcode, std::span<std::uint8_t> data) override {
    keep(data.data());
    ++messages;
  }
  void on_failed(std::error_code) override { failed = true; }

  std::size_t messages = 0;
  bool failed = false;
};

constexpr std::size_t parser_frame_size = 20;
constexpr std::size_t parser_frames_per_call = (std::size_t{256} << 10) / parser_frame_size;

// `parser_frames_per_call` copies of one 20-byte frame with opcode `b0`.
std::vector<std::uint8_t> parser_frames(std::uint8_t b0, bool masked) {
  const std::size_t header = masked ? 6 : 2;
  std::vector<std::uint8_t> frame(parser_frame_size, 'a');
  frame[0] = b0;
  frame[1] = static_cast<std::uint8_t>((masked ? 0x80 : 0) | (parser_frame_size - header));
  if (masked) {
    const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    std::memcpy(frame.data() + 2, key, 4);
    uvws::ws::mask_in_place({frame.data() + header, frame.size() - header},
                            uvws::ws::load_mask_key(key), 0);
  }
  std::vector<std::uint8_t> out;
  out.reserve(parser_frames_per_call * parser_frame_size);
  for (std::size_t i = 0; i < parser_frames_per_call; ++i) {
    out.insert(out.end(), frame.begin(), frame.end());
  }
  return out;
}

// An open server and an open client, by a handshake in memory, and their input.
struct ParserBench {
  ParserBench() : server(server_options, server_listener), client(client_options, client_listener) {
    uvws::core::Buffer request;
    uvws::core::Buffer response;
    client.connect("bench.example", "/", request);
    server.receive_data(request.span(), response);
    if (server.accept({}, response)) std::abort();
    client.receive_data(response.span(), request);
    if (client.state() != uvws::ws::State::open) std::abort();
  }

  uvws::ws::ServerProtocolOptions server_options;
  uvws::ws::ClientProtocolOptions client_options;
  NullListener server_listener;
  NullListener client_listener;
  uvws::ws::ServerProtocol server;
  uvws::ws::ClientProtocol client;
  uvws::core::Buffer out;  // what the parsed frames owe the peer: nothing (binary data only)
  std::vector<std::uint8_t> masked = parser_frames(0x82, true);
  std::vector<std::uint8_t> unmasked_binary = parser_frames(0x82, false);
  std::vector<std::uint8_t> unmasked_text = parser_frames(0x81, false);
};

// The parser cases, appended to the table by main().
void add_parser_cases(std::vector<Case>& cases, ParserBench& b) {
  const double frames = static_cast<double>(parser_frames_per_call);
  cases.push_back({"ServerProtocol 20 B masked", Case::Unit::items, frames,
                   [&b] { b.server.receive_data_in_place(b.masked, b.out); }});
  cases.push_back({"ClientProtocol 20 B unmasked", Case::Unit::items, frames,
                   [&b] { b.client.receive_data_in_place(b.unmasked_binary, b.out); }});
  cases.push_back({"ClientProtocol 20 B text", Case::Unit::items, frames,
                   [&b] { b.client.receive_data_in_place(b.unmasked_text, b.out); }});
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
  const std::uint8_t key_bytes[4] = {0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 5.7's key
  const std::uint32_t key = uvws::ws::load_mask_key(key_bytes);
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
  };
  ParserBench parser;
  add_parser_cases(cases, parser);

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
  if (parser.server_listener.failed || parser.client_listener.failed ||
      parser.server_listener.messages % parser_frames_per_call != 0 ||
      parser.client_listener.messages % parser_frames_per_call != 0) {
    std::fprintf(stderr, "uvws_micro_bench: the parser cases lost or refused frames\n");
    return 1;
  }
  return all_valid ? 0 : 1;
}
