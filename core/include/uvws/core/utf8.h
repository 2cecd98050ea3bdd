// Incremental UTF-8 validation for WebSocket text messages and close reasons.
//
// RFC 6455 8.1 requires a text message to be valid UTF-8 (RFC 3629) and allows an endpoint to
// fail the connection as soon as it sees bytes that cannot start a valid completion, even while
// a message is still arriving in fragments. So the validator is fed chunks in order and answers,
// for each chunk, whether everything fed so far is still a prefix of some valid UTF-8 string:
// 0xC0, 0xC1 and 0xF5-0xFF, overlong forms, surrogates (U+D800-U+DFFF), code points over
// U+10FFFF, stray or missing continuation bytes are all reported in the chunk that holds the
// first byte that makes the prefix impossible to complete (0xED 0xA0 fails at 0xA0, 0xF4 0x90 at
// 0x90, 0xE2 0x41 at 0x41).
//
// Ownership: a plain value of one byte, kept in every connection; it holds no memory.
// Threads: none of its own; used by the thread that owns the connection.
// Errors: feed() returns false; the validator then stays failed until reset().
//
// Speed: whole multi-byte sequences are checked 32 bytes at a time with AVX2 when the CPU has
// it (chosen once at run time), otherwise by a portable scalar path; both skip ASCII a block
// at a time. The bytes of a sequence split between two chunks go through a small DFA. A short
// all-ASCII chunk (the usual small text message) is cleared by a few word tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "uvws/core/export.h"

namespace uvws::core {

// Incremental UTF-8 validation, fed chunk by chunk (see the file comment).
class UVWS_EXPORT Utf8Validator {
 public:
  // Checks `bytes`, which follow the bytes given to earlier calls since the last reset().
  // Returns false when the bytes fed so far can no longer be completed into valid UTF-8
  // (including when an earlier call already failed), true otherwise. `bytes` is only read
  // during the call.
  bool feed(std::span<const std::uint8_t> bytes) {
    // Most text messages are short and ASCII, and arrive whole: between sequences, such a
    // chunk is valid as it is, and a few word tests cost less than feed_chunk()'s bulk set-up.
    if (state_ == 0 && bytes.size() < short_chunk && all_ascii(bytes.data(), bytes.size())) {
      return true;
    }
    return feed_chunk(bytes);
  }

  // True when the bytes fed so far are valid UTF-8 that does not end inside a sequence: a text
  // message is valid once its final fragment was fed and complete() holds.
  bool complete() const { return state_ == 0; }

  // True once feed() has failed.
  bool failed() const { return state_ == reject_state; }

  // Forgets everything fed, for the next message.
  void reset() { state_ = 0; }

  // The DFA state after a rejection (states are defined in utf8.cpp).
  static constexpr std::uint8_t reject_state = 1;

 private:
  // Chunks shorter than this are first tested for ASCII (all_ascii; longer ones go to the block
  // tests of feed_chunk() at once).
  static constexpr std::size_t short_chunk = 64;

  // True when none of the n (< short_chunk) bytes at p has its top bit set (utf8.cpp: word
  // loads, not a byte loop). Out of line so that no caller's compiler looks into word loads
  // past a chunk whose size it knows to be smaller (GCC's -Warray-bounds on a dead branch).
  static bool all_ascii(const std::uint8_t* p, std::size_t n) noexcept;

  // feed() for every chunk that is not short ASCII between sequences.
  bool feed_chunk(std::span<const std::uint8_t> bytes);

  std::uint8_t state_ = 0;  // 0: between sequences; else which bytes the next one may be
};

// True when `bytes` is complete, valid UTF-8.
UVWS_EXPORT bool is_valid_utf8(std::span<const std::uint8_t> bytes);

namespace detail {
// Validates bytes that start at a sequence boundary and must end at one. The two paths behind
// is_valid_utf8() are exposed so that tests check each alone; utf8_valid_avx2 may only be
// called when utf8_has_avx2() is true.
UVWS_EXPORT bool utf8_valid_scalar(const std::uint8_t* p, std::size_t n);
UVWS_EXPORT bool utf8_valid_avx2(const std::uint8_t* p, std::size_t n);
UVWS_EXPORT bool utf8_has_avx2();
}  // namespace detail

}  // namespace uvws::core
