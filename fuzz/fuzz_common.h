// Shared by the libFuzzer targets: a listener that records every event compactly and checks
// what must hold whatever the peer sends, protocols opened without sockets, and a run that
// feeds one input split the way the input's first bytes say, collecting the bytes sent in the
// order the glue writes them.
//
// Every target checks the same central property: the same bytes give the same events and the
// same output however they are split and whether they are copied or lent (the parser must not
// depend on read boundaries). A violated property calls std::abort(), which libFuzzer reports
// as a crash with the input that caused it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/buffer.h"
#include "uvws/core/utf8.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::fuzz {

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

// Records events as text (payloads as size and hash) and checks each one against the
// options: text is UTF-8, sizes are within the limits, close codes are valid, and nothing is
// reported after the connection failed or closed.
class CheckingListener final : public ws::ProtocolListener {
 public:
  explicit CheckingListener(const ws::ProtocolOptions& options) : options_(options) {}

  void on_request(const ws::HTTPRequest& r) override {
    event("request", r.target());
    if (accept_in_callback != nullptr) accept_in_callback->accept({}, sent);
  }
  void on_response(const ws::HTTPResponse&) override { event("response", {}); }
  void on_message(ws::Opcode op, std::span<std::uint8_t> data) override {
    require(!options_.frame_mode, "on_message in frame mode");
    require(data.size() <= options_.max_message_size, "message over max_message_size");
    if (op == ws::Opcode::text) require(core::is_valid_utf8(data), "text message not UTF-8");
    require(op == ws::Opcode::text || op == ws::Opcode::binary, "message opcode");
    event(op == ws::Opcode::text ? "text" : "binary", as_view(data));
  }
  void on_fragment(ws::Opcode op, std::span<std::uint8_t> data, bool fin) override {
    require(options_.frame_mode, "on_fragment outside frame mode");
    message_size_ += data.size();
    require(message_size_ <= options_.max_message_size, "fragments over max_message_size");
    if (op == ws::Opcode::text) {
      require(utf8_.feed(data), "text fragment not UTF-8");
      if (fin) require(utf8_.complete(), "text message ends inside a sequence");
    }
    if (fin) {
      message_size_ = 0;
      utf8_.reset();
    }
    event(fin ? "fragment-fin" : "fragment", as_view(data));
  }
  void on_ping(std::span<std::uint8_t> data) override {
    require(data.size() <= ws::max_control_payload, "ping over 125 bytes");
    event("ping", as_view(data));
  }
  void on_pong(std::span<std::uint8_t> data) override {
    require(data.size() <= ws::max_control_payload, "pong over 125 bytes");
    event("pong", as_view(data));
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    require(code == ws::close_code::no_status || ws::is_valid_close_code(code), "close code");
    require(reason.size() <= 123, "close reason over 123 bytes");
    event("close" + std::to_string(code), reason);
  }
  void on_failed(std::error_code ec) override {
    // Every error the protocol reports can be explained to the application and, for the
    // handshake, answered in HTTP.
    require(!ec.message().empty(), "an error without a message");
    require(ws::error_response(ec).rfind("HTTP/1.1 ", 0) == 0, "an error answer that is not HTTP");
    event("failed" + std::to_string(ec.value()), {});
  }

  std::string log;
  // Set to answer requests from inside on_request (the glue's usual way); the answer goes to
  // `sent`, the buffer of what callbacks sent, which the glue writes before the call's `out`.
  ws::ServerProtocol* accept_in_callback = nullptr;
  core::Buffer sent;

 private:
  static std::string_view as_view(std::span<const std::uint8_t> d) {
    return {reinterpret_cast<const char*>(d.data()), d.size()};
  }
  void event(const std::string& name, std::string_view data) {
    require(!ended_, "event after the connection ended");
    if (name.rfind("failed", 0) == 0 || name.rfind("close", 0) == 0) ended_ = true;
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (char c : data) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    log += name + ":" + std::to_string(data.size()) + ":" + std::to_string(h) + "\n";
  }

  const ws::ProtocolOptions& options_;
  core::Utf8Validator utf8_;
  std::uint64_t message_size_ = 0;
  bool ended_ = false;
};

// A fixed masking key, so that a client's output is the same on every run.
inline std::uint32_t fixed_mask_key() {
  return 0x5a17c3e1u;
}

// Appends `from` to `to` and empties it.
inline void move_to(std::string& to, core::Buffer& from) {
  to.append(from.view());
  from.clear();
}

// Feeds `input` to `p`, whose listener is `l`: whole when `chunk` is 0, else in pieces of
// `chunk` bytes; copied, or lent from a scratch buffer that is overwritten after each call (so
// a view kept past the call would change the events). After each call, what the callbacks
// sent and then what the call owes the peer are appended to `wire`, as the glue writes them.
inline void feed(ws::Protocol& p, CheckingListener& l, std::string& wire,
                 std::span<const std::uint8_t> input, std::size_t chunk, bool in_place) {
  if (chunk == 0) chunk = input.size();
  std::vector<std::uint8_t> scratch;
  core::Buffer out;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    const auto piece = input.subspan(pos, std::min(chunk, input.size() - pos));
    if (!in_place) {
      p.receive_data(piece, out);
    } else {
      scratch.assign(piece.begin(), piece.end());
      p.receive_data_in_place(scratch, out);
      std::memset(scratch.data(), 0xA5, scratch.size());
    }
    move_to(wire, l.sent);
    move_to(wire, out);
  }
}

inline constexpr std::string_view sample_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n";

// What one run produced, compared between runs of the same input.
struct Outcome {
  std::string log;
  std::string output;
  ws::State state;

  bool operator==(const Outcome&) const = default;
};

inline std::string take(core::Buffer& b) {
  std::string s(b.view());
  b.clear();
  return s;
}

// The Sec-WebSocket-Key a client wrote.
inline std::string key_in(std::string_view request) {
  constexpr std::string_view name = "Sec-WebSocket-Key: ";
  const std::size_t at = request.find(name);
  require(at != std::string_view::npos, "client request without a key");
  const std::size_t end = request.find("\r\n", at);
  return std::string(request.substr(at + name.size(), end - at - name.size()));
}

}  // namespace uvws::fuzz
