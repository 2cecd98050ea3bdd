// Loop: one libuv event loop and the resources its connections share.
//
// What: owns a uv_loop_t, the one thread-safe entry point post() (one uv_async_t), signal
// watchers, the TimerWheel of its connections, and the per-loop buffers that keep connections
// small: ONE read buffer (256 KiB by default) that every connection reads into, and ONE cork
// buffer that the connection currently writing appends to (see TCPConnection::output()).
// Ownership: the creator owns the Loop (not copyable or movable: libuv keeps pointers to it).
// Connections and listeners made on it must not outlive close_all() (it closes them).
// Threads: a Loop runs on the thread that calls run(); every function except post() and
// request_stop() must be called on that thread (or, before and after run(), on the thread that
// owns the Loop). post() and request_stop() may be called from any thread until the destructor
// starts.
// Signals: the first Loop made sets SIGPIPE to SIG_IGN for the process (libuv writes with
// writev, so a vanished peer would otherwise kill the program); write errors are EPIPE instead.
// Time: the loop's timers (its TimerWheels, net::Timer) run on libuv's loop time, or on
// LoopOptions::clock when one is given (clock.h: tests drive timeouts with a ManualClock).
// Errors: construction failures throw std::system_error; close_all() returns uv_loop_close()'s
// status; exceptions thrown by posted tasks and signal handlers are logged, never propagated.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/net/clock.h"
#include "uvws/net/timer_wheel.h"

namespace uvws::net {

class Loop;
class TCPConnection;

// How a Loop is made; plain values with defaults.
struct UVWS_EXPORT LoopOptions {
  // The tick of the connections' timer wheel: timeouts fire at most this much late.
  std::uint32_t timer_tick_ms = TimerWheel::default_tick_ms;
  // The shared read buffer; one read() syscall delivers at most this much.
  std::uint32_t read_buffer_size = 256 * 1024;
  // false: run() returns when nothing keeps the loop alive (no listener, connection, pending
  // timeout...), as libuv does; true: run() returns only after stop(), e.g. for a loop that only
  // runs posted tasks.
  bool keep_alive = false;
  // The time of the loop's timers; nullptr: libuv's loop time (uv_now). For tests and
  // simulations (clock.h). Not owned: it must outlive the loop's close_all(). The loop calls
  // clock->attach(*this) when it is made and clock->detach(*this) in close_all().
  const Clock* clock = nullptr;
};

// Counters of a loop's I/O calls, for tests and benchmarks. Plain increments on the loop thread;
// read them there, or after run() returned.
struct UVWS_EXPORT LoopStats {
  std::uint64_t reads = 0;       // read callbacks that delivered bytes
  std::uint64_t try_writes = 0;  // uv_try_write calls (one write syscall each)
  std::uint64_t writes = 0;      // uv_write calls (the asynchronous rest of a partial write)
  std::uint64_t tls_handshake_failures = 0;  // TLS connections that failed before established
};

namespace detail {

// A heap object of the net layer that owns a libuv handle and deletes itself in its close
// callback. It registers with its Loop so that Loop::close_all() can close it if its owner did
// not. Loop thread only.
class UVWS_EXPORT OwnedHandle {
 public:
  OwnedHandle(const OwnedHandle&) = delete;
  OwnedHandle& operator=(const OwnedHandle&) = delete;
  // Idempotent: uv_close()s the handle; the close callback deletes this object.
  virtual void close() noexcept = 0;
  // The loop's clock moved (Loop::clock_advanced()): a timer runs what is now due on it.
  virtual void clock_advanced() noexcept {}

 protected:
  explicit OwnedHandle(Loop& loop);
  virtual ~OwnedHandle();
  Loop& owner_loop_;
};

}  // namespace detail

// One libuv event loop and what its connections share (see the file comment).
class UVWS_EXPORT Loop {
 public:
  // Makes the libuv loop and its handles; std::system_error on failure.
  explicit Loop(const LoopOptions& options = {});
  // Calls close_all() if it has not run; logs if uv_loop_close() then fails.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The libuv loop, for handles of the application's own (closed by close_all()).
  uv_loop_t* uv() noexcept { return &uv_; }
  // The Loop that owns `loop` (its data field).
  static Loop& from(const uv_loop_t* loop) noexcept { return *static_cast<Loop*>(loop->data); }

  // Runs the loop on the calling thread until stop(), or (without keep_alive) until nothing keeps
  // it alive and no posted task is waiting. Not re-entrant. Corked bytes are flushed before it
  // returns.
  void run();
  // Runs one iteration (waiting for I/O if there is nothing else to do) and the posted tasks;
  // returns whether the loop still has work.
  bool run_once();
  // Makes run() return after the current iteration; handles stay open and run() may be called
  // again. Loop thread only.
  void stop() noexcept;
  // stop() from any thread, through post(); a no-op once the loop is closed.
  void request_stop();

  // LoopOptions::clock (nullptr: libuv's loop time).
  const Clock* clock() const noexcept { return clock_; }
  // The time the loop's timers run on, in ms: clock()->now_ms(), or without a clock libuv's
  // cached loop time (uv_now: updated once per iteration). Loop thread.
  std::uint64_t now_ms() const noexcept {
    return clock_ != nullptr ? clock_->now_ms() : uv_now(&uv_);
  }
  // Tells the loop that its clock jumped forward (ManualClock::advance calls it): the loop runs
  // the timers now due on its own thread, through post(); several calls before it gets to it
  // cost one task. Then it reports clock()->loop_caught_up(). Any thread; a no-op without a
  // clock or once close_all() has begun.
  void clock_advanced();

