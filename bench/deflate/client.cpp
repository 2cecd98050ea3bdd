// uvws-deflate-load: the permessage-deflate benchmark's client (bench/deflate.sh drives it).
//
//   uvws-deflate-load --port P [--connections 100] [--size 1024] [--seconds 5] [--warmup 1]
//                     [--server-pid PID] [--idle] [--no-deflate]
//
// Opens N connections that offer permessage-deflate (RFC 7692) with uvws's own sans-I/O
// ClientProtocol, and fails unless the server accepts it. Each connection has one message in
// flight: a JSON chat event of about --size bytes whose values vary from message to message
// (ids, timestamps, user names, words drawn from a small vocabulary), so that it compresses
// as real traffic does rather than as a repeated pattern would. Every echo must equal what
// was sent. Reports messages per second, the bytes the server sent per message (on the
// wire, after compression) and, with --server-pid, the server's CPU time per message over
// the measured window: total from /proc/PID/task/*/schedstat (nanoseconds, all threads), and
// the user-mode share from utime / (utime + stime) of /proc/PID/stat.
//
// --idle: each connection sends one message and reads its echo (so the server has built its
// inflater and compressor), then the program prints "idle N" and holds the connections until
// SIGTERM / SIGINT, for the memory figures. Loopback only; one thread, epoll.
#include <dirent.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "../common/raw_client.h"

[[noreturn]] void uvws::bench::die(const std::string& what) {
  std::fprintf(stderr, "uvws-deflate-load: %s\n", what.c_str());
  std::exit(1);
}

namespace {

using uvws::bench::die;
using uvws::bench::RawClient;
using uvws::bench::user_system_ticks;

using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::size_t connections = 100;
  std::size_t size = 1024;
  double seconds = 5;
  double warmup = 1;
  int server_pid = 0;
  bool idle = false;
  bool deflate = true;
};

volatile std::sig_atomic_t stop_requested = 0;

// A small, fast generator (xorshift64*): the same messages on every run.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

constexpr const char* words[] = {
    "the",    "deploy", "failed", "again",  "on",     "staging", "please", "check",
    "logs",   "for",    "server", "error",  "status", "update",  "merged", "into",
    "main",   "review", "ticket", "closed", "team",   "meeting", "at",     "noon",
    "coffee", "later",  "thanks", "looks",  "good",   "to",      "me",     "ship"};
constexpr const char* statuses[] = {"online", "away", "busy", "offline"};
constexpr const char* kinds[] = {"chat.message", "chat.edit", "presence.update", "typing"};

// A JSON chat event of about `size` bytes (at least ~300: the fixed fields).
std::string make_event(Rng& rng, std::uint64_t seq, std::size_t size) {
  std::string s;
  s.reserve(size + 128);
  char head[512];
  const auto user = rng.below(100000);
  std::snprintf(head, sizeof head,
                "{\"type\":\"%s\",\"seq\":%llu,\"id\":\"%016llx\",\"room\":\"room-%llu\","
                "\"ts\":%llu,\"user\":{\"id\":%llu,\"name\":\"user%llu\",\"status\":\"%s\","
                "\"score\":%.3f},\"reply_to\":%llu,\"text\":\"",
                kinds[rng.below(4)], static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(rng.next()),
                static_cast<unsigned long long>(rng.below(50)),
                1764748800000ULL + static_cast<unsigned long long>(seq * 37 + rng.below(1000)),
                static_cast<unsigned long long>(user), static_cast<unsigned long long>(user),
                statuses[rng.below(4)], static_cast<double>(rng.below(100000)) / 1000.0,
                static_cast<unsigned long long>(rng.below(1000000)));
  s += head;
  const std::size_t tail_room = 120;  // the fields after the text
  while (s.size() + tail_room < size) {
    s += words[rng.below(std::size(words))];
    s += ' ';
  }
  char tail[256];
  std::snprintf(tail, sizeof tail,
                "\",\"reactions\":{\"like\":%llu,\"laugh\":%llu},\"edited\":%s,"
                "\"client\":{\"v\":\"1.%llu.%llu\",\"os\":\"linux\"}}",
                static_cast<unsigned long long>(rng.below(50)),
                static_cast<unsigned long long>(rng.below(10)),
                rng.below(2) != 0 ? "true" : "false",
                static_cast<unsigned long long>(rng.below(20)),
                static_cast<unsigned long long>(rng.below(10)));
  s += tail;
  return s;
}

// One connection: a socket, a ClientProtocol with permessage-deflate, one message in flight.
class Client final : public uvws::ws::ProtocolListener {
 public:
  Client(const uvws::ws::ClientProtocolOptions& options, std::uint16_t port, std::uint64_t seed,
         std::size_t size)
      : io_(options, *this, port), rng_{seed * 0x9E3779B97F4A7C15ULL + 1}, size_(size) {}

  int fd() const { return io_.fd(); }
  bool open() const { return io_.open(); }
  std::uint64_t received() const { return received_; }
  std::uint64_t bytes_in() const { return bytes_in_; }
  // Sends the next message unless one is in flight or `sending` is off.
  void send_next(bool sending) {
    if (in_flight_ || !sending || !open()) return;
    expected_ = make_event(rng_, received_, size_);
    io_.protocol().send_text(expected_, io_.out());
    in_flight_ = true;
  }

