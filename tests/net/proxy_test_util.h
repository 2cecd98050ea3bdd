// Helpers for the proxy handshake tests: a driver that feeds a handshake the proxy's bytes in
// given chunks and records what it sent, how it ended and which bytes it left to the tunnel.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "uvws/net/proxy_handshake.h"

namespace uvws::net::test {

struct ProxyOutcome {
  std::vector<std::string> sent;  // start()'s bytes, then each send step's.
  ProxyStep::State state = ProxyStep::State::need_more;
  std::error_code error;
  std::string message;
  std::string leftover;  // done: the bytes after the handshake, from every chunk fed.
};

inline std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Runs `h` over `chunks` in order; the chunks after done are leftover too.
inline ProxyOutcome drive(ProxyHandshake& h, const std::vector<std::string>& chunks) {
  ProxyOutcome out;
  out.sent.push_back(h.start());
  for (const auto& chunk : chunks) {
    if (out.state == ProxyStep::State::done) {
      out.leftover += chunk;
      continue;
    }
    if (out.state == ProxyStep::State::failed) break;
    ProxyStep step = h.feed(as_bytes(chunk));
    out.state = step.state;
    if (step.state == ProxyStep::State::send) out.sent.push_back(step.bytes);
    if (step.state == ProxyStep::State::failed) {
      out.error = step.error;
      out.message = step.message;
    }
    if (step.state == ProxyStep::State::done) out.leftover = chunk.substr(step.consumed);
  }
  return out;
}

// Every way of cutting each message of `messages` in two (one cut at a time, the others whole),
// plus every message cut into single bytes: the chunk lists to drive with.
inline std::vector<std::vector<std::string>> every_split(const std::vector<std::string>& messages) {
  std::vector<std::vector<std::string>> out;
  out.push_back(messages);
  for (std::size_t m = 0; m < messages.size(); ++m) {
    for (std::size_t cut = 1; cut < messages[m].size(); ++cut) {
      std::vector<std::string> chunks;
      for (std::size_t k = 0; k < messages.size(); ++k) {
        if (k != m) {
          chunks.push_back(messages[k]);
          continue;
        }
        chunks.push_back(messages[k].substr(0, cut));
        chunks.push_back(messages[k].substr(cut));
      }
      out.push_back(std::move(chunks));
    }
  }
  std::vector<std::string> bytewise;
  for (const auto& message : messages) {
    for (char c : message) bytewise.emplace_back(1, c);
  }
  out.push_back(std::move(bytewise));
  return out;
}

}  // namespace uvws::net::test
