// PendingUpgrade's shared state: what the application's answer and the connection exchange.
// Private to ws/src.
//
// The connection holds the state (Connection::Extras::pending) from the moment on_upgrade
// deferred until the answer is applied or the connection ends; the application holds copies
// of PendingUpgrade. `conn` is the loop thread's alone; the answer and the phase are under
// `mutex`, since the answer may come from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "uvws/net/loop.h"
#include "uvws/route.h"

namespace uvws {

namespace detail {
class Connection;
}

struct PendingUpgrade::State {
  explicit State(net::Loop& l) : loop(&l) {}

  enum class Phase : std::uint8_t {
    waiting,   // no answer yet
    answered,  // an answer was given (and posted to the loop)
    applied,   // the answer took effect (the connection opened, or the refusal went out)
    gone,      // abandoned: the connection ended before an answer took effect
  };

  net::Loop* loop;
  detail::Connection* conn = nullptr;  // loop thread only: set while the connection waits

  std::mutex mutex;
  Phase phase = Phase::waiting;
  bool accept = false;
  UpgradeAccept accepted;  // accept
  std::string response;    // reject: the whole HTTP response
  std::function<void(void*)> on_abandoned;
};

namespace detail {

// The connection ended (or could not apply the answer) before the answer took effect: the
// phase becomes gone and on_abandoned runs, here, with the user data of an accept that was
// given (nullptr otherwise). An exception from on_abandoned is logged. A no-op once applied.
void abandon(PendingUpgrade::State& state);
// The answer took effect: on_abandoned will never run.
void applied(PendingUpgrade::State& state);

}  // namespace detail
}  // namespace uvws
