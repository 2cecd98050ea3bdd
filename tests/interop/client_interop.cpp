// uvws_client_interop: the uvws clients against a real WebSocket server that nobody here
// wrote (python-websockets, npm ws).
//
// Usage: uvws_client_interop [--tls MAKE-CERTS-SCRIPT] SERVER-COMMAND [ARGS...]
//
// The server command runs as a child process. It must print "PORT <n>" on stdout once it
// listens on 127.0.0.1:<n>; echo every message; answer the text "fragment" with the text
// "fragmented message €" sent in several frames; answer "close <code> <reason>" by closing
// with that code and reason; and print "CLOSED <code> <reason>" when a connection ends
// (tests/interop/echo_server.py and echo_server.mjs do). This program drives it with
// uvws::connect (the blocking client) and uvws::Client (the asynchronous one, for fragmented
// sends, close callbacks and permessage-deflate), prints one PASS or FAIL line per check,
// stops the child by its PID (SIGTERM, then SIGKILL after a grace period), and exits 0 only if
// every check passed. Every wait is bounded, and SIGALRM bounds the whole run.
//
// With --tls, the script (tests/tls/make_certs.sh) makes the test certificates in a temporary
// directory whose path the server gets in $UVWS_INTEROP_TLS_DIR. The server then speaks TLS
// with server.pem/server.key on PORT and must also print "PORT self <n>", "PORT expired <n>"
// and "PORT other <n>": TLS listeners with self.pem, expired.pem and other.pem. The clients
// connect to wss://localhost:<n>/ trusting ca.pem only, run the same checks, and each of the
// three other certificates must fail the handshake with OpenSSL's reason.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "uvws/blocking_client.h"
#include "uvws/client.h"

namespace {

using namespace std::chrono_literals;
using uvws::Opcode;
using Bytes = std::vector<std::uint8_t>;

constexpr unsigned overall_limit_s = 100;
constexpr auto wait_limit = std::chrono::milliseconds(10s);
constexpr std::string_view fragmented_text = "fragmented message \xE2\x82\xAC";  // ends in "€"

// The child, for the SIGALRM handler (which may only use async-signal-safe calls).
std::atomic<pid_t> g_child{0};
static_assert(std::atomic<pid_t>::is_always_lock_free);

extern "C" void on_alarm(int) {
  constexpr char msg[] = "uvws_client_interop: FAIL overall time limit reached\n";
  [[maybe_unused]] const auto n = write(STDERR_FILENO, msg, sizeof msg - 1);
  const pid_t child = g_child.load();
  if (child > 0) kill(child, SIGKILL);
  _exit(3);
}

Bytes bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// Deterministic bytes (xorshift32): incompressible, every byte value likely.
Bytes pseudo_random(std::size_t size, std::uint32_t seed) {
  Bytes out(size);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// Alternating 4 KiB runs of text and random bytes: deflate has both kinds of block to do.
Bytes half_compressible(std::size_t size) {
  Bytes out = pseudo_random(size, 7);
  constexpr std::string_view line = "the quick brown fox jumps over the lazy dog; ";
  for (std::size_t i = 0; i < size; ++i) {
    if ((i / 4096) % 2 == 0) out[i] = static_cast<std::uint8_t>(line[i % line.size()]);
  }
  return out;
}

// "" when `got` is the message expected, else what differs.
std::string mismatch(Opcode want_opcode, std::span<const std::uint8_t> want, Opcode got_opcode,
                     std::span<const std::uint8_t> got) {
  if (want_opcode != got_opcode) {
    return "opcode " + std::to_string(static_cast<int>(got_opcode)) + ", expected " +
           std::to_string(static_cast<int>(want_opcode));
  }
  if (want.size() != got.size()) {
    return std::to_string(got.size()) + " bytes, expected " + std::to_string(want.size());
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] != got[i]) return "bytes differ from offset " + std::to_string(i);
  }
  return {};
}

