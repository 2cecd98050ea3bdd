// The load generator: one epoll loop driving echo, pipelined, idle and 1 MiB loads
// (load_generator.h). Over 400 lines for a reason: the four modes share the loop, the connection
// table and the result accounting, and read best next to each other; a split would pass that state
// around.
#include "load_generator.h"

#include <dirent.h>
#include <netdb.h>
#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace uvws::bench {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) {
  stop_requested = 1;
}

std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t seconds_to_ns(double s) {
  return static_cast<std::uint64_t>(s * 1e9);
}
double ns_to_seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}
double ns_to_us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

// utime + stime of process `pid` in seconds (proc(5): fields 14 and 15 of /proc/PID/stat,
// in clock ticks); -1 when it cannot be read.
double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may contain spaces and parentheses: skip to the last ')'.
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// On-CPU time of every thread of process `pid` in seconds, with nanosecond precision: the first
// field of /proc/PID/task/TID/schedstat (sum_exec_runtime, which utime + stime are cut from);
// -1 when the kernel does not provide it.
double process_sched_cpu_seconds(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  unsigned long long total = 0;
  bool any = false;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(dir + "/" + e->d_name + "/schedstat");
    unsigned long long ns = 0;
    if (in >> ns) {
      total += ns;
      any = true;
    }
  }
  ::closedir(d);
  return any ? static_cast<double>(total) / 1e9 : -1;
}

double own_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

// 10,000 connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

// The epoll tag of the rate timer; connections are tagged with their own address.
char timer_tag;

}  // namespace

LoadGenerator::LoadGenerator(Options options)
    : options_(std::move(options)), pattern_(options_.size, options_.binary) {
  read_buffer_.resize(256 * 1024);
}

LoadGenerator::~LoadGenerator() {
  connections_.clear();
  if (session_ != nullptr) SSL_SESSION_free(session_);
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
  if (timer_fd_ >= 0) ::close(timer_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void LoadGenerator::resolve() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(options_.port);
  const int rc = ::getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &result);
  if (rc != 0 || result == nullptr) {
    throw std::runtime_error("cannot resolve " + options_.host + ": " + ::gai_strerror(rc));
  }
  std::memcpy(&address_, result->ai_addr, result->ai_addrlen);
  address_len_ = result->ai_addrlen;
  const bool v6 = result->ai_family == AF_INET6;
  ::freeaddrinfo(result);
  host_header_ = (v6 ? "[" + options_.host + "]" : options_.host) + ":" + port;
}

// The TLS client context: TLS 1.3 only (the protocol whose session tickets --resume uses),
// OpenSSL's defaults otherwise (cipher suites, groups), no certificate verification.
void LoadGenerator::setup_tls() {
  tls_ctx_ = SSL_CTX_new(TLS_client_method());
  if (tls_ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(tls_ctx_, TLS1_3_VERSION);
  SSL_CTX_set_verify(tls_ctx_, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(tls_ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(tls_ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
}

std::unique_ptr<Connection> LoadGenerator::make_connection(std::uint32_t index) {
  auto c = std::make_unique<Connection>(index, pattern_, options_.deflate);
  if (tls_ctx_ != nullptr) c->use_tls(tls_ctx_, options_.resume ? session_ : nullptr);
  return c;
}

int LoadGenerator::run() {
  raise_fd_limit();
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  resolve();
  if (options_.tls) setup_tls();
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
  if (options_.rate > 0) {
    timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) throw std::runtime_error(std::string("timerfd: ") + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &timer_tag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev);
  }
  connections_.reserve(options_.connections);
  for (std::uint32_t i = 0; i < options_.connections; ++i) {
    connections_.push_back(make_connection(i));
  }

  second_start_ns_ = now_ns();
  if (options_.handshakes) {
    cycle_handshakes();
    close_all();
    report();
    const bool resumed = !options_.resume || window_resumed_ == window_cycles_;
    return errors_ == 0 && window_cycles_ > 0 && resumed ? 0 : 1;
  }
  connect_all();
  if (options_.idle) {
    hold_idle();
  } else if (opened_ > 0 && !stop_requested) {
    traffic();
  }
  close_all();
  report();
  const bool complete = opened_ == options_.connections && (options_.idle || window_echoes_ > 0);
  return errors_ == 0 && complete ? 0 : 1;
}

// --- Events -------------------------------------------------------------------------------------

void LoadGenerator::poll(int timeout_ms) {
  epoll_event events[512];
  const int n = ::epoll_wait(epoll_fd_, events, 512, timeout_ms);
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == &timer_tag) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] const auto r = ::read(timer_fd_, &expirations, sizeof expirations);
      continue;
    }
    handle(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
  }
  // --handshakes: the closed connections are replaced only now, when no event of this batch
  // can point at them any more.
  for (const std::uint32_t index : restart_) {
    if (!cycling_) break;
    connections_[index] = make_connection(index);
    start_connection(*connections_[index]);
  }
  restart_.clear();
  const std::uint64_t now = now_ns();
  schedule(now);
  progress(now);
}

