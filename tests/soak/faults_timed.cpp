// The faulty peers that run on timers: stall and slow (see fault_peer.h).
#include <algorithm>

#include "fault_kinds.h"

namespace soak {

namespace {

constexpr std::uint64_t answer_deadline_ms = 30000;
constexpr std::uint64_t close_deadline_ms = 15000;

}  // namespace

// stall --------------------------------------------------------------------------------------

StallPeer::StallPeer(PeerHost& host, std::uint64_t key, std::uint64_t variant)
    : FaultPeer(host, key, "stall", true), variant_(variant) {
  count(variant == 0 ? "then_reset" : "then_reads_again");
  total_ = rng_.between(1 << 20, 8 << 20);
}

void StallPeer::before_connect() {
  // A small receive window, so that the server's send side fills soon (Linux doubles it).
  int size = 4096;
  uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&tcp_), &size);
}

void StallPeer::on_open() {
  step_ = Step::sending;
  stop_reading();
  send_until_ = now() + 3000;
  top_up();
  set_timer(20);
}

void StallPeer::top_up() {
  // Keep at most 1 MiB queued here: what the server does not read waits in our queue.
  std::string out;
  std::uint64_t n = 0;
  while (write_queue() + out.size() < (1u << 20) && sent_ < total_) {
    const std::size_t len = rng_.between(4096, 65536);
    conversation_.append_message(out, rng_, len);
    sent_ += len;
    ++n;
  }
  host_.stats().messages_sent += n;
  send(std::move(out));
}

void StallPeer::on_own_timer() {
  if (step_ == Step::sending) {
    top_up();
    if (sent_ < total_ && now() < send_until_) {
      set_timer(20);
      return;
    }
    host_.stats().count("stall.bytes_sent_unread", sent_);
    step_ = Step::holding;
    set_timer(rng_.between(500, 4000));
    return;
  }
  if (step_ == Step::holding && variant_ == 0) {
    finish(true);
    return;
  }
  if (step_ == Step::holding) {
    // Read again and close: the echoes the server kept, then its answer to the close.
    step_ = Step::reading;
    // A larger buffer now (the window stays under 64 KiB: its scale was agreed at connect),
    // so that the echoes the server holds drain in well under its close_timeout.
    int size = 256 << 10;
    uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&tcp_), &size);
    resume_reading();
    std::string close;
    append_close(close, 1000, rng_.mask_key());
    send(std::move(close));
    expect_server_close(close_deadline_ms, 0);
  }
}

bool StallPeer::on_close_frame(unsigned code) {
  count("close_code_" + std::to_string(code));
  // 1000 answers ours; 1008 or 1009 would be a backpressure policy that closes.
  if (code != 1000 && code != 1008 && code != 1009) {
    fail("closed with " + std::to_string(code));
    return false;
  }
  host_.stats().count("stall.echoes_dropped", conversation_.dropped() + conversation_.in_flight());
  return true;
}

void StallPeer::on_end(int status) {
  if (step_ == Step::reading && !conversation_.got_close()) {
    // The server answered our close, but its answer waits behind the echoes it still holds,
    // and this peer reads them slowly (a tiny receive window, hundreds of such peers): the
    // server's close_timeout may cut it first. Any earlier end is a failure.
    const std::uint64_t waited = now() - started_ms_;
    if (waited + 500 < host_.options().close_timeout_ms) {
      fail(std::string("ended (") + uv_err_name(status) + ") " + std::to_string(waited) +
           " ms after our close frame, without answering it; " +
           std::to_string(conversation_.in_flight()) + " echoes missing");
      return;
    }
    count("cut_by_close_timeout");
  }
  FaultPeer::on_end(status);
}

void StallPeer::on_server_gone(int status) {
  // uvws-echo runs the drop policy: a peer that does not read loses echoes, not its
  // connection.
  fail(std::string("the server ended a stalled connection (") + uv_err_name(status) + ")");
}

// slow ---------------------------------------------------------------------------------------

