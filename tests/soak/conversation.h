// Conversation: the messages of one client connection and the check of what the echo server
// sends back. Messages go out masked, sometimes fragmented with a ping between the fragments
// (RFC 6455 5.4 allows control frames inside a fragmented message); each echo must come back
// whole and in order (RFC 6455 6.1 keeps a connection's messages in order, and an echo server
// answers each in turn), each pong must carry its ping's payload (RFC 6455 5.5.3).
//
// With `allow_drops` (a peer that stalled its reading while the server's backpressure policy
// drops what it cannot send), whole echoes may be missing, but those that arrive must still be
// whole, unchanged and in order: a message is then identified by the sequence number it starts
// with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "payload.h"
#include "wire.h"

namespace soak {

class Conversation : private FrameReader::Sink {
 public:
  // Told of what the server sent, in order. Returning false from one of them stops the parse.
  class Owner {
   public:
    virtual bool on_echo() = 0;
    virtual bool on_ping(const std::string& payload) = 0;
    // `code` is 1005 when the close frame has no status (RFC 6455 7.1.5).
    virtual bool on_close_frame(unsigned code) = 0;

   protected:
    ~Owner() = default;
  };

  Conversation(Owner& owner, std::uint64_t key, bool allow_drops)
      : owner_(owner), key_(key), allow_drops_(allow_drops) {}

  // Appends message number next_seq() of `len` bytes; `rng` decides whether it is fragmented.
  void append_message(std::string& out, Rng& rng, std::size_t len);
  void append_ping(std::string& out, Rng& rng);

  // The server's bytes. False on anything RFC 6455 or the echo forbids: error() says what.
  bool receive(std::span<const std::uint8_t> bytes);
  const std::string& error() const { return error_; }

  std::uint64_t next_seq() const { return next_seq_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  std::size_t pings_outstanding() const { return pings_.size(); }
  std::uint64_t echoed() const { return echoed_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t pongs() const { return pongs_; }
  bool got_close() const { return got_close_; }

 private:
  struct Sent {
    std::uint64_t seq;
    std::size_t len;
  };

  bool on_header(const FrameReader::Header& h) override;
  bool on_payload(std::span<const std::uint8_t> chunk) override;
  bool on_end() override;
  bool fail(std::string what);
  bool finish_message();

  Owner& owner_;
  std::uint64_t key_;
  bool allow_drops_;
  FrameReader reader_;
  std::string error_;

  std::uint64_t next_seq_ = 0;
  std::deque<Sent> in_flight_;
  std::deque<std::string> pings_;
  std::uint64_t echoed_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t pongs_ = 0;
  bool got_close_ = false;

  // The frame being read.
  FrameReader::Header frame_;
  std::string control_;
  // The message being read: its offset so far (and its bytes, with allow_drops).
  bool in_message_ = false;
  std::size_t offset_ = 0;
  std::string whole_;
};

}  // namespace soak