void LoadGenerator::handle(Connection& c, std::uint32_t events) {
  if (c.fd() < 0) return;  // closed earlier in this batch of events
  if (c.state() == Connection::State::connecting) {
    if (!c.connected(host_header_, options_.path)) return fail(c);
    update_interest(c);
    return;
  }
  if (c.state() == Connection::State::tls_handshaking) {
    if (!c.tls_handshake(host_header_, options_.path)) return fail(c);
    update_interest(c);
    return;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    read_from(c);
    if (c.fd() < 0) return;
  }
  if (!c.flush()) return fail(c);
  update_interest(c);
}

void LoadGenerator::read_from(Connection& c) {
  for (;;) {
    const ssize_t n = c.read_some(read_buffer_);
    if (n > 0) {
      const auto before = c.state();
      if (!c.receive({read_buffer_.data(), static_cast<std::size_t>(n)}, now_ns(), *this)) {
        return fail(c);
      }
      if (before == Connection::State::handshaking && c.state() == Connection::State::open) {
        opened(c);
      }
      if (c.state() == Connection::State::closed) return finished(c);
      // A short read emptied the socket; SSL_read returns one record at a time, so with TLS
      // only EAGAIN says so.
      if (c.ssl() == nullptr && static_cast<std::size_t>(n) < read_buffer_.size()) return;
    } else if (n == 0) {
      if (!c.receive_eof()) return fail(c);
      return finished(c);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else {
      // The connection failed (RST): an error unless we were done with it.
      if (c.state() == Connection::State::closing) return finished(c);
      return fail(c);
    }
  }
}

void LoadGenerator::update_interest(Connection& c) {
  const bool want = c.wants_write() || c.state() == Connection::State::connecting;
  if (want == c.epollout) return;
  epoll_event ev{};
  ev.events = want ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd(), &ev);
  c.epollout = want;
}

void LoadGenerator::start_connection(Connection& c) {
  ++pending_;
  if (!c.connect(reinterpret_cast<const sockaddr*>(&address_), address_len_)) {
    fail(c);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd(), &ev);
  c.epollout = true;
}

void LoadGenerator::start_connects() {
  while (pending_ < options_.connect_batch && next_connect_ < connections_.size()) {
    start_connection(*connections_[next_connect_++]);
  }
}

// The upgrade was answered. --handshakes: the cycle goes on with the close handshake at once.
void LoadGenerator::opened(Connection& c) {
  --pending_;
  ++opened_;
  ++active_;
  SSL* ssl = c.ssl();
  if (ssl != nullptr && cipher_.empty()) cipher_ = SSL_get_cipher_name(ssl);
  if (!cycling_) return;
  if (ssl != nullptr && options_.resume) {
    // The server's TLS 1.3 ticket came right after its handshake, before the upgrade response.
    SSL_SESSION* session = SSL_get1_session(ssl);
    if (session != nullptr && SSL_SESSION_is_resumable(session)) {
      if (session_ != nullptr) SSL_SESSION_free(session_);
      session_ = session;
    } else if (session != nullptr) {
      SSL_SESSION_free(session);
    }
  }
  c.send_close();
}

