// WebSocketHandle: calls on a connection from anywhere (handle_token.h says how they travel).
#include <stdexcept>
#include <string>

#include "connection.h"
#include "handle_token.h"
#include "uvws/ws/protocol.h"

namespace uvws {

namespace detail {

namespace {

// A large call's bytes are not kept for the next batch: steady state is small messages.
constexpr std::size_t keep_capacity = 64 * 1024;

using Kind = HandleMailbox::Kind;

// Runs one call on the loop thread; a message that does not go out is counted.
bool run_call(WebSocketHandle::Token& token, const HandleMailbox::Entry& e,
              std::span<const std::uint8_t> bytes) {
  Connection* c = token.conn;
  bool sent = false;
  if (c != nullptr) {
    switch (e.kind) {
      case Kind::message:
        sent = c->send(e.opcode, bytes) != SendStatus::dropped;
        break;
      case Kind::ping:
        sent = c->send_control(Opcode::ping, bytes) != SendStatus::dropped;
        break;
      case Kind::close:
        c->start_close(e.code, {reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                       Initiator::application);
        return true;
      case Kind::terminate:
        c->terminate(Initiator::application);
        return true;
    }
  }
  if (!sent && e.kind == Kind::message) token.dropped.fetch_add(1, std::memory_order_relaxed);
  return sent;
}

// The task a batch posts: runs every queued call in order.
void run_batch(WebSocketHandle::Token& token) {
  token.mailbox.drain([&token](const HandleMailbox::Entry& e, std::span<const std::uint8_t> b) {
    run_call(token, e, b);
  });
}

// A batch the loop no longer takes (it is closing): its messages are counted as dropped,
// without touching the connection (this is not its thread).
void discard_batch(WebSocketHandle::Token& token) {
  token.mailbox.drain([&token](const HandleMailbox::Entry& e, std::span<const std::uint8_t>) {
    if (e.kind == Kind::message) token.dropped.fetch_add(1, std::memory_order_relaxed);
  });
}

// A call: at once on the loop thread, else through the mailbox. False when it certainly
// does not run or (for sends) does not go out.
bool call(const std::shared_ptr<WebSocketHandle::Token>& token, const HandleMailbox::Entry& e,
          std::span<const std::uint8_t> bytes) {
  if (!token) return false;
  if (!token->alive.load(std::memory_order_acquire)) {
    if (e.kind == Kind::message) token->dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (token->loop->on_loop_thread()) return run_call(*token, e, bytes);
  if (token->mailbox.push(e, bytes) && !token->loop->post([token] { run_batch(*token); })) {
    discard_batch(*token);  // the loop is closing: nothing reaches the connection any more
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<WebSocketHandle::Token> Connection::token() {
  Extras& x = extras();
  if (!x.token) {
    x.token = std::make_shared<WebSocketHandle::Token>();
    x.token->loop = &loop();
    x.token->conn = this;
  }
  return x.token;
}

bool HandleMailbox::push(const Entry& entry, std::span<const std::uint8_t> bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool first = entries_.empty();
  entries_.push_back(entry);
  bytes_.append(bytes);
  return first;
}

void HandleMailbox::recycle() {
  running_.clear();
  if (running_bytes_.capacity() > keep_capacity) {
    running_bytes_.release();
  } else {
    running_bytes_.clear();
  }
}

}  // namespace detail

using detail::HandleMailbox;

bool WebSocketHandle::alive() const {
  return token_ && token_->alive.load(std::memory_order_acquire);
}

bool WebSocketHandle::send_text(std::string_view text) const {
  return send({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, Opcode::text);
}

bool WebSocketHandle::send_binary(std::span<const std::uint8_t> data) const {
  return send(data, Opcode::binary);
}

bool WebSocketHandle::send(std::span<const std::uint8_t> data, Opcode opcode) const {
  detail::require_data_opcode(opcode, "WebSocketHandle::send");
  return detail::call(token_, {HandleMailbox::Kind::message, opcode, 0, data.size()}, data);
}

bool WebSocketHandle::ping(std::span<const std::uint8_t> payload) const {
  // On the caller's thread, where it can be handled (RFC 6455 5.5).
  if (payload.size() > ws::max_control_payload) {
    throw std::invalid_argument("WebSocketHandle::ping: payload over 125 bytes");
  }
  return detail::call(token_, {HandleMailbox::Kind::ping, Opcode::ping, 0, payload.size()},
                      payload);
}

void WebSocketHandle::close(std::uint16_t code, std::string_view reason) const {
  ws::check_close_arguments(code, reason);  // on the caller's thread, where it can be handled
  const std::span<const std::uint8_t> bytes{reinterpret_cast<const std::uint8_t*>(reason.data()),
                                            reason.size()};
  detail::call(token_, {HandleMailbox::Kind::close, Opcode::close, code, bytes.size()}, bytes);
}

void WebSocketHandle::terminate() const {
  detail::call(token_, {HandleMailbox::Kind::terminate, Opcode::close, 0, 0}, {});
}

bool WebSocketHandle::post(std::function<void(WebSocket&)> task) const {
  if (!alive()) return false;
  if (token_->loop->on_loop_thread()) {
    if (token_->conn == nullptr) return false;
    token_->conn->run_task(task);
    return true;
  }
  return token_->loop->post([token = token_, task = std::move(task)] {
    if (token->conn != nullptr) token->conn->run_task(task);
  });
}

std::uint64_t WebSocketHandle::dropped() const {
  return token_ ? token_->dropped.load(std::memory_order_relaxed) : 0;
}

}  // namespace uvws
