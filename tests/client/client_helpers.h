// Fixtures for the client tests: driving a net::Loop in the test thread with a deadline, a
// Handler that records what a uvws::Client reports, and a fake WebSocket server (a plain
// listening socket on a thread of its own) that misbehaves on purpose.
//
// Every wait has a timeout; everything is loopback. The recording handler runs on the test
// thread (the client's loop runs there), so Catch2 assertions may read it directly; the fake
// server's script runs on its own thread and hands its findings over through join().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "server/test_client.h"
#include "uvws/client.h"
#include "uvws/handler.h"
#include "uvws/net/loop.h"

namespace uvws::test {

using Clock = std::chrono::steady_clock;

// Runs `loop` in the calling thread until `pred` holds or `timeout` passes; returns pred().
// A short timer keeps waking the loop, so a predicate changed by another thread is seen too.
bool run_until(net::Loop& loop, const std::function<bool()>& pred, Ms timeout = default_timeout);
// Runs `loop` for `duration` (to prove that nothing more happens).
void run_for(net::Loop& loop, Ms duration);

// A port on 127.0.0.1 with nothing listening (bound, then released): connecting is refused.
std::uint16_t unused_port();

// The bytes of `s`, and `n` bytes of a pattern (printable for text, every byte value for
// binary), for byte-exact comparisons.
std::vector<std::uint8_t> to_bytes(std::string_view s);
std::string pattern(std::size_t n, bool text);

// What a uvws::Client reported, in order. Runs on the client's loop thread (the test's).
class ClientRecorder : public Handler {
 public:
  struct Msg {
    Opcode opcode;
    std::string data;
  };
  struct Error {
    bool with_ws;  // the WebSocket argument was not null
    std::error_code ec;
  };

  // Hooks run after the event was recorded.
  std::function<void(WebSocket&)> open_hook;
  std::function<void(WebSocket&, const Msg&)> message_hook;
  std::function<void(std::uint16_t, std::string_view)> close_hook;

  void on_open(WebSocket& ws) override;
  void on_message(WebSocket& ws, Message message) override;
  void on_pong(WebSocket& ws, std::span<const std::uint8_t> payload) override;
  void on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) override;
  void on_error(WebSocket* ws, std::error_code ec) override;

  // "open", "message", "pong", "close", "error" in the order they came.
  std::vector<std::string> events;
  std::vector<Msg> messages;
  std::vector<Error> errors;
  int opens = 0;
  int closes = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::string subprotocol;  // WebSocket::subprotocol() during on_open
  bool compressed = false;  // WebSocket::compressed() during on_open
  int violations = 0;       // a callback after on_close, or on_open twice
  Clock::time_point closed_at{};
  Clock::time_point error_at{};

 private:
  bool open_ = false;
};

// One uvws::Client on a loop of its own, driven by the test thread, reporting to a recorder.
// Members are destroyed client first, then the loop.
struct ClientRun {
  explicit ClientRun(std::string_view url, ClientOptions options = {}, bool connect = true);
  ~ClientRun();
  ClientRun(const ClientRun&) = delete;
  ClientRun& operator=(const ClientRun&) = delete;

  bool wait(const std::function<bool()>& pred, Ms timeout = default_timeout) {
    return run_until(loop, pred, timeout);
  }
  // Closes the client (a close handshake when open) and waits for its on_close.
  bool close_and_wait(std::uint16_t code = 1000, std::string_view reason = {});
  // Destroys the client and closes the loop: uv_loop_close()'s result (empty when every
  // handle was closed).
  std::error_code shut_down();

  net::Loop loop;
  ClientRecorder rec;
  std::unique_ptr<Client> client;
};

std::string ws_url(std::uint16_t port, std::string_view target = "/",
                   std::string_view host = "127.0.0.1");

// The Sec-WebSocket-Accept answering `key` (RFC 6455 4.2.2).
std::string accept_key(std::string_view key);
// A 101 answering `request_head` correctly, with `extra` ("Name: value\r\n" lines) added.
std::string switching_protocols(std::string_view request_head, std::string_view extra = {});

// A frame the client sent, unmasked for reading.
struct ClientFrame {
  bool fin = false;
  bool masked = false;
  bool rsv = false;
  ws::Opcode opcode = ws::Opcode::text;
  std::string payload;
  // A close frame's code (0 when it has none) and reason.
  std::uint16_t close_code() const;
  std::string close_reason() const;
};

// One accepted connection of a FakeServer, with what it already read.
class FakePeer {
 public:
  explicit FakePeer(Socket socket) : socket_(std::move(socket)) {}
  Socket& socket() { return socket_; }
  // The request head up to the blank line; empty if none came within `timeout`.
  std::string read_request(Ms timeout = default_timeout);
  // The next complete frame from the client; nullopt on timeout or EOF.
  std::optional<ClientFrame> read_frame(Ms timeout = default_timeout);
  bool send(std::string_view bytes) { return socket_.send_all(bytes); }
  bool send_frame(const RawFrame& frame);
  // True when the client ended TCP (EOF or reset) within `timeout`; bytes read meanwhile are
  // kept for read_frame().
  bool client_closed_within(Ms timeout);
  void close() { socket_.close(); }

 private:
  Socket socket_;
  std::vector<std::uint8_t> in_;
};

// A listening socket on 127.0.0.1, port 0, and a thread that accepts one connection and runs
// `script` on it. join() waits for the script (and aborts the binary if it hangs).
class FakeServer {
 public:
  using Script = std::function<void(FakePeer&)>;
  // `accept` false: listen only; connections wait in the backlog and are never answered.
  explicit FakeServer(Script script, bool accept = true, int backlog = 16);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view target = "/") const;
  // Waits for the script to finish (no-op without a script); true if a client connected.
  bool join(Ms timeout = Ms(20000));

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool accepted_ = false;  // guarded by mutex_
};

}  // namespace uvws::test