void LoadGenerator::fail(Connection& c) {
  ++errors_;
  if (errors_ <= 10) {
    std::fprintf(stderr, "loadgen: connection %u: %s\n", c.index(), c.error().c_str());
  }
  const auto state = c.state();
  if (state == Connection::State::idle || state == Connection::State::connecting ||
      state == Connection::State::handshaking) {
    --pending_;
  } else {
    --active_;
  }
  c.due.clear();
  c.close(true);
  if (cycling_) restart_.push_back(c.index());
}

void LoadGenerator::finished(Connection& c) {
  const bool resumed = c.ssl() != nullptr && SSL_session_reused(c.ssl()) == 1;
  --active_;
  c.close(false);
  if (!cycling_) return;
  if (measuring_) {
    ++window_cycles_;
    if (resumed) ++window_resumed_;
  }
  restart_.push_back(c.index());
}

void LoadGenerator::on_echo(Connection& c, std::uint64_t start_ns, std::uint64_t now) {
  const std::uint64_t latency = now - start_ns;
  if (measuring_) {
    ++window_echoes_;
    latency_.record(latency);
  }
  ++second_echoes_;
  second_latency_.record(latency);
  if (!sending_ || c.state() != Connection::State::open) return;
  if (options_.rate == 0) {
    c.send_message(now);
  } else if (!c.due.empty()) {
    c.send_message(c.due.front());
    c.due.pop_front();
  }
}

