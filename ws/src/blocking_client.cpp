// BlockingClient: a Client on a private loop thread, and the condition variable that the
// caller's thread waits on.
#include "uvws/blocking_client.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "connection.h"
#include "uvws/net/loop.h"
#include "uvws/net/proxy_error.h"
#include "uvws/ws/error.h"
#include "uvws/ws/protocol.h"

namespace uvws {

ConnectionClosed::ConnectionClosed(std::uint16_t code, std::string reason)
    : WebSocketError("uvws: connection closed (" + std::to_string(code) +
                     (reason.empty() ? std::string() : ", \"" + reason + "\"") + ")"),
      code_(code),
      reason_(std::move(reason)) {}

// The Handler lives on the loop thread; everything under `mutex` is how it talks to the
// caller's thread. `client` and `ws` are touched on the loop thread only (and `client` by the
// constructor, before the thread starts).
struct BlockingClient::Impl final : Handler {
  enum class State : std::uint8_t { connecting, open, closed };

  explicit Impl(ClientOptions o) : options(std::move(o)) { options.reconnect.enabled = false; }

  ~Impl() override { stop_thread(); }

  void start(std::string_view url) {
    client = std::make_unique<Client>(loop, url, *this, options);
    thread = std::thread([this] {
      loop.run();
      client.reset();
      loop.close_all();
    });
    loop.post([this] { client->connect(); });
  }

  void stop_thread() {
    if (!thread.joinable()) return;
    loop.post([this] {
      client.reset();  // drops a connection that is still there (close() came first)
      loop.stop();
    });
    thread.join();
  }

  // --- Handler (loop thread) ---------------------------------------------------------------

  void on_open(WebSocket& w) override {
    ws = &w;
    std::lock_guard lock(mutex);
    state = State::open;
    opened = true;
    subprotocol = std::string(w.subprotocol());
    compressed = w.compressed();
    changed.notify_all();
  }
  void on_message(WebSocket& w, Message m) override {
    std::lock_guard lock(mutex);
    inbox.push_back({m.opcode(), {m.data().begin(), m.data().end()}});
    inbox_bytes += m.size();
    if (inbox_bytes > options.max_received_bytes && !paused) {
      // The caller is not keeping up: stop reading; recv() resumes it (take()).
      paused = true;
      static_cast<detail::Connection&>(w).stop_reading();
    }
    changed.notify_all();
  }
  void on_pong(WebSocket&, std::span<const std::uint8_t> payload) override {
    if (payload.size() != sizeof(std::uint64_t)) return;  // not one of ours
    std::uint64_t seq = 0;
    std::memcpy(&seq, payload.data(), sizeof seq);
    std::lock_guard lock(mutex);
    if (seq > pongs) pongs = seq;
    changed.notify_all();
  }
  void on_drain(WebSocket&) override { pump(); }
  void on_close(WebSocket&, std::uint16_t code, std::string_view reason) override {
    ws = nullptr;
    outbox.clear();
    std::lock_guard lock(mutex);
    state = State::closed;
    close_code = code;
    close_reason = std::string(reason);
    changed.notify_all();
  }
  void on_error(WebSocket* w, std::error_code ec) override {
    std::lock_guard lock(mutex);
    if (error) return;  // the first error is the cause
    error = ec;
    if (w == nullptr) {  // the connection never opened: this is the end
      http_status = client->handshake_status();
      state = State::closed;
      changed.notify_all();
    }
  }

  // --- Caller's thread -----------------------------------------------------------------------

  // What recv() waits for (mutex held): a message, or the end.
  bool message_or_end() const { return !inbox.empty() || state != State::open; }

  // Takes the first message of the inbox (mutex held), or throws ConnectionClosed when there
  // is none; resumes reading when the inbox has drained to half of max_received_bytes.
  ReceivedMessage take() {
    if (inbox.empty()) throw_closed();
    ReceivedMessage m = std::move(inbox.front());
    inbox.pop_front();
    inbox_bytes -= m.data.size();
    if (paused && inbox_bytes <= options.max_received_bytes / 2) {
      paused = false;
      loop.post([this] {
        if (ws != nullptr) static_cast<detail::Connection*>(ws)->start_reading();
      });
    }
    return m;
  }

  [[noreturn]] void throw_closed() const {
    throw ConnectionClosed(close_code != 0 ? close_code : ws::close_code::abnormal, close_reason);
  }

  void send(std::span<const std::uint8_t> data, Opcode opcode) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] {
      return state != State::open || queued + buffered <= options.max_backpressure;
    });
    if (state != State::open) throw_closed();
    queued += data.size();
    lock.unlock();
    loop.post(
        [this, opcode, bytes = std::vector<std::uint8_t>(data.begin(), data.end())]() mutable {
          outbox.push_back({opcode, std::move(bytes)});
          pump();
        });
  }

  // Loop thread: hands the outbox to the connection while its backlog is under the limit (so
  // that no send is ever refused by the backpressure policy); on_drain resumes it.
  void pump() {
    std::size_t sent = 0;
    while (ws != nullptr && !outbox.empty() && ws->buffered_amount() <= options.max_backpressure) {
      ReceivedMessage& m = outbox.front();
      ws->send(m.data, m.opcode);  // ok or backpressure: over the limit, the loop stops here
      sent += m.data.size();
      outbox.pop_front();
    }
    if (ws == nullptr) {  // closed: what was waiting will never go
      for (const auto& m : outbox) sent += m.data.size();
      outbox.clear();
    }
    const std::size_t backlog = ws != nullptr ? ws->buffered_amount() : 0;
    std::lock_guard guard(mutex);
    queued -= sent;
    buffered = backlog;
    changed.notify_all();
  }

  ClientOptions options;
  net::Loop loop{net::LoopOptions{.keep_alive = true}};
  std::unique_ptr<Client> client;
  WebSocket* ws = nullptr;
  std::deque<ReceivedMessage> outbox;  // loop thread: sends waiting for the backlog to drain
  std::thread thread;

  mutable std::mutex mutex;
  std::condition_variable changed;
  State state = State::connecting;
  bool opened = false;  // on_open ran (the state may be closed again by the time connect looks)
  std::deque<ReceivedMessage> inbox;
  std::size_t inbox_bytes = 0;  // payload bytes in `inbox`
  bool paused = false;          // reading stopped because the inbox is over the limit
  std::error_code error;
  int http_status = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::string subprotocol;
  bool compressed = false;
  std::size_t queued = 0;    // bytes posted to the loop (or in its outbox), not yet sent
  std::size_t buffered = 0;  // the connection's backlog after the last send
  std::uint64_t pings = 0;   // last ping sequence number sent (caller's thread)
  std::uint64_t pongs = 0;   // highest sequence number echoed back
};

