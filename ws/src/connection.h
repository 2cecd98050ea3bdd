// detail::Connection: one WebSocket connection, server or client side: the glue between a
// TCPConnection, its protocol (ServerProtocol or ClientProtocol) and the Endpoint's Handler.
// Private to ws/src. docs/ARCHITECTURE.md draws its read path and write path.
//
// It is the WebSocket the application holds (WebSocket is an empty base, so handing it out
// costs nothing). Read path: TCPConnection::on_data gives bytes in the loop's shared read
// buffer; the protocol parses them in place and reports events (ProtocolEvents, a private
// adaptor) with views into that buffer; those call the Handler. What the protocol owes the
// peer for that input (pongs, the close answer) it appends to a buffer of its caller's, which
// the connection writes before each event and when the call returns (write_owed, settle). Write
// path: a send hands the protocol send_buffer() — the loop's cork buffer, after the published
// frames queued for this connection — and the cork is flushed once per read or iteration. The
// protocol itself never writes, flushes or calls back into I/O.
//
// Its life, written once. The stage is the connection's (timer, reports, TCP); the protocol
// keeps its own ws::State (frames), and settle() brings the stage in line after each call.
//
//   stage      entered when                                timer           on_close owed
//   ---------  ------------------------------------------  --------------  -------------
//   handshake  accepted (server), TCP connected (client)   handshake       no
//   open       101 sent (server) / accepted (client);      idle, keepalive yes
//              on_open runs
//   close_sent we sent a close frame (start_close)         close           yes
//   closed     the exchange is over after open: both close  close (until    yes
//              frames, a failure, EOF, an I/O error,         the peer's FIN)
//              terminate
//   silent     it ends without on_close: the handshake was  close           no
//              answered with HTTP, refused or failed, or
//              the Client detached
//
// The close verbs: start_close (the close handshake; before open, drop the connection),
// terminate (abort TCP now, no close frame), detach (a Client going away: hear nothing more,
// then terminate). Beneath them: end_exchange (the protocol is done: the server shuts TCP down
// first, RFC 6455 7.1.1, a client waits for the server's FIN) and TCPConnection's own
// shutdown/close/abort. on_closed is always the last call.
//
// Server connections are made by a Server's listener and find their server through the loop's
// context (LoopContext) until the request names a route; client connections are made by a
// Client with its Endpoint and never touch a loop context (a Client may run on any loop).
//
// Ownership: self-owned (see TCPConnection); deleted after on_closed. Threads: its loop's.
// Handler exceptions are caught here (guard()), logged, and close the connection with 1011.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "endpoint.h"
#include "handle_token.h"
#include "pending_upgrade.h"
#include "protocol_events.h"
#include "request_data.h"
#include "server_context.h"
#include "timeouts.h"
#include "topics.h"
#include "uvws/handler.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/websocket.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::detail {

// Data messages (send, publish) are text or binary; any other opcode is the caller's mistake:
// std::invalid_argument naming `caller`. Inline: every send checks it.
[[noreturn]] void throw_not_data_opcode(const char* caller);
inline void require_data_opcode(Opcode opcode, const char* caller) {
  if (opcode != Opcode::text && opcode != Opcode::binary) throw_not_data_opcode(caller);
}

// Who asked for a close: after the application's, a Client does not reconnect.
enum class Initiator : std::uint8_t { uvws, application };

class Connection final : public net::TCPConnection, private ProtocolEvents, public WebSocket {
 public:
  // Server side: made by a listener of a Server whose LoopContext is `loop`'s context.
  explicit Connection(net::Loop& loop);
  // Client side: `endpoint` (with its client link) and `options` must outlive the connection,
  // or detach() it first.
  Connection(net::Loop& loop, const Endpoint& endpoint, const ws::ClientProtocolOptions& options);
  ~Connection() override;

  // The loop (TCPConnection's and WebSocket's, which say the same).
  net::Loop& loop() const { return net::TCPConnection::loop(); }

  // Client side: sends the opening handshake once TCP is connected.
  void start_client_handshake(std::string_view host_header, std::string_view target);
  // Client side: the Client is going away. The connection is terminated, and its Handler and
  // link hear nothing more (the caller reports what it owes the application).
  void detach();

  // on_open ran and on_close is owed (open, close_sent or closed).
  bool opened() const {
    return stage_ == Stage::open || stage_ == Stage::close_sent || stage_ == Stage::closed;
  }
  bool is_open() const { return protocol().state() == ws::State::open; }
  // Inline, as settings(): the message path asks for both several times per message.
  const ws::Protocol& protocol() const {
    if (client_) return slot_.client;
    return slot_.server;
  }
  // The server side's handshake request while on_open runs (nullptr otherwise and on clients).
  const ws::HTTPRequest* request() const;
  // The server side's route, or the client's endpoint (nullptr before a route is found).
  const Endpoint* endpoint() const { return endpoint_; }
  // What the route keeps of the request for the connection's life (request_data.h), or null.
  const KeptRequest* kept_request() const { return extras_ ? extras_->kept.get() : nullptr; }
  void* user_data() const { return user_data_; }
  void set_user_data(void* p) { user_data_ = p; }
  std::shared_ptr<WebSocketHandle::Token> token();

