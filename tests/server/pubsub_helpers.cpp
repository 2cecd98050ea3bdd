#include "pubsub_helpers.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <fstream>

namespace uvws::test {
namespace {

using Clock = std::chrono::steady_clock;

// "verb rest" -> {verb, rest}.
std::pair<std::string_view, std::string_view> split(std::string_view s) {
  const auto space = s.find(' ');
  if (space == std::string_view::npos) return {s, {}};
  return {s.substr(0, space), s.substr(space + 1)};
}

std::string answer(std::string_view verb, std::string_view topic, bool changed) {
  std::string a(verb);
  a += ' ';
  a += topic;
  a += changed ? " 1" : " 0";
  return a;
}

}  // namespace

void PubSubHandler::on_open(WebSocket& ws) {
  int loop = 0;
  {
    std::lock_guard lock(mutex_);
    ++record_.opens;
    const auto id = std::this_thread::get_id();
    ++record_.opens_per_loop[id];
    auto& loop_index = record_.loop_index;
    auto it = loop_index.try_emplace(id, static_cast<int>(loop_index.size())).first;
    loop = it->second;
    if (ws.query() == "watch") watched_ = &ws;
    cv_.notify_all();
  }
  if (announce_loop) ws.send_text("loop " + std::to_string(loop));
  const std::string_view query = ws.query();
  if (query.rfind("sub=", 0) == 0) ws.subscribe(query.substr(4));
}

void PubSubHandler::on_message(WebSocket& ws, Message message) {
  {
    std::lock_guard lock(mutex_);
    ++record_.messages;
    cv_.notify_all();
  }
  const auto [verb, rest] = split(message.text());
  const auto [topic, payload] = split(rest);
  if (verb == "sub") {
    ws.send_text(answer(verb, topic, ws.subscribe(topic)));
  } else if (verb == "unsub") {
    ws.send_text(answer(verb, topic, ws.unsubscribe(topic)));
  } else if (verb == "is") {
    ws.send_text(answer(verb, topic, ws.is_subscribed(topic)));
  } else if (verb == "pub" || verb == "pubself" || verb == "pubbin") {
    ws.publish(topic, payload, verb == "pubbin" ? Opcode::binary : Opcode::text, verb == "pubself");
  } else if (verb == "pubop") {
    ws.publish(topic, payload, Opcode::ping);
  } else if (verb == "pubsend") {
    // Published frames go out at the end of the iteration, a send at once: the send must
    // still come second (and a third publish third).
    ws.publish(topic, payload, Opcode::text, /*include_self=*/true);
    ws.send_text("sent after " + std::string(payload));
    ws.publish(topic, "third", Opcode::text, /*include_self=*/true);
  } else if (verb == "pubclose") {
    ws.publish(topic, payload, Opcode::text, /*include_self=*/true);
    ws.close(4000, "after publish");
  } else if (verb == "unsubpub") {
    ws.unsubscribe(topic);
    ws.publish(topic, payload, Opcode::text, /*include_self=*/true);
  }
  std::lock_guard lock(mutex_);
  if (watched_ != nullptr && verb.rfind("pub", 0) == 0) {
    record_.watched_max_buffered =
        std::max(record_.watched_max_buffered, watched_->buffered_amount());
    ++record_.watched_samples;
    cv_.notify_all();
  }
}

void PubSubHandler::on_close(WebSocket& ws, std::uint16_t code, std::string_view) {
  // The connection is no longer open: a subscription now would outlive it.
  const bool late = ws.subscribe("late");
  std::lock_guard lock(mutex_);
  if (late) ++record_.late_subscribes;
  record_.close_codes.push_back(code);
  if (watched_ == &ws) {
    watched_ = nullptr;
    record_.watched_close_codes.push_back(code);
  }
  cv_.notify_all();
}

std::optional<PubSubHandler::Record> PubSubHandler::wait(const Predicate& pred, Ms timeout) {
  std::unique_lock lock(mutex_);
  if (!cv_.wait_for(lock, timeout, [&] { return pred(record_); })) return std::nullopt;
  return record_;
}

PubSubHandler::Record PubSubHandler::snapshot() {
  std::lock_guard lock(mutex_);
  return record_;
}

bool pump_until(const std::vector<TestClient*>& clients,
                const std::function<void(std::size_t, Received&)>& on_event,
                const std::function<bool()>& done, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  Received r;
  for (;;) {
    // Events already queued (by a send that read, or an earlier pump) come first.
    for (std::size_t i = 0; i < clients.size(); ++i) {
      while (clients[i]->take(r)) on_event(i, r);
    }
    if (done()) return true;
    const auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    fds.clear();
    index.clear();
    for (std::size_t i = 0; i < clients.size(); ++i) {
      if (clients[i]->ended()) continue;
      fds.push_back(pollfd{clients[i]->fd(), POLLIN, 0});
      index.push_back(i);
    }
    if (fds.empty()) return done();
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left, 100)));
    if (n <= 0) continue;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents != 0) clients[index[k]]->pump(Ms(0));
    }
  }
}

Received call(TestClient& client, std::string_view command) {
  if (!client.send_text(command)) return Received{Received::Kind::failed, Opcode::text, 0, {}, {}};
  return client.recv_data();
}

std::size_t await_subscribers(const Server& server, std::string_view topic, std::size_t expected,
                              Ms timeout) {
  std::size_t n = 0;
  wait_until(
      [&] {
        n = server.subscribers(topic);
        return n == expected;
      },
      timeout);
  return n;
}

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace uvws::test
