#include "uvws/core/log.h"
#include "detail.h"

namespace uvws::net::detail {

// The net layer logs through core's "uvws.net" logger (level from UVWS_LOG_LEVEL).
spdlog::logger& log() {
  return core::log(core::Layer::net);
}

}  // namespace uvws::net::detail
