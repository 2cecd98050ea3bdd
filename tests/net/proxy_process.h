// Helpers for the proxy integration tests: a temporary directory, a free loopback port, a proxy
// program (tinyproxy, danted) run in the foreground as a child and stopped by its PID, and a
// bounded wait until it accepts connections.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace uvws::net::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/uvws-proxy-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to `name` in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// The address 127.0.0.1:`port`.
inline sockaddr_in loopback_address(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0). A proxy
// that cannot bind it anyway fails to start, and start_on_free_port tries another.
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback_address(0);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A TCP connection to 127.0.0.1:`port` whose reads give up after 10 s, or -1.
inline int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = loopback_address(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// True when something accepts TCP connections on 127.0.0.1:`port` now.
inline bool port_accepts(std::uint16_t port) {
  const int fd = connect_loopback(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// The first of `candidates` that is an executable file; the test fails without one (setup.sh
// installs tinyproxy and dante-server), it is never skipped.
inline std::string find_program(const std::vector<std::string>& candidates) {
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  throw std::runtime_error("proxy program not installed: " + candidates.front() +
                           " (scripts/setup.sh --tests)");
}

// A proxy program running in the foreground as this process's child, its output in a log
// file; stopped by its PID (SIGTERM, then SIGKILL after a bounded wait) at destruction.
class ProxyProcess {
 public:
  ProxyProcess() = default;
  ~ProxyProcess() { stop(); }
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  // Runs `argv` with output to `log` and waits until 127.0.0.1:`port` accepts connections
  // (polled every 10 ms for at most 10 s). False when the program exits first or never listens.
  bool start(const std::vector<std::string>& argv, const std::string& log, std::uint16_t port) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    log_ = log;
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      // The child only calls async-signal-safe functions before exec.
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out);
    if (pid_ < 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (port_accepts(port)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // The poll interval.
    }
    return false;
  }

  // Stops the program by its PID; safe to call twice.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // The program's output so far, for a failing test's message.
  std::string log() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Starts a proxy program on a free port of 127.0.0.1: `make_conf(port)` is written to
// `conf_name` in `dir`, and `argv(conf_path)` runs with its output in dir/log. Tries up to five
// ports (one may be taken between free_port() and the program's bind); returns the port the
// program listens on, or 0.
inline std::uint16_t start_on_free_port(
    ProxyProcess& process, const TempDir& dir, const std::string& conf_name,
    const std::function<std::string(std::uint16_t)>& make_conf,
    const std::function<std::vector<std::string>(const std::string&)>& argv) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const auto port = free_port();
    const auto conf = dir.write(conf_name, make_conf(port));
    if (process.start(argv(conf), (dir.path() / "log").string(), port)) return port;
  }
  return 0;
}

// A proxy program with its directory (configuration, log) and the port it listens on.
struct RunningProxy {
  TempDir dir;
  ProxyProcess process;
  std::uint16_t port = 0;
};

}  // namespace uvws::net::test
