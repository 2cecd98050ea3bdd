// WebSocketHandle::Token: what a connection shares with its handles, and the mailbox that
// carries their calls from other threads to the connection's loop. Private to ws/src.
//
// A call through a handle on the connection's own loop thread runs at once, so it keeps its
// order with the WebSocket's direct sends. From any other thread it is appended to the
// token's mailbox: the entry (kind, opcode, close code, size) to one vector and its bytes to
// one buffer, both reused, so steady-state sending allocates nothing per call. The first call
// of a batch posts ONE task to the loop (Loop::post), which runs the whole batch in order:
// the task's one allocation is per batch, not per call. Calls from one thread keep their
// order.
//
// Ownership: the token is shared (std::shared_ptr) by the connection's extras, every handle,
// and the task of a waiting batch (so a task the loop drops unrun at its close frees nothing
// twice and leaks nothing).
// Threads: `conn` is read and cleared on the loop thread only; `alive` and `dropped` from any
// thread; the mailbox is under its own mutex (taken once per call and once per batch).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/net/loop.h"
#include "uvws/websocket.h"

namespace uvws {
namespace detail {

class Connection;

// One batch of calls from other threads (see the file comment).
class HandleMailbox {
 public:
  enum class Kind : std::uint8_t { message, ping, close, terminate };
  struct Entry {
    Kind kind;
    Opcode opcode;       // message
    std::uint16_t code;  // close
    std::size_t size;    // bytes of the payload (message, ping) or the reason (close)
  };

  // Any thread: appends a call. True when it is the first of a batch: the caller then posts
  // the task that runs drain().
  bool push(const Entry& entry, std::span<const std::uint8_t> bytes);
  // The task of a batch: takes the batch and calls run(entry, bytes) for each call in order.
  // On the loop thread, or on the caller's when the loop takes no more tasks (`run` must then
  // not touch the connection).
  template <class Run>
  void drain(Run&& run) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.swap(entries_);
      std::swap(running_bytes_, bytes_);
    }
    std::size_t offset = 0;
    for (const Entry& e : running_) {
      run(e, running_bytes_.span().subspan(offset, e.size));
      offset += e.size;
    }
    recycle();
  }

 private:
  // Empties the running batch, keeping its capacity unless one large call inflated it.
  void recycle();

  std::mutex mutex_;
  std::vector<Entry> entries_;  // under mutex_
  core::Buffer bytes_;          // under mutex_
  // The batch being run: one task at a time (the next batch's task is posted only once this
  // one has taken its entries, and runs after it on the same loop).
  std::vector<Entry> running_;
  core::Buffer running_bytes_;
};

}  // namespace detail

struct WebSocketHandle::Token {
  net::Loop* loop;
  detail::Connection* conn;  // loop thread; nullptr once the connection is gone
  std::atomic<bool> alive{true};
  // Messages sent through this connection's handles that did not go out: the connection was
  // gone or closing when the call reached it, or the backpressure policy dropped them.
  std::atomic<std::uint64_t> dropped{0};
  detail::HandleMailbox mailbox;
};

}  // namespace uvws
