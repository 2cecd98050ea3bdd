// The server side of the test fixtures declared in test_client.h: ServerThread, wait_until
// and RecordingHandler.
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "test_client.h"

namespace uvws::test {

// ---------------------------------------------------------------------------------------
// ServerThread

ServerOptions ServerThread::options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.handle_signals = false;
  return o;
}

ServerThread::ServerThread(ServerOptions opts,
                           const std::vector<std::pair<std::string, Handler*>>& routes)
    : server_(std::move(opts)) {
  for (const auto& [path, handler] : routes) server_.route(path, *handler);
  server_.listen();
  thread_ = std::thread([this] {
    try {
      server_.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "server thread: run() threw: %s\n", e.what());
    }
    std::lock_guard lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  });
}

bool ServerThread::stop(Ms timeout) {
  if (!thread_.joinable()) return true;
  server_.stop();
  std::unique_lock lock(mutex_);
  if (!done_cv_.wait_for(lock, timeout, [&] { return done_; })) {
    std::fprintf(stderr, "server thread: run() did not return %lld ms after stop(); aborting\n",
                 static_cast<long long>(timeout.count()));
    std::abort();
  }
  lock.unlock();
  thread_.join();
  return true;
}

// ---------------------------------------------------------------------------------------
// wait_until

bool wait_until(const std::function<bool()>& pred, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    // A poll, not a guess: the predicate decides, the period only bounds the reaction time.
    std::this_thread::sleep_for(Ms(1));
  }
}

// ---------------------------------------------------------------------------------------
// RecordingHandler

void RecordingHandler::check_open(const WebSocket& ws) {
  if (open_.count(&ws) == 0) ++violations;
}

void RecordingHandler::on_open(WebSocket& ws) {
  {
    std::lock_guard lock(mutex);
    if (!open_.insert(&ws).second) ++violations;
    ++opens;
    cv_.notify_all();
  }
  if (open_hook) open_hook(ws);
}

void RecordingHandler::on_message(WebSocket& ws, Message message) {
  {
    std::lock_guard lock(mutex);
    check_open(ws);
    ++messages;
    cv_.notify_all();
  }
  if (echo) ws.send(message.data(), message.opcode());
  if (message_hook) message_hook(ws, message);
}

void RecordingHandler::on_ping(WebSocket& ws, std::span<const std::uint8_t> payload) {
  std::lock_guard lock(mutex);
  check_open(ws);
  pings.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
  cv_.notify_all();
}

void RecordingHandler::on_pong(WebSocket& ws, std::span<const std::uint8_t> payload) {
  std::lock_guard lock(mutex);
  check_open(ws);
  pongs.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
  cv_.notify_all();
}

void RecordingHandler::on_drain(WebSocket& ws) {
  {
    std::lock_guard lock(mutex);
    check_open(ws);
    ++drains;
    cv_.notify_all();
  }
  if (drain_hook) drain_hook(ws);
}

void RecordingHandler::on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) {
  std::lock_guard lock(mutex);
  if (open_.erase(&ws) == 0) ++violations;
  closes.push_back({code, std::string(reason)});
  cv_.notify_all();
}

void RecordingHandler::on_error(WebSocket* ws, std::error_code ec) {
  std::lock_guard lock(mutex);
  if (ws == nullptr) ++error_null_ws;
  ++errors;
  error_codes.push_back(ec);
  cv_.notify_all();
}

std::optional<Record> RecordingHandler::wait(const Predicate& pred, Ms timeout) {
  std::unique_lock lock(mutex);
  const Record& record = *this;
  if (!cv_.wait_for(lock, timeout, [&] { return pred(record); })) return std::nullopt;
  return record;
}

Record RecordingHandler::snapshot() {
  std::lock_guard lock(mutex);
  return static_cast<const Record&>(*this);
}

bool RecordingHandler::wait(const std::function<bool()>& pred, Ms timeout) {
  std::unique_lock lock(mutex);
  return cv_.wait_for(lock, timeout, pred);
}

}  // namespace uvws::test
