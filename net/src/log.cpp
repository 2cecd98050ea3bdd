#include <spdlog/sinks/stdout_color_sinks.h>

#include "detail.h"

namespace uvws::net::detail {

spdlog::logger& log() {
  // Created once; an application that wants another sink registers "uvws.net" itself first.
  static const std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("uvws.net")) return existing;
    try {
      return spdlog::stderr_color_mt("uvws.net");
    } catch (const spdlog::spdlog_ex&) {
      // Registered by another thread between get() and stderr_color_mt().
      return spdlog::get("uvws.net");
    }
  }();
  return *logger;
}

}  // namespace uvws::net::detail
