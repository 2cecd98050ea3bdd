// detail::Connection's write side (connection.h): the buffer frames go to, the backpressure
// policy, and the sends of WebSocket and of published frames. docs/ARCHITECTURE.md, "The
// write path".
#include "connection.h"

namespace uvws::detail {

core::Buffer& Connection::send_buffer() {
  if (extras_ && !extras_->subscriber.queued.empty()) ctx().topics.flush(extras_->subscriber);
  return TCPConnection::output();
}

bool Connection::admit_over_limit(std::size_t messages, std::size_t bytes) {
  // admit_bytes() found the connection closing or over the limit.
  if (closing()) return false;
  // Over the limit already: the policy decides (ServerOptions::backpressure_policy).
  if (settings().backpressure_policy == BackpressurePolicy::close) {
    start_close(ws::close_code::policy_violation, "backpressure");
  } else {
    note_dropped(messages, bytes);
  }
  return false;
}

bool Connection::enforce_limits() {
  const bool over = pause_reading_if_over_limit();
  account_held_bytes();
  return over;
}

SendStatus Connection::status_after_queued_send() {
  if (!enforce_limits()) return SendStatus::ok;
  backpressured_ = true;
  if (LoopMetrics* m = metrics()) m->backpressure.add();
  return SendStatus::backpressure;
}

bool Connection::pause_reading_over_limit() {
  const std::size_t limit = settings().max_backpressure;
  // Over the limit: hand the corked bytes to the kernel now rather than after the callback.
  // What it refuses waits in a write whose completion calls on_drain; if it took everything,
  // nothing waits for the peer, and "backpressure" would promise an on_drain that never comes.
  flush();
  if (TCPConnection::buffered_amount() <= limit) return false;
  if (reading()) {
    stop_reading();
    read_paused_ = true;
    if (LoopMetrics* m = metrics()) m->read_pauses.add();
  }
  return true;
}

SendStatus Connection::send(Opcode opcode, std::span<const std::uint8_t> data) {
  return send_fragment(opcode, data, true, false);
}

SendStatus Connection::send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin) {
  return send_fragment(opcode, data, fin, true);
}

SendStatus Connection::send_fragment(Opcode opcode, std::span<const std::uint8_t> data, bool fin,
                                     bool fragment) {
  if (!admit_send(1, data.size())) return SendStatus::dropped;
  core::Buffer& out = send_buffer();
  const std::size_t before = out.size();
  ws::Protocol& p = protocol();
  const bool sent =
      fragment ? p.send_fragment(opcode, data, fin, out) : p.send_message(opcode, data, out);
  if (!sent) return SendStatus::dropped;
  if (LoopMetrics* m = metrics()) {
    TrafficTally::Slot& s = m->tally.out[TrafficTally::slot(p.compression_enabled(), opcode)];
    s.messages += fin;
    s.bytes += data.size();
    s.wire += out.size() - before;
  }
  return status_after_send();
}

SendStatus Connection::send_control(Opcode opcode, std::span<const std::uint8_t> payload) {
  if (closing()) return SendStatus::dropped;
  core::Buffer& out = send_buffer();
  const std::size_t before = out.size();
  const bool sent = opcode == Opcode::ping ? protocol().send_ping(payload, out)
                                           : protocol().send_pong(payload, out);
  if (!sent) return SendStatus::dropped;
  if (LoopMetrics* m = metrics()) {
    (opcode == Opcode::ping ? m->pings_out : m->pongs_out).add();
    m->wire_out.add(out.size() - before);
  }
  return SendStatus::ok;
}

void Connection::write_published(std::span<const std::span<const std::uint8_t>> frames) {
  // Published while the connection was open: they go out unless our close frame went first
  // (RFC 6455 5.5.1) — also when the peer's close, read in this call, is about to be answered
  // (write_owed puts them ahead of the answer). A whole data frame may not go out in the middle
  // of a fragmented message (RFC 6455 5.4).
  const bool open = stage_ == Stage::open && (is_open() || flushing_before_owed_);
  if (!open) return;
  std::size_t bytes = 0;
  for (const auto& f : frames) bytes += f.size();
  if (protocol().sending_fragmented()) {
    note_dropped(frames.size(), bytes);
    return;
  }
  if (!admit_bytes(frames.size(), bytes)) return;
  // Counted before the write: whoever sees the bytes arrive sees them counted.
  if (LoopMetrics* m = metrics()) {
    m->deliveries.add(frames.size());
    m->wire_out.add(bytes);
  }
  write_shared(frames);
  status_after_send();
}

}  // namespace uvws::detail