// The checks' results, printed as they come.
class Report {
 public:
  void record(const std::string& name, const std::string& failure) {
    ++total_;
    if (failure.empty()) {
      std::printf("PASS  %s\n", name.c_str());
    } else {
      ++failed_;
      std::printf("FAIL  %s: %s\n", name.c_str(), failure.c_str());
    }
    std::fflush(stdout);
  }
  // Runs one check: `body` returns "" when it passed, else what went wrong; an exception
  // fails it too.
  void run(const std::string& name, const std::function<std::string()>& body) {
    std::string failure;
    try {
      failure = body();
    } catch (const std::exception& e) {
      failure = std::string("exception: ") + e.what();
    }
    record(name, failure);
  }
  bool all_passed() const { return failed_ == 0 && total_ > 0; }
  int total() const { return total_; }
  int failed() const { return failed_; }

 private:
  int total_ = 0;
  int failed_ = 0;
};

// The server under test: a child process whose stdout lines are collected by a reader thread.
// Owned by main(); stop() (or the destructor) ends it by its PID. Errors starting it throw
// std::system_error.
class ServerProcess {
 public:
  explicit ServerProcess(char** argv) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), "pipe");
    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::system_category(), "fork");
    if (pid_ == 0) {
      // dup2 clears O_CLOEXEC on the copy: the server inherits the pipe as its stdout only.
      dup2(fds[1], STDOUT_FILENO);
      execvp(argv[0], argv);
      std::perror("uvws_client_interop: exec");
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
    g_child.store(pid_);
    reader_ = std::thread([this] { read_lines(); });
  }
  ~ServerProcess() {
    if (pid_ > 0) stop();
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The port from the first "PORT <n>" line, if one comes within `limit`.
  std::optional<std::uint16_t> wait_port(std::chrono::milliseconds limit) {
    std::optional<std::uint16_t> port;
    wait_line(limit, [&](std::string_view line) {
      if (!line.starts_with("PORT ")) return false;
      std::uint16_t n = 0;
      const auto* end = line.data() + line.size();
      const auto [p, ec] = std::from_chars(line.data() + 5, end, n);
      if (ec != std::errc() || p != end || n == 0) return false;
      port = n;
      return true;
    });
    return port;
  }

  // The port from the first "PORT <name> <n>" line, if one comes within `limit`.
  std::optional<std::uint16_t> wait_named_port(std::string_view name,
                                               std::chrono::milliseconds limit) {
    const std::string prefix = "PORT " + std::string(name) + " ";
    std::optional<std::uint16_t> port;
    wait_line(limit, [&](std::string_view line) {
      if (!line.starts_with(prefix)) return false;
      std::uint16_t n = 0;
      const auto* end = line.data() + line.size();
      const auto [p, ec] = std::from_chars(line.data() + prefix.size(), end, n);
      if (ec != std::errc() || p != end || n == 0) return false;
      port = n;
      return true;
    });
    return port;
  }

  // Whether the server printed exactly `want`, now or within `limit`.
  bool saw_line(std::string_view want, std::chrono::milliseconds limit) {
    return wait_line(limit, [&](std::string_view line) { return line == want; });
  }

  // Whether the server printed a line starting with `prefix`, now or within `limit`.
  bool saw_line_starting(std::string_view prefix, std::chrono::milliseconds limit) {
    return wait_line(limit, [&](std::string_view line) { return line.starts_with(prefix); });
  }

  // SIGTERM, then SIGKILL if the server is still there after `grace`. Returns "" when it
  // exited with status 0 on SIGTERM, else how it ended.
  std::string stop(std::chrono::milliseconds grace = 10s) {
    std::string outcome = "already stopped";
    if (pid_ > 0) {
      int status = 0;
      // A server that already exited failed the test: it must stay up until told to stop.
      const bool early = waitpid(pid_, &status, WNOHANG) == pid_;
      bool exited = early;
      if (!early) {
        kill(pid_, SIGTERM);
        exited = wait_exit(grace, status);
      }
      if (!exited) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        outcome = "ignored SIGTERM; killed";
      } else if (WIFEXITED(status)) {
        outcome = "exit status " + std::to_string(WEXITSTATUS(status));
        if (WEXITSTATUS(status) == 0 && !early) outcome.clear();
      } else if (WIFSIGNALED(status)) {
        outcome = "killed by signal " + std::to_string(WTERMSIG(status));
      }
      if (early) outcome = "exited before SIGTERM (" + outcome + ")";
      g_child.store(0);
      pid_ = 0;
    }
    if (reader_.joinable()) {
      stopping_.store(true);
      reader_.join();
      close(fd_);
    }
    return outcome;
  }

 private:
  // Waits up to `limit` for the child to exit: its pidfd becomes readable when it does. True
  // when it exited (reaped, its status in `status`).
  bool wait_exit(std::chrono::milliseconds limit, int& status) {
    // The raw system call: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd < 0) {
      std::fprintf(stderr, "uvws_client_interop: pidfd_open: %s\n", std::strerror(errno));
      return waitpid(pid_, &status, WNOHANG) == pid_;
    }
    pollfd p{pidfd, POLLIN, 0};
    int n = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {  // again after a signal (EINTR), with what is left of the limit
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      n = poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    } while (n < 0 && errno == EINTR);
    close(pidfd);
    return waitpid(pid_, &status, WNOHANG) == pid_;
  }

  bool wait_line(std::chrono::milliseconds limit,
                 const std::function<bool(std::string_view)>& match) {
    std::unique_lock lock(mutex_);
    bool found = false;
    changed_.wait_for(lock, limit, [&] {
      found = std::any_of(lines_.begin(), lines_.end(), match);
      return found || eof_;
    });
    return found;
  }

  // Polls (so that stop() can end it even if a grandchild keeps the pipe open), splits lines,
  // echoes them to our stdout for the test log.
  void read_lines() {
    std::string pending;
    char buf[4096];
    while (!stopping_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      std::size_t eol = 0;
      while ((eol = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        std::printf("server: %s\n", line.c_str());
        std::fflush(stdout);
        std::lock_guard lock(mutex_);
        lines_.push_back(std::move(line));
        changed_.notify_all();
      }
    }
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
  }

  pid_t pid_ = 0;
  int fd_ = -1;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;  // guarded by mutex_
  bool eof_ = false;                // guarded by mutex_
};