  // --- Sending (WebSocket's implementation) --------------------------------------------------
  SendStatus send(Opcode opcode, std::span<const std::uint8_t> data);
  SendStatus send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin);
  SendStatus send_control(Opcode opcode, std::span<const std::uint8_t> payload);
  // The one send path of data frames: a whole message (`fragment` false), or a fragment.
  SendStatus send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin,
                           bool fragment);

  // --- Closing (see the table above) ---------------------------------------------------------
  void start_close(std::uint16_t code, std::string_view reason, Initiator by = Initiator::uvws);
  void terminate(Initiator by = Initiator::uvws);

  // --- Flow control (connection_flow.cpp; WebSocket::pause_reading) ------------------------
  void pause_reading();
  void resume_reading();
  bool reading_paused() const { return app_paused_; }
  // Runs an application task on this connection (WebSocketHandle::post), guarded as a Handler
  // callback.
  void run_task(const std::function<void(WebSocket&)>& task);
  // Parses what the protocol held while reading was paused, as a read would (resume_reading()
  // posts it).
  void receive_held();

  // --- Asynchronous upgrade (connection_upgrade.cpp) -----------------------------------------
  // Applies the answer a PendingUpgrade posted (the loop's task calls it while the connection
  // waits for it).
  void answer_deferred();

  // --- Pub/sub (pubsub.cpp) -------------------------------------------------------------------
  bool subscribe(std::string_view topic);
  bool unsubscribe(std::string_view topic);
  bool is_subscribed(std::string_view topic) const;
  void publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode,
               bool include_self);
  // The registry's drain callback lands here: `frames` go out with one writev, unless the
  // connection cannot take them now (closing, a fragmented message under way, over its
  // backpressure limit: the policy decides), when they are dropped.
  void write_published(std::span<const std::span<const std::uint8_t>> frames);

 private:
  friend class ProtocolEvents;

  enum class Stage : std::uint8_t { handshake, open, close_sent, closed, silent };

  // --- net::TCPConnection hooks ---------------------------------------------------------------
  void on_accepted() override;
  void on_data(std::span<std::uint8_t> bytes) override;
  void on_eof() override;
  void on_error(std::error_code ec) override;
  void on_drain() override;
  void on_timer() override;
  void on_closed() override;

  // --- Protocol events (through ProtocolEvents) -----------------------------------------------
  void request_received(const ws::HTTPRequest& request);  // server (connection_upgrade.cpp)
  void handshake_accepted();                              // client
  void message_received(Opcode opcode, std::span<std::uint8_t> data);
  void fragment_received(Opcode opcode, std::span<std::uint8_t> data, bool fin);
  void ping_received(std::span<std::uint8_t> payload);
  void pong_received(std::span<std::uint8_t> payload);
  void protocol_failed(std::error_code ec);
  // Server side: counts the answer `status` to `request` (an upgrade, or plain HTTP), and a
  // handshake that failed (its HTTP error, or unanswered when the peer left).
  void count_answer(const ws::HTTPRequest& request, int status);
  void count_handshake_failure(std::error_code ec);
  // Counts a data message (or, in frame mode, a frame: `fin` ends the message) received.
  void count_received(Opcode opcode, std::size_t bytes, bool fin);

  // One receive call: `call(owed)` parses into the protocol with the owed-bytes buffer, then
  // settle() and after_receive(). Defined in connection.cpp, its only user.
  template <class Call>
  void receive(Call&& call);
  // After a receive call (a read, or held bytes): what it produced goes to the kernel now
  // (TCP would flush it when the read returns anyway), so that what the kernel refused counts
  // against the backpressure limit (which also covers pongs and echoes the peer does not read)
  // and the memory budget.
  void after_receive();
  // The pause ends (resume_reading, or a close that needs the peer's answer): reading and the
  // open timer restart, and the held bytes are parsed from a posted task.
  void end_pause();

  // --- Life -----------------------------------------------------------------------------------
  // Appends what the running receive call owes the peer so far (pongs, the close answer, an
  // HTTP error) to send_buffer(). Called by every protocol event before it runs, and by
  // settle(), so those bytes keep the order in which the protocol produced them.
  void write_owed() {
    // Inline: every protocol event calls it, and mostly nothing is owed.
    core::Buffer& owed = owed_buffer();
    if (!owed.empty()) write_owed(owed);
  }
  // write_owed() when `owed` (owed_buffer()) is not empty.
  void write_owed(core::Buffer& owed);
  // What a receive call owes the peer (pongs, the close answer, an HTTP error). The protocol
  // appends to it between its callbacks; the connection writes it at the start of every
  // callback and when the call returns (write_owed), so the wire order is the order in which
  // the protocol produced the bytes. One per thread: receive calls run from read callbacks
  // only and never nest; it is empty between them.
  static core::Buffer& owed_buffer() {
    thread_local core::Buffer owed;
    return owed;
  }
  // After a receive call: write_owed(), then end the exchange if the protocol is done.
  void settle();
  // The protocol is done: the stage becomes closed (after open) or silent; returns the stage
  // it had. No I/O.
  Stage conclude();
  // conclude(), then end TCP: the server shuts down first (RFC 6455 7.1.1), a client waits for
  // the server's FIN, under the close timeout; a client whose handshake failed closes at once.
  void end_exchange();
  // The handshake is done (either side): timers, counters, on_open.
  void opened_websocket();
  // Server side (connection_upgrade.cpp): answers 101 and opens (on_open runs), with
  // `user_data` set first; false when the protocol refused the request (protocol_failed ran).
  bool accept_upgrade(std::string_view subprotocol,
                      std::vector<std::pair<std::string, std::string>> headers, void* user_data);
  // On_upgrade deferred its answer: the connection waits for it (under the handshake timeout).
  void hold_upgrade(std::shared_ptr<PendingUpgrade::State> state);
  bool upgrade_pending() const { return extras_ && extras_->pending; }
  // The connection ends while its upgrade waits for an answer (on_closed).
  void abandon_pending_upgrade();
  // After a deferred answer: parses the frames that waited for it, as on_data does with a read.
  void resume_deferred();
  void arm_open_timer();
  // A failure goes to the client's link (with the refused response's HTTP status, if any),
  // then to the Handler's on_error (`ws` null when the connection never opened).
  void report_failure(std::error_code ec, WebSocket* ws, int http_status = 0);
  // Runs a Handler callback; an exception is logged and closes the connection with 1011.
  template <class F>
  void guard(F&& callback) {
    try {
      callback();
    } catch (const std::exception& e) {
      handler_threw(e.what());
    } catch (...) {
      handler_threw(nullptr);
    }
  }
  // `what` is the exception's message, or nullptr for one not derived from std::exception.
  void handler_threw(const char* what);

  // --- Writing --------------------------------------------------------------------------------
  // Where this connection's next frames go: the loop's cork buffer, after the published frames
  // queued for it (which are written first, so its bytes keep their order). Valid until the
  // next output on any connection of the loop: pass it straight to one protocol call.
  core::Buffer& send_buffer();
  // Checks the backpressure policy before a send: false when it must be dropped (and, with the
  // close policy, the connection is closing). admit_send() also requires the protocol open.
  // `messages` and `bytes`: what is being sent, counted if it is dropped.
  bool admit_send(std::size_t messages, std::size_t bytes) {
    return is_open() && admit_bytes(messages, bytes);
  }
  bool admit_bytes(std::size_t messages, std::size_t bytes) {
    // Inline: every send asks; under the limit is the common case.
    if (!closing() && TCPConnection::buffered_amount() <= settings().max_backpressure) {
      return true;
    }
    return admit_over_limit(messages, bytes);
  }
  // The rest of admit_bytes(): closing, or over the limit (the policy decides).
  bool admit_over_limit(std::size_t messages, std::size_t bytes);
  // Messages were dropped by the drop policy: counted, and reported to on_dropped at the
  // loop's next flush (server side; drop_reports.h).
  void note_dropped(std::size_t messages, std::size_t bytes);
  SendStatus status_after_send() {
    // Inline: after every send. A send adds to the loop's cork, and only what the kernel
    // refused (queued_amount) changes what this connection holds: with nothing queued and
    // the cork under the limit there is nothing to enforce. (Input held by the protocol is
    // accounted after each read, not here.) A connection that closed meanwhile (a failed
    // write) takes the slow path, which gives its held bytes back to the budget at once.
    if (!closing() && TCPConnection::queued_amount() == 0 &&
        TCPConnection::buffered_amount() <= settings().max_backpressure) {
      return SendStatus::ok;
    }
    return status_after_queued_send();
  }
  // The rest of status_after_send(): enforce_limits(), and backpressure when over the limit.
  SendStatus status_after_queued_send();
  // The receive side follows the send side: over max_backpressure (after a flush), reading
  // stops until the backlog has drained (on_drain). So a peer that sends without reading what
  // it causes (echoes, automatic pongs) holds at most the limit plus one read's answers; its
  // further bytes wait in the kernel, and TCP flow control slows it down. True when over.
  bool pause_reading_if_over_limit() {
    // Inline: checked after every send; over the limit is the rare case.
    if (TCPConnection::buffered_amount() <= settings().max_backpressure) return false;
    return pause_reading_over_limit();
  }
  // The rest of pause_reading_if_over_limit(), once over the limit (connection_send.cpp).
  bool pause_reading_over_limit();
  // After a read or a send: the backpressure limit (pause_reading_if_over_limit) and the memory
  // budget (account_held_bytes). True when over the backpressure limit.
  bool enforce_limits();

  // Counts the end of an open connection: `reported` is the code on_close gets.
  void count_close(LoopMetrics& m, std::uint16_t reported) const;

  // --- Memory budget (memory_budget.{h,cpp}) --------------------------------------------------
 public:
  // Tells the Handler what note_dropped() counted (drop_reports.cpp).
  void report_dropped();
  // Bytes this connection holds for undelivered input and unread output, as last accounted.
  std::size_t held_bytes() const { return held_; }
  // Fails the connection at once to bring the loop within its memory budget (the policy is in
  // memory_budget.h).
  void fail_for_memory_budget();

 private:
  // Brings held_ and the loop's sum up to date (server side); enforces the budget when the sum
  // is over it. After every read, send, drain and close.
  void account_held_bytes() {
    // Inline: runs after every read and send, and what is held mostly has not changed.
    if (client_) return;  // a Client's connections have no server budget
    std::size_t now = 0;
    if (!closing()) {
      now = std::min<std::size_t>(protocol().buffered_bytes() + queued_amount(),
                                  std::numeric_limits<std::uint32_t>::max());
    }
    if (now != held_) update_held_bytes(now);
  }
  // held_ becomes `now` (saturated): the loop's sum follows, and the budget is enforced when
  // the sum is over it.
  void update_held_bytes(std::size_t now);

  // The traffic counters of this connection's loop; nullptr on a client (a Client has no
  // metrics) and when ServerOptions::metrics is off.
  LoopMetrics* metrics() const { return client_ ? nullptr : ctx().traffic; }
  // The server state of this connection's loop (Loop::context()). Server side only.
  LoopContext& ctx() const { return *static_cast<LoopContext*>(loop().context()); }
  ClientLink* link() const { return endpoint_ != nullptr ? endpoint_->client : nullptr; }
  // The timeouts and limits in force (the server's until a route is found).
  const ConnectionSettings& settings() const {
    return endpoint_ != nullptr ? *endpoint_->settings : ctx().shared.settings;
  }
  ws::Protocol& protocol() {
    if (client_) return slot_.client;
    return slot_.server;
  }
  ws::ServerProtocol& server_protocol() { return slot_.server; }
  ws::ClientProtocol& client_protocol() { return slot_.client; }

  // What only some connections need, allocated on first use: the weak-handle token and the
  // pub/sub subscriber record.
  struct Extras {
    std::shared_ptr<WebSocketHandle::Token> token;
    Subscriber subscriber;
    // Drops not yet reported to on_dropped (drop_reports.h); `report_queued`: this connection
    // is in its loop's list of connections to report.
    std::size_t dropped_messages = 0;
    std::size_t dropped_bytes = 0;
    bool report_queued = false;
    // The upgrade waiting for its answer (pending_upgrade.h), from on_upgrade until then.
    std::shared_ptr<PendingUpgrade::State> pending;
    // The request data the route keeps (RouteOptions::keep_request, keep_headers).
    std::unique_ptr<KeptRequest> kept;
  };
  Extras& extras();

  // One protocol object, of the connection's role: the two classes add no state to Protocol,
  // so the union costs nothing over a ServerProtocol alone. `client_` says which is alive.
  union ProtocolSlot {
    ProtocolSlot() {}
    ~ProtocolSlot() {}
    ws::ServerProtocol server;
    ws::ClientProtocol client;
  };
  ProtocolSlot slot_;
  const Endpoint* endpoint_ = nullptr;
  void* user_data_ = nullptr;
  std::unique_ptr<Extras> extras_;
  Stage stage_ = Stage::handshake;
  Keepalive keepalive_;
  // One byte of flags, so that held_ fits in the same word (the memory budget above).
  bool backpressured_ : 1 = false;  // a send returned backpressure: on_drain is owed
  bool read_paused_ : 1 = false;    // reading stopped over max_backpressure (until on_drain)
  // write_owed() is writing the published frames queued before what the protocol owes (which
  // may be its close answer): they were published while the connection was open, and go first.
  bool flushing_before_owed_ : 1 = false;
  bool client_ : 1 = false;      // the role: which member of slot_ is alive
  bool counted_ : 1 = false;     // in ServerShared::connections (from on_accepted)
  bool app_paused_ : 1 = false;  // pause_reading(): the application stopped reading
  std::uint32_t held_ = 0;       // held_bytes(), saturated
};

}  // namespace uvws::detail