SlowPeer::SlowPeer(PeerHost& host, std::uint64_t key, Rng& rng)
    : FaultPeer(host, key, "slow"), must_complete_(rng.chance(70)) {
  const std::uint64_t timeout = host.options().handshake_timeout_ms;
  duration_ms_ = must_complete_ ? rng.between(500, std::max<std::uint64_t>(timeout, 4000) - 3000)
                                : rng.between(timeout + 2000, timeout + 4000);
  pieces_ = rng.between(8, 40);
  count(must_complete_ ? "meant_to_complete" : "meant_to_be_cut");
}

void SlowPeer::on_connected() {
  host_.handshake_over(*this);
  connected_ms_ = now();
  on_own_timer();
}

void SlowPeer::on_own_timer() {
  const std::uint64_t timeout = host_.options().handshake_timeout_ms;
  if (closing_ || open_) {
    FaultPeer::on_own_timer();
    if (!finishing()) fail("no close answer or echo in time");
    return;
  }
  if (sent_pieces_ < pieces_) {
    const std::string& request = handshake_.request();
    const std::size_t from = request.size() * sent_pieces_ / pieces_;
    const std::size_t to = request.size() * (sent_pieces_ + 1) / pieces_;
    send(request.substr(from, to - from));
    if (++sent_pieces_ < pieces_) {
      // Each piece at its planned time from the connect, so that late timers do not add up.
      const std::uint64_t due = connected_ms_ + duration_ms_ * sent_pieces_ / (pieces_ - 1);
      set_timer(due > now() ? due - now() : 0);
      return;
    }
    last_byte_ms_ = since_start_ms();
    // Answered within 30 s, or cut within 5 s of the server's handshake timeout.
    const std::uint64_t cut_by = timeout + 5000;
    set_timer(must_complete_              ? answer_deadline_ms
              : cut_by > since_start_ms() ? cut_by - since_start_ms()
                                          : 1);
    return;
  }
  fail(must_complete_
           ? "no answer to the whole request within 30 s"
           : "not cut " + std::to_string(since_start_ms()) +
                 " ms after connecting (handshake timeout " + std::to_string(timeout) + " ms)");
}

void SlowPeer::on_open() {
  if (!must_complete_) {
    fail("answered 101 to a request finished " + std::to_string(last_byte_ms_) +
         " ms after connecting, past the handshake timeout");
    return;
  }
  count("completed");
  send_messages(1);
  set_timer(answer_deadline_ms);
}

bool SlowPeer::on_echo() {
  FaultPeer::on_echo();
  if (conversation_.in_flight() == 0 && !closing_) {
    closing_ = true;
    std::string close;
    append_close(close, 1000, rng_.mask_key());
    send(std::move(close));
    expect_server_close(close_deadline_ms, 1000);
  }
  return true;
}

void SlowPeer::on_refused(const std::string& status_line) {
  if (must_complete_) {
    fail("a slow but timely request was refused: " + status_line);
    return;
  }
  count("refused " + status_line.substr(9, 3));
}

void SlowPeer::on_server_gone(int status) {
  const std::uint64_t timeout = host_.options().handshake_timeout_ms;
  if (open_) {
    fail(std::string("the connection ended before the close handshake (") + uv_err_name(status) +
         ")");
    return;
  }
  if (!must_complete_) {
    count(since_start_ms() + 1000 < timeout ? "cut_before_the_timeout" : "cut");
    return;
  }
  // The client's own loop may run late on a loaded machine: a request whose last byte left
  // (or was still to leave) less than a second before the server's deadline is not the
  // server's fault. Times are real, from the start of the connect.
  const std::uint64_t done = last_byte_ms_ == 0 ? since_start_ms() : last_byte_ms_;
  if (done + 1000 > timeout) {
    count("cut_late_client");
    return;
  }
  fail("cut (" + std::string(uv_err_name(status)) + ") " + std::to_string(since_start_ms()) +
       " ms after the connect began, though the request was whole at " +
       std::to_string(last_byte_ms_) + " ms");
}

}  // namespace soak
