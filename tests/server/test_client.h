// Test peers for the server tests: a blocking WebSocket client on a POSIX socket driven by the
// sans-I/O ws::ClientProtocol, raw HTTP and raw frame helpers for hostile traffic, a server
// running on its own thread, and a recording Handler.
//
// Every wait has a timeout: a test that goes wrong fails (or aborts, for a server thread that
// does not stop) instead of hanging. Everything is loopback: 127.0.0.1, ::1 or a Unix socket.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/handler.h"
#include "uvws/server.h"
#include "uvws/ws/client_protocol.h"
#include "ws/recording_listener.h"

namespace uvws::test {

using Ms = std::chrono::milliseconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

inline constexpr Ms default_timeout{5000};

std::span<const std::uint8_t> as_bytes(std::string_view s);

// A non-blocking stream socket driven with poll(). Owns its descriptor (closed by the
// destructor). Not thread-safe: one thread at a time.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { close(); }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Connects to a numeric IPv4 or IPv6 address within `timeout`; an invalid Socket on
  // failure. `rcvbuf` > 0 sets SO_RCVBUF before connecting (a small window for backpressure).
  static Socket connect_tcp(const std::string& host, std::uint16_t port,
                            Ms timeout = default_timeout, int rcvbuf = 0);
  static Socket connect_unix(const std::string& path);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void close();

  // Writes all of `bytes` within `timeout`; false on error or timeout.
  bool send_all(std::span<const std::uint8_t> bytes, Ms timeout = default_timeout);
  bool send_all(std::string_view bytes, Ms timeout = default_timeout) {
    return send_all(as_bytes(bytes), timeout);
  }

  enum class ReadStatus : std::uint8_t { data, eof, timeout, error };
  // Appends what arrives within `timeout` (one read, up to 256 KiB) to `out`. `error` is a
  // reset or other failure (errno kept in last_errno()).
  ReadStatus read_some(std::vector<std::uint8_t>& out, Ms timeout);
  int last_errno() const { return errno_; }
  // Reads and discards until the peer ends the connection (EOF or reset): true if it did
  // within `timeout`.
  bool wait_closed(Ms timeout = default_timeout);

 private:
  int fd_ = -1;
  int errno_ = 0;
};

// A frame written byte by byte, for traffic the ClientProtocol would refuse to produce.
struct RawFrame {
  ws::Opcode opcode = ws::Opcode::text;
  std::string payload;
  bool fin = true;
  bool masked = true;
  bool rsv1 = false;
  bool rsv2 = false;
  bool rsv3 = false;
  std::uint32_t mask_key = 0x37fa213d;
};
std::vector<std::uint8_t> frame_bytes(const RawFrame& frame);

// An opening handshake request for `target` with the RFC 6455 1.3 sample key; `extra` is
// inserted as-is before the blank line (whole "Name: value\r\n" lines).
std::string upgrade_request(std::string_view target, std::string_view extra = {},
                            std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==",
                            std::string_view version = "13");

// What a raw HTTP exchange got back.
struct HttpResult {
  int status = 0;       // 0: no complete response head in time
  std::string head;     // status line and header fields, with the final blank line
  std::string body;     // whatever followed the head until EOF or the timeout
  bool closed = false;  // the server ended the connection (EOF or reset) within the timeout
  // The first header field named `name` (case-insensitive), trimmed; empty if absent.
  std::string header(std::string_view name) const;
};
// Sends `request` verbatim on a new connection to 127.0.0.1:`port` and reads the answer: up
// to EOF, or just the head for a 101 (which keeps the connection open).
HttpResult http_exchange(std::uint16_t port, std::string_view request,
                         Ms timeout = default_timeout);

// One thing the client got from the server.
struct Received {
  enum class Kind : std::uint8_t { message, ping, pong, close, failed, eof, timeout };
  Kind kind = Kind::timeout;
  ws::Opcode opcode = ws::Opcode::text;
  std::uint16_t code = 0;  // close: the server's code (1005 when its frame had none)
  std::string data;        // message or control payload, or the close reason
  std::error_code error;   // failed: what the client protocol objected to
  bool is_message(ws::Opcode op, std::string_view payload) const {
    return kind == Kind::message && opcode == op && data == payload;
  }
};
const char* kind_name(Received::Kind kind);

// A blocking WebSocket client: a Socket plus a ClientProtocol in its recording mode.
// Replies the protocol produces on its own (pongs, the close answer) are written as soon as
// they appear. Writing also reads, so a server echoing a large message while the client is
// still sending it cannot deadlock the pair. Not thread-safe.
class TestClient {
 public:
  explicit TestClient(std::size_t max_message_size = 64u << 20);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Opens a connection to `host`:`port` and performs the opening handshake for `target`
  // with `headers` added. Returns the HTTP status: 101 when the WebSocket is open, the
  // server's status when it refused, 0 when no answer came within `timeout`.
  int connect(std::uint16_t port, std::string_view target = "/", const Headers& headers = {},
              const std::string& host = "127.0.0.1", Ms timeout = default_timeout, int rcvbuf = 0);
  int connect_unix(const std::string& path, std::string_view target = "/",
                   Ms timeout = default_timeout);

  bool send_text(std::string_view text);
  bool send_binary(std::span<const std::uint8_t> data);
  bool send_binary(std::string_view data) { return send_binary(as_bytes(data)); }
  bool send_fragment(ws::Opcode opcode, std::string_view data, bool fin);
  bool ping(std::string_view payload = {});
  bool pong(std::string_view payload = {});
  bool close(std::uint16_t code = 1000, std::string_view reason = {});
  // Bytes straight to the socket, bypassing the protocol.
  bool send_raw(std::span<const std::uint8_t> bytes);
  bool send_raw(std::string_view bytes) { return send_raw(as_bytes(bytes)); }

