#include "soak.h"

#include <arpa/inet.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "echo_peer.h"
#include "fault_peer.h"

namespace soak {

namespace {

constexpr std::uint64_t sample_ms = 100;
constexpr std::uint64_t settle_deadline_ms = 20000;
// Past these (the ramp, soak and drain phases: the soak's length plus this; the final phase:
// this), the soak has hung: it stops and fails. soak.sh's own timeout is longer than both
// together with the settle phase's 20 s, so that the failure says where it hung.
constexpr std::uint64_t hang_margin_ms = 90000;
constexpr std::uint64_t final_deadline_ms = 80000;

}  // namespace

Soak::Soak(Options options)
    : options_(std::move(options)),
      probe_(options_.server_pid),
      rng_(options_.seed != 0 ? options_.seed
                              : static_cast<std::uint64_t>(std::time(nullptr)) * 2654435761u) {
  if (options_.seed == 0) options_.seed = rng_.next() % 1000000000;
  rng_ = Rng(options_.seed);
  if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init");
  if (uv_ip4_addr(options_.host.c_str(), options_.port, &addr_) != 0) {
    throw std::runtime_error("not an IPv4 address: " + options_.host);
  }
  uv_timer_init(&loop_, &sample_timer_);
  uv_timer_init(&loop_, &phase_timer_);
  sample_timer_.data = this;
  phase_timer_.data = this;
}

Soak::~Soak() {
  uv_close(reinterpret_cast<uv_handle_t*>(&sample_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&phase_timer_), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

std::uint64_t Soak::elapsed_ms() const {
  return uv_now(&loop_) - start_ms_;
}

int Soak::run() {
  std::printf("soak: seed=%llu connections=%zu seconds=%g fault_percent=%g server_pid=%d\n",
              static_cast<unsigned long long>(options_.seed), options_.connections,
              options_.seconds, options_.fault_percent, static_cast<int>(options_.server_pid));
  std::fflush(stdout);
  const auto fds = probe_.fd_count();
  const auto rss = probe_.rss_kib();
  if (!fds || !rss) {
    std::fprintf(stderr, "soak: cannot read /proc/%d\n", static_cast<int>(options_.server_pid));
    return 2;
  }
  fd_baseline_ = fd_peak_ = *fds;
  rss_baseline_kib_ = rss_peak_kib_ = *rss;
  start_ms_ = phase_ms_ = uv_now(&loop_);
  slots_.assign(options_.connections, nullptr);
  faulty_.resize(options_.connections);
  slots_first_.assign(options_.connections, true);
  // The ramp opens the well-behaved slots; the faulty ones start with the soak phase, so that
  // the stalled peers' megabytes do not slow the ramp down.
  for (std::size_t i = 0; i < options_.connections; ++i) {
    faulty_[i] = rng_.chance(options_.fault_percent);
    if (!faulty_[i]) pending_.push_back(i);
  }
  ramp_left_ = pending_.size();
  uv_timer_start(&sample_timer_, on_sample, sample_ms, sample_ms);
  // The hang guard; the phase timer is re-armed by the soak phase.
  uv_timer_start(&phase_timer_, on_phase,
                 static_cast<std::uint64_t>(options_.seconds * 1000) + hang_margin_ms, 0);
  if (ramp_left_ == 0) {
    enter(Phase::soak);  // every slot is faulty: nothing to ramp
  } else {
    pump();
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  report();
  return stats_.failures == 0 ? 0 : 1;
}

void Soak::pump() {
  while (window_used_ < options_.connect_window && !pending_.empty()) {
    const std::size_t slot = pending_.front();
    pending_.pop_front();
    spawn(slot);
  }
}

void Soak::spawn(std::size_t slot) {
  const std::uint64_t key = next_key_++;
  Peer* peer = nullptr;
  if (phase_ == Phase::final) {
    peer = new EchoPeer(*this, key, true, 0);
  } else if (faulty_[slot]) {
    peer = make_fault_peer(*this, key, rng_);
  } else {
    // One well-behaved peer in ten lives for 5 to 30 bursts, then closes and is replaced.
    peer = new EchoPeer(*this, key, false, rng_.chance(10) ? rng_.between(5, 30) : 0);
  }
  peer->slot = slot;
  peer->in_window = true;
  // The ramp ends when each well-behaved slot's first peer is through its handshake (a peer
  // that ends and is replaced meanwhile does not hold it up).
  peer->in_ramp = phase_ == Phase::ramp && slots_first_[slot];
  slots_first_[slot] = false;
  slots_[slot] = peer;
  ++window_used_;
  ++live_;
  ++peers_spawned_;
  peer->start();
}

void Soak::handshake_over(Peer& peer) {
  if (peer.in_ramp) {
    peer.in_ramp = false;
    if (--ramp_left_ == 0 && phase_ == Phase::ramp) enter(Phase::soak);
  }
  if (!peer.in_window) return;
  peer.in_window = false;
  --window_used_;
  pump();
}

void Soak::ready(Peer&) {
  ++final_ready_;
  maybe_stop_server();
}

void Soak::closed(Peer& peer) {
  const std::size_t slot = peer.slot;
  if (slots_[slot] == &peer) slots_[slot] = nullptr;
  const bool was_final = phase_ >= Phase::final && peer.kind() == std::string_view("final");
  handshake_over(peer);
  --live_;
  delete &peer;
  switch (phase_) {
    case Phase::ramp:
    case Phase::soak:
      pending_.push_back(slot);
      pump();
      break;
    case Phase::drain:
      if (live_ == 0) enter(Phase::settle);
      break;
    case Phase::final:
      if (was_final) ++final_gone_;
      maybe_stop_server();
      break;
    case Phase::shutdown:
      if (live_ == 0) enter(Phase::done);
      break;
    default:
      break;
  }
}

void Soak::maybe_stop_server() {
  if (phase_ != Phase::final || !pending_.empty() ||
      final_ready_ + final_gone_ < options_.connections) {
    return;
  }
  rss_before_final_kib_ = probe_.rss_kib().value_or(0);
  enter(Phase::shutdown);
  std::printf("soak: %zu final peers ready, SIGTERM to %d\n", final_ready_,
              static_cast<int>(options_.server_pid));
  std::fflush(stdout);
  if (::kill(options_.server_pid, SIGTERM) != 0) stats_.fail("kill(SIGTERM) failed");
  if (live_ == 0) enter(Phase::done);
}

void Soak::enter(Phase phase) {
  phase_log_.emplace_back(name(phase_), uv_now(&loop_) - phase_ms_);
  phase_ms_ = uv_now(&loop_);
  phase_ = phase;
  std::printf("soak: %7.1f s  %s (%zu peers open, server rss %zu KiB)\n",
              static_cast<double>(elapsed_ms()) / 1000.0, name(phase), live_,
              probe_.rss_kib().value_or(0));
  std::fflush(stdout);
  switch (phase) {
    case Phase::soak:
      uv_timer_start(&phase_timer_, on_phase, static_cast<std::uint64_t>(options_.seconds * 1000),
                     0);
      // The faulty slots start over the first 3 s (sample() releases them), not at once: a
      // few hundred stalled peers writing their megabytes together would hold this client's
      // loop for seconds, and its slow handshakes would then be late through its own fault.
      for (std::size_t i = 0; i < options_.connections; ++i) {
        if (faulty_[i]) faulty_to_start_.push_back(i);
      }
      start_per_sample_ = faulty_to_start_.size() / 30 + 1;
      break;
    case Phase::drain:
      pending_.clear();
      faulty_to_start_.clear();
      for (Peer* peer : slots_) {
        if (peer != nullptr) peer->drain();
      }
      if (live_ == 0) enter(Phase::settle);
      break;
    case Phase::settle:
      uv_timer_start(&phase_timer_, on_phase, settle_deadline_ms, 0);
      break;
    case Phase::final:
      uv_timer_start(&phase_timer_, on_phase, final_deadline_ms, 0);
      for (std::size_t i = 0; i < options_.connections; ++i) pending_.push_back(i);
      pump();
      break;
    case Phase::done:
      uv_timer_stop(&phase_timer_);
      uv_timer_stop(&sample_timer_);
      break;
    default:
      break;
  }
}

void Soak::on_phase(uv_timer_t* timer) {
  auto* self = static_cast<Soak*>(timer->data);
  switch (self->phase_) {
    case Phase::soak:
      self->enter(Phase::drain);
      return;
    case Phase::settle:
      self->stats_.fail("file descriptors leaked: the server has " +
                        std::to_string(self->probe_.fd_count().value_or(0)) +
                        " open 20 s after every client closed, against " +
                        std::to_string(self->fd_baseline_) + " before the first connection");
      self->enter(Phase::final);
      return;
    default:
      self->stats_.fail(std::string("hung in phase ") + name(self->phase_) + " with " +
                        std::to_string(self->live_) + " peers open");
      // Reset whatever is left; the loop ends once they are closed.
      self->pending_.clear();
      self->phase_ = Phase::done;
      uv_timer_stop(&self->sample_timer_);
      for (Peer* peer : self->slots_) {
        if (peer != nullptr) peer->drain();
      }
      return;
  }
}

void Soak::on_sample(uv_timer_t* timer) {
  static_cast<Soak*>(timer->data)->sample();
}

void Soak::sample() {
  const std::uint64_t now_ns = uv_hrtime();
  if (last_sample_ns_ != 0) {
    const std::uint64_t gap_ms = (now_ns - last_sample_ns_) / 1000000;
    if (gap_ms > sample_ms && gap_ms - sample_ms > max_lag_ms_) max_lag_ms_ = gap_ms - sample_ms;
  }
  last_sample_ns_ = now_ns;
  if (phase_ == Phase::soak && !faulty_to_start_.empty()) {
    for (std::size_t i = 0; i < start_per_sample_ && !faulty_to_start_.empty(); ++i) {
      pending_.push_back(faulty_to_start_.front());
      faulty_to_start_.pop_front();
    }
    pump();
  }
  const auto rss = probe_.rss_kib();
  const auto fds = probe_.fd_count();
  if (rss && *rss > rss_peak_kib_) rss_peak_kib_ = *rss;
  if (fds && *fds > fd_peak_) fd_peak_ = *fds;
  if (phase_ == Phase::settle && fds && *fds == fd_baseline_) {
    fd_settled_ = *fds;
    enter(Phase::final);
  }
}

const char* Soak::name(Phase phase) {
  switch (phase) {
    case Phase::ramp:
      return "ramp";
    case Phase::soak:
      return "soak";
    case Phase::drain:
      return "drain";
    case Phase::settle:
      return "settle";
    case Phase::final:
      return "final";
    case Phase::shutdown:
      return "shutdown";
    case Phase::done:
      return "done";
  }
  return "?";
}

void Soak::report() {
  const auto got_1001 = stats_.events["final.got_1001"];
  if (phase_ == Phase::done && got_1001 != options_.connections) {
    stats_.fail(std::to_string(options_.connections - got_1001) + " of " +
                std::to_string(options_.connections) +
                " final peers did not receive a close frame with 1001");
  }
  if (options_.max_rss_mib != 0 && rss_peak_kib_ > options_.max_rss_mib * 1024) {
    stats_.fail("server RSS peaked at " + std::to_string(rss_peak_kib_ / 1024) +
                " MiB, over the bound of " + std::to_string(options_.max_rss_mib) + " MiB");
  }
  std::size_t faulty_slots = 0;
  for (const bool f : faulty_) faulty_slots += f ? 1 : 0;
  std::printf("soak: phases (s):");
  for (const auto& [phase, ms] : phase_log_) {
    std::printf(" %s %.1f", phase, static_cast<double>(ms) / 1000.0);
  }
  std::printf("; total %.1f\n", static_cast<double>(elapsed_ms()) / 1000.0);
  std::printf(
      "soak: slots=%zu faulty_slots=%zu peers=%llu messages_sent=%llu echoes=%llu pongs=%llu\n",
      options_.connections, faulty_slots, static_cast<unsigned long long>(peers_spawned_),
      static_cast<unsigned long long>(stats_.messages_sent),
      static_cast<unsigned long long>(stats_.echoes),
      static_cast<unsigned long long>(stats_.pongs));
  for (const auto& [event, n] : stats_.events) {
    std::printf("soak:   %-40s %llu\n", event.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("soak: client timer lag: at most %llu ms\n",
              static_cast<unsigned long long>(max_lag_ms_));
  std::printf("soak: server fds: %zu before, %zu after every client closed, peak %zu\n",
              fd_baseline_, fd_settled_, fd_peak_);
  std::printf(
      "soak: server rss: %zu KiB before, peak %zu KiB, %zu KiB before SIGTERM; bound %zu MiB\n",
      rss_baseline_kib_, rss_peak_kib_, rss_before_final_kib_, options_.max_rss_mib);
  std::printf("soak: %s (%llu failures)\n", stats_.failures == 0 ? "PASS" : "FAIL",
              static_cast<unsigned long long>(stats_.failures));
  std::fflush(stdout);
}

}  // namespace soak