// --- The blocking client -----------------------------------------------------------------

std::string echo(uvws::BlockingClient& c, Opcode opcode, std::span<const std::uint8_t> data) {
  c.send(data, opcode);
  const auto m = c.recv(wait_limit);
  return mismatch(opcode, data, m.opcode, m.data);
}

void blocking_checks(Report& r, ServerProcess& server, const std::string& url,
                     const uvws::ClientOptions& options) {
  auto c = uvws::connect(url, options);
  const auto text = [&](std::string_view s) { return echo(c, Opcode::text, bytes(s)); };
  const auto binary = [&](const Bytes& b) { return echo(c, Opcode::binary, b); };

  r.run("blocking: ASCII text echo", [&] { return text("hello from uvws"); });
  r.run("blocking: multilingual UTF-8 text echo", [&] {
    return text(
        "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC "
        "\xCE\x95\xCE\xBB\xCE\xBB\xCE\xAC\xCE\xB4\xCE\xB1 \xD0\xBC\xD0\xB8\xD1\x80");
  });
  r.run("blocking: binary echo of all 256 byte values", [&] {
    Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
    return binary(all);
  });
  r.run("blocking: empty text echo", [&] { return text(""); });
  r.run("blocking: empty binary echo", [&] { return binary({}); });
  // RFC 6455 5.2: 7-bit lengths up to 125, 16-bit from 126, 64-bit from 65536.
  for (const std::size_t size : {125u, 126u, 127u, 65535u, 65536u, 65537u}) {
    r.run("blocking: binary echo of " + std::to_string(size) + " bytes",
          [&] { return binary(pseudo_random(size, static_cast<std::uint32_t>(size))); });
  }
  r.run("blocking: 1 MiB binary echo", [&] { return binary(pseudo_random(1u << 20, 42)); });
  r.run("blocking: 16 MiB binary echo", [&] {
    const Bytes big = pseudo_random(16u << 20, 16);
    c.send(big, Opcode::binary);
    const auto m = c.recv(std::chrono::milliseconds(30s));
    return mismatch(Opcode::binary, big, m.opcode, m.data);
  });
  r.run("blocking: 100 pipelined messages come back in order", [&] {
    for (int i = 0; i < 100; ++i) c.send_text("message " + std::to_string(i));
    for (int i = 0; i < 100; ++i) {
      const auto m = c.recv(wait_limit);
      if (m.text() != "message " + std::to_string(i))
        return "got \"" + std::string(m.text()) + "\"";
    }
    return std::string();
  });
  r.run("blocking: ping gets its pong", [&] {
    const auto rtt = c.ping(wait_limit);
    std::printf("      ping round trip: %lld us\n", static_cast<long long>(rtt.count()));
    return std::string();
  });
  r.run("blocking: fragmented message from the peer received whole", [&] {
    c.send_text("fragment");
    const auto m = c.recv(wait_limit);
    return mismatch(Opcode::text, bytes(fragmented_text), m.opcode, m.data);
  });
  r.run("blocking: close(4000, \"client-done\") completes", [&] {
    c.close(4000, "client-done");
    if (c.is_open()) return std::string("still open");
    if (c.close_code() != 4000 || c.close_reason() != "client-done") {
      return "ended with " + std::to_string(c.close_code()) + " \"" + c.close_reason() + "\"";
    }
    return std::string();
  });
  r.run("blocking: the peer saw close 4000 \"client-done\"", [&] {
    return server.saw_line("CLOSED 4000 client-done", wait_limit) ? "" : "no such CLOSED line";
  });

  auto closing = uvws::connect(url, options);
  r.run("blocking: peer close 4321 \"bye-bye\" makes recv() throw ConnectionClosed", [&] {
    closing.send_text("close 4321 bye-bye");
    try {
      const auto m = closing.recv(wait_limit);
      return "got a message of " + std::to_string(m.data.size()) + " bytes";
    } catch (const uvws::ConnectionClosed& e) {
      if (e.code() == 4321 && e.reason() == "bye-bye") return std::string();
      return "code " + std::to_string(e.code()) + " reason \"" + e.reason() + "\"";
    }
  });
  // RFC 6455 5.5.1: the endpoint answering a close "typically echoes the status code" (the
  // reason need not be echoed).
  r.run("blocking: the client echoed the peer's close code 4321", [&] {
    return server.saw_line_starting("CLOSED 4321 ", wait_limit) ? "" : "no CLOSED 4321 line";
  });
}