  // The next event, waiting up to `timeout` (Kind::timeout if none). After the server's
  // close frame comes Kind::eof once TCP ends; an EOF without one gives Kind::failed
  // (unexpected_eof) and then Kind::eof.
  Received recv(Ms timeout = default_timeout);
  // The next event that is not a ping or pong (those are skipped, pings are answered).
  Received recv_data(Ms timeout = default_timeout);

  // Skips events until the server has ended TCP: true if it did within `timeout`.
  bool wait_eof(Ms timeout = default_timeout);

  // For driving many clients from one poll() loop: reads what is there (waiting up to
  // `timeout`), feeds it to the protocol and queues the events; false once the connection
  // ended. take() pops a queued event without I/O.
  bool pump(Ms timeout);
  bool take(Received& out);

  int fd() const { return socket_.fd(); }
  Socket& socket() { return socket_; }
  ws::ClientProtocol& protocol() { return *protocol_; }
  bool ended() const { return eof_; }

 private:
  int handshake(const std::string& host_header, std::string_view target, Ms timeout);
  bool flush();
  void collect();
  void feed(std::span<const std::uint8_t> bytes);
  void end();

  // What the server's frames are reported to, and where the protocol's bytes wait until
  // flush() writes them. Declared before protocol_, which refers to both.
  ws::ClientProtocolOptions options_;
  ws::test::RecordingListener listener_;
  core::Buffer out_;
  std::unique_ptr<ws::ClientProtocol> protocol_;
  Socket socket_;
  std::deque<Received> pending_;
  std::vector<std::uint8_t> scratch_;
  int http_status_ = 0;
  bool opened_ = false;
  bool eof_ = false;
  bool flushing_ = false;
};

// A uvws::Server on a thread of its own: listens on construction, stop()s and joins on
// destruction. A server that does not return from run() within 20 s after stop() aborts the
// test binary (a hang would otherwise only end at the ctest timeout).
class ServerThread {
 public:
  // Loopback, port 0, no signal handling, unless `options` says otherwise.
  static ServerOptions options();

  ServerThread(ServerOptions opts, const std::vector<std::pair<std::string, Handler*>>& routes);
  ServerThread(ServerOptions opts, Handler& handler)
      : ServerThread(std::move(opts), {{"/", &handler}}) {}
  ~ServerThread() { stop(); }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  std::uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }
  // Stops gracefully and joins; true when run() returned in time. Idempotent.
  bool stop(Ms timeout = Ms(20000));

 private:
  Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

// Polls `pred` until it holds or `timeout` passes; returns pred()'s last value. For state that
// has no condition variable of its own (a count behind someone else's lock, Server methods);
// a test REQUIREs the result, so that a wait that times out fails it.
bool wait_until(const std::function<bool()>& pred, Ms timeout = default_timeout);

// What a RecordingHandler's callbacks saw.
struct Record {
  struct Close {
    std::uint16_t code;
    std::string reason;
  };
  int opens = 0;
  int messages = 0;
  int drains = 0;
  int errors = 0;
  // Broken guarantees: a second on_open, or a callback for a connection that is not open
  // (before on_open or after on_close).
  int violations = 0;
  std::vector<Close> closes;
  std::vector<std::string> pings;
  std::vector<std::string> pongs;
  std::vector<std::error_code> error_codes;
  int error_null_ws = 0;  // on_error calls with ws == nullptr (handshake failures)
};

// A Handler that records its callbacks and, unless told otherwise, echoes messages. The hooks
// let a test add behaviour; set them before the server starts.
//
// The callbacks run on loop threads while the test reads: the record is under `mutex`. A test
// reads it through copies taken under the lock: wait(pred(const Record&)) returns the record
// that satisfied `pred`, snapshot() the record as it is now.
class RecordingHandler : public Handler, public Record {
 public:
  using Close = Record::Close;
  using Predicate = std::function<bool(const Record&)>;

  bool echo = true;
  std::function<void(WebSocket&, Message)> message_hook;  // runs after the echo, if set
  std::function<void(WebSocket&)> open_hook;
  std::function<void(WebSocket&)> drain_hook;

  void on_open(WebSocket& ws) override;
  void on_message(WebSocket& ws, Message message) override;
  void on_ping(WebSocket& ws, std::span<const std::uint8_t> payload) override;
  void on_pong(WebSocket& ws, std::span<const std::uint8_t> payload) override;
  void on_drain(WebSocket& ws) override;
  void on_close(WebSocket& ws, std::uint16_t code, std::string_view reason) override;
  void on_error(WebSocket* ws, std::error_code ec) override;

  // Waits until `pred` holds for the record (called under the lock, after each callback);
  // returns a copy of the record it held for, or nothing after `timeout`.
  std::optional<Record> wait(const Predicate& pred, Ms timeout = default_timeout);
  // A copy of the record as it is now.
  Record snapshot();

  // The older interface, kept for the [timeout] tests that are being rewritten on an
  // injectable clock: `pred` reads the inherited fields itself (under the lock), and any other
  // read of them must hold `mutex`. New tests use the two functions above.
  bool wait(const std::function<bool()>& pred, Ms timeout = default_timeout);
  std::mutex mutex;
  int count_opens() { return snapshot().opens; }
  std::size_t count_closes() { return snapshot().closes.size(); }

 private:
  // Called with the lock held: counts a violation unless `ws` is open.
  void check_open(const WebSocket& ws);

  std::condition_variable cv_;
  std::unordered_set<const WebSocket*> open_;
};

}  // namespace uvws::test
