// The glue's logger ("uvws.ws"; created on first use, or the one the application registered).
// Private to ws/src. Peer misbehaviour is logged at debug, handler exceptions at error.
#pragma once

#include "uvws/core/log.h"

namespace uvws::detail {

inline spdlog::logger& logger() {
  return core::log(core::Layer::ws);
}

}  // namespace uvws::detail