// --- The asynchronous client ---------------------------------------------------------------

// One step of a script: what the client sends, and the one message that must come back.
struct Exchange {
  std::string name;
  std::function<void(uvws::WebSocket&)> send;
  Opcode opcode = Opcode::text;
  Bytes expected;
};

// How one async connection went, as its handler saw it.
struct Outcome {
  bool opened = false;
  bool compressed = false;
  bool closed = false;
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::string errors;
};

// A Handler that plays a script of exchanges, then `finish` (which closes, one way or the
// other), and stops the loop when the connection ends; `outcome` records how it went. Loop
// thread only.
class ScriptedHandler final : public uvws::Handler {
 public:
  ScriptedHandler(Report& report, uvws::net::Loop& loop, std::vector<Exchange> script,
                  std::function<void(uvws::WebSocket&)> finish)
      : report_(report), loop_(loop), script_(std::move(script)), finish_(std::move(finish)) {}

  void on_open(uvws::WebSocket& ws) override {
    outcome.opened = true;
    outcome.compressed = ws.compressed();
    start(ws);
  }
  void on_message(uvws::WebSocket& ws, uvws::Message m) override {
    if (next_ >= script_.size()) {
      report_.record("async: no message after the script", "got " + std::to_string(m.size()));
      return;
    }
    const Exchange& e = script_[next_++];
    report_.record(e.name, mismatch(e.opcode, e.expected, m.opcode(), m.data()));
    start(ws);
  }
  void on_close(uvws::WebSocket&, std::uint16_t code, std::string_view reason) override {
    outcome.closed = true;
    outcome.close_code = code;
    outcome.close_reason = std::string(reason);
    for (; next_ < script_.size(); ++next_) {
      report_.record(script_[next_].name, "the connection closed before the answer");
    }
    loop_.stop();
  }
  void on_error(uvws::WebSocket*, std::error_code ec) override {
    outcome.errors += (outcome.errors.empty() ? "" : "; ") + ec.message();
    if (!outcome.opened) loop_.stop();
  }

