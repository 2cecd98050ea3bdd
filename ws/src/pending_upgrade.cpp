// PendingUpgrade (uvws/route.h): an upgrade answered later, from any thread. The answer is
// stored under the state's lock and posted to the connection's loop, where
// Connection::answer_deferred applies it (connection_upgrade.cpp).
#include "pending_upgrade.h"

#include <exception>
#include <stdexcept>
#include <utility>

#include "connection.h"
#include "log.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/server_protocol.h"

namespace uvws {
namespace {

using Phase = PendingUpgrade::State::Phase;

// Stores the answer `fill` writes, unless one was given or the connection is gone; posts its
// application to the loop. True when this call gave the answer.
template <class F>
bool answer(const std::shared_ptr<PendingUpgrade::State>& state, F&& fill) {
  if (!state) return false;
  std::lock_guard lock(state->mutex);
  if (state->phase != Phase::waiting) return false;
  fill(*state);
  state->phase = Phase::answered;
  // Posted under the lock: while the phase was waiting the connection had not been abandoned,
  // so its loop still exists (every connection is abandoned in on_closed, before its Server
  // destroys the loop); an answer after that returns false above without touching the loop.
  // Always posted, also from the loop thread: the answer then never runs inside another
  // connection's callback (whose output buffer it would share).
  state->loop->post([state] {
    if (detail::Connection* conn = state->conn) conn->answer_deferred();
  });
  return true;
}

}  // namespace

bool PendingUpgrade::accept(UpgradeAccept a) const {
  ws::check_accept_headers(a.headers);  // thrown here, to the caller, not on the loop
  return answer(state_, [&](State& s) {
    s.accept = true;
    s.accepted = std::move(a);
  });
}

bool PendingUpgrade::reject(UpgradeReject r) const {
  if (r.status == 101) throw std::invalid_argument("uvws::PendingUpgrade::reject: status 101");
  std::string response = ws::http_response(r.status, r.content_type, r.body, r.headers);
  return answer(state_, [&](State& s) {
    s.accept = false;
    s.response = std::move(response);
  });
}

bool PendingUpgrade::pending() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return state_->phase == Phase::waiting;
}

void PendingUpgrade::on_abandoned(std::function<void(void*)> callback) const {
  if (!state_) return;
  void* user_data = nullptr;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->phase == Phase::applied) return;  // it will never be abandoned
    if (state_->phase != Phase::gone) {
      state_->on_abandoned = std::move(callback);
      return;
    }
    if (state_->accept) user_data = state_->accepted.user_data;
  }
  if (callback) callback(user_data);  // ended already: at once, on this thread
}

namespace detail {

void abandon(PendingUpgrade::State& state) {
  std::function<void(void*)> callback;
  void* user_data = nullptr;
  {
    std::lock_guard lock(state.mutex);
    if (state.phase == Phase::gone || state.phase == Phase::applied) return;
    if (state.phase == Phase::answered && state.accept) user_data = state.accepted.user_data;
    state.phase = Phase::gone;
    callback = std::move(state.on_abandoned);
  }
  if (!callback) return;
  try {
    callback(user_data);
  } catch (const std::exception& e) {
    logger().error("PendingUpgrade::on_abandoned threw: {}", e.what());
  } catch (...) {
    logger().error("PendingUpgrade::on_abandoned threw a non-std exception");
  }
}

void applied(PendingUpgrade::State& state) {
  std::lock_guard lock(state.mutex);
  state.phase = Phase::applied;
  state.on_abandoned = nullptr;
}

}  // namespace detail
}  // namespace uvws
