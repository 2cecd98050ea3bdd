// StreamReader: the bytes a connection has received and not yet parsed.
//
// Non-blocking: every read either returns what was asked for or says "not enough yet"
// (an empty optional, or Line::need_more), and then consumes nothing, so the caller simply
// asks again after the next feed.
//
// Zero-copy feeding. Bytes can be fed two ways:
//  - feed_data() copies them into the reader's own buffer;
//  - lend() lets the reader read straight from the caller's buffer (for uvws, the loop's
//    shared read buffer). Reads then return spans into that buffer, so a frame that arrived
//    whole is parsed and delivered without a copy. Before the caller reuses its buffer it
//    calls reclaim(), which copies only the unread tail into the reader's own buffer.
// Bytes kept from earlier feeds always come before lent bytes.
//
// Spans returned by reads are mutable (the parser unmasks payloads in place) and stay valid
// until the next call that feeds, lends, reclaims or reads.
//
// Memory: the own buffer is allocated only while a tail is kept, and reclaim() frees it when
// nothing is left, so an idle reader holds no heap memory.
//
// Threads: none; used by the one thread that owns the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"

namespace uvws::core {

// The bytes a connection received and has not parsed yet (see the file comment).
class UVWS_EXPORT StreamReader {
 public:
  // Copies `data` after the bytes already held. Precondition: nothing is lent.
  void feed_data(std::span<const std::uint8_t> data);
  // Signals that no more bytes will come.
  void feed_eof() { eof_ = true; }

  // Reads from `data` in place until reclaim(). Precondition: nothing is lent already.
  // `data` must stay valid and unmodified by the caller until reclaim().
  void lend(std::span<std::uint8_t> data);
  // Copies the unread rest of the lent bytes into the own buffer and forgets the loan; frees
  // the own buffer if it is empty. Safe to call when nothing is lent.
  void reclaim();

  // Bytes available to read (kept plus lent).
  std::size_t available() const { return own_.size() + (lent_size_ - lent_pos_); }
  // Bytes of memory the reader holds (its own buffer's capacity: lent bytes are the caller's).
  std::size_t held_bytes() const { return own_.capacity(); }
  // True once EOF was fed and every byte has been read.
  bool at_eof() const { return eof_ && available() == 0; }
  // True once EOF was fed (bytes may still be available).
  bool eof_received() const { return eof_; }

  // Exactly n bytes, or nullopt (nothing consumed) when fewer are available.
  std::optional<std::span<std::uint8_t>> read_exact(std::size_t n);

  // Between 1 and max bytes (as many as are contiguous), or an empty span when none are
  // available. Used to stream a payload through without waiting for all of it.
  std::span<std::uint8_t> read_some(std::size_t max);

  // The next `n` bytes without consuming them, or nullopt if fewer are available.
  std::optional<std::span<std::uint8_t>> peek(std::size_t n) { return gather(n); }

  // The bytes readable without gathering (the kept ones when there are any, else the lent
  // ones), not consumed: a parser looks at them in place and then skip()s what it used, so
  // that a whole frame in one read costs no copy and no gather.
  std::span<std::uint8_t> contiguous() { return own_.empty() ? lent_rest() : own_.span(); }
  // Consumes the first `n` bytes of contiguous(). Precondition: n <= contiguous().size().
  // Spans from contiguous() stay valid as for reads.
  void skip(std::size_t n) {
    if (!own_.empty()) {
      own_.consume(n);
    } else {
      lent_pos_ += static_cast<std::uint32_t>(n);
    }
  }

  // The result of read_line() and read_to_eof().
  struct Line {
    // ok: `bytes` holds the result; need_more: feed more; too_long: over the limit; eof: EOF came
    // first.
    enum class Status : std::uint8_t { ok, need_more, too_long, eof };
    // The outcome.
    Status status;
    std::span<std::uint8_t> bytes;  // with status ok: the line including its "\n"
  };
  // A line ending in "\n" (at most `limit` bytes with it). need_more when no "\n" yet;
  // too_long when `limit` bytes hold no "\n"; eof when EOF came before a whole line.
  Line read_line(std::size_t limit);

  // Every byte up to EOF. need_more until EOF was fed; too_long (nothing consumed) when more
  // than `limit` bytes are held.
  Line read_to_eof(std::size_t limit);

  // Drops everything held and lent (used after a protocol failure).
  void discard();

 private:
  // Makes the first n available bytes contiguous (moving lent bytes into the own buffer if
  // some are kept there already) and returns them, without consuming.
  std::optional<std::span<std::uint8_t>> gather(std::size_t n);
  void consume(std::size_t n);
  std::span<std::uint8_t> lent_rest() { return {lent_ + lent_pos_, lent_size_ - lent_pos_}; }

  Buffer own_;
  std::uint8_t* lent_ = nullptr;
  std::uint32_t lent_size_ = 0;
  std::uint32_t lent_pos_ = 0;
  bool eof_ = false;
};

}  // namespace uvws::core
