// uvws-fanout: the fan-out benchmarks' client — 1 publisher and N subscribers on a broadcast
// service (every message goes to every other client): one server (uvws-broadcast,
// bench/fanout.sh) or several sharing a Redis (bench/redis_fanout.sh).
//
//   uvws-fanout --port P [--sub-ports P1,P2,...] [--subscribers 1000] [--size 20 (at least 20)]
//               [--window 16 | --rate MESSAGES_PER_S] [--seconds 5] [--socketio]
//               [--server-pid PID[,PID...]] [--redis-pid PID] [--deflate]
//
// The publisher connects to --port; subscriber i to the (i mod n)-th of --sub-ports (default:
// --port). By default it sends small text messages as fast as the slowest subscriber allows:
// at most `window` messages ahead of it, so the servers' buffers stay small and what is
// measured is delivery, not queueing. With --rate it sends that many messages per second
// instead, whatever the subscribers do. Each payload holds its sequence number and the
// publisher's CLOCK_MONOTONIC send time (client.h); each subscriber parses its stream with
// uvws's own sans-I/O ClientProtocol, checks that messages arrive in publish order and records
// the publish-to-receive latency (the read time is taken once per readiness event of a socket).
// Before the measured window, messages are published one at a time until every subscriber has
// received one (a server that subscribes to Redis late must not count as losing messages); after
// it, every subscriber must receive every message published, within 5 s, or the run fails.
//
// --socketio speaks Socket.IO (Engine.IO 4 over WebSocket, socketio.h) instead of plain
// WebSocket messages: the same payload, as the argument of event "m". --deflate offers
// permessage-deflate on every connection (a server that accepts it sends compressed frames,
// which the subscribers inflate).
//
// Prints one JSON line: deliveries per second; with --server-pid, the servers' CPU time summed
// (utime + stime from /proc/PID/stat, all threads) per delivery over the measured window; with
// --redis-pid, Redis's the same way, separately; its own CPU time per delivery (getrusage);
// latency percentiles in microseconds.
// Loopback only; one thread, epoll.
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "client.h"

[[noreturn]] void uvws::bench::die(const std::string& what) {
  std::fprintf(stderr, "uvws-fanout: %s\n", what.c_str());
  std::exit(1);
}

namespace {

using uvws::bench::Client;
using uvws::bench::Deliveries;
using uvws::bench::die;
using uvws::bench::monotonic_ns;
using uvws::bench::user_system_ticks;
namespace payload = uvws::bench::payload;

using Clock = std::chrono::steady_clock;

struct Options {
  std::uint16_t port = 0;
  std::vector<std::uint16_t> sub_ports;
  std::size_t subscribers = 1000;
  std::size_t size = 20;
  std::uint64_t window = 16;
  double rate = 0;  // messages per second; 0: window-limited
  double seconds = 5;
  bool socketio = false;
  bool deflate = false;  // every client offers permessage-deflate (and inflates what it gets)
  std::vector<int> server_pids;
  int redis_pid = 0;
};

// "a,b,c" as numbers.
template <typename T>
std::vector<T> numbers(const std::string& list) {
  std::vector<T> out;
  std::size_t at = 0;
  while (at <= list.size()) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    out.push_back(static_cast<T>(std::stol(list.substr(at, comma - at))));
    at = comma + 1;
  }
  return out;
}

// This process's own CPU time (seconds): the client's cost, for judging what bounds latency.
double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The CPU time (seconds) of the processes `pids`, summed.
double cpu_seconds(const std::vector<int>& pids) {
  unsigned long long ticks = 0;
  for (int pid : pids) {
    const auto [utime, stime] = user_system_ticks(pid);
    ticks += utime + stime;
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
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
    else if (a == "--sub-ports")
      o.sub_ports = numbers<std::uint16_t>(next());
    else if (a == "--subscribers")
      o.subscribers = std::stoul(next());
    else if (a == "--size")
      o.size = std::max<std::size_t>(payload::min_size, std::stoul(next()));
    else if (a == "--window")
      o.window = std::stoull(next());
    else if (a == "--rate")
      o.rate = std::stod(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--deflate")
      o.deflate = true;
    else if (a == "--socketio")
      o.socketio = true;
    else if (a == "--server-pid")
      o.server_pids = numbers<int>(next());
    else if (a == "--redis-pid")
      o.redis_pid = std::stoi(next());
    else
      die("unknown option " + a);
  }
  if (o.port == 0) die("--port is required");
  if (o.sub_ports.empty()) o.sub_ports.push_back(o.port);
  if (o.rate < 0 || o.window == 0 || o.subscribers == 0)
    die("bad --rate, --window or --subscribers");
  return o;
}

// The clients and their epoll set. Owns both.
class Fanout {
 public:
  explicit Fanout(const Options& o) : payload_(o.size, 'x') {
    options_.deflate.enabled = o.deflate;
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < o.subscribers; ++i) {
      add(std::make_unique<Client>(options_, o.sub_ports[i % o.sub_ports.size()], o.socketio,
                                   &deliveries_));
    }
    add(std::make_unique<Client>(options_, o.port, o.socketio, nullptr));
  }
  ~Fanout() { ::close(ep_); }
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  Deliveries& deliveries() { return deliveries_; }
  std::uint64_t published() const { return published_; }
  Client& publisher() { return *clients_.back(); }
  std::size_t subscribers() const { return clients_.size() - 1; }
  Client& subscriber(std::size_t i) { return *clients_[i]; }

  // Waits up to `ms` for socket events and serves them.
  void service(int ms) {
    epoll_event events[512];
    const int n = ::epoll_wait(ep_, events, 512, ms);
    for (int k = 0; k < n; ++k) {
      Client& c = *clients_[events[k].data.u64];
      if (events[k].events & EPOLLOUT) c.flush();
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) c.read_all(monotonic_ns());
      c.flush();
    }
  }
  // Serves until every client is ready; dies after `seconds`.
  void wait_ready(int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (!std::all_of(clients_.begin(), clients_.end(), [](auto& c) { return c->ready(); })) {
      if (Clock::now() > deadline) die("handshakes did not complete in time");
      service(100);
    }
  }
  // The lowest next() over the subscribers, and the number of subscribers that got nothing.
  std::pair<std::uint64_t, std::size_t> slowest() {
    std::uint64_t low = UINT64_MAX;
    std::size_t none = 0;
    for (std::size_t i = 0; i < subscribers(); ++i) {
      low = std::min(low, subscriber(i).next());
      none += subscriber(i).received() == 0;
    }
    return {low, none};
  }
  std::uint64_t received() {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < subscribers(); ++i) sum += subscriber(i).received();
    return sum;
  }
  void publish() {
    payload::stamp(payload_, published_++, monotonic_ns());
    publisher().send(payload_);
  }

 private:
  void add(std::unique_ptr<Client> c) {
    epoll_event ev{EPOLLIN | EPOLLOUT | EPOLLET, {.u64 = clients_.size()}};
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd(), &ev);
    clients_.push_back(std::move(c));
  }

  uvws::ws::ClientProtocolOptions options_;
  Deliveries deliveries_;
  std::vector<std::unique_ptr<Client>> clients_;  // the subscribers, then the publisher
  std::string payload_;
  std::uint64_t published_ = 0;
  int ep_ = -1;
};

