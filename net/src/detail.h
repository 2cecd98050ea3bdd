// Private helpers of the net layer: its logger and the exception barrier around user callbacks.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace uvws::net::detail {

// The "uvws.net" logger (created on first use, or the one the application registered).
spdlog::logger& log();

// Runs f() and swallows what it throws after logging it, so that nothing unwinds through a libuv
// callback (docs/ARCHITECTURE.md, "Errors"). Returns false if f() threw.
template <class F>
bool guarded(const char* where, F&& f) noexcept {
  try {
    std::forward<F>(f)();
    return true;
  } catch (const std::exception& e) {
    log().error("{}: uncaught exception: {}", where, e.what());
  } catch (...) {
    log().error("{}: uncaught non-standard exception", where);
  }
  return false;
}

// Runs a hook of `connection` through guarded(); a hook that throws closes the connection.
template <class Connection, class F>
void call_hook(Connection& connection, const char* what, F&& f) noexcept {
  if (!guarded(what, std::forward<F>(f))) connection.close();
}

}  // namespace uvws::net::detail
