#include "uvws/net/loop.h"

#include <algorithm>
#include <csignal>
#include <stdexcept>

#include "detail.h"
#include "uvws/net/clock.h"
#include "uvws/net/error.h"
#include "uvws/net/tcp_connection.h"

namespace uvws::net {

namespace detail {

OwnedHandle::OwnedHandle(Loop& loop) : owner_loop_(loop) {
  loop.owned_.push_back(this);
}

OwnedHandle::~OwnedHandle() {
  auto& v = owner_loop_.owned_;
  v.erase(std::find(v.begin(), v.end(), this));
}

}  // namespace detail

struct Loop::SignalWatch {
  uv_signal_t handle{};
  std::function<void(int)> handler;
};

namespace {

void close_if_open(uv_handle_t* h) noexcept {
  if (!uv_is_closing(h)) uv_close(h, nullptr);
}

// libuv writes to sockets with write()/writev(), not send(MSG_NOSIGNAL): a peer that vanished
// would raise SIGPIPE and, by default, kill the whole server. Ignored once, process-wide,
// when the first Loop is made (as Node.js does); write errors then come back as EPIPE and
// close just that connection. An application that needs SIGPIPE can re-install a handler
// after creating its loops.
void ignore_sigpipe() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

}  // namespace

Loop::Loop(const LoopOptions& options)
    : read_buffer_size_(options.read_buffer_size), clock_(options.clock) {
  ignore_sigpipe();
  if (options.timer_tick_ms == 0) throw std::invalid_argument("uvws::net::Loop: timer_tick_ms 0");
  if (options.read_buffer_size < 1024) {
    throw std::invalid_argument("uvws::net::Loop: read_buffer_size below 1024");
  }
  // Allocated once per loop; its pages are touched only as far as reads fill it. TLS connections
  // read ciphertext behind a headroom and decrypt to the buffer's start (TlsSession::read).
  read_buffer_ = std::make_unique_for_overwrite<std::uint8_t[]>(tls_headroom + read_buffer_size_);
  detail::list_init(parked_);

  const int rc = uv_loop_init(&uv_);
  if (rc != 0) throw std::system_error(uv_error(rc), "uv_loop_init");
  uv_.data = this;
  uv_async_init(&uv_, &async_, &Loop::async_cb);  // cannot fail on Linux but for EMFILE
  async_.data = this;
  if (!options.keep_alive) uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  // The prepare handle runs right before the loop blocks for I/O: the last moment to flush the
  // cork, so that sends made from timers, posted tasks or write callbacks go out in this
  // iteration. Unref'd: it never keeps the loop alive by itself.
  uv_prepare_init(&uv_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, &Loop::prepare_cb);
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  try {
    wheel_ = std::make_unique<TimerWheel>(
        *this, [](TimerNode& node) { TCPConnection::timer_expired(node); }, options.timer_tick_ms);
    // Last: from now on the clock may call clock_advanced() from its thread.
    if (clock_ != nullptr) clock_->attach(*this);
  } catch (...) {
    close_all();
    throw;
  }
}

Loop::~Loop() {
  const std::error_code ec = close_all();
  if (ec) detail::log().error("uv_loop_close failed: {}", ec.message());
}

// Marks the calling thread as the loop's (on_loop_thread) for the scope of a run.
class Loop::RunningOn {
 public:
  explicit RunningOn(Loop& loop) : loop_(loop) {
    loop_.running_thread_.store(std::this_thread::get_id(), std::memory_order_release);
  }
  ~RunningOn() { loop_.running_thread_.store(std::thread::id(), std::memory_order_release); }
  RunningOn(const RunningOn&) = delete;
  RunningOn& operator=(const RunningOn&) = delete;