// Fixed-rate mode: the k-th message is due at rate_start + k / rate, on the connections in
// turn; it is sent at once unless its connection already has `inflight` messages out.
void LoadGenerator::schedule(std::uint64_t now) {
  if (!sending_ || options_.rate == 0 || active_ == 0) return;
  while (next_due_ns_ <= now) {
    Connection* c = nullptr;
    for (std::size_t tries = 0; tries < connections_.size() && c == nullptr; ++tries) {
      Connection& candidate = *connections_[round_robin_++ % connections_.size()];
      if (candidate.state() == Connection::State::open) c = &candidate;
    }
    if (c == nullptr) return;
    if (c->in_flight() < options_.inflight) {
      c->send_message(next_due_ns_);
      to_flush_.push_back(c);
    } else {
      c->due.push_back(next_due_ns_);
    }
    ++scheduled_;
    next_due_ns_ = rate_start_ns_ + static_cast<std::uint64_t>(static_cast<double>(scheduled_) *
                                                               1e9 / options_.rate);
  }
  for (Connection* c : to_flush_) {
    if (c->fd() < 0) continue;
    if (!c->flush()) {
      fail(*c);
    } else {
      update_interest(*c);
    }
  }
  to_flush_.clear();
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(next_due_ns_ / 1'000'000'000u);
  when.it_value.tv_nsec = static_cast<long>(next_due_ns_ % 1'000'000'000u);
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &when, nullptr);
}

void LoadGenerator::progress(std::uint64_t now) {
  if (now - second_start_ns_ < 1'000'000'000u) return;
  const double elapsed = ns_to_seconds(now - second_start_ns_);
  if (!options_.quiet) {
    if (!sending_ && !measuring_ && second_echoes_ == 0) {
      std::fprintf(stderr, "loadgen: open %zu/%zu, errors %llu\n", active_, options_.connections,
                   static_cast<unsigned long long>(errors_));
    } else {
      const double rate = static_cast<double>(second_echoes_) / elapsed;
      std::fprintf(
          stderr,
          "loadgen: %s%.0f msg/s, %.2f MB/s, p50 %.1f us, p99 %.1f us, open %zu, "
          "errors %llu\n",
          measuring_ ? "" : "(warm-up) ", rate, rate * static_cast<double>(options_.size) / 1e6,
          ns_to_us(second_latency_.quantile(0.5)), ns_to_us(second_latency_.quantile(0.99)),
          active_, static_cast<unsigned long long>(errors_));
    }
  }
  second_start_ns_ = now;
  second_echoes_ = 0;
  second_latency_.clear();
}

// --- Phases -------------------------------------------------------------------------------------

void LoadGenerator::connect_all() {
  // A new connection starts as soon as one finishes its handshake or fails.
  while ((pending_ > 0 || next_connect_ < connections_.size()) && !stop_requested) {
    start_connects();
    poll(100);
  }
}

void LoadGenerator::hold_idle() {
  std::printf("idle %zu\n", active_);
  std::fflush(stdout);
  const std::uint64_t start = now_ns();
  const std::uint64_t end =
      options_.duration > 0 ? start + seconds_to_ns(options_.duration) : UINT64_MAX;
  while (!stop_requested && now_ns() < end) poll(100);
  held_seconds_ = ns_to_seconds(now_ns() - start);
}

void LoadGenerator::traffic() {
  sending_ = true;
  const std::uint64_t start = now_ns();
  if (options_.rate > 0) {
    rate_start_ns_ = next_due_ns_ = start;
  } else {
    for (auto& c : connections_) {
      if (c->state() != Connection::State::open) continue;
      for (std::size_t i = 0; i < options_.inflight; ++i) c->send_message(start);
      if (!c->flush()) {
        fail(*c);
      } else {
        update_interest(*c);
      }
    }
  }
  const std::uint64_t warm_end = start + seconds_to_ns(options_.warmup);
  while (!stop_requested && now_ns() < warm_end && active_ > 0) poll(10);

  // The measured window: echoes, latencies, and CPU time of both processes.
  begin_window();
  const std::uint64_t end =
      options_.duration > 0 ? window_start_ns_ + seconds_to_ns(options_.duration) : UINT64_MAX;
  while (!stop_requested && active_ > 0) {
    if (options_.messages > 0 && window_echoes_ >= options_.messages) break;
    if (now_ns() >= end) break;
    poll(10);
  }
  end_window();

  // Drain: let the messages in flight come back (not counted) before closing.
  sending_ = false;
  for (auto& c : connections_) c->due.clear();
  const std::uint64_t drain_end = now_ns() + 2'000'000'000u;
  auto in_flight = [&] {
    for (auto& c : connections_) {
      if (c->fd() >= 0 && c->in_flight() > 0) return true;
    }
    return false;
  };
  while (!stop_requested && now_ns() < drain_end && in_flight()) poll(10);
}

void LoadGenerator::begin_window() {
  const int pid = options_.server_pid;
  server_cpu0_ = pid > 0 ? process_cpu_seconds(pid) : -1;
  server_sched0_ = pid > 0 ? process_sched_cpu_seconds(pid) : -1;
  client_cpu0_ = own_cpu_seconds();
  window_start_ns_ = now_ns();
  measuring_ = true;
}

void LoadGenerator::end_window() {
  measuring_ = false;
  window_end_ns_ = now_ns();
  client_cpu_ = own_cpu_seconds() - client_cpu0_;
  const int pid = options_.server_pid;
  if (server_cpu0_ >= 0) {
    const double server_cpu1 = process_cpu_seconds(pid);
    if (server_cpu1 >= 0) server_cpu_ = server_cpu1 - server_cpu0_;
  }
  if (server_sched0_ >= 0) {
    const double server_sched1 = process_sched_cpu_seconds(pid);
    if (server_sched1 >= 0) server_sched_cpu_ = server_sched1 - server_sched0_;
  }
}

void LoadGenerator::cycle_handshakes() {
  cycling_ = true;
  for (auto& c : connections_) start_connection(*c);
  const std::uint64_t warm_end = now_ns() + seconds_to_ns(options_.warmup);
  while (!stop_requested && now_ns() < warm_end) poll(10);
  begin_window();
  const std::uint64_t end = window_start_ns_ + seconds_to_ns(options_.duration);
  while (!stop_requested && now_ns() < end) poll(10);
  end_window();
  // The cycles under way end with close_all (open ones) or are reset (the others).
  cycling_ = false;
  restart_.clear();
}

void LoadGenerator::close_all() {
  // RFC 6455 7.1.2: our close frame, then the server's answer; the server then ends TCP first
  // (7.1.1), so the TIME_WAIT state stays on its side and our ports are free for the next run.
  for (auto& c : connections_) {
    if (c->state() != Connection::State::open) continue;
    c->send_close();
    if (!c->flush()) {
      fail(*c);
    } else {
      update_interest(*c);
    }
  }
  const std::uint64_t end = now_ns() + 2'000'000'000u;
  while (active_ > 0 && now_ns() < end) poll(10);
  for (auto& c : connections_) c->close(true);
}

void LoadGenerator::report() const {
  if (options_.idle) {
    std::printf(
        "{\"mode\":\"idle\",\"connections\":%zu,\"open\":%zu,\"seconds\":%.3f,"
        "\"errors\":%llu}\n",
        options_.connections, opened_, held_seconds_, static_cast<unsigned long long>(errors_));
    std::fflush(stdout);
    return;
  }
  const double seconds = ns_to_seconds(window_end_ns_ - window_start_ns_);
  const double rate = seconds > 0 ? static_cast<double>(window_echoes_) / seconds : 0;
  // The server's CPU time over the window, from both sources (process_sched_cpu_seconds).
  const bool cycles = options_.handshakes;
  const std::uint64_t count = cycles ? window_cycles_ : window_echoes_;
  auto cpu_fields = [&](const char* seconds_name, const char* per_name, double cpu) {
    char text[128];
    if (cpu < 0 || count == 0) {
      std::snprintf(text, sizeof text, "\"%s\":null,\"%s\":null", seconds_name, per_name);
    } else {
      std::snprintf(text, sizeof text, "\"%s\":%.6f,\"%s\":%.1f", seconds_name, cpu, per_name,
                    cpu * 1e9 / static_cast<double>(count));
    }
    return std::string(text);
  };
  const std::string server =
      cpu_fields("server_cpu_s", cycles ? "server_ns_per_handshake" : "server_ns_per_msg",
                 server_cpu_) +
      "," +
      cpu_fields("server_sched_cpu_s",
                 cycles ? "server_sched_ns_per_handshake" : "server_sched_ns_per_msg",
                 server_sched_cpu_);
  const std::string tls =
      "\"tls\":" + std::string(options_.tls ? "true" : "false") + ",\"cipher\":\"" + cipher_ + "\"";
  if (cycles) {
    std::printf(
        "{\"mode\":\"handshake\",%s,\"resume\":%s,\"connections\":%zu,\"seconds\":%.3f,"
        "\"handshakes\":%llu,\"resumed\":%llu,\"handshakes_per_s\":%.1f,\"errors\":%llu,%s,"
        "\"client_cpu_s\":%.3f}\n",
        tls.c_str(), options_.resume ? "true" : "false", options_.connections, seconds,
        static_cast<unsigned long long>(window_cycles_),
        static_cast<unsigned long long>(window_resumed_),
        seconds > 0 ? static_cast<double>(window_cycles_) / seconds : 0,
        static_cast<unsigned long long>(errors_), server.c_str(), client_cpu_);
    std::fflush(stdout);
    return;
  }
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%zu,\"open\":%zu,\"size\":%zu,\"inflight\":%zu,"
      "\"binary\":%s,\"rate\":%.0f,\"seconds\":%.3f,\"messages\":%llu,\"msg_per_s\":%.1f,"
      "\"mb_per_s\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
      "\"errors\":%llu,%s,\"client_cpu_s\":%.3f,%s}\n",
      options_.rate > 0 ? "rate" : "closed", options_.connections, opened_, options_.size,
      options_.inflight, options_.binary ? "true" : "false", options_.rate, seconds,
      static_cast<unsigned long long>(window_echoes_), rate,
      rate * static_cast<double>(options_.size) / 1e6, ns_to_us(latency_.quantile(0.5)),
      ns_to_us(latency_.quantile(0.99)), ns_to_us(latency_.quantile(0.999)),
      ns_to_us(latency_.max()), static_cast<unsigned long long>(errors_), server.c_str(),
      client_cpu_, tls.c_str());
  std::fflush(stdout);
}

}  // namespace uvws::bench