  Outcome outcome;

 private:
  void start(uvws::WebSocket& ws) {
    if (next_ < script_.size()) {
      script_[next_].send(ws);
    } else {
      finish_(ws);
    }
  }

  Report& report_;
  uvws::net::Loop& loop_;
  std::vector<Exchange> script_;
  std::function<void(uvws::WebSocket&)> finish_;
  std::size_t next_ = 0;
};

// Sends `data` as three fragments cut at `cut1` and `cut2` (RFC 6455 5.4); a dropped fragment
// is recorded as a failure of `name`.
std::function<void(uvws::WebSocket&)> send_in_three(Report& r, std::string name, Opcode opcode,
                                                    Bytes data, std::size_t cut1,
                                                    std::size_t cut2) {
  return [&r, name = std::move(name), opcode, data = std::move(data), cut1,
          cut2](uvws::WebSocket& ws) {
    const std::span<const std::uint8_t> all(data);
    const bool sent =
        ws.send_fragment(all.subspan(0, cut1), opcode, false) != uvws::SendStatus::dropped &&
        ws.send_fragment(all.subspan(cut1, cut2 - cut1), opcode, false) !=
            uvws::SendStatus::dropped &&
        ws.send_fragment(all.subspan(cut2), opcode, true) != uvws::SendStatus::dropped;
    if (!sent) r.record(name + " (sending)", "send_fragment returned dropped");
  };
}

std::function<void(uvws::WebSocket&)> send_whole(Opcode opcode, Bytes data) {
  return [opcode, data = std::move(data)](uvws::WebSocket& ws) { ws.send(data, opcode); };
}

// Runs `loop` until the handler stops it, or `limit` passes (a watchdog thread then stops
// it); false on timeout.
bool run_bounded(uvws::net::Loop& loop, std::chrono::milliseconds limit) {
  std::mutex m;
  std::condition_variable cv;
  bool returned = false;
  bool fired = false;
  std::thread watchdog([&] {
    std::unique_lock lock(m);
    if (!cv.wait_for(lock, limit, [&] { return returned; })) {
      fired = true;
      loop.request_stop();
    }
  });
  loop.run();
  {
    std::lock_guard lock(m);
    returned = true;
  }
  cv.notify_all();
  watchdog.join();
  return !fired;
}

// How one async connection went, whether it ended in time, and whether the loop closed
// cleanly.
struct AsyncResult : Outcome {
  bool finished = false;
  bool loop_closed = false;
};

// One connection of the async Client playing `script`, then `finish`, bounded by 30 s; the
// exchanges' checks are recorded as their answers come.
AsyncResult run_script(Report& r, const std::string& url, uvws::ClientOptions options,
                       std::vector<Exchange> script, std::function<void(uvws::WebSocket&)> finish) {
  AsyncResult out;
  uvws::net::Loop loop;
  ScriptedHandler handler(r, loop, std::move(script), std::move(finish));
  {
    uvws::Client client(loop, url, handler, std::move(options));
    client.connect();
    out.finished = run_bounded(loop, std::chrono::milliseconds(30s));
  }
  out.loop_closed = !loop.close_all();
  static_cast<Outcome&>(out) = handler.outcome;
  return out;
}

std::string describe_end(const AsyncResult& a, std::uint16_t code, std::string_view reason) {
  if (!a.finished) return "timed out";
  if (!a.opened) return "never opened: " + a.errors;
  if (!a.closed) return "on_close did not run";
  if (a.close_code != code || a.close_reason != reason) {
    return "on_close got " + std::to_string(a.close_code) + " \"" + a.close_reason + "\"" +
           (a.errors.empty() ? "" : " (errors: " + a.errors + ")");
  }
  if (!a.loop_closed) return "the loop did not close cleanly";
  return {};
}