 private:
  Loop& loop_;
};

void Loop::run() {
  if (closed_) return;
  stop_requested_ = false;
  RunningOn running(*this);
  for (;;) {
    uv_run(&uv_, UV_RUN_DEFAULT);
    flush_cork();
    // uv_run() does not poll a loop that nothing keeps alive, so tasks posted to it would wait
    // for the next run(): run them here, and keep going if they made work.
    if (stop_requested_ || !has_posted()) break;
    run_posted();
  }
}

bool Loop::run_once() {
  if (closed_) return false;
  stop_requested_ = false;
  RunningOn running(*this);
  if (uv_run(&uv_, UV_RUN_ONCE) == 0 && has_posted()) run_posted();
  flush_cork();
  return uv_loop_alive(&uv_) != 0;
}

void Loop::stop() noexcept {
  stop_requested_ = true;
  uv_stop(&uv_);
}

bool Loop::has_posted() {
  std::lock_guard<std::mutex> lock(post_mutex_);
  return !posted_.empty();
}

void Loop::request_stop() {
  post([this] { stop(); });
}

void Loop::clock_advanced() {
  if (clock_ == nullptr) return;
  // One queued catch-up serves any number of advances: it reads the clock when it runs.
  if (clock_wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  try {
    if (!post([this] { catch_up_clock(); })) {
      clock_wake_pending_.store(false, std::memory_order_release);
    }
  } catch (...) {
    clock_wake_pending_.store(false, std::memory_order_release);
    throw;
  }
}

void Loop::catch_up_clock() noexcept {
  // Cleared before the clock is read: an advance after this point queues another catch-up.
  clock_wake_pending_.store(false, std::memory_order_release);
  const std::uint64_t now = clock_->now_ms();
  // Every timer of the loop is an OwnedHandle (wheels, net::Timer). Handles made by the
  // callbacks are appended (and start after `now`, so they are skipped); none is removed before
  // its close callback, which runs later in the iteration.
  const std::size_t count = owned_.size();
  for (std::size_t i = 0; i < count; ++i) owned_[i]->clock_advanced();
  // Reported at the next flush_cork(): by then the bytes the expiries wrote are flushed and the
  // connections they closed have run their close callbacks.
  clock_report_ms_ = now;
  clock_report_pending_ = true;
}

bool Loop::post(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(post_mutex_);
  if (post_closed_) return false;
  const bool was_empty = posted_.empty();
  posted_.push_back(std::move(task));
  // Only the first task of a batch wakes the loop. uv_async_send() runs under the mutex so that
  // close_all() cannot close the handle between the check above and the send.
  if (was_empty) uv_async_send(&async_);
  return true;
}

void Loop::async_cb(uv_async_t* handle) {
  static_cast<Loop*>(handle->data)->run_posted();
}

void Loop::run_posted() {
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    // running_ is empty but keeps its capacity: steady-state posting does not allocate here.
    running_.swap(posted_);
  }
  for (auto& task : running_) detail::guarded("posted task", task);
  running_.clear();
}

void Loop::prepare_cb(uv_prepare_t* handle) {
  static_cast<Loop*>(handle->data)->flush_cork();
}

void Loop::flush_cork() noexcept {
  if (flush_hook_) detail::guarded("flush hook", flush_hook_);
  if (cork_holder_ != nullptr) cork_holder_->flush();
  if (clock_report_pending_) {
    clock_report_pending_ = false;
    clock_->loop_caught_up(*this, clock_report_ms_);
  }
}

std::error_code Loop::watch_signals(std::initializer_list<int> signals,
                                    std::function<void(int)> handler) {
  for (const int signum : signals) {
    auto watch = std::make_unique<SignalWatch>();
    watch->handler = handler;
    uv_signal_init(&uv_, &watch->handle);
    watch->handle.data = watch.get();
    const int rc = uv_signal_start(
        &watch->handle,
        [](uv_signal_t* h, int sig) {
          auto* w = static_cast<SignalWatch*>(h->data);
          detail::guarded("signal handler", [&] { w->handler(sig); });
        },
        signum);
    auto* h = reinterpret_cast<uv_handle_t*>(&watch->handle);
    uv_unref(h);
    // Kept until the destructor either way: an initialised handle may be freed only after its
    // close callback, which close_all() waits for.
    if (rc != 0) uv_close(h, nullptr);
    signals_.push_back(std::move(watch));
    if (rc != 0) return uv_error(rc);
  }
  return {};
}

std::vector<TCPConnection*> Loop::connections() {
  std::vector<TCPConnection*> out;
  out.reserve(connection_count_);
  for (TimerLink* l = parked_.next_; l != &parked_; l = l->next_) {
    out.push_back(&TCPConnection::from_timer_node(static_cast<TimerNode&>(*l)));
  }
  if (wheel_) {
    wheel_->for_each([&](TimerNode& n) { out.push_back(&TCPConnection::from_timer_node(n)); });
  }
  return out;
}

std::error_code Loop::close_all() {
  if (closed_) return {};
  // First: after detach() the clock calls this loop no more, and it may be destroyed.
  if (clock_ != nullptr) clock_->detach(*this);
  clock_report_pending_ = false;
  flush_hook_ = nullptr;  // its owner may be on its way out; nothing is published any more
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    post_closed_ = true;
    dropped.swap(posted_);
  }
  dropped.clear();  // outside the lock: a task's destructor may call post()

  int rc = 0;
  // A few rounds, in case close callbacks (on_closed) open new handles.
  for (int round = 0; round < 8; ++round) {
    for (TCPConnection* c : connections()) c->close();
    const std::vector<detail::OwnedHandle*> owned = owned_;
    for (detail::OwnedHandle* h : owned) h->close();
    close_if_open(reinterpret_cast<uv_handle_t*>(&async_));
    close_if_open(reinterpret_cast<uv_handle_t*>(&prepare_));
    for (auto& s : signals_) close_if_open(reinterpret_cast<uv_handle_t*>(&s->handle));
    // Handles that belong to nobody in uvws (raw handles of tests or applications).
    uv_walk(
        &uv_, [](uv_handle_t* h, void*) { close_if_open(h); }, nullptr);
    uv_run(&uv_, UV_RUN_DEFAULT);
    rc = uv_loop_close(&uv_);
    if (rc != UV_EBUSY) break;
  }
  closed_ = true;
  cork_holder_ = nullptr;
  cork_.release();
  discard_.release();
  signals_.clear();
  return uv_error(rc);
}

}  // namespace uvws::net
