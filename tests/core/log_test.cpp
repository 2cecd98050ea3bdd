#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "uvws/core/log.h"

using uvws::core::Layer;
using uvws::core::log;
using uvws::core::parse_log_level;
using uvws::core::set_log_level;
namespace level = spdlog::level;

namespace {

// Replaces one logger's sinks with a memory sink for the duration of a test (so the test does
// not write to stderr), then restores the sinks and the level.
class CapturedLog {
 public:
  explicit CapturedLog(Layer layer)
      : logger_(log(layer)),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)),
        saved_sinks_(logger_.sinks()),
        saved_level_(logger_.level()) {
    sink_->set_pattern("%n|%l|%v");
    logger_.sinks() = {sink_};
  }
  ~CapturedLog() {
    logger_.sinks() = saved_sinks_;
    set_log_level(saved_level_);
  }
  std::string text() const { return out_.str(); }

 private:
  spdlog::logger& logger_;
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::vector<spdlog::sink_ptr> saved_sinks_;
  level::level_enum saved_level_;
};

// Runs this test binary again, with UVWS_LOG_LEVEL=`env`, for only the hidden child test below,
// which checks that the loggers start at level `want`. Returns the child's stderr.
std::string run_child(const char* env, const char* want) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    setenv("UVWS_LOG_LEVEL", env, 1);
    setenv("UVWS_TEST_WANT_LEVEL", want, 1);
    execl("/proc/self/exe", "uvws_core_tests", "[log_env_child]", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("(child process) the loggers start at the level UVWS_LOG_LEVEL names",
          "[.][log_env_child]") {
  const char* want = std::getenv("UVWS_TEST_WANT_LEVEL");
  REQUIRE(want != nullptr);
  REQUIRE(log(Layer::core).level() == parse_log_level(want));
  REQUIRE(log(Layer::net).level() == parse_log_level(want));
  REQUIRE(log(Layer::ws).level() == parse_log_level(want));
}

TEST_CASE("UVWS_LOG_LEVEL sets the starting level; an unknown one is reported", "[core][log]") {
  run_child("debug", "debug");
  run_child("ERROR", "error");
  run_child("", "warn");
  const std::string out = run_child("chatty", "warn");
  REQUIRE(out.find("UVWS_LOG_LEVEL=\"chatty\" is not a log level") != std::string::npos);
}

TEST_CASE("level names parse in any case, and unknown names do not", "[core][log]") {
  REQUIRE(parse_log_level("trace") == level::trace);
  REQUIRE(parse_log_level("debug") == level::debug);
  REQUIRE(parse_log_level("INFO") == level::info);
  REQUIRE(parse_log_level("warn") == level::warn);
  REQUIRE(parse_log_level("Warning") == level::warn);
  REQUIRE(parse_log_level("error") == level::err);
  REQUIRE(parse_log_level("err") == level::err);
  REQUIRE(parse_log_level("critical") == level::critical);
  REQUIRE(parse_log_level("off") == level::off);
  REQUIRE_FALSE(parse_log_level(""));
  REQUIRE_FALSE(parse_log_level("verbose"));
  REQUIRE_FALSE(parse_log_level("info "));
}

TEST_CASE("each layer has its own named logger, the same on every call", "[core][log]") {
  REQUIRE(log(Layer::core).name() == "uvws.core");
  REQUIRE(log(Layer::net).name() == "uvws.net");
  REQUIRE(log(Layer::ws).name() == "uvws.ws");
  REQUIRE(&log(Layer::ws) == &log(Layer::ws));
  REQUIRE(&log(Layer::ws) != &log(Layer::net));
  // Not in spdlog's registry, so an application may use the same names.
  REQUIRE(spdlog::get("uvws.core") == nullptr);
}

TEST_CASE("set_log_level filters messages on all three loggers", "[core][log]") {
  CapturedLog captured(Layer::net);
  set_log_level(level::info);
  REQUIRE(log(Layer::core).level() == level::info);
  REQUIRE(log(Layer::ws).level() == level::info);
  log(Layer::net).debug("hidden {}", 1);
  log(Layer::net).info("shown {}", 2);
  REQUIRE(captured.text() == "uvws.net|info|shown 2\n");

  REQUIRE(set_log_level("debug"));
  REQUIRE(log(Layer::net).should_log(level::debug));
  log(Layer::net).debug("now shown");
  REQUIRE(captured.text() == "uvws.net|info|shown 2\nuvws.net|debug|now shown\n");

  REQUIRE_FALSE(set_log_level("loud"));
  REQUIRE(log(Layer::net).level() == level::debug);
  REQUIRE(set_log_level("off"));
  log(Layer::net).critical("silenced");
  REQUIRE(captured.text() == "uvws.net|info|shown 2\nuvws.net|debug|now shown\n");
}

TEST_CASE("threads log and change the level concurrently", "[core][log]") {
  CapturedLog captured(Layer::ws);
  set_log_level(level::info);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        log(Layer::ws).info("thread {} message {}", t, i);
        if (t == 0 && i % 50 == 0) set_log_level(level::info);
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string text = captured.text();
  REQUIRE(std::count(text.begin(), text.end(), '\n') == 800);
  REQUIRE(text.find("thread 3 message 199\n") != std::string::npos);
}