  // Queues `task` to run on the loop thread. Thread-safe; tasks run in the order they were
  // posted (one mutex-protected queue, swapped out whole by the uv_async_t callback, so a burst
  // of posts costs one wakeup). Returns false, dropping the task, once close_all() has begun.
  // Tasks still queued when close_all() runs are dropped unrun.
  bool post(std::function<void()> task);

  // Calls `handler(signum)` on the loop thread when one of `signals` arrives (e.g. SIGINT,
  // SIGTERM for a graceful shutdown). The watchers are unref'd: they never keep run() going.
  // Returns the first uv_signal_start() error (EINVAL for a bad signal number).
  std::error_code watch_signals(std::initializer_list<int> signals,
                                std::function<void(int)> handler);

  // Closes every handle on the loop: connections (on_closed() runs), listeners, timer wheels,
  // the loop's own handles, then any other handle with uv_close(h, nullptr) (so its owner gets
  // no close callback). Runs the loop until all close callbacks ran, then uv_loop_close().
  // Returns its status (empty on success). Call it when run() is not running; idempotent.
  std::error_code close_all();

  // True on the thread inside run() or run_once() of this loop. Any thread; false while the
  // loop is not running (its owner's thread then counts as another thread).
  bool on_loop_thread() const noexcept {
    return running_thread_.load(std::memory_order_acquire) == std::this_thread::get_id();
  }
  // A pointer the loop's owner may attach (e.g. the server state of this loop), so that
  // objects on the loop reach it through loop() instead of holding a pointer each.
  void set_context(void* context) noexcept { context_ = context; }
  // The pointer set by set_context() (nullptr until then).
  void* context() const noexcept { return context_; }

  // Runs `hook` each time the loop flushes its cork — right before it blocks for I/O, and when
  // run() ends — before the cork itself: for writes an owner batches per iteration (a server's
  // published messages, one writev per subscriber). One hook per loop, dropped by close_all();
  // an exception it throws is logged.
  void set_flush_hook(std::function<void()> hook) { flush_hook_ = std::move(hook); }

  // The loop's I/O counters.
  const LoopStats& stats() const noexcept { return stats_; }
  // Live connections (constructed and not yet deleted, closing ones included).
  std::size_t connection_count() const noexcept { return connection_count_; }
  // A snapshot of the connections that are not closing, e.g. for a graceful shutdown. Safe to
  // close them while iterating: a connection is deleted only in its close callback.
  std::vector<TCPConnection*> connections();

 private:
  friend class TCPConnection;
  friend class detail::OwnedHandle;
  struct SignalWatch;
  class RunningOn;

  static void async_cb(uv_async_t* handle);
  static void prepare_cb(uv_prepare_t* handle);
  void flush_cork() noexcept;
  bool has_posted();
  void run_posted();
  void catch_up_clock() noexcept;

  uv_loop_t uv_{};
  uv_async_t async_{};
  uv_prepare_t prepare_{};
  bool closed_ = false;
  bool stop_requested_ = false;
  std::atomic<std::thread::id> running_thread_{};  // on_loop_thread(): set while running

  std::mutex post_mutex_;
  std::vector<std::function<void()>> posted_;   // guarded by post_mutex_
  bool post_closed_ = false;                    // guarded by post_mutex_
  std::vector<std::function<void()>> running_;  // loop thread: the batch being run

  std::vector<std::unique_ptr<SignalWatch>> signals_;
  std::vector<detail::OwnedHandle*> owned_;

  // Room in front of the read buffer where a TLS connection's plaintext may run ahead of its
  // ciphertext by one record carried over from an earlier read (TlsSession::read).
  static constexpr std::uint32_t tls_headroom = 16 * 1024;

  // Shared by all connections of the loop (performance: no per-connection buffers).
  std::unique_ptr<std::uint8_t[]> read_buffer_;  // tls_headroom + read_buffer_size_ bytes
  std::uint32_t read_buffer_size_;
  core::Buffer cork_;                     // the bytes cork_holder_ wrote this iteration
  TCPConnection* cork_holder_ = nullptr;  // at most one connection holds the cork
  core::Buffer discard_;                  // output() of a connection that can no longer write
  core::Buffer tls_out_;                  // ciphertext on its way to send(); empty in between
  TimerLink parked_;                      // connections without an armed timer
  std::unique_ptr<TimerWheel> wheel_;     // connections with an armed timer
  std::size_t connection_count_ = 0;
  LoopStats stats_;
  void* context_ = nullptr;
  std::function<void()> flush_hook_;

  const Clock* clock_;                           // LoopOptions::clock
  std::atomic<bool> clock_wake_pending_{false};  // a catch_up_clock() task is queued
  bool clock_report_pending_ = false;            // loop thread: tell the clock at the flush
  std::uint64_t clock_report_ms_ = 0;            // loop thread: the time caught up with
};

}  // namespace uvws::net
