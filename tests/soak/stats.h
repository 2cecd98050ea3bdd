// Stats: what the soak counted, printed at the end, and the failures it saw (the first few
// with their text, all of them counted).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace soak {

struct Stats {
  // The hot counters, as fields.
  std::uint64_t messages_sent = 0;
  std::uint64_t echoes = 0;
  std::uint64_t echo_bytes = 0;
  std::uint64_t pongs = 0;
  // Every other event, by name ("reset.after_handshake", "slow.completed", ...).
  std::map<std::string, std::uint64_t> events;

  std::uint64_t failures = 0;
  std::vector<std::string> failure_texts;

  void count(const std::string& event, std::uint64_t n = 1) { events[event] += n; }
  void fail(std::string text) {
    ++failures;
    if (failure_texts.size() < 20) {
      std::fprintf(stderr, "soak: FAIL %s\n", text.c_str());
      failure_texts.push_back(std::move(text));
    }
  }
};

}  // namespace soak
