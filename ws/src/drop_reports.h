// Reports of messages the backpressure policy dropped (Handler::on_dropped). Private to ws/src.
//
// A drop happens inside a send or a publish, where calling the application back would nest
// one callback in another (and a publish drops while the topic registry walks its
// subscribers). So a connection counts its drops (Connection::note_dropped) and enters its
// loop's list once; the loop's flush hook, after the published frames went out, calls
// report_dropped() on each, which calls on_dropped once with the totals. A connection that
// closes first leaves the list (on_closed) and is not reported.
//
// Threads: one DropReports per loop, on that loop's thread only.
#pragma once

#include <cstdint>
#include <vector>

namespace uvws::detail {

class Connection;

class DropReports {
 public:
  void add(Connection& c) { pending_.push_back(&c); }
  // A connection closing with a report queued.
  void remove(Connection& c);
  // Reports every connection queued before the call; drops during a report (a send from
  // on_dropped) wait for the next flush.
  void report();

 private:
  std::vector<Connection*> pending_;
  std::vector<Connection*> reporting_;
};

}  // namespace uvws::detail
