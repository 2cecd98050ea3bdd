// DropReports (drop_reports.h) and the connection's side of it.
#include "drop_reports.h"

#include <algorithm>

#include "connection.h"
#include "log.h"
#include "server_context.h"

namespace uvws::detail {

void DropReports::remove(Connection& c) {
  // Rare (a connection that closes with drops not yet reported): a linear search is fine.
  for (auto* list : {&pending_, &reporting_}) {
    auto it = std::find(list->begin(), list->end(), &c);
    if (it != list->end()) *it = nullptr;
  }
}

void DropReports::report() {
  if (pending_.empty()) return;
  reporting_.swap(pending_);
  for (Connection* c : reporting_) {
    if (c != nullptr) c->report_dropped();
  }
  reporting_.clear();
  if (reporting_.capacity() > 1024) reporting_ = {};  // a burst's capacity is given back
}

void Connection::note_dropped(std::size_t messages, std::size_t bytes) {
  if (client_) return;  // a Client's sends say so in their SendStatus
  Extras& x = extras();
  x.dropped_messages += messages;
  x.dropped_bytes += bytes;
  ctx().metrics.dropped.add(messages);
  if (!x.report_queued) {
    x.report_queued = true;
    ctx().drops.add(*this);
  }
}

void Connection::report_dropped() {
  Extras& x = extras();
  const std::size_t messages = std::exchange(x.dropped_messages, 0);
  const std::size_t bytes = std::exchange(x.dropped_bytes, 0);
  x.report_queued = false;
  if (!is_open() || closing()) return;
  logger().debug("connection {}: {} messages ({} bytes) dropped over max_backpressure",
                 TCPConnection::remote_address(), messages, bytes);
  guard([&] { endpoint_->handler->on_dropped(*this, messages, bytes); });
}

}  // namespace uvws::detail