void async_checks(Report& r, ServerProcess& server, const std::string& url,
                  const uvws::ClientOptions& options) {
  // A text whose cut falls inside "€": UTF-8 is checked per message, not per frame (RFC 6455
  // 8.1), so the peer must accept it.
  const Bytes text = bytes("fragments from uvws \xE2\x82\xAC!");
  const Bytes binary = pseudo_random(70000, 3);
  std::vector<Exchange> script;
  script.push_back(
      {"async: text sent in 3 fragments echoed whole",
       send_in_three(r, "async: text in 3 fragments", Opcode::text, text, 5, text.size() - 2),
       Opcode::text, text});
  script.push_back(
      {"async: binary sent in 3 fragments (one empty) echoed whole",
       send_in_three(r, "async: binary in 3 fragments", Opcode::binary, binary, 1000, 1000),
       Opcode::binary, binary});
  script.push_back({"async: fragmented message from the peer received whole",
                    send_whole(Opcode::text, bytes("fragment")), Opcode::text,
                    bytes(fragmented_text)});
  const auto plain = run_script(r, url, options, std::move(script),
                                [](uvws::WebSocket& ws) { ws.send_text("close 4321 bye-bye"); });
  r.record("async: peer close 4321 \"bye-bye\" reaches on_close",
           describe_end(plain, 4321, "bye-bye"));

  // permessage-deflate (RFC 7692): both peers accept the offer.
  uvws::ClientOptions deflate = options;
  deflate.compression.enabled = true;
  const Bytes prose = [] {
    std::string s;
    for (int i = 0; i < 200; ++i)
      s += "permessage-deflate squeezes repeated text " + std::to_string(i % 7) + "; ";
    return bytes(s);
  }();
  const Bytes mixed = half_compressible(1u << 20);
  script.clear();
  script.push_back({"deflate: text echo", send_whole(Opcode::text, prose), Opcode::text, prose});
  script.push_back(
      {"deflate: 1 MiB binary echo", send_whole(Opcode::binary, mixed), Opcode::binary, mixed});
  script.push_back({"deflate: fragmented message from the peer received whole",
                    send_whole(Opcode::text, bytes("fragment")), Opcode::text,
                    bytes(fragmented_text)});
  script.push_back(
      {"deflate: text sent in 3 fragments echoed whole",
       send_in_three(r, "deflate: text in 3 fragments", Opcode::text, prose, 100, 5000),
       Opcode::text, prose});
  const auto compressed = run_script(r, url, deflate, std::move(script),
                                     [](uvws::WebSocket& ws) { ws.close(4001, "deflate-done"); });
  r.record("deflate: permessage-deflate negotiated (compressed())",
           !compressed.opened      ? "never opened"
           : compressed.compressed ? ""
                                   : "compressed() is false");
  r.record("deflate: close(4001, \"deflate-done\") reaches on_close",
           describe_end(compressed, 4001, "deflate-done"));
  r.run("deflate: the peer saw close 4001 \"deflate-done\"", [&] {
    return server.saw_line("CLOSED 4001 deflate-done", wait_limit) ? "" : "no such CLOSED line";
  });
}

// --- TLS: the test certificates and the verification failures ------------------------------

// Runs `argv` (a command and its arguments) and waits for it; "" when it exited with status 0.
std::string run_command(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    execvp(args[0], args.data());
    std::perror("uvws_client_interop: exec");
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return argv[0] + " " + argv[1] + " failed (status " + std::to_string(status) + ")";
}

