#include "uvws/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>

namespace uvws::core {
namespace {

class Loggers {
 public:
  Loggers() {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    for (std::size_t i = 0; i < loggers_.size(); ++i) {
      loggers_[i] = std::make_unique<spdlog::logger>(names[i], sink);
      loggers_[i]->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [t%t] [%^%l%$] %v");
    }
    const char* env = std::getenv("UVWS_LOG_LEVEL");
    const std::optional<spdlog::level::level_enum> level =
        env != nullptr ? parse_log_level(env) : std::nullopt;
    set_level(level.value_or(default_log_level));
    if (env != nullptr && *env != '\0' && !level) {
      get(Layer::core)
          .warn("UVWS_LOG_LEVEL=\"{}\" is not a log level; using \"{}\"", env,
                spdlog::level::to_string_view(default_log_level));
    }
  }

  spdlog::logger& get(Layer layer) { return *loggers_[static_cast<std::size_t>(layer)]; }

  void set_level(spdlog::level::level_enum level) {
    for (auto& l : loggers_) l->set_level(level);
  }

 private:
  static constexpr const char* names[] = {"uvws.core", "uvws.net", "uvws.ws"};
  std::array<std::unique_ptr<spdlog::logger>, 3> loggers_;
};

Loggers& loggers() {
  static Loggers instance;
  return instance;
}

}  // namespace

spdlog::logger& log(Layer layer) {
  return loggers().get(layer);
}

void set_log_level(spdlog::level::level_enum level) {
  loggers().set_level(level);
}

bool set_log_level(std::string_view name) {
  const auto level = parse_log_level(name);
  if (level) set_log_level(*level);
  return level.has_value();
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  using spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, level_enum> table[] = {
      {"trace", level_enum::trace}, {"debug", level_enum::debug},       {"info", level_enum::info},
      {"warn", level_enum::warn},   {"warning", level_enum::warn},      {"error", level_enum::err},
      {"err", level_enum::err},     {"critical", level_enum::critical}, {"off", level_enum::off},
  };
  for (const auto& [n, level] : table) {
    if (n == lower) return level;
  }
  return std::nullopt;
}

}  // namespace uvws::core
