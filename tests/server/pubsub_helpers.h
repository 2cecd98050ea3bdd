// Helpers of the pub/sub tests (topics_test.cpp, pubsub_test.cpp): a Handler that its clients
// drive with text commands, a poll() loop over many TestClients, and the process's RSS.
//
// Everything waits with a timeout; everything is loopback (see test_client.h).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_client.h"
#include "uvws/handler.h"

namespace uvws::test {

// A Handler whose clients say what to do, one text message per command:
//   "sub T"          -> ws.subscribe(T), answered "sub T 1" (changed) or "sub T 0"
//   "unsub T"        -> ws.unsubscribe(T), answered "unsub T 1" or "unsub T 0"
//   "is T"           -> ws.is_subscribed(T), answered "is T 1" or "is T 0"
//   "pub T P"        -> ws.publish(T, P) as text, no answer
//   "pubself T P"    -> the same with include_self
//   "pubbin T P"     -> the same as a binary message
//   "pubop T"        -> ws.publish(T, "", Opcode::ping): must throw (the connection gets 1011)
//   "pubsend T P"    -> publish(T, P, include_self), send_text("sent after P"), then
//                       publish(T, "third", include_self), all in one callback
//   "pubclose T P"   -> publish(T, P, include_self), then ws.close(4000, "after publish")
//   "unsubpub T P"   -> ws.unsubscribe(T), then ws.publish(T, P, include_self): the sender
//                       must not get it, it is no longer a subscriber
// A topic is one word (no spaces); P is the rest of the message, spaces included.
// On open it subscribes to the query's topic ("?sub=T"), and with announce_loop it first sends
// "loop N", N numbering the server's loop threads in order of first use. A connection opened
// with "?watch" is the watched one: after each publish its buffered_amount() is recorded (for
// single-loop servers: the pointer is used from the publisher's callback).
// Callbacks may run on several loops at once while the test reads: the record is behind a lock
// that only the handler takes, and the test sees copies of it (wait() and snapshot()).
class PubSubHandler : public Handler {
 public:
  // What the callbacks saw.
  struct Record {
    int opens = 0;
    int messages = 0;  // on_message calls
    std::vector<std::uint16_t> close_codes;
    std::vector<std::uint16_t> watched_close_codes;
    std::map<std::thread::id, int> loop_index;  // loop thread -> N of "loop N"
    std::map<std::thread::id, int> opens_per_loop;
    int late_subscribes = 0;  // ws.subscribe() calls from on_close that returned true
    std::size_t watched_max_buffered = 0;
    int watched_samples = 0;
  };
  using Predicate = std::function<bool(const Record&)>;

  bool announce_loop = false;  // set before the server starts

  void on_open(WebSocket& ws) override;
  void on_message(WebSocket& ws, Message message) override;
  void on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) override;

  // Waits until `pred` holds for the record (called under the lock, after each callback that
  // changed it); returns a copy of the record it held for, or nothing after `timeout`.
  std::optional<Record> wait(const Predicate& pred, Ms timeout = default_timeout);
  // A copy of the record as it is now.
  Record snapshot();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  Record record_;
  WebSocket* watched_ = nullptr;  // loop thread only (single-loop servers), under mutex_
};

// Drives `clients` from one poll() loop: every event goes to on_event(index, event) until
// done() holds (checked after each batch of events, both called on this thread) or `timeout`
// passes. Returns done()'s last value. Ended clients are no longer polled.
bool pump_until(const std::vector<TestClient*>& clients,
                const std::function<void(std::size_t, Received&)>& on_event,
                const std::function<bool()>& done, Ms timeout = default_timeout);

// Sends `command` and returns the next data event, e.g. the answer of a "sub", "unsub" or "is"
// command (Kind::failed when the send failed, Kind::timeout when nothing came).
Received call(TestClient& client, std::string_view command);

// Server::subscribers(topic), polled (wait_until) until it equals `expected` or `timeout`
// passes; returns the last value. A closing connection leaves its topics right after its on_close
// returns (connection.cpp), so a test that saw on_close may still see it counted for a moment.
std::size_t await_subscribers(const Server& server, std::string_view topic, std::size_t expected,
                              Ms timeout = default_timeout);

// This process's resident set size in bytes (/proc/self/status VmRSS); 0 if unknown.
std::size_t resident_bytes();

}  // namespace uvws::test
