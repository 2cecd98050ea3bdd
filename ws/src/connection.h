// detail::Connection: one WebSocket connection, server or client side — the glue between a
// TCPConnection, its protocol (ServerProtocol or ClientProtocol) and the Endpoint's Handler.
// Private to ws/src.
//
// It is the WebSocket the application holds (WebSocket is an empty base, so handing it out
// costs nothing). The read path: TCPConnection::on_data gives bytes in the loop's shared read
// buffer; the protocol parses them in place and calls back (ProtocolListener) with views into
// that buffer; those callbacks call the Handler. The write path: the protocol appends frames
// to TCPConnection::output() (the loop's cork buffer), flushed once per read or iteration.
//
// One timer (the TCPConnection's slot on the loop's wheel) serves every timeout, by phase:
// handshake, idle/ping while open, close while closing.
//
// Server connections are made by a Server's listener and find their server through the loop's
// context (LoopContext) until the request names a route; client connections are made by a
// Client with its Endpoint and never touch a loop context (a Client may run on any loop).
// The two roles differ only where RFC 6455 makes them differ: who sends the handshake, and who
// closes TCP first (the server, 7.1.1: a client waits for the server's FIN).
//
// Ownership: self-owned (see TCPConnection); deleted after on_closed. Threads: its loop's.
// Handler exceptions are caught here (guard()), logged, and close the connection with 1011.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "endpoint.h"
#include "server_context.h"
#include "topics.h"
#include "uvws/handler.h"
#include "uvws/net/tcp_connection.h"
#include "uvws/websocket.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/server_protocol.h"

namespace uvws {

// Shared by a connection and its WebSocketHandles. `conn` is read and cleared on the loop
// thread only; `alive` may be read from any thread.
struct WebSocketHandle::Token {
  net::Loop* loop;
  detail::Connection* conn;
  std::atomic<bool> alive{true};
};

namespace detail {

// Data messages (send, publish) are text or binary; any other opcode is the caller's mistake:
// std::invalid_argument naming `caller`.
void require_data_opcode(Opcode opcode, const char* caller);

class Connection final : public net::TCPConnection, private ws::ProtocolListener, public WebSocket {
 public:
  // Server side: made by a listener of a Server whose LoopContext is `loop`'s context.
  explicit Connection(net::Loop& loop);
  // Client side: `endpoint` (with its client link) and `options` must outlive the connection,
  // or detach() it first.
  Connection(net::Loop& loop, const Endpoint& endpoint, const ws::ClientProtocolOptions& options);
  ~Connection() override;

  // Client side: sends the opening handshake once TCP is connected.
  void start_client_handshake(std::string_view host_header, std::string_view target);
  // Client side: the Client is going away. The connection is terminated, and its Handler and
  // link hear nothing more (the caller reports what it owes the application).
  void detach();
  bool opened() const { return opened_; }

  // WebSocket's implementation (websocket.cpp forwards here).
  // Checks the backpressure policy before queueing `bytes` more: false when they must be
  // dropped (and, with the close policy, the connection is closing).
  bool admit_send();
  SendStatus status_after_send();
  SendStatus send(Opcode opcode, std::span<const std::uint8_t> data);
  SendStatus send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin);
  SendStatus send_control(Opcode opcode, std::span<const std::uint8_t> payload);
  void close_websocket(std::uint16_t code, std::string_view reason);
  // close_websocket() / terminate_websocket() on the application's request (WebSocket::close,
  // terminate, a handle's close): a client does not reconnect after them.
  void close_by_application(std::uint16_t code, std::string_view reason);
  void terminate_by_application();
  void terminate_websocket();
  bool is_open() const { return protocol().state() == ws::State::open; }
  const ws::Protocol& protocol() const;
  // The server side's handshake request while on_open runs (nullptr otherwise and on clients).
  const ws::HTTPRequest* request() const;
  // The server side's route, or the client's endpoint (nullptr before a route is found).
  const Endpoint* endpoint() const { return endpoint_; }
  void* user_data() const { return user_data_; }
  void set_user_data(void* p) { user_data_ = p; }
  std::shared_ptr<WebSocketHandle::Token> token();

