// Protocol: the sans-I/O WebSocket state machine shared by ServerProtocol and ClientProtocol.
//
// Bytes in (receive_data), events and bytes out; no sockets, no timers, no threads. The I/O
// glue feeds what it reads, dispatches the events, and writes what the protocol produces.
//
// Events go to a ProtocolListener, with views into the input (a message that arrived whole in
// the caller's buffer is delivered in place, never copied). Bytes to send go to the buffer
// that each producing call takes as its last parameter (`out`): a protocol call never does
// I/O and never writes anywhere else, so the caller always knows which call produced which
// bytes and decides when they are written.
//
// Parsing is incremental: any split of the input, down to one byte at a time, gives the same
// events. Payloads are unmasked in place and UTF-8-validated as they arrive, so an invalid text
// message fails at its first bad byte, and a message over the size limit fails as soon as a
// frame header announces it. After a failure nothing more is parsed: the close frame with the
// matching code (1002, 1007, 1009) is appended to `out` and the state is closed.
//
// States (RFC 6455 4, 7): connecting -> open -> closing (we sent a close frame and wait for
// the peer's) -> closed (close frames exchanged, failure, or EOF). The close handshake:
// a peer's close frame is answered with the same code (or an empty close when it carried
// none, reported as 1005); once closed, close_expected() tells the glue to end the TCP
// connection (a server at once, a client after waiting for the server to do so).
//
// Ownership: a Protocol is owned by its connection; `options` and `listener` are not owned
// and must outlive it. Threads: one at a time (the connection's loop thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/core/stream_reader.h"
#include "uvws/core/utf8.h"
#include "uvws/ws/error.h"
#include "uvws/ws/frame.h"
#include "uvws/ws/http_request.h"
#include "uvws/ws/http_response.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws::ws {

// The connection's state: connecting (handshake), open, closing (close sent or received), closed.
enum class State : std::uint8_t { connecting, open, closing, closed };
// Role (server or client) is declared with the frame checks, in frame.h.

// Limits and behaviour common to both roles. Plain values with safe defaults; validate()
// throws std::invalid_argument naming the bad field.
struct UVWS_EXPORT ProtocolOptions {
  // Largest message delivered, counted as data arrives (after inflating, when compressed).
  std::size_t max_message_size = 16u << 20;
  // Largest single frame accepted (its header announces it, so this fails before any payload).
  std::size_t max_frame_size = 16u << 20;
  // Deliver data frame by frame (ProtocolListener::on_fragment) instead of whole messages.
  bool frame_mode = false;
  // Answer pings with pongs automatically (RFC 6455 5.5.2 requires an answer; turn this off
  // only to answer them yourself).
  bool auto_pong = true;
  // Refuse payload lengths not in their shortest form (RFC 6455 5.2: "MUST be used").
  bool strict_lengths = true;
  // The handshake's header limits.
  HTTPLimits http;
  // Server: the subprotocols it supports, preferred first. Client: the ones it offers.
  std::vector<std::string> subprotocols;
  // permessage-deflate (RFC 7692): off unless enabled.
  DeflateOptions deflate;

  // Throws std::invalid_argument naming the first bad field.
  void validate() const;
};

// Receives what a Protocol parses. Called synchronously from the receive_*() calls (and from
// ServerProtocol::resume()); views are valid only during the call. A hook may call the
// protocol's send_*() (and, in on_request, accept() or reject()) with a buffer of its own.
class UVWS_EXPORT ProtocolListener {
 public:
  virtual ~ProtocolListener() = default;
  // Server: a complete HTTP request arrived; answer it with accept() or reject().
  virtual void on_request(const HTTPRequest&) {}
  // Client: the server accepted the handshake; the state is now open.
  virtual void on_response(const HTTPResponse&) {}
  // A whole text or binary message (not in frame_mode). Text is valid UTF-8.
  virtual void on_message(Opcode, std::span<std::uint8_t>) {}
  // One data frame's payload (frame_mode only); `opcode` is the message's (text or binary).
  virtual void on_fragment(Opcode, std::span<std::uint8_t>, bool /*fin*/) {}
  // A ping arrived (answered already when auto_pong).
  virtual void on_ping(std::span<std::uint8_t>) {}
  // A pong arrived.
  virtual void on_pong(std::span<std::uint8_t>) {}
  // The peer's close frame (code 1005 when it carried none). The answer is already in the
  // current call's `out`.
  virtual void on_close(std::uint16_t /*code*/, std::string_view /*reason*/) {}
  // The peer broke the protocol or the handshake failed, or the connection ended without a
  // close frame (Error::unexpected_eof). The answer (close frame / HTTP error), if any, is
  // already in the current call's `out`.
  virtual void on_failed(std::error_code) {}
};

