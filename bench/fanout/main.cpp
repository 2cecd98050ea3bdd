// uvws-fanout: the fan-out benchmark's client — 1 publisher and N subscribers on a broadcast
// server (uvws-broadcast: every message goes to every other client).
//
//   uvws-fanout --port P [--subscribers 1000] [--size 20 (at least 16)] [--window 16] [--seconds 5]
//               [--server-pid PID]
//
// The publisher sends small text messages as fast as the slowest subscriber allows: it stays
// at most `window` messages ahead of it, so the server's buffers stay small and what is
// measured is delivery, not queueing. Each subscriber parses its stream with uvws's own
// sans-I/O ClientProtocol and checks that messages arrive in publish order. Reports
// deliveries per second and, with --server-pid, the server's CPU time per delivery over the
// measured window (utime + stime from /proc/PID/stat). Loopback only; one thread, epoll.
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/raw_client.h"

[[noreturn]] void uvws::bench::die(const std::string& what) {
  std::fprintf(stderr, "uvws-fanout: %s\n", what.c_str());
  std::exit(1);
}

namespace {

using uvws::bench::die;
using uvws::bench::RawClient;
using uvws::bench::user_system_ticks;

using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::size_t subscribers = 1000;
  std::size_t size = 20;
  std::uint64_t window = 16;
  double seconds = 5;
  int server_pid = 0;
};

// One client connection that counts messages and checks their order.
class Client final : public uvws::ws::ProtocolListener {
 public:
  Client(const uvws::ws::ClientProtocolOptions& options, std::uint16_t port)
      : io_(options, *this, port) {}

  int fd() const { return io_.fd(); }
  bool open() const { return io_.open(); }
  std::uint64_t received() const { return received_; }

  void on_message(uvws::ws::Opcode, std::span<std::uint8_t> data) override {
    // Payloads start with the publish sequence number (16 hex digits, so that the text is
    // valid UTF-8): they must arrive in order.
    std::uint64_t seq = 0;
    const char* text = reinterpret_cast<const char*>(data.data());
    std::from_chars(text, text + std::min<std::size_t>(16, data.size()), seq, 16);
    if (seq != received_) die("message " + std::to_string(seq) + " out of order");
    ++received_;
  }
  void on_failed(std::error_code ec) override { die("connection failed: " + ec.message()); }

  void send(std::string_view payload) { io_.protocol().send_text(payload, io_.out()); }
  bool flush() { return io_.flush(); }
  void read_all() { io_.read_all(); }

 private:
  RawClient io_;
  std::uint64_t received_ = 0;
};

double server_cpu_seconds(int pid) {
  const auto [utime, stime] = user_system_ticks(pid);
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port")
      o.port = static_cast<std::uint16_t>(std::stoul(next()));
    else if (a == "--subscribers")
      o.subscribers = std::stoul(next());
    else if (a == "--size")
      o.size = std::max<std::size_t>(16, std::stoul(next()));
    else if (a == "--window")
      o.window = std::stoull(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--server-pid")
      o.server_pid = std::stoi(next());
    else
      die("unknown option " + a);
  }
  if (o.port == 0) die("--port is required");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);

  uvws::ws::ClientProtocolOptions options;
  std::vector<std::unique_ptr<Client>> subs;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < o.subscribers; ++i) {
    subs.push_back(std::make_unique<Client>(options, o.port));
    epoll_event ev{EPOLLIN | EPOLLOUT | EPOLLET, {.u64 = i}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, subs.back()->fd(), &ev);
  }
  Client publisher(options, o.port);
  epoll_event pev{EPOLLIN | EPOLLOUT | EPOLLET, {.u64 = o.subscribers}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, publisher.fd(), &pev);

  auto service = [&](int timeout_ms) {
    epoll_event events[512];
    const int n = ::epoll_wait(ep, events, 512, timeout_ms);
    for (int k = 0; k < n; ++k) {
      Client& c = events[k].data.u64 == o.subscribers ? publisher : *subs[events[k].data.u64];
      if (events[k].events & EPOLLOUT) c.flush();
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) c.read_all();
      c.flush();
    }
  };
  // Handshakes (bounded: 30 s).
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  auto all_open = [&] {
    if (!publisher.open()) return false;
    for (auto& s : subs) {
      if (!s->open()) return false;
    }
    return true;
  };
  while (!all_open()) {
    if (Clock::now() > deadline) die("handshakes did not complete in 30 s");
    service(100);
  }

  std::string payload(o.size, 'x');
  std::uint64_t published = 0;
  auto slowest = [&] {
    std::uint64_t m = UINT64_MAX;
    for (auto& s : subs) m = std::min(m, s->received());
    return m;
  };
  auto run_for = [&](double seconds) {
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      const std::uint64_t low = slowest();
      while (published < low + o.window) {
        char digits[17];
        std::snprintf(digits, sizeof digits, "%016llx", static_cast<unsigned long long>(published));
        std::memcpy(payload.data(), digits, 16);
        publisher.send(payload);
        ++published;
      }
      publisher.flush();
      service(10);
    }
  };
  run_for(std::min(1.0, o.seconds / 5));  // warm-up
  std::uint64_t delivered0 = 0;
  for (auto& s : subs) delivered0 += s->received();
  const double cpu0 = o.server_pid ? server_cpu_seconds(o.server_pid) : 0;
  const auto t0 = Clock::now();
  run_for(o.seconds);
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu1 = o.server_pid ? server_cpu_seconds(o.server_pid) : 0;
  std::uint64_t delivered = 0;
  for (auto& s : subs) delivered += s->received();
  delivered -= delivered0;

  const double per_s = static_cast<double>(delivered) / elapsed;
  std::printf(
      "{\"subscribers\":%zu,\"size\":%zu,\"seconds\":%.2f,\"deliveries\":%llu,"
      "\"deliveries_per_s\":%.0f",
      o.subscribers, o.size, elapsed, static_cast<unsigned long long>(delivered), per_s);
  if (o.server_pid) {
    std::printf(",\"server_cpu_s\":%.3f,\"server_cpu_ns_per_delivery\":%.1f", cpu1 - cpu0,
                (cpu1 - cpu0) * 1e9 / static_cast<double>(delivered));
  }
  std::printf("}\n");
  ::close(ep);
  return 0;
}
