#include "connection.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>

#include "uvws/core/log.h"
#include "uvws/ws/handshake.h"

namespace uvws::detail {

// The per-connection memory budget (DESIGN: under 512 bytes of RSS per idle WebSocket): the
// union of the two protocol roles must not make a server connection any bigger.
static_assert(sizeof(Connection) <= 472, "detail::Connection grew beyond its memory budget");

namespace {

spdlog::logger& logger() {
  return core::log(core::Layer::ws);
}

std::uint32_t ms(std::chrono::milliseconds d) {
  return static_cast<std::uint32_t>(
      std::min<std::chrono::milliseconds::rep>(d.count(), 0x7FFFFFFF));
}

}  // namespace

void require_data_opcode(Opcode opcode, const char* caller) {
  if (opcode != Opcode::text && opcode != Opcode::binary) {
    throw std::invalid_argument(std::string(caller) + ": opcode must be text or binary");
  }
}

Connection::Connection(net::Loop& loop) : net::TCPConnection(loop) {
  new (&slot_.server)
      ws::ServerProtocol(&ctx().shared.protocol, static_cast<ws::ProtocolListener*>(this));
  ctx().shared.connections.fetch_add(1, std::memory_order_relaxed);
}

Connection::Connection(net::Loop& loop, const Endpoint& endpoint,
                       const ws::ClientProtocolOptions& options)
    : net::TCPConnection(loop), endpoint_(&endpoint), client_(true) {
  new (&slot_.client) ws::ClientProtocol(&options, static_cast<ws::ProtocolListener*>(this));
}

Connection::~Connection() {
  if (client_) {
    slot_.client.~ClientProtocol();
  } else {
    slot_.server.~ServerProtocol();
  }
}

ws::Protocol& Connection::protocol() {
  if (client_) return slot_.client;
  return slot_.server;
}

const ws::Protocol& Connection::protocol() const {
  if (client_) return slot_.client;
  return slot_.server;
}

const ws::HTTPRequest* Connection::request() const {
  return client_ ? nullptr : slot_.server.request();
}

const ConnectionSettings& Connection::settings() const {
  return endpoint_ != nullptr ? *endpoint_->settings : ctx().shared.settings;
}

namespace {

// Where a detached client connection points: a Handler that does nothing, no link.
const Endpoint& detached_endpoint() {
  static Handler silent;
  static const ConnectionSettings settings;
  static const Endpoint endpoint{{}, &silent, &settings, nullptr};
  return endpoint;
}

}  // namespace

void Connection::start_client_handshake(std::string_view host_header, std::string_view target) {
  phase_ = Phase::handshake;
  arm_timer(ms(settings().handshake_timeout));
  client_protocol().connect(host_header, target);
}

void Connection::detach() {
  endpoint_ = &detached_endpoint();
  opened_ = false;
  backpressured_ = false;
  terminate_websocket();
}

Connection::Extras& Connection::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

std::shared_ptr<WebSocketHandle::Token> Connection::token() {
  Extras& x = extras();
  if (!x.token) {
    x.token = std::make_shared<WebSocketHandle::Token>();
    x.token->loop = &loop();
    x.token->conn = this;
  }
  return x.token;
}

std::vector<Subscription>& Connection::subscriptions() {
  return extras().subscriptions;
}

bool Connection::subscribe(std::string_view topic) {
  // Topics are a server's: a client connection has none to join.
  if (client_ || !opened_ || closing()) return false;
  return ctx().topics.subscribe(*this, subscriptions(), topic);
}

bool Connection::unsubscribe(std::string_view topic) {
  if (client_ || !extras_) return false;
  return ctx().topics.unsubscribe(*this, extras_->subscriptions, topic);
}

bool Connection::is_subscribed(std::string_view topic) const {
  return extras_ && TopicRegistry::is_subscribed(extras_->subscriptions, topic);
}

void Connection::publish(std::string_view topic, std::span<const std::uint8_t> data, Opcode opcode,
                         bool include_self) {
  if (client_) throw std::logic_error("WebSocket::publish: topics exist on a server only");
  // Framed once; this loop's subscribers now, the other loops' through their task queues
  // (posted in order, so one publisher's messages keep their order everywhere).
  const SharedFrame frame = make_frame(opcode, data);
  ctx().topics.publish(topic, frame, include_self ? nullptr : this);
  for (LoopContext* other : ctx().shared.loops) {
    if (other == &ctx()) continue;
    other->loop.post(
        [other, name = std::string(topic), frame] { other->topics.publish(name, frame, nullptr); });
  }
}

template <class F>
void Connection::guard(F&& callback) {
  try {
    callback();
  } catch (const std::exception& e) {
    logger().error("handler threw: {}; closing the connection with 1011", e.what());
    close_websocket(ws::close_code::internal_error, {});
  } catch (...) {
    logger().error("handler threw a non-std exception; closing the connection with 1011");
    close_websocket(ws::close_code::internal_error, {});
  }
}

// ---------------------------------------------------------------------------------------
// TCP side

void Connection::on_accepted() {
  phase_ = Phase::handshake;
  arm_timer(ms(settings().handshake_timeout));
}

void Connection::on_data(std::span<std::uint8_t> bytes) {
  if (phase_ == Phase::ping_sent) {
    // Anything from the peer proves it alive: back to the idle timer.
    phase_ = Phase::open;
    arm_open_timer();
  } else if (phase_ == Phase::open) {
    touch();
  }
  protocol().receive_data_in_place(bytes);
}

void Connection::on_eof() {
  // The peer ended its side: after a close exchange that is the expected end; otherwise the
  // protocol reports 1006 (on_failed with unexpected_eof).
  protocol().receive_eof();
  TCPConnection::close();
}

void Connection::on_response(const ws::HTTPResponse&) {
  // The server accepted (checked by ClientProtocol: status, key, extensions, subprotocol).
  opened_websocket();
  // The response was only for on_open (subprotocol() is kept by the protocol).
  client_protocol().release_handshake();
}

void Connection::on_error(std::error_code ec) {
  logger().debug("connection {}: I/O error: {}", TCPConnection::remote_address(), ec.message());
  protocol().terminate();
  // A server connection without on_open has nobody to tell (no route, or a handshake error).
  if (opened_ || client_) report_failure(ec, opened_ ? this : nullptr);
}

void Connection::report_failure(std::error_code ec, WebSocket* ws, int http_status) {
  if (ClientLink* l = link()) l->connection_failed(ec, http_status);
  if (endpoint_ != nullptr) guard([&] { endpoint_->handler->on_error(ws, ec); });
}

void Connection::on_drain() {
  if (!backpressured_ || !opened_ || protocol().state() != ws::State::open) return;
  backpressured_ = false;
  guard([&] { endpoint_->handler->on_drain(*this); });
}

void Connection::on_timer() {
  switch (phase_) {
    case Phase::handshake:
      logger().debug("connection {}: handshake timeout", TCPConnection::remote_address());
      report_failure(std::make_error_code(std::errc::timed_out), nullptr);
      protocol().terminate();
      abort();
      return;
    case Phase::open: {
      const auto& o = settings();
      if (o.ping_interval.count() > 0) {
        // Keepalive (RFC 6455 5.5.2): a ping; the peer's pong, or anything else, resets the
        // timer, and silence for another interval (or what remains of the idle timeout) ends it.
        protocol().send_ping();
        if (ClientLink* l = link()) l->keepalive_ping_sent();
        phase_ = Phase::ping_sent;
        const auto wait = o.idle_timeout.count() > o.ping_interval.count()
                              ? o.idle_timeout - o.ping_interval
                              : o.ping_interval;
        arm_timer(ms(wait));
        return;
      }
      close_websocket(ws::close_code::going_away, "idle timeout");
      return;
    }
    case Phase::ping_sent:
      close_websocket(ws::close_code::going_away, "keepalive timeout");
      return;
    case Phase::closing:
      // The peer did not complete the close handshake (or TCP) in time.
      protocol().terminate();
      abort();
      return;
  }
}

void Connection::on_closed() {
  // Out of every topic first: counts are exact, and no publish reaches this connection, by the
  // time the handler hears of the close.
  if (extras_ && !client_) {
    ctx().topics.forget(*this);
    ctx().topics.unsubscribe_all(extras_->subscriptions);
  }
  const bool was_open = opened_;
  if (opened_) {
    opened_ = false;
    if (!client_) --ctx().open_websockets;
    const std::uint16_t code = protocol().close_code_to_report();
    const std::string_view reason = protocol().close_code_received() != 0
                                        ? protocol().close_reason_received()
                                        : std::string_view();
    guard([&] { endpoint_->handler->on_close(*this, code, reason); });
  }
  if (extras_ && extras_->token) {
    extras_->token->alive.store(false, std::memory_order_release);
    extras_->token->conn = nullptr;
  }
  if (client_) {
    if (ClientLink* l = link()) l->connection_closed(was_open);
  } else {
    ctx().shared.connections.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Connection::finish() {
  // The close timeout runs from our close frame: a close we started armed it already.
  const bool armed = phase_ == Phase::closing;
  phase_ = Phase::closing;
  // RFC 6455 7.1.1: the server closes TCP first. shutdown() sends FIN after the queued bytes
  // (our close frame); the peer's EOF, or the close timeout, closes the socket. A client waits
  // for the server's FIN (on_eof), so that TIME_WAIT stays on the server, or for the timeout.
  if (!client_) shutdown();
  if (!armed) arm_timer(ms(settings().close_timeout));
}

void Connection::arm_open_timer() {
  const auto& o = settings();
  auto wait = o.idle_timeout;
  if (o.ping_interval.count() > 0 && (wait.count() == 0 || o.ping_interval < wait)) {
    wait = o.ping_interval;
  }
  if (wait.count() > 0) {
    arm_timer(ms(wait));
  } else {
    disarm_timer();
  }
}

// ---------------------------------------------------------------------------------------
// Protocol side

void Connection::on_request(const ws::HTTPRequest& request) {
  const Endpoint* route = ctx().shared.find_route(request.path());
  if (route == nullptr) {
    server_protocol().reject(ws::Error::not_found);
    return;
  }
  endpoint_ = route;
  // A request without "Upgrade: websocket" is plain HTTP for the route's handler.
  if (!request.header_has_token("Upgrade", "websocket")) {
    answer_http(request, *route->handler);
    return;
  }
  open(request, *route->handler);
}

void Connection::answer_http(const ws::HTTPRequest& request, Handler& handler) {
  HttpReply reply;
  try {
    handler.on_http(request, reply);
  } catch (const std::exception& e) {
    logger().error("on_http threw: {}", e.what());
    reply = HttpReply{500, "text/plain; charset=utf-8", "500 Internal Server Error\n", {}};
  }
  server_protocol().reject(
      ws::http_response(reply.status, reply.content_type, reply.body, reply.headers));
}

void Connection::open(const ws::HTTPRequest& request, Handler& handler) {
  UpgradeDecision decision;
  try {
    decision = handler.on_upgrade(request);
  } catch (const std::exception& e) {
    logger().error("on_upgrade threw: {}", e.what());
    decision.accept = false;
    decision.status = 500;
  }
  if (!decision.accept) {
    server_protocol().reject(ws::http_response(decision.status, "text/plain; charset=utf-8",
                                               "refused\n", decision.headers));
    return;
  }
  if (handler.frame_mode()) protocol().set_options(&ctx().shared.protocol_frame_mode);
  ws::ServerProtocol::AcceptOptions accept;
  accept.subprotocol = decision.subprotocol;
  accept.headers = std::move(decision.headers);
  if (server_protocol().accept(accept)) return;  // refused: on_failed has run
  ++ctx().open_websockets;
  opened_websocket();
  // The request was only for on_open (query(), header()); an open connection keeps none.
  server_protocol().release_handshake();
}

void Connection::opened_websocket() {
  opened_ = true;
  phase_ = Phase::open;
  arm_open_timer();
  if (ClientLink* l = link()) l->connection_opened();
  guard([&] { endpoint_->handler->on_open(*this); });
}

void Connection::on_message(Opcode opcode, std::span<std::uint8_t> data) {
  guard([&] { endpoint_->handler->on_message(*this, Message(opcode, data)); });
}

void Connection::on_fragment(Opcode opcode, std::span<std::uint8_t> data, bool fin) {
  guard([&] { endpoint_->handler->on_fragment(*this, Message(opcode, data), fin); });
}

void Connection::on_ping(std::span<std::uint8_t> payload) {
  guard([&] { endpoint_->handler->on_ping(*this, payload); });
}

void Connection::on_pong(std::span<std::uint8_t> payload) {
  if (ClientLink* l = link()) l->pong_received();
  guard([&] { endpoint_->handler->on_pong(*this, payload); });
}

void Connection::on_close(std::uint16_t, std::string_view) {
  // The peer's close frame arrived and the protocol queued the answer: the exchange is over
  // (on_close reaches the handler when TCP ends, with the code).
  finish();
}

void Connection::on_failed(std::error_code ec) {
  if (ec == ws::Error::unexpected_eof) {
    // on_eof closes; on_close reports 1006. A client that never opened reports the failure
    // (the server hung up on its handshake).
    if (client_ && !opened_) report_failure(ec, nullptr);
    return;
  }
  const bool handshake = ec == ws::Condition::handshake_failed;
  if (ec != ws::Error::rejected) {
    logger().debug("connection {}: {}", TCPConnection::remote_address(), ec.message());
    const ws::HTTPResponse* response = client_ ? client_protocol().response() : nullptr;
    report_failure(ec, handshake ? nullptr : this,
                   handshake && response != nullptr ? response->status() : 0);
  }
  if (client_ && handshake) {
    // Nothing was established: nothing to wait for (RFC 6455 4.1: fail the connection).
    TCPConnection::close();
    return;
  }
  finish();
}

// ---------------------------------------------------------------------------------------
// Sending

bool Connection::admit_send() {
  if (protocol().state() != ws::State::open || closing()) return false;
  const auto& o = settings();
  if (TCPConnection::buffered_amount() <= o.max_backpressure) return true;
  // Over the limit already: the policy decides (ServerOptions::backpressure_policy).
  if (o.backpressure_policy == BackpressurePolicy::close) {
    close_websocket(ws::close_code::policy_violation, "backpressure");
  }
  return false;
}

SendStatus Connection::status_after_send() {
  const std::size_t limit = settings().max_backpressure;
  if (TCPConnection::buffered_amount() <= limit) return SendStatus::ok;
  // Over the limit: hand the corked bytes to the kernel now rather than after the callback.
  // What it refuses waits in a write whose completion calls on_drain; if it took everything,
  // nothing waits for the peer, and "backpressure" would promise an on_drain that never comes.
  flush();
  if (TCPConnection::buffered_amount() <= limit) return SendStatus::ok;
  backpressured_ = true;
  return SendStatus::backpressure;
}

SendStatus Connection::send(Opcode opcode, std::span<const std::uint8_t> data) {
  if (!admit_send() || !protocol().send_message(opcode, data)) return SendStatus::dropped;
  return status_after_send();
}

SendStatus Connection::send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin) {
  if (!admit_send() || !protocol().send_fragment(opcode, data, fin)) return SendStatus::dropped;
  return status_after_send();
}

bool Connection::admit_published() {
  // A whole data frame may not go out in the middle of a fragmented message (RFC 6455 5.4).
  return !protocol().sending_fragmented() && admit_send();
}

SendStatus Connection::send_control(Opcode opcode, std::span<const std::uint8_t> payload) {
  if (closing()) return SendStatus::dropped;
  const bool sent =
      opcode == Opcode::ping ? protocol().send_ping(payload) : protocol().send_pong(payload);
  return sent ? SendStatus::ok : SendStatus::dropped;
}

void Connection::close_websocket(std::uint16_t code, std::string_view reason) {
  if (closing()) return;
  switch (protocol().state()) {
    case ws::State::open:
      protocol().send_close(code, reason);
      phase_ = Phase::closing;
      arm_timer(ms(settings().close_timeout));
      return;
    case ws::State::connecting:
      protocol().terminate();
      TCPConnection::close();
      return;
    case ws::State::closing:
    case ws::State::closed:
      return;  // already on its way out
  }
}

void Connection::close_by_application(std::uint16_t code, std::string_view reason) {
  if (ClientLink* l = link()) l->close_requested();
  close_websocket(code, reason);
}

void Connection::terminate_by_application() {
  if (ClientLink* l = link()) l->close_requested();
  terminate_websocket();
}

void Connection::terminate_websocket() {
  protocol().terminate();
  abort();
}

void Connection::shut_down() {
  if (protocol().state() == ws::State::open) {
    close_websocket(ws::close_code::going_away, "server shutting down");
  } else if (protocol().state() == ws::State::connecting) {
    protocol().terminate();
    TCPConnection::close();
  }
}

}  // namespace uvws::detail