// What send_close() accepts (RFC 6455 5.5.1, 7.4): a code allowed on the wire (or 0 for none,
// then no reason) and a reason of at most 123 bytes of UTF-8. std::invalid_argument otherwise.
// For callers that hand a close to another thread: check before posting.
UVWS_EXPORT void check_close_arguments(std::uint16_t code, std::string_view reason);

// The state machine both roles share: frames in and out, the close handshake, limits (see the file
// comment). Made as a ServerProtocol or a ClientProtocol.
class UVWS_EXPORT Protocol {
 public:
  Protocol(const Protocol&) = delete;
  Protocol& operator=(const Protocol&) = delete;

  // The connection's state.
  State state() const { return state_; }
  // Server or client.
  Role role() const { return role_; }

  // Feeds received bytes (copied as needed).
  //
  // `out` must stay valid for the whole call; it receives only what this call owes the peer
  // (automatic pongs, the answer to the peer's close, the close frame of a failure, the HTTP
  // error answer of a bad handshake), never data messages. The caller writes it after the
  // call, so owed control frames may follow data that listener callbacks sent meanwhile, which
  // RFC 6455 5.4/5.5 allows: control frames may be interleaved; the close answer is always
  // last (once it is appended the state is closed and every send_*() is refused). An owed
  // pong may even follow a close frame that a callback sent, which RFC 6455 5.5.1 allows (it
  // forbids only data frames after a close frame). Bytes a listener callback produced with
  // accept() or reject() inside on_request must be written before `out`. `out` may also be
  // the buffer the callbacks send into: nothing in it is held across a callback. When a
  // callback throws, the exception propagates and `out` keeps what was appended before it.
  void receive_data(std::span<const std::uint8_t> data, core::Buffer& out);
  void receive_data(std::string_view data, core::Buffer& out) {
    receive_data({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()}, out);
  }
  // Feeds received bytes without copying them: they are unmasked in place and delivered as
  // views; only an incomplete tail is copied. `data` may be modified and must stay valid for
  // the duration of the call only. `out` as for receive_data().
  void receive_data_in_place(std::span<std::uint8_t> data, core::Buffer& out);
  // The peer closed its side of the TCP connection. Produces no output (nothing can be owed
  // to a peer that is gone: RFC 6455 7.1.5 reports 1006 and sends nothing).
  void receive_eof();

