#include "connection.h"

#include <exception>
#include <stdexcept>
#include <string>

#include "log.h"

namespace uvws::detail {

// The per-connection memory budget: at most 400 bytes of RSS per idle WebSocket, tracked by
// bench/memory.sh at 1,000, 10,000 and 20,000 connections. 376 bytes is the most that stays
// within it: malloc rounds 376 + its 8-byte header up to a 384-byte chunk, and libuv's table
// of watchers adds 8 to 13 bytes per descriptor. Of the 376, libuv's uv_tcp_t is 248; the
// parse state an idle connection does not need is allocated only while it is needed
// (Protocol::Pending). The union of the two protocol roles must not make a server connection
// any bigger.
static_assert(sizeof(Connection) <= 376, "detail::Connection grew beyond its memory budget");

namespace {

// Where a detached client connection points: a Handler that does nothing, no link.
const Endpoint& detached_endpoint() {
  static Handler silent;
  static const ConnectionSettings settings;
  static const Endpoint endpoint{{}, &silent, &settings, nullptr};
  return endpoint;
}

}  // namespace

void throw_not_data_opcode(const char* caller) {
  throw std::invalid_argument(std::string(caller) + ": opcode must be text or binary");
}

Connection::Connection(net::Loop& loop) : net::TCPConnection(loop) {
  new (&slot_.server)
      ws::ServerProtocol(ctx().shared.protocol, static_cast<ProtocolEvents&>(*this));
}

Connection::Connection(net::Loop& loop, const Endpoint& endpoint,
                       const ws::ClientProtocolOptions& options)
    : net::TCPConnection(loop), endpoint_(&endpoint), client_(true) {
  new (&slot_.client) ws::ClientProtocol(options, static_cast<ProtocolEvents&>(*this));
}

Connection::~Connection() {
  if (client_) {
    slot_.client.~ClientProtocol();
  } else {
    slot_.server.~ServerProtocol();
  }
}

const ws::HTTPRequest* Connection::request() const {
  return client_ ? nullptr : slot_.server.request();
}

Connection::Extras& Connection::extras() {
  if (!extras_) {
    extras_ = std::make_unique<Extras>();
    extras_->subscriber.owner = this;
  }
  return *extras_;
}

void Connection::handler_threw(const char* what) {
  if (what != nullptr) {
    logger().error("handler threw: {}; closing the connection with 1011", what);
  } else {
    logger().error("handler threw a non-std exception; closing the connection with 1011");
  }
  start_close(ws::close_code::internal_error, {});
}

// ---------------------------------------------------------------------------------------
// Client side

void Connection::start_client_handshake(std::string_view host_header, std::string_view target) {
  stage_ = Stage::handshake;
  arm_timer(timer_ms(settings().handshake_timeout));
  client_protocol().connect(host_header, target, send_buffer());
}

void Connection::detach() {
  endpoint_ = &detached_endpoint();
  stage_ = Stage::silent;
  backpressured_ = false;
  terminate();
}

// ---------------------------------------------------------------------------------------
// TCP side

void Connection::on_accepted() {
  stage_ = Stage::handshake;
  arm_timer(timer_ms(settings().handshake_timeout));
  // Counted once its timer runs: whoever sees the count (Server::tcp_connection_count) may rely on
  // the handshake timeout being armed, e.g. a test that then moves a manual clock.
  ctx().shared.connections.fetch_add(1, std::memory_order_relaxed);
  counted_ = true;
  ctx().metrics.accepted.add();
}

void Connection::on_data(std::span<std::uint8_t> bytes) {
  if (LoopMetrics* m = metrics(); m != nullptr && stage_ != Stage::handshake) {
    m->wire_in.add(bytes.size());
    if (protocol().compression_enabled()) m->deflate_wire_in.add(bytes.size());
  }
  if (stage_ == Stage::open) {
    // Anything from the peer proves it alive (RFC 6455 5.5.2).
    if (keepalive_.activity()) {
      arm_open_timer();
    } else {
      touch();
    }
  }
  receive([&](core::Buffer& owed) { protocol().receive_data_in_place(bytes, owed); });
}

void Connection::receive_held() {
  receive([&](core::Buffer& owed) { protocol().receive_held(owed); });
}

template <class Call>
void Connection::receive(Call&& call) {
  core::Buffer& owed = owed_buffer();
  // Empty between receive calls, also when one throws: nothing can reach another peer.
  struct Clear {
    core::Buffer& owed;
    ~Clear() { owed.clear(); }
  } clear{owed};
  owed.clear();
  call(owed);
  settle();
  after_receive();
}

void Connection::after_receive() {
  // The messages this read delivered are counted where other threads read them before the
  // replies go out: whoever received an echo sees it counted (LoopMetrics::publish).
  if (LoopMetrics* m = metrics()) m->publish();
  flush();
  enforce_limits();
}

void Connection::on_eof() {
  // The peer ended its side: after a close exchange that is the expected end; otherwise the
  // protocol reports 1006 (protocol_failed with unexpected_eof). Nothing more can arrive.
  protocol().receive_eof();
  TCPConnection::close();
  conclude();
}

void Connection::on_error(std::error_code ec) {
  logger().debug("connection {}: I/O error: {}", TCPConnection::remote_address(), ec.message());
  protocol().terminate();
  conclude();  // TCP closes when this returns
  // A server connection that never opened has nobody to tell (no route, or a handshake error),
  // unless its upgrade was waiting for a deferred answer.
  if (opened() || client_ || upgrade_pending()) report_failure(ec, opened() ? this : nullptr);
}

void Connection::on_drain() {
  if (read_paused_) {
    read_paused_ = false;
    if (!closing() && !app_paused_) static_cast<void>(start_reading());
  }
  account_held_bytes();
  if (!backpressured_ || !is_open()) return;
  backpressured_ = false;
  guard([&] { endpoint_->handler->on_drain(*this); });
}

void Connection::on_timer() {
  switch (stage_) {
    case Stage::handshake:
      logger().debug("connection {}: handshake timeout", TCPConnection::remote_address());
      if (!client_) ctx().metrics.handshakes_unanswered.add();  // a handshake count: always
      report_failure(std::make_error_code(std::errc::timed_out), nullptr);
      terminate();
      return;
    case Stage::open: {
      std::uint32_t next = 0;
      switch (keepalive_.expired(settings(), next, protocol().compression_enabled())) {
        case Keepalive::Expiry::release_compression:
          protocol().release_idle();
          if (next != 0) {
            arm_timer(next);
          } else {
            disarm_timer();
          }
          return;
        case Keepalive::Expiry::send_ping:
          // send_buffer() writes queued published frames first; their backpressure policy
          // may have closed the connection (and armed the close timer) meanwhile.
          if (!protocol().send_ping(Keepalive::ping_payload(), send_buffer()) ||
              stage_ != Stage::open) {
            return;
          }
          if (LoopMetrics* m = metrics()) m->pings_out.add();
          if (ClientLink* l = link()) l->keepalive_ping_sent();
          arm_timer(next);
          return;
        case Keepalive::Expiry::idle:
          start_close(ws::close_code::going_away, "idle timeout");
          return;
        case Keepalive::Expiry::no_pong:
          start_close(ws::close_code::going_away, "keepalive timeout");
          return;
      }
      return;
    }
    case Stage::close_sent:
    case Stage::closed:
    case Stage::silent:
      // The peer did not complete the close handshake (or TCP) in time.
      terminate();
      return;
  }
}

void Connection::on_closed() {
  if (upgrade_pending()) abandon_pending_upgrade();
  // Out of every topic first: counts are exact, and no publish reaches this connection, by the
  // time the handler hears of the close.
  if (extras_ && !client_) {
    ctx().topics.leave(extras_->subscriber);
    if (extras_->report_queued) ctx().drops.remove(*this);
  }
  account_held_bytes();  // closing: the loop's sum forgets it
  const bool was_open = opened();
  if (was_open) {
    stage_ = Stage::silent;  // on_close is paid now
    if (!client_) {
      --ctx().open_websockets;
      ctx().shared.open_websockets.fetch_sub(1, std::memory_order_relaxed);
    }
    const std::uint16_t code = protocol().close_code_to_report();
    if (LoopMetrics* m = metrics()) count_close(*m, code);
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
  } else if (counted_) {
    ctx().shared.connections.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Connection::resume_deferred() {
  core::Buffer& owed = owed_buffer();
  struct Clear {  // as in on_data
    core::Buffer& owed;
    ~Clear() { owed.clear(); }
  } clear{owed};
  owed.clear();
  server_protocol().resume(owed);
  settle();
  after_receive();  // what the held input produced, as after a read
}

// ---------------------------------------------------------------------------------------
// Life

void Connection::write_owed(core::Buffer& owed) {
  if (extras_ && !extras_->subscriber.queued.empty()) {
    flushing_before_owed_ = true;
    ctx().topics.flush(extras_->subscriber);
    flushing_before_owed_ = false;
  }
  TCPConnection::output().append(owed.span());
  if (LoopMetrics* m = metrics()) m->wire_out.add(owed.size());
  owed.clear();
}

void Connection::settle() {
  write_owed();
  if (protocol().close_expected()) end_exchange();
}

Connection::Stage Connection::conclude() {
  const Stage before = stage_;
  switch (stage_) {
    case Stage::handshake:
      stage_ = Stage::silent;
      break;
    case Stage::open:
    case Stage::close_sent:
      stage_ = Stage::closed;
      break;
    case Stage::closed:
    case Stage::silent:
      break;
  }
  return before;
}

void Connection::end_exchange() {
  const Stage before = conclude();
  if (before == Stage::closed || before == Stage::silent || closing()) return;  // ending already
  if (client_ && before == Stage::handshake) {
    // Nothing was established: nothing to wait for (RFC 6455 4.1: fail the connection).
    TCPConnection::close();
    return;
  }
  // RFC 6455 7.1.1: the server closes TCP first. shutdown() sends FIN after the queued bytes
  // (our close frame); the peer's EOF, or the close timeout, closes the socket. A client waits
  // for the server's FIN (on_eof), so that TIME_WAIT stays on the server, or for the timeout.
  if (!client_) shutdown();
  // The close timeout runs from our close frame: a close we started armed it already.
  if (before != Stage::close_sent) arm_timer(timer_ms(settings().close_timeout));
}

void Connection::opened_websocket() {
  stage_ = Stage::open;
  if (!client_) {
    ++ctx().open_websockets;
    ctx().shared.open_websockets.fetch_add(1, std::memory_order_relaxed);
    if (LoopMetrics* m = metrics(); m != nullptr && protocol().compression_enabled()) {
      m->tally.used = m->tally.in.size();  // its messages count in the compressed slots
    }
  }
  arm_open_timer();
  if (ClientLink* l = link()) l->connection_opened();
  guard([&] { endpoint_->handler->on_open(*this); });
}

void Connection::arm_open_timer() {
  if (const std::uint32_t wait =
          Keepalive::open_delay(settings(), protocol().compression_enabled())) {
    arm_timer(wait);
  } else {
    disarm_timer();
  }
}

void Connection::report_failure(std::error_code ec, WebSocket* ws, int http_status) {
  if (ClientLink* l = link()) l->connection_failed(ec, http_status);
  if (endpoint_ != nullptr) guard([&] { endpoint_->handler->on_error(ws, ec); });
}

// ---------------------------------------------------------------------------------------
// Closing

void Connection::start_close(std::uint16_t code, std::string_view reason, Initiator by) {
  if (by == Initiator::application) {
    if (ClientLink* l = link()) l->close_requested();
  }
  if (closing()) return;
  switch (stage_) {
    case Stage::open:
      if (!protocol().send_close(code, reason, send_buffer())) return;
      stage_ = Stage::close_sent;
      arm_timer(timer_ms(settings().close_timeout));
      if (app_paused_) end_pause();  // the peer's close frame must be read
      return;
    case Stage::handshake:
      // The handshake failed and its answer is on its way (a handler threw in on_error):
      // settle() ends the exchange gracefully.
      if (protocol().close_expected()) return;
      // Nothing to say in WebSocket terms yet: drop the connection.
      protocol().terminate();
      TCPConnection::close();
      conclude();
      return;
    case Stage::close_sent:
    case Stage::closed:
    case Stage::silent:
      return;  // already on its way out
  }
}

void Connection::terminate(Initiator by) {
  if (by == Initiator::application) {
    if (ClientLink* l = link()) l->close_requested();
  }
  protocol().terminate();
  abort();
  conclude();
}

}  // namespace uvws::detail
