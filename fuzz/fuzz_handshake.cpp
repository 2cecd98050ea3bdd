// libFuzzer target: the opening handshake of both roles (llhttp parsing, the RFC 6455 4 checks,
// Origin, subprotocol and permessage-deflate negotiation), then whatever frames follow.
//
// Input: byte 0 chooses the role and options, byte 1 how the second run splits the input,
// the rest is what the peer sends: an HTTP request for a server, a response for a client (in
// whose head "{ACCEPT}" is replaced by the Sec-WebSocket-Accept value matching the client's key,
// so that the fuzzer can get past that check). The input is parsed twice, whole and split; the
// events, output and state must be equal, and the answer must be HTTP.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "fuzz_common.h"

namespace {

using namespace uvws;
using uvws::fuzz::CheckingListener;
using uvws::fuzz::Outcome;

struct Options {
  explicit Options(std::uint8_t flags) {
    for (ws::ProtocolOptions* o :
         {static_cast<ws::ProtocolOptions*>(&server), static_cast<ws::ProtocolOptions*>(&client)}) {
      o->http.max_header_bytes = (flags & 0x02) != 0 ? 256 : 4096;
      o->http.max_headers = (flags & 0x02) != 0 ? 8 : 64;
      o->deflate.enabled = (flags & 0x04) != 0;
      o->deflate.client_max_window_bits = (flags & 0x08) != 0 ? 10 : 15;
      o->deflate.server_no_context_takeover = (flags & 0x08) != 0;
      o->subprotocols = {"chat", "superchat"};
      o->max_message_size = 4096;
      if ((flags & 0x40) != 0) {
        o->deflate.server_max_window_bits = 8;
        o->deflate.client_no_context_takeover = true;
      }
      if ((flags & 0x80) != 0) {
        o->subprotocols.clear();
        o->http.max_headers = 2;
      }
    }
    if ((flags & 0x10) != 0) server.allowed_origins = {"http://example.com"};
    client.mask_key_source = &fuzz::fixed_mask_key;
  }
  ws::ServerProtocolOptions server;
  ws::ClientProtocolOptions client;
};

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Outcome run_server(std::uint8_t flags, std::span<const std::uint8_t> input, std::size_t chunk,
                   bool in_place) {
  Options o(flags);
  CheckingListener listener(o.server);
  ws::ServerProtocol s(o.server, listener);
  // Either the glue's way (accept inside on_request) or a deferred accept() and resume().
  const bool in_callback = (flags & 0x20) != 0;
  if (in_callback) listener.accept_in_callback = &s;
  if (chunk == 0) chunk = input.size() == 0 ? 1 : input.size();
  std::string out;
  core::Buffer answer;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    fuzz::feed(s, listener, out, input.subspan(pos, std::min(chunk, input.size() - pos)), 0,
               in_place);
    if (!in_callback && s.request() != nullptr && s.state() == ws::State::connecting) {
      s.accept({}, answer);
      s.resume(answer);
      fuzz::move_to(out, answer);
    }
  }
  if (!out.empty()) fuzz::require(starts_with(out, "HTTP/1.1 "), "the answer is not HTTP");
  if (s.state() != ws::State::connecting && s.close_code_to_report() == ws::close_code::abnormal &&
      listener.log.find("request") != std::string::npos) {
    fuzz::require(!out.empty(), "a request was answered with nothing");
  }
  if (listener.log.find("failed") == std::string::npos && s.state() == ws::State::open) {
    fuzz::require(starts_with(out, "HTTP/1.1 101 Switching Protocols\r\n"), "open without a 101");
  }
  s.release_handshake();
  return {listener.log, out, s.state()};
}

Outcome run_client(std::uint8_t flags, std::span<const std::uint8_t> input, std::size_t chunk,
                   bool in_place) {
  Options o(flags);
  CheckingListener listener(o.client);
  ws::ClientProtocol c(o.client, listener);
  core::Buffer request;
  c.connect("server.example.com", "/chat", request);
  const std::string key = fuzz::key_in(fuzz::take(request));
  std::string response(reinterpret_cast<const char*>(input.data()), input.size());
  // Only in the head's fields: the key differs between runs, and frames (and the status line,
  // whose version the key could otherwise overwrite) must compare equal.
  constexpr std::string_view placeholder = "{ACCEPT}";
  const std::size_t fields = response.find("\r\n");
  for (std::size_t at;
       (at = response.find(placeholder, fields == std::string::npos ? response.size() : fields)) <
       response.find("\r\n\r\n");) {
    response.replace(at, placeholder.size(), ws::accept_key(key));
  }
  std::string out;
  fuzz::feed(c, listener, out,
             {reinterpret_cast<const std::uint8_t*>(response.data()), response.size()}, chunk,
             in_place);
  if (c.state() == ws::State::open || c.state() == ws::State::closing) {
    fuzz::require(c.response() != nullptr && c.response()->status() == 101, "open without 101");
  }
  c.release_handshake();
  return {listener.log, out, c.state()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::uint8_t split = data[1];
  const std::span<const std::uint8_t> input(data + 2, size - 2);
  const auto run = (flags & 0x01) != 0 ? &run_client : &run_server;
  const Outcome whole = run(flags, input, 0, false);
  const std::size_t chunk = (split & 0x80) != 0 ? 1 : 1 + (split & 0x1F);
  const Outcome pieces = run(flags, input, chunk, (split & 0x40) != 0);
  fuzz::require(whole == pieces, "the split changed the events or the output");
  return 0;
}