  // Sending: each appends the frame to `out`. Each returns false (and appends nothing) when
  // the state does not allow it: data and pings only while open; close while open. A text
  // payload is sent as given (the application vouches for its UTF-8). Ping/pong payloads over
  // 125 bytes, and close reasons over 123 bytes or close codes not allowed on the wire, throw
  // std::invalid_argument.
  bool send_message(Opcode opcode, std::span<const std::uint8_t> data, core::Buffer& out);
  // Appends a text message (see send_message()).
  bool send_text(std::string_view text, core::Buffer& out);
  // Appends a binary message (see send_message()).
  bool send_binary(std::span<const std::uint8_t> data, core::Buffer& out);
  // One fragment of a message (RFC 6455 5.4): `opcode` is the message's (text or binary) on
  // every call; fin ends the message. No other data message may start until it ends.
  bool send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin,
                     core::Buffer& out);
  // Appends a ping (payload at most 125 bytes).
  bool send_ping(std::span<const std::uint8_t> payload, core::Buffer& out);
  // Appends a pong (payload at most 125 bytes).
  bool send_pong(std::span<const std::uint8_t> payload, core::Buffer& out);
  // Starts the close handshake (RFC 6455 5.5.1). code 0 sends a close frame with no code.
  bool send_close(std::uint16_t code, std::string_view reason, core::Buffer& out);

  // Flow control (WebSocket::pause_reading). While paused, parsing stops after the event
  // being delivered: the receive_*() calls only keep what they are given (the caller stops
  // reading, so that is at most the rest of one read, copied out of its buffer and counted in
  // buffered_bytes()), and no listener hook runs. Control frames wait too: a ping is answered
  // once parsing resumes. Unpausing parses nothing by itself: call receive_held().
  void set_receive_paused(bool paused) { receive_paused_ = paused; }
  // True while set_receive_paused(true) holds.
  bool receive_paused() const { return receive_paused_; }
  // Parses what earlier receive calls left unparsed (bytes held while paused), as
  // receive_data() would; `out` as for receive_data(). No-op while paused, while a receive
  // call is running (it continues by itself once the pause is lifted inside one of its hooks),
  // and once closed.
  void receive_held(core::Buffer& out);

  // True while a send_fragment() message is unfinished (no other data frame may go out).
  bool sending_fragmented() const { return sending_fragmented_; }

  // True once the TCP connection should end (see the state comment above).
  bool close_expected() const { return state_ == State::closed; }
  // Ends the protocol at once (the glue aborted the connection): nothing more is parsed.
  void terminate();

  // The close codes seen, 0 when none: what the peer sent and what we sent.
  std::uint16_t close_code_received() const { return close_received_; }
  // The close code we sent (0: none).
  std::uint16_t close_code_sent() const { return close_sent_; }
  // The code to report to the application for this connection's end: the peer's close frame
  // if one came (1005 if it had no code); else, when we failed the connection for a protocol
  // violation, that failure's code (1002, 1007, 1009; sent unless our own close frame had gone
  // out first); else 1006 (RFC 6455 7.1.5: EOF without the peer's close frame, also after we
  // sent ours).
  std::uint16_t close_code_to_report() const;
  // The reason of the peer's close frame (empty if none).
  std::string_view close_reason_received() const;

  // The negotiated subprotocol (empty if none) and whether permessage-deflate is on.
  std::string_view subprotocol() const;
  // permessage-deflate was negotiated. Inline: the server counts compressed traffic per message.
  bool compression_enabled() const { return compressing_; }
  // The permessage-deflate codec (nullptr unless compression_enabled()).
  const PerMessageDeflate* deflate() const;
  // Bytes of memory held for input not yet delivered: a message spanning reads or frames (its
  // reassembly buffer's capacity) and an incomplete frame's bytes. Zero between messages that
  // arrive whole. What a server's memory budget counts (ServerOptions::memory_budget).
  // Inline: the server asks after every read and send, and between messages it is zero.
  std::size_t buffered_bytes() const { return pending_ == nullptr ? 0 : pending_bytes(); }
  // For a connection gone quiet: permessage-deflate gives its zlib state back, keeping only
  // the window context takeover needs (PerMessageDeflate::release_idle). No-op without
  // compression. Any time; a message in progress keeps its stream.
  void release_idle();

 protected:
  // For the role classes: `options` and `listener` must outlive the protocol.
  Protocol(Role role, const ProtocolOptions& options, ProtocolListener& listener);
  // Not virtual: no vtable pointer in every connection. Own the role class (ServerProtocol or
  // ClientProtocol, both final), never a Protocol.
  ~Protocol();

  struct Extras;  // rarely needed state, allocated on demand (handshake, deflate, close reason)
  Extras& extras();
  // The listener the events go to.
  ProtocolListener& listener() { return *listener_; }

  // Consumes handshake bytes from reader() while connecting, through the role class's
  // receive_handshake() (dispatched on role_: no virtual call, no vtable pointer); false
  // stops parsing (need more bytes, or the handshake failed).
  bool receive_handshake(core::Buffer& out);
  // Fails the connection: appends the close frame for `e` to `out` (if the handshake is done
  // and no close was sent), stops parsing, reports on_failed.
  void fail(Error e, core::Buffer& out);
  // Fails the handshake: appends `http_answer` (may be empty) to `out`, closes, reports
  // on_failed.
  void fail_handshake(Error e, std::string_view http_answer, core::Buffer& out);
  // The handshake is done: the state becomes open.
  void set_open() { state_ = State::open; }
  // The next whole HTTP header block from reader() (consumed), or nullopt: need more bytes, or
  // (with `too_large` set) the block is over options_->http.max_header_bytes.
  std::optional<std::span<std::uint8_t>> read_header_block(bool& too_large);
  // Parses what earlier calls left unparsed (used after a handshake answer), as receive_data()
  // would with no new bytes.
  void parse_buffered(core::Buffer& out) { parse_input({}, {}, out); }
  // Turns permessage-deflate on with the negotiated `params`.
  void enable_deflate(const DeflateParams& params);
  // Frees extras_ when it holds nothing an open connection still needs (called once the
  // handshake messages are released), so that an idle connection without compression or
  // subprotocol costs one null pointer.
  void trim_extras();

  // The received bytes not parsed yet. Only inside a receive call (parsing_), when the parse
  // state is at hand (see Pending below).
  core::StreamReader& reader();
  // Always points to the role's own options type (ServerProtocolOptions or
  // ClientProtocolOptions): only the role classes set it, from parameters of that type, so
  // they may static_cast it back.
  const ProtocolOptions* options_;
  // The rarely needed state, or nullptr.
  std::unique_ptr<Extras> extras_;

 private:
  // The frame reader. Each takes the call's `out` for what parsing owes the peer (pongs, the
  // close answer, the close frame of a failure); false stops parsing.
  void parse(core::Buffer& out);
  bool parse_frame_header(core::Buffer& out);
  // The fast path for a whole unfragmented text or binary frame in reader()'s contiguous bytes:
  // nullopt when not taken (nothing consumed), else what read_data_payload() would return.
  std::optional<bool> read_whole_frame(core::Buffer& out);
  // Unmasks, validates (text) and delivers a frame that is a whole message (or, in frame
  // mode, a whole frame) without touching the parse state; false stops parsing.
  bool deliver_whole(Opcode opcode, std::span<std::uint8_t> payload, std::uint32_t mask_key,
                     core::Buffer& out);
  // Delivers the whole plain frames at the start of `data` while nothing is held (the common
  // read, with no parse state at all) and returns the rest, which the general path takes.
  std::span<std::uint8_t> receive_whole_frames(std::span<std::uint8_t> data, core::Buffer& out);
  bool read_control_frame(core::Buffer& out);
  bool read_data_payload(core::Buffer& out);
  bool accept_data(std::span<std::uint8_t> chunk, core::Buffer& out);
  bool accept_inflated(std::size_t before, std::optional<Error> inflate_error, core::Buffer& out);
  bool end_data_frame(core::Buffer& out);
  bool deliver_message(std::span<std::uint8_t> payload, core::Buffer& out);
  bool handle_close(std::span<std::uint8_t> payload, core::Buffer& out);
  bool validate_text(std::span<const std::uint8_t> bytes, core::Buffer& out);
  void write_frame(Opcode opcode, std::span<const std::uint8_t> payload, bool fin, bool rsv1,
                   core::Buffer& out);

  // The one receive path: copies `copy` or lends `lend` (at most one is non-empty) to the
  // reader, parses, and keeps what must outlive the call (see Pending).
  void parse_input(std::span<const std::uint8_t> copy, std::span<std::uint8_t> lend,
                   core::Buffer& out);
  // Ends a parse_input() call: copies the unread lent bytes out and, unless `nested` in another
  // receive call, gives the parse state back when nothing in it must outlive the call.
  void end_input(bool nested);
  // buffered_bytes() when pending_ is set.
  std::size_t pending_bytes() const;
  // Drops the parse state (terminate, EOF); inside a receive call, that call does as it ends.
  void drop_pending();

  // The parse state: the reader with its kept bytes, the frame being read and the message
  // being assembled (protocol_pending.h). It is needed only while a frame, a message or
  // unparsed bytes span receive calls, which an idle connection between messages never has,
  // so it is not part of the protocol: a receive call borrows one (its thread's spare) and
  // keeps it only when something must outlive the call; the call that finishes what it held
  // gives it back. `pending_` is owned, null when nothing is pending between calls, never null
  // inside parse_input(), and null inside receive_whole_frames(), which needs none.
  struct Pending;
  // A parse state for a call: the thread's spare one, else a new one.
  static Pending* borrow_pending();
  // Done with `pending`: it becomes the thread's spare when that has none and it is empty,
  // else it is deleted.
  static void give_back(Pending* pending);
  // The thread's spare parse state.
  struct Spare {
    Pending* pending = nullptr;  // owned; null when lent out or none yet
    bool gone = false;           // the thread's thread-local objects were destroyed
  };
  // This thread's Spare (protocol_receive.cpp).
  static Spare& spare_slot();
  Pending* pending_ = nullptr;
  ProtocolListener* listener_;  // never null
  State state_ = State::connecting;
  Role role_;
  // One byte of flags, so that the close codes fit in the same word as the state.
  bool sending_fragmented_ : 1 = false;
  bool receive_paused_ : 1 = false;  // set_receive_paused()
  bool parsing_ : 1 = false;         // inside parse_input(): receive_held() waits for it
  bool compressing_ : 1 = false;     // enable_deflate() ran: extras_->deflate is set for good
  std::uint16_t close_received_ = 0;
  std::uint16_t close_sent_ = 0;
};

}  // namespace uvws::ws