  // Pub/sub (topics.h).
  std::vector<Subscription>& subscriptions();
  bool subscribe(std::string_view topic);
  bool unsubscribe(std::string_view topic);
  bool is_subscribed(std::string_view topic) const;
  void publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode,
               bool include_self);
  // Published frames (topics.h): the queue of this iteration's frames for this subscriber,
  // whether one more may be queued (the backpressure policy, no fragmented message under
  // way), and the writing of the queue.
  struct Queue {
    std::vector<std::uint32_t> frames;  // indexes into the registry's frames
    std::size_t bytes = 0;              // their total size
    std::uint32_t dirty_slot = 0;       // this connection's place in the registry's list
  };
  Queue& publish_queue() { return extras().queue; }
  bool admit_published();
  void write_published(std::span<const std::span<const std::uint8_t>> parts) {
    write_shared(parts);
  }
  void published_written() { status_after_send(); }

  // The server is shutting down: 1001 to open connections, the rest are closed.
  void shut_down();

 private:
  enum class Phase : std::uint8_t { handshake, open, ping_sent, closing };

  // net::TCPConnection hooks.
  void on_accepted() override;
  void on_data(std::span<std::uint8_t> bytes) override;
  void on_eof() override;
  void on_error(std::error_code ec) override;
  void on_drain() override;
  void on_timer() override;
  void on_closed() override;

  // ws::ProtocolListener hooks.
  // Every frame the protocol writes comes here first: published frames queued for this
  // connection go out before it, so its bytes keep their order.
  core::Buffer& output() override {
    if (extras_ && !extras_->queue.frames.empty()) ctx().topics.flush(*this);
    return TCPConnection::output();
  }
  void on_request(const ws::HTTPRequest& request) override;
  void on_response(const ws::HTTPResponse& response) override;
  void on_message(Opcode opcode, std::span<std::uint8_t> data) override;
  void on_fragment(Opcode opcode, std::span<std::uint8_t> data, bool fin) override;
  void on_ping(std::span<std::uint8_t> payload) override;
  void on_pong(std::span<std::uint8_t> payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;
  void on_failed(std::error_code ec) override;

  void answer_http(const ws::HTTPRequest& request, Handler& handler);
  void open(const ws::HTTPRequest& request, Handler& handler);
  // The handshake is done (either side): timers, counters, on_open.
  void opened_websocket();
  // A failure goes to the client's link (with the refused response's HTTP status, if any),
  // then to the Handler's on_error (`ws` null when the connection never opened).
  void report_failure(std::error_code ec, WebSocket* ws, int http_status = 0);
  // Runs a Handler callback; an exception is logged and closes the connection with 1011.
  template <class F>
  void guard(F&& callback);
  // The WebSocket exchange is over: end TCP once the queued bytes are out.
  void finish();
  void arm_open_timer();
  // The server state of this connection's loop (Loop::context()). Server side only.
  LoopContext& ctx() const { return *static_cast<LoopContext*>(loop().context()); }
  bool is_client() const { return client_; }
  ClientLink* link() const { return endpoint_ != nullptr ? endpoint_->client : nullptr; }
  // The timeouts and limits in force (the server's until a route is found).
  const ConnectionSettings& settings() const;
  ws::Protocol& protocol();
  ws::ServerProtocol& server_protocol() { return slot_.server; }
  ws::ClientProtocol& client_protocol() { return slot_.client; }

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
  // What only some connections need, allocated on first use: the weak-handle token and the
  // pub/sub subscriptions.
  struct Extras {
    std::shared_ptr<WebSocketHandle::Token> token;
    std::vector<Subscription> subscriptions;
    Queue queue;
  };
  Extras& extras();
  std::unique_ptr<Extras> extras_;
  Phase phase_ = Phase::handshake;
  bool opened_ = false;         // on_open ran: on_close is owed
  bool backpressured_ = false;  // a send returned backpressure: on_drain is owed
  bool client_ = false;         // the role: which member of slot_ is alive
};

}  // namespace detail
}  // namespace uvws