  void on_response(const uvws::ws::HTTPResponse&) override {
    if (want_deflate_ && !io_.protocol().compression_enabled())
      die("the server declined permessage-deflate");
  }
  void on_message(uvws::ws::Opcode, std::span<std::uint8_t> data) override {
    if (std::string_view(reinterpret_cast<const char*>(data.data()), data.size()) != expected_)
      die("an echo differs from the message sent");
    in_flight_ = false;
    ++received_;
  }
  void on_failed(std::error_code ec) override { die("connection failed: " + ec.message()); }

  void expect_deflate(bool on) { want_deflate_ = on; }
  bool flush() { return io_.flush(); }
  void read_all() { bytes_in_ += io_.read_all(); }

 private:
  RawClient io_;
  Rng rng_;
  std::size_t size_;
  std::string expected_;
  std::uint64_t received_ = 0;
  std::uint64_t bytes_in_ = 0;
  bool in_flight_ = false;
  bool want_deflate_ = true;
};

// All threads' on-CPU time of `pid` in seconds (schedstat, ns); -1 without it.
double sched_cpu_seconds(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  unsigned long long total = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/schedstat");
    unsigned long long ns = 0;
    if (in >> ns) total += ns;
  }
  ::closedir(d);
  return static_cast<double>(total) / 1e9;
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
    else if (a == "--connections")
      o.connections = std::stoul(next());
    else if (a == "--size")
      o.size = std::stoul(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--warmup")
      o.warmup = std::stod(next());
    else if (a == "--server-pid")
      o.server_pid = std::stoi(next());
    else if (a == "--idle")
      o.idle = true;
    else if (a == "--no-deflate")
      o.deflate = false;
    else
      die("unknown option " + a);
  }
  if (o.port == 0) die("--port is required");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  uvws::bench::raise_descriptor_limit();
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGINT, [](int) { stop_requested = 1; });

  uvws::ws::ClientProtocolOptions options;
  options.deflate.enabled = o.deflate;
  std::vector<std::unique_ptr<Client>> clients;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < o.connections; ++i) {
    clients.push_back(std::make_unique<Client>(options, o.port, i, o.size));
    clients.back()->expect_deflate(o.deflate);
    epoll_event ev{EPOLLIN | EPOLLOUT | EPOLLET, {.u64 = i}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, clients.back()->fd(), &ev);
  }
  bool sending = true;
  auto service = [&](int timeout_ms) {
    epoll_event events[512];
    const int n = ::epoll_wait(ep, events, 512, timeout_ms);
    for (int k = 0; k < n; ++k) {
      Client& c = *clients[events[k].data.u64];
      if (events[k].events & EPOLLOUT) c.flush();
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) c.read_all();
      c.send_next(sending);
      c.flush();
    }
  };
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  auto count_open = [&] {
    std::size_t n = 0;
    for (auto& c : clients) n += c->open() ? 1U : 0U;
    return n;
  };
  while (count_open() < clients.size()) {
    if (Clock::now() > deadline) die("handshakes did not complete in 60 s");
    service(100);
  }
  for (auto& c : clients) {
    c->send_next(true);
    c->flush();
  }

  if (o.idle) {
    // One message each, then hold: the server keeps what context takeover needs.
    sending = false;
    auto all_echoed = [&] {
      for (auto& c : clients) {
        if (c->received() == 0) return false;
      }
      return true;
    };
    while (!all_echoed()) {
      if (Clock::now() > deadline) die("first echoes did not arrive in 60 s");
      service(100);
    }
    std::printf("idle %zu\n", clients.size());
    std::fflush(stdout);
    while (stop_requested == 0) service(200);
    ::close(ep);
    return 0;
  }

  auto totals = [&] {
    std::pair<std::uint64_t, std::uint64_t> t{0, 0};
    for (auto& c : clients) {
      t.first += c->received();
      t.second += c->bytes_in();
    }
    return t;
  };
  auto run_for = [&](double seconds) {
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end && stop_requested == 0) service(10);
  };
  run_for(o.warmup);
  const auto [m0, b0] = totals();
  const double cpu0 = o.server_pid ? sched_cpu_seconds(o.server_pid) : 0;
  const auto ticks0 = o.server_pid ? user_system_ticks(o.server_pid) : std::pair{0ULL, 0ULL};
  const auto t0 = Clock::now();
  run_for(o.seconds);
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu1 = o.server_pid ? sched_cpu_seconds(o.server_pid) : 0;
  const auto ticks1 = o.server_pid ? user_system_ticks(o.server_pid) : std::pair{0ULL, 0ULL};
  const auto [m1, b1] = totals();
  const auto messages = m1 - m0;
  if (messages == 0) die("no message echoed in the measured window");
  const double per = static_cast<double>(messages);
  std::printf(
      "{\"open\":%zu,\"size\":%zu,\"deflate\":%s,\"seconds\":%.2f,\"messages\":%llu,"
      "\"msg_per_s\":%.0f,\"wire_bytes_per_msg\":%.1f",
      clients.size(), o.size, o.deflate ? "true" : "false", elapsed,
      static_cast<unsigned long long>(messages), per / elapsed, static_cast<double>(b1 - b0) / per);
  if (o.server_pid) {
    const double du = static_cast<double>(ticks1.first - ticks0.first);
    const double ds = static_cast<double>(ticks1.second - ticks0.second);
    const double user_share = du + ds > 0 ? du / (du + ds) : 0;
    const double ns = (cpu1 - cpu0) * 1e9 / per;
    std::printf(
        ",\"server_cpu_ns_per_msg\":%.1f,\"server_user_share\":%.3f,"
        "\"server_user_ns_per_msg\":%.1f",
        ns, user_share, ns * user_share);
  }
  std::printf("}\n");
  ::close(ep);
  return 0;
}