BlockingClient connect(std::string_view url, ClientOptions options) {
  auto impl = std::make_unique<BlockingClient::Impl>(std::move(options));
  impl->start(url);
  BlockingClient::Impl& i = *impl;
  std::unique_lock lock(i.mutex);
  i.changed.wait(lock, [&] { return i.state != BlockingClient::Impl::State::connecting; });
  if (i.opened) {
    lock.unlock();
    return BlockingClient(std::move(impl));
  }
  const std::error_code ec = i.error;
  const int status = i.http_status;
  lock.unlock();
  impl.reset();  // stops the thread
  const std::string what = "uvws: cannot connect to " + std::string(url) + ": " + ec.message();
  if (ec == std::errc::timed_out) throw TimeoutError(what);
  // A TLS failure (certificate verification above all) is a failed handshake too, and so is a
  // proxy's refusal or a bad proxy URL (the handshake with the proxy, ClientOptions::proxy).
  const std::error_category& category = ec.category();
  if (ec == ws::Condition::handshake_failed || category == net::tls_category() ||
      category == net::proxy_category() || category == net::proxy_http_category() ||
      category == net::proxy_socks5_category()) {
    throw HandshakeError(what + (status != 0 ? " (HTTP " + std::to_string(status) + ")" : ""), ec,
                         status);
  }
  throw ConnectError(what, ec);
}

BlockingClient::BlockingClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlockingClient::BlockingClient(BlockingClient&&) noexcept = default;
BlockingClient& BlockingClient::operator=(BlockingClient&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      try {
        close();
      } catch (...) {
        // Closing is best effort when the object is replaced; the thread stops either way.
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

BlockingClient::~BlockingClient() {
  if (!impl_) return;
  try {
    close();
  } catch (const std::exception&) {
    // A destructor does not throw: the connection is dropped when the thread stops.
  }
}

void BlockingClient::send_text(std::string_view text) {
  send({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, Opcode::text);
}

void BlockingClient::send_binary(std::span<const std::uint8_t> data) {
  send(data, Opcode::binary);
}

void BlockingClient::send(std::span<const std::uint8_t> data, Opcode opcode) {
  if (opcode != Opcode::text && opcode != Opcode::binary) {
    throw std::invalid_argument("BlockingClient::send: opcode must be text or binary");
  }
  impl_->send(data, opcode);
}

ReceivedMessage BlockingClient::recv() {
  Impl& i = *impl_;
  std::unique_lock lock(i.mutex);
  i.changed.wait(lock, [&] { return i.message_or_end(); });
  return i.take();
}

ReceivedMessage BlockingClient::recv(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  std::unique_lock lock(i.mutex);
  if (!i.changed.wait_for(lock, timeout, [&] { return i.message_or_end(); })) {
    throw TimeoutError("uvws: no message within the timeout");
  }
  return i.take();
}

std::chrono::microseconds BlockingClient::ping(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(i.mutex);
  if (i.state != Impl::State::open) i.throw_closed();
  const std::uint64_t seq = ++i.pings;
  lock.unlock();
  i.loop.post([&i, seq] {
    std::uint8_t payload[sizeof seq];
    std::memcpy(payload, &seq, sizeof seq);
    if (i.ws != nullptr) i.ws->ping(payload);
  });
  lock.lock();
  const bool done = i.changed.wait_for(
      lock, timeout, [&] { return i.pongs >= seq || i.state != Impl::State::open; });
  if (!done) throw TimeoutError("uvws: no pong within the timeout");
  if (i.pongs < seq) i.throw_closed();
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

void BlockingClient::close(std::uint16_t code, std::string_view reason) {
  ws::check_close_arguments(code, reason);  // here, not on the loop thread where it would be lost
  Impl& i = *impl_;
  std::unique_lock lock(i.mutex);
  if (i.state == Impl::State::open) {
    lock.unlock();
    i.loop.post([&i, code, r = std::string(reason)] { i.client->close(code, r); });
    lock.lock();
    // The client's close timeout bounds this; the margin covers the loop's timer tick.
    const auto limit = i.options.close_timeout + std::chrono::seconds(2);
    if (!i.changed.wait_for(lock, limit, [&] { return i.state != Impl::State::open; })) {
      lock.unlock();
      i.stop_thread();
      throw TimeoutError("uvws: the close handshake did not end in time");
    }
  }
  lock.unlock();
  i.stop_thread();
}

bool BlockingClient::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state == Impl::State::open;
}

std::string BlockingClient::subprotocol() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->subprotocol;
}

bool BlockingClient::compressed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->compressed;
}

std::uint16_t BlockingClient::close_code() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->close_code;
}

std::string BlockingClient::close_reason() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->close_reason;
}

}  // namespace uvws
