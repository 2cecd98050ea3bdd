// Helpers shared by the sans-I/O protocol tests: byte strings, frames built by hand (so that
// the parser is not checked against the serializer it ships with), feeding input in chunks
// of every size, events as readable strings, and open server/client fixtures (a protocol, its
// recording listener and the buffer its calls append output to).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recording_listener.h"
#include "rfc6455_samples.h"
#include "uvws/core/buffer.h"
#include "uvws/ws/client_protocol.h"
#include "uvws/ws/error.h"
#include "uvws/ws/handshake.h"
#include "uvws/ws/server_protocol.h"

namespace uvws::ws::test {

// A byte string. std::string makes literals, concatenation and comparison easy.
using Bytes = std::string;

inline Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

inline std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

inline std::span<const std::uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The masking key of RFC 6455 5.7's masked example, in wire order.
inline constexpr std::array<std::uint8_t, 4> rfc_key = {0x37, 0xfa, 0x21, 0x3d};

// A frame built by hand: `b0` is the first byte (FIN, RSV1-3, opcode); the length is written
// in its shortest form; with `masked` the payload is masked with `key`.
inline Bytes frame(std::uint8_t b0, std::string_view payload, bool masked,
                   std::array<std::uint8_t, 4> key = rfc_key) {
  Bytes out;
  out.push_back(static_cast<char>(b0));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    for (int shift = 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  }
  if (masked) {
    for (std::uint8_t k : key) out.push_back(static_cast<char>(k));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<std::uint8_t>(payload[i]);
    out.push_back(static_cast<char>(masked ? b ^ key[i % 4] : b));
  }
  return out;
}

// What a client sends (masked) and what a server sends (unmasked).
inline Bytes client_frame(std::uint8_t b0, std::string_view payload) {
  return frame(b0, payload, true);
}
inline Bytes server_frame(std::uint8_t b0, std::string_view payload) {
  return frame(b0, payload, false);
}

// A close payload: the code in network byte order, then the reason.
inline Bytes close_payload(std::uint16_t code, std::string_view reason = {}) {
  Bytes out = bytes({code >> 8, code & 0xFF});
  out.append(reason);
  return out;
}

// How feed() cuts its input: `chunk` 0 feeds it whole, n in pieces of n bytes,
// random_chunks in pieces of random sizes (seeded from the input, so runs repeat). With
// `in_place` the pieces go through receive_data_in_place() from a scratch buffer that is
// overwritten right after each call, so a view kept past the call would show garbage.
struct Split {
  static constexpr std::size_t random_chunks = static_cast<std::size_t>(-1);
  std::size_t chunk = 0;
  bool in_place = false;
};

inline std::ostream& operator<<(std::ostream& os, const Split& s) {
  if (s.chunk == 0) {
    os << "whole";
  } else if (s.chunk == Split::random_chunks) {
    os << "random chunks";
  } else {
    os << "chunks of " << s.chunk;
  }
  return os << (s.in_place ? ", in place" : ", copied");
}

// Every way the parser tests feed input: use as `const Split split = UVWS_SPLITS();`.
#define UVWS_SPLITS()                                                                        \
  GENERATE(values<::uvws::ws::test::Split>({{0, false},                                      \
                                            {1, false},                                      \
                                            {2, false},                                      \
                                            {3, false},                                      \
                                            {7, false},                                      \
                                            {::uvws::ws::test::Split::random_chunks, false}, \
                                            {0, true},                                       \
                                            {1, true},                                       \
                                            {2, true},                                       \
                                            {3, true},                                       \
                                            {7, true},                                       \
                                            {::uvws::ws::test::Split::random_chunks, true}}))

// Output owed for the input is appended to `out`.
inline void feed_piece(Protocol& p, uvws::core::Buffer& out, std::string_view piece,
                       bool in_place) {
  if (!in_place) {
    p.receive_data(piece, out);
    return;
  }
  std::vector<std::uint8_t> scratch(piece.begin(), piece.end());
  p.receive_data_in_place(scratch, out);
  std::fill(scratch.begin(), scratch.end(), std::uint8_t{0xEE});
}

inline void feed(Protocol& p, uvws::core::Buffer& out, std::string_view data, Split split) {
  if (split.chunk == 0) {
    feed_piece(p, out, data, split.in_place);
    return;
  }
  std::minstd_rand rng(static_cast<std::minstd_rand::result_type>(data.size() * 7919 + 17));
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t n = split.chunk;
    if (n == Split::random_chunks) n = 1 + rng() % std::max<std::size_t>(1, data.size() / 4);
    n = std::min(n, data.size() - pos);
    feed_piece(p, out, data.substr(pos, n), split.in_place);
    pos += n;
  }
}

