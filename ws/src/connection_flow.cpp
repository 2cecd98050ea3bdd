// detail::Connection's flow control (connection.h): the application pauses and resumes
// reading (WebSocket::pause_reading), and runs tasks on the connection (WebSocketHandle::post).
//
// Two reasons stop reading, each with its own flag: the backpressure limit (read_paused_,
// lifted by on_drain) and the application (app_paused_, lifted by resume_reading or a close).
// Reading restarts only when neither holds. While the application pauses, the protocol also
// stops parsing (ws::Protocol::set_receive_paused), so no event runs even for bytes already
// read; they are parsed from a task posted by end_pause(), never inside the caller.
#include "connection.h"

namespace uvws::detail {

void Connection::pause_reading() {
  if (app_paused_ || stage_ != Stage::open) return;
  app_paused_ = true;
  protocol().set_receive_paused(true);
  stop_reading();
  // Not listening is not the peer's idleness: no idle timeout, no keepalive ping whose pong
  // could not be read. The open timer restarts in end_pause().
  disarm_timer();
}

void Connection::resume_reading() {
  if (app_paused_) end_pause();
}

void Connection::end_pause() {
  app_paused_ = false;
  protocol().set_receive_paused(false);
  if (closing()) return;
  if (!read_paused_) static_cast<void>(start_reading());
  if (stage_ == Stage::open) arm_open_timer();
  // Parsing what is held here could run this connection's callbacks inside the caller's own
  // (resume_reading from another connection's on_message): a task runs them next instead.
  std::shared_ptr<WebSocketHandle::Token> t = token();
  loop().post([t] {
    if (t->conn != nullptr) t->conn->receive_held();
  });
}

void Connection::run_task(const std::function<void(WebSocket&)>& task) {
  guard([&] { task(*this); });
  // What the task sent goes out with the loop's next flush; its counters are current now.
  account_held_bytes();
}

}  // namespace uvws::detail
