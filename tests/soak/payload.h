// What the soak's peers send: text messages whose bytes follow from (peer, sequence number), so
// that an echo is checked byte by byte without keeping a copy. A message starts with its
// sequence number ("<seq>;") so that a peer whose echoes may be dropped (a stalled reader under
// the drop policy) can tell which message came back; the rest is lower-case ASCII (valid
// UTF-8, RFC 6455 5.6). Also the small random generator every peer draws its choices from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace soak {

// splitmix64: small, fast, and the same sequence for the same seed on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }
  // True with probability `percent` / 100.
  bool chance(double percent) { return static_cast<double>(next() % 1000000) < percent * 10000.0; }
  std::uint32_t mask_key() { return static_cast<std::uint32_t>(next()); }

 private:
  std::uint64_t state_;
};

// Byte `at` of message `seq` of peer `key`, past the "<seq>;" prefix.
inline char pattern_byte(std::uint64_t key, std::uint64_t seq, std::size_t at) {
  const std::uint64_t h = (key * 0x9E3779B1ULL) ^ (seq * 0x85EBCA77ULL) ^ (at * 0xC2B2AE3DULL);
  return static_cast<char>('a' + (h >> 7) % 26);
}

// Message `seq` of peer `key`, `len` bytes (the prefix is cut short in shorter messages).
inline std::string message(std::uint64_t key, std::uint64_t seq, std::size_t len) {
  std::string out = std::to_string(seq) + ";";
  if (out.size() > len) out.resize(len);
  for (std::size_t at = out.size(); at < len; ++at) out.push_back(pattern_byte(key, seq, at));
  return out;
}

// Checks `chunk`, which sits at `offset` in message (key, seq).
inline bool message_matches(std::uint64_t key, std::uint64_t seq, std::size_t offset,
                            const std::uint8_t* chunk, std::size_t n) {
  const std::string prefix = std::to_string(seq) + ";";
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = offset + i;
    const char want = at < prefix.size() ? prefix[at] : pattern_byte(key, seq, at);
    if (static_cast<char>(chunk[i]) != want) return false;
  }
  return true;
}

}  // namespace soak