// A temporary directory with the test certificates, removed again by the destructor.
class CertDir {
 public:
  explicit CertDir(const std::string& script) {
    std::string templ = (std::filesystem::temp_directory_path() / "uvws_tls_XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      throw std::system_error(errno, std::system_category(), "mkdtemp");
    }
    path_ = templ;
    const std::string failure = run_command({"sh", script, path_});
    if (!failure.empty()) throw std::runtime_error(failure);
  }
  ~CertDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  CertDir(const CertDir&) = delete;
  CertDir& operator=(const CertDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// "" when `got` contains `want`, else what came instead.
std::string contains(const std::string& got, std::string_view want) {
  if (got.find(want) != std::string::npos) return {};
  return "got \"" + got + "\", expected \"" + std::string(want) + "\"";
}

// Each certificate the client must refuse, by the name of its "PORT <name> <n>" line, with the
// reason OpenSSL gives (X509_verify_cert_error_string), through both clients.
void verification_failures(Report& r, ServerProcess& server, const uvws::ClientOptions& options) {
  struct Case {
    std::string_view name;
    std::string_view reason;
  };
  for (const Case c : {Case{"self", "certificate verify failed: self-signed certificate"},
                       Case{"expired", "certificate verify failed: certificate has expired"},
                       Case{"other", "certificate verify failed: hostname mismatch"}}) {
    const auto port = server.wait_named_port(c.name, wait_limit);
    const std::string what = "tls: " + std::string(c.name) + " certificate refused";
    if (!port) {
      r.record(what, "no \"PORT " + std::string(c.name) + " <n>\" line");
      continue;
    }
    const std::string url = "wss://localhost:" + std::to_string(*port) + "/";
    r.run(what + " by uvws::connect with \"" + std::string(c.reason) + "\"", [&] {
      try {
        auto ws = uvws::connect(url, options);
        return std::string("connected");
      } catch (const uvws::HandshakeError& e) {
        if (e.status() != 0) return "HTTP status " + std::to_string(e.status());
        if (e.code().category() != uvws::net::tls_category()) {
          return "not a TLS error: " + e.code().message();
        }
        std::printf("      %s\n", e.what());
        return contains(e.what(), c.reason) + contains(e.code().message(), c.reason);
      }
    });
    const auto async = run_script(r, url, options, {}, [](uvws::WebSocket& ws) { ws.close(); });
    r.record(what + " by uvws::Client (on_error)", !async.finished ? "timed out"
                                                   : async.opened
                                                       ? "opened"
                                                       : contains(async.errors, c.reason));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool tls = argc > 2 && std::string_view(argv[1]) == "--tls";
  if (argc < (tls ? 4 : 2)) {
    std::fprintf(stderr, "usage: %s [--tls MAKE-CERTS-SCRIPT] SERVER-COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  struct sigaction alarm_action {};
  alarm_action.sa_handler = on_alarm;
  sigaction(SIGALRM, &alarm_action, nullptr);
  alarm(overall_limit_s);

  Report report;
  try {
    std::optional<CertDir> certs;
    uvws::ClientOptions options;
    if (tls) {
      certs.emplace(argv[2]);
      setenv("UVWS_INTEROP_TLS_DIR", certs->path().c_str(), 1);
      options.tls.ca_file = certs->path() + "/ca.pem";
    }
    ServerProcess server(argv + (tls ? 3 : 1));
    const auto port = server.wait_port(std::chrono::milliseconds(15s));
    report.record("server printed its port", port ? "" : "no \"PORT <n>\" line");
    if (port) {
      // Over TLS by name: the certificate's DNS SAN (localhost) is checked, and SNI is sent.
      const std::string url =
          (tls ? "wss://localhost:" : "ws://127.0.0.1:") + std::to_string(*port) + "/";
      report.run("blocking client checks ran to the end", [&] {
        blocking_checks(report, server, url, options);
        return std::string();
      });
      report.run("async client checks ran to the end", [&] {
        async_checks(report, server, url, options);
        return std::string();
      });
      if (tls) {
        report.run("tls: the IP SAN 127.0.0.1 verifies", [&] {
          auto ws = uvws::connect("wss://127.0.0.1:" + std::to_string(*port) + "/", options);
          return echo(ws, Opcode::text, bytes("by address"));
        });
        report.run("tls: without the test CA (system store) the handshake fails", [&] {
          try {
            auto ws = uvws::connect(url);
            return std::string("connected");
          } catch (const uvws::HandshakeError& e) {
            return contains(e.what(), "unable to get local issuer certificate");
          }
        });
        report.run("tls: verification failure checks ran to the end", [&] {
          verification_failures(report, server, options);
          return std::string();
        });
      }
    }
    report.record("server stopped by SIGTERM with status 0", server.stop());
  } catch (const std::exception& e) {
    report.record("test harness", e.what());
  }
  std::printf("%d of %d checks passed\n", report.total() - report.failed(), report.total());
  return report.all_passed() ? 0 : 1;
}
