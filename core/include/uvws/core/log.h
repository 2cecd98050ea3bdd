// Logging: one spdlog logger per layer, "uvws.core", "uvws.net" and "uvws.ws", all writing to
// one colored stderr sink.
//
// Set-up happens once, on the first call of log() or set_log_level(), and is thread-safe (a
// function-local static). The starting level of all three loggers comes from the environment
// variable UVWS_LOG_LEVEL: trace, debug, info, warn (or warning), error (or err), critical or
// off, in any case. Unset, empty or unknown, it is `warn` (default_log_level): a library stays
// quiet unless asked; an unknown value is reported once, as a warning on uvws.core. Programs
// with a --log-level flag call set_log_level() after parsing it (and may well default that
// flag to `info`).
//
// Ownership: the loggers live until static destruction at exit (do not log from destructors of
// static objects or from threads still running then); they are not in spdlog's registry, so
// their names never clash with the application's loggers, and spdlog::set_level() does not
// change them.
// Threads: any thread may log and change the level. Adding or removing sinks (e.g. a test's
// memory sink: log(Layer::ws).sinks().push_back(...)) is not synchronised: do it while no
// other thread logs.
// Style: peer misbehaviour is logged at debug or info, never error; payloads are never logged;
// costly formatting is guarded by should_log().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <spdlog/logger.h>

#include "uvws/core/export.h"

namespace uvws::core {

// The layer a logger belongs to: "uvws.core", "uvws.net" or "uvws.ws".
enum class Layer : std::uint8_t { core, net, ws };

// The level when UVWS_LOG_LEVEL is unset, empty or unknown.
inline constexpr spdlog::level::level_enum default_log_level = spdlog::level::warn;

// The logger of `layer`; the reference stays valid until static destruction at exit.
UVWS_EXPORT spdlog::logger& log(Layer layer);

// Sets the level of all three loggers (overriding UVWS_LOG_LEVEL).
UVWS_EXPORT void set_log_level(spdlog::level::level_enum level);

// Sets the level by name (as accepted in UVWS_LOG_LEVEL); returns false and changes nothing
// when `name` is not a level.
UVWS_EXPORT bool set_log_level(std::string_view name);

// The level `name` denotes (the names listed above, any case), or nullopt.
UVWS_EXPORT std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

}  // namespace uvws::core
