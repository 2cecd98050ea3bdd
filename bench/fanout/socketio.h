// The Socket.IO framing uvws-fanout speaks with --socketio: Engine.IO protocol 4 over a
// WebSocket, carrying Socket.IO protocol 5 packets, text only. Enough of it for a client that
// connects to the default namespace, sends and receives one event, and answers pings:
//
//   server -> client   0{"sid":...}         Engine.IO open (the client answers 40: connect "/")
//   server -> client   40{"sid":...}        Socket.IO connected to "/"
//   server -> client   2                    ping (the client answers 3: pong)
//   both ways          42["m","PAYLOAD"]    event "m" with one string argument
//
// PAYLOAD is the benchmark's payload (hex digits and 'x', nothing that JSON escapes), so the
// event is wrapped and unwrapped as plain text. Pure functions; no state, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace uvws::bench::socketio {

// The request target of a WebSocket-only Engine.IO 4 connection.
inline constexpr std::string_view path = "/socket.io/?EIO=4&transport=websocket";

inline constexpr std::string_view event_prefix = R"(42["m",")";
inline constexpr std::string_view event_suffix = R"("])";

// What a text message from the server asks of the client.
enum class Packet { open, connected, ping, event, other };

inline Packet classify(std::string_view text) {
  if (text.starts_with(event_prefix)) return Packet::event;
  if (text.starts_with("40")) return Packet::connected;
  if (text.starts_with("0")) return Packet::open;
  if (text == "2") return Packet::ping;
  return Packet::other;
}

// The client's answer to an open packet and to a ping.
inline constexpr std::string_view connect_packet = "40";
inline constexpr std::string_view pong_packet = "3";

// Writes the event carrying `payload` into `out` (which keeps its capacity between calls).
inline void wrap(std::string_view payload, std::string& out) {
  out.assign(event_prefix);
  out.append(payload);
  out.append(event_suffix);
}

// The payload of an event packet; nothing when the text is not one.
inline std::optional<std::string_view> unwrap(std::string_view text) {
  if (!text.starts_with(event_prefix) || !text.ends_with(event_suffix) ||
      text.size() < event_prefix.size() + event_suffix.size()) {
    return std::nullopt;
  }
  text.remove_prefix(event_prefix.size());
  text.remove_suffix(event_suffix.size());
  return text;
}

}  // namespace uvws::bench::socketio