// A payload as text when short and printable, else as its size and a hash, so that event
// lists stay readable in failure messages.
inline std::string describe_payload(std::string_view data) {
  const bool printable = std::all_of(data.begin(), data.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (printable && data.size() <= 64) return std::string(data);
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (char c : data) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return std::to_string(data.size()) + " bytes #" + std::to_string(h % 1000003);
}

inline std::string describe(const Event& e) {
  const char* op = e.opcode == Opcode::text ? "text" : "binary";
  switch (e.type) {
    case Event::Type::request:
      return "request";
    case Event::Type::response:
      return "response";
    case Event::Type::message:
      return std::string(op) + " " + describe_payload(e.data);
    case Event::Type::fragment:
      return std::string("fragment ") + op + (e.fin ? " fin " : " more ") +
             describe_payload(e.data);
    case Event::Type::ping:
      return "ping " + describe_payload(e.data);
    case Event::Type::pong:
      return "pong " + describe_payload(e.data);
    case Event::Type::close:
      return "close " + std::to_string(e.close_code) + " " + describe_payload(e.data);
    case Event::Type::failed:
      return "failed " + e.error.message();
  }
  return "?";
}

inline std::string failed(Error e) {
  return "failed " + make_error_code(e).message();
}

// What a fixture holds whatever its role: the protocol (`p`, set by Server or Client), the
// listener recording its events, and `out`, the buffer the tests pass to every protocol call
// that produces bytes, read back with output().
struct Endpoint {
  Endpoint() = default;
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // The events recorded since the last call, described.
  std::vector<std::string> events() {
    std::vector<std::string> described;
    for (const Event& e : listener.take()) described.push_back(describe(e));
    return described;
  }
  // Everything appended to `out` since the last call.
  Bytes output() {
    Bytes bytes(out.view());
    out.clear();
    return bytes;
  }
  // Takes the events and the output, for a test that starts from here.
  void drop() {
    listener.take();
    out.clear();
  }

  RecordingListener listener;
  uvws::core::Buffer out;
  Protocol* p = nullptr;
};

inline void feed(Endpoint& e, std::string_view data, Split split) {
  feed(*e.p, e.out, data, split);
}

// Checks that `e` failed the connection with `error`: the events end with the failure, the
// close frame with `code` is all it sent (masked with rfc_key when it is a client), and it is
// closed. `before` are the events expected ahead of the failure.
inline void check_failed(Endpoint& e, Error error, std::uint16_t code,
                         std::vector<std::string> before = {}) {
  Protocol& p = *e.p;
  before.push_back(failed(error));
  CHECK(e.events() == before);
  const Bytes close = frame(0x88, close_payload(code), p.role() == Role::client);
  CHECK(hex(e.output()) == hex(close));
  CHECK(p.state() == State::closed);
  CHECK(p.close_expected());
  CHECK(p.close_code_sent() == code);
  CHECK(p.close_code_received() == 0);
  CHECK(p.close_code_to_report() == code);
  // Nothing is parsed after a failure.
  p.receive_data(frame(0x81, "more", p.role() == Role::server), e.out);
  CHECK(e.listener.events.empty());
  CHECK(e.out.empty());
}

// Feeds `input` one byte at a time and returns how many bytes had been fed when the
// connection failed (so the failure came with byte number result - 1), or 0 if it did not.
inline std::size_t bytes_until_failure(Endpoint& e, std::string_view input, bool in_place) {
  for (std::size_t i = 0; i < input.size(); ++i) {
    feed_piece(*e.p, e.out, input.substr(i, 1), in_place);
    if (e.p->state() == State::closed) return i + 1;
  }
  return 0;
}

// Opens `s` (a server protocol with a listener of the test's own): receives the RFC 1.3 request
// and accepts it; `out` is left empty.
inline void open_with_rfc_request(ServerProtocol& s, uvws::core::Buffer& out) {
  s.receive_data(rfc_request, out);
  REQUIRE(s.accept({}, out) == std::error_code());
  out.clear();
}

// rfc_request with `extra` header lines ("Name: value\r\n"...) before the blank line.
inline std::string request_with(std::string_view extra) {
  std::string r(rfc_request.substr(0, rfc_request.size() - 2));
  r.append(extra);
  r.append("\r\n");
  return r;
}

// A server protocol with its options. With `open`, the RFC 1.3 request (plus `extra_headers`)
// has been accepted and its events and output taken.
struct Server : Endpoint {
  explicit Server(ServerProtocolOptions o = {}, bool open = true,
                  std::string_view extra_headers = {})
      : options(std::move(o)), proto(std::make_unique<ServerProtocol>(options, listener)) {
    p = proto.get();
    if (!open) return;
    proto->receive_data(request_with(extra_headers), out);
    REQUIRE(proto->accept({}, out) == std::error_code());
    REQUIRE(proto->state() == State::open);
    drop();
  }

  ServerProtocol& operator*() { return *proto; }
  ServerProtocol* operator->() { return proto.get(); }

  ServerProtocolOptions options;
  std::unique_ptr<ServerProtocol> proto;
};

// A listener that keeps every data message with where its bytes were (views are only valid
// during the call that delivered them: tests compare their addresses, never read them later).
struct ViewListener : ProtocolListener {
  std::vector<std::string> messages;
  std::vector<std::span<std::uint8_t>> views;
  void on_message(Opcode, std::span<std::uint8_t> data) override {
    messages.emplace_back(reinterpret_cast<const char*>(data.data()), data.size());
    views.push_back(data);
  }
  void on_fragment(Opcode op, std::span<std::uint8_t> data, bool) override { on_message(op, data); }
};

inline std::uint32_t fixed_mask_key() {
  std::uint32_t key;
  std::memcpy(&key, rfc_key.data(), 4);
  return key;
}

// The Sec-WebSocket-Key in a request the client wrote.
inline std::string key_in(std::string_view request) {
  constexpr std::string_view name = "Sec-WebSocket-Key: ";
  const std::size_t at = request.find(name);
  REQUIRE(at != std::string_view::npos);
  const std::size_t end = request.find("\r\n", at);
  return std::string(request.substr(at + name.size(), end - at - name.size()));
}

// A 101 answer to `request`, with `extra` header lines.
inline std::string response_to(std::string_view request, std::string_view extra = {}) {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      accept_key(key_in(request)) + "\r\n";
  r.append(extra);
  r.append("\r\n");
  return r;
}

// A client protocol with its options; masking keys are rfc_key. After construction the
// request has been written and taken (in `request`); with `open`, the server's 101 (plus
// `extra_headers`) has been received and the events taken.
struct Client : Endpoint {
  explicit Client(ClientProtocolOptions o = {}, bool open = true,
                  std::string_view extra_headers = {})
      : options(with_fixed_key(std::move(o))),
        proto(std::make_unique<ClientProtocol>(options, listener)) {
    p = proto.get();
    proto->connect("server.example.com", "/chat", out);
    request = output();
    if (!open) return;
    proto->receive_data(response_to(request, extra_headers), out);
    REQUIRE(proto->state() == State::open);
    drop();
  }

  ClientProtocol& operator*() { return *proto; }
  ClientProtocol* operator->() { return proto.get(); }

  static ClientProtocolOptions with_fixed_key(ClientProtocolOptions o) {
    o.mask_key_source = &fixed_mask_key;
    return o;
  }

  ClientProtocolOptions options;
  std::unique_ptr<ClientProtocol> proto;
  std::string request;
};

}  // namespace uvws::ws::test