// Publishes one message at a time until every subscriber has received one (at most 10 s).
void prime(Fanout& f) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (f.slowest().second > 0) {
    if (Clock::now() > deadline) die("some subscribers received nothing in 10 s");
    f.publish();
    f.publisher().flush();
    const auto step = Clock::now() + std::chrono::milliseconds(50);
    while (f.slowest().second > 0 && Clock::now() < step) f.service(5);
  }
}

// Publishes for `seconds`: window-limited, or at o.rate messages per second.
void run_for(Fanout& f, const Options& o, double seconds) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(o.rate > 0 ? 1 / o.rate : 0));
  auto next_send = Clock::now();
  for (auto now = Clock::now(); now < end; now = Clock::now()) {
    int wait_ms = 10;
    if (o.rate > 0) {
      for (; next_send <= now; next_send += interval) {
        f.publish();
      }
      const auto until = std::min(next_send, end) - now;
      wait_ms =
          static_cast<int>(std::ceil(std::chrono::duration<double, std::milli>(until).count()));
    } else {
      for (const std::uint64_t low = f.slowest().first; f.published() < low + o.window;)
        f.publish();
    }
    f.publisher().flush();
    f.service(wait_ms);
  }
}

// Serves until every subscriber has every message published (at most 5 s).
void drain(Fanout& f) {
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (f.slowest().first < f.published()) {
    if (Clock::now() > deadline) {
      die("a subscriber is missing " + std::to_string(f.published() - f.slowest().first) +
          " messages 5 s after the last was published");
    }
    f.service(10);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  uvws::bench::raise_descriptor_limit();

  Fanout f(o);
  f.wait_ready(30);
  prime(f);
  run_for(f, o, std::min(1.0, o.seconds / 5));  // warm-up
  const std::uint64_t delivered0 = f.received();
  const double cpu0 = cpu_seconds(o.server_pids);
  const double redis0 = o.redis_pid ? cpu_seconds({o.redis_pid}) : 0;
  const double own0 = own_cpu_seconds();
  const auto t0 = Clock::now();
  f.deliveries().recording = true;
  run_for(f, o, o.seconds);
  f.deliveries().recording = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double own1 = own_cpu_seconds();
  const double cpu1 = cpu_seconds(o.server_pids);
  const double redis1 = o.redis_pid ? cpu_seconds({o.redis_pid}) : 0;
  const std::uint64_t delivered = f.received() - delivered0;
  drain(f);

  const auto& latency = f.deliveries().latency;
  const double per_s = static_cast<double>(delivered) / elapsed;
  const double n = static_cast<double>(delivered);
  std::printf(
      "{\"subscribers\":%zu,\"size\":%zu,\"seconds\":%.2f,\"deliveries\":%llu,"
      "\"deliveries_per_s\":%.0f",
      o.subscribers, o.size, elapsed, static_cast<unsigned long long>(delivered), per_s);
  if (!o.server_pids.empty()) {
    std::printf(",\"server_cpu_s\":%.3f,\"server_cpu_ns_per_delivery\":%.1f", cpu1 - cpu0,
                (cpu1 - cpu0) * 1e9 / n);
  }
  if (o.redis_pid) {
    std::printf(",\"redis_cpu_s\":%.3f,\"redis_cpu_ns_per_delivery\":%.1f", redis1 - redis0,
                (redis1 - redis0) * 1e9 / n);
  }
  std::printf(
      ",\"client_cpu_ns_per_delivery\":%.1f,\"rate\":%.1f,\"latency_p50_us\":%.1f,\"latency_p99_"
      "us\":%.1f,\"latency_max_us\":%.1f}\n",
      (own1 - own0) * 1e9 / n, o.rate, static_cast<double>(latency.quantile(0.5)) / 1e3,
      static_cast<double>(latency.quantile(0.99)) / 1e3, static_cast<double>(latency.max()) / 1e3);
  return 0;
}
