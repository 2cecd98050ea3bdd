// libFuzzer target: whole sessions between a ServerProtocol and a ClientProtocol in memory.
// One of them is the subject, with options the input chooses (frame mode, auto-pong, length
// rules, small limits, permessage-deflate with windows of 8..15 bits and either
// no_context_takeover); the other is a well-behaved peer with generous limits and its own
// deflate offer. The handshake runs between the two (the server's answer given in on_request
// or deferred, optionally after switching options, or a rejection; the peer's offer or answer
// may carry extra extension and subprotocol headers from the input), then a script of
// operations: the peer sends messages, fragments, pings, pongs and closes; raw bytes or raw
// frames are injected and bits flipped on the way to the subject; pending bytes are delivered in
// chunks, copied or in place; the subject sends, gets EOF or is terminated.
//
// Besides fuzz_common.h's checks on every event, the target asserts:
// - every send_*() returns true exactly when the state allows it (throwing for bad close
//   arguments), and a closed subject produces no bytes and no events;
// - the subject's output always parses at the peer, which receives exactly the messages the
//   subject sent, and every close frame the subject sends has a valid code (1002, 1007 or
//   1009 after a failure);
// - when nothing was injected, the subject receives exactly what the peer sent (a prefix if it
//   failed, which it may only for a size limit), answers a close with the same code and pings
//   with their payloads.
//
// Over 400 lines: the script's operations, the two ends' records and the checks between them
// describe one session and only make sense read together.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_common.h"

namespace {

using namespace uvws;
using fuzz::require;

// The input read front to back; past its end every value is 0.
class Script {
 public:
  explicit Script(std::span<const std::uint8_t> d) : d_(d) {}
  bool done() const { return pos_ >= d_.size(); }
  std::uint8_t byte() { return pos_ < d_.size() ? d_[pos_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  // A payload length: one byte, or the next two when it is 255 (larger frames stay reachable).
  std::size_t length() {
    const std::size_t n = byte();
    return n == 255 ? u16() : n;
  }
  std::string bytes(std::size_t n) {
    n = std::min(n, d_.size() - std::min(pos_, d_.size()));
    std::string s(reinterpret_cast<const char*>(d_.data()) + std::min(pos_, d_.size()), n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> d_;
  std::size_t pos_ = 0;
};

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
bool utf8(std::string_view s) {
  return core::is_valid_utf8(as_bytes(s));
}

void choose_deflate(ws::DeflateOptions& d, Script& s) {
  const std::uint8_t flags = s.byte();
  const std::uint8_t windows = s.byte();
  d.enabled = (flags & 0x01) != 0;
  d.server_no_context_takeover = (flags & 0x02) != 0;
  d.client_no_context_takeover = (flags & 0x04) != 0;
  d.min_size_to_compress = (flags & 0x08) != 0 ? 64 : 0;
  d.compression_level = (flags >> 4) % 10;
  d.server_max_window_bits = 8 + (windows & 0x07);
  d.client_max_window_bits = 8 + ((windows >> 4) & 0x07);
  d.mem_level = 1 + (windows & 0x08) / 2 + ((windows & 0x80) != 0 ? 4 : 0);
}

constexpr std::size_t limits[4] = {60, 1000, 1u << 16, 1u << 20};

// Records everything, in full, and runs fuzz_common.h's checks on the subject's events. A
// server peer (or subject) answers requests from on_request when told to.
class Recorder final : public ws::ProtocolListener {
 public:
  explicit Recorder(const ws::ProtocolOptions& checked) : check(checked) {}

  void on_request(const ws::HTTPRequest& r) override {
    check.on_request(r);
    ++events;
    if (server == nullptr) return;
    if (route != nullptr) server->set_options(*route);
    // accept() may only name a subprotocol the client offered (else std::logic_error).
    const auto offered = ws::offered_subprotocols(r);
    if (std::find(offered.begin(), offered.end(), accept_options.subprotocol) == offered.end()) {
      accept_options.subprotocol = {};
    }
    if (reject && (r.target().size() & 1) != 0) {
      server->reject(ws::http_response(404, "text/plain", "no route"), sent);
    } else if (reject) {
      server->reject(ws::Error::not_found, sent);
    } else if (accept_now) {
      try {
        server->accept(accept_options, sent);
      } catch (const std::invalid_argument&) {
        // An extra header from the input that accept_response() refuses: answered as the glue
        // does with a plain refusal.
        server->reject(ws::Error::rejected, sent);
      }
    }
  }
  void on_response(const ws::HTTPResponse& r) override { check.on_response(r), ++events; }
  void on_message(ws::Opcode op, std::span<std::uint8_t> d) override {
    check.on_message(op, d), ++events;
    messages.push_back(tag(op) + std::string(d.begin(), d.end()));
  }
  void on_fragment(ws::Opcode op, std::span<std::uint8_t> d, bool fin) override {
    check.on_fragment(op, d, fin), ++events;
    if (partial.empty()) partial = tag(op);
    partial.append(d.begin(), d.end());
    if (fin) messages.push_back(std::move(partial)), partial.clear();
  }
  void on_ping(std::span<std::uint8_t> d) override {
    check.on_ping(d), ++events;
    pings.emplace_back(d.begin(), d.end());
  }
  void on_pong(std::span<std::uint8_t> d) override {
    check.on_pong(d), ++events;
    pongs.emplace_back(d.begin(), d.end());
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    check.on_close(code, reason), ++events;
    closes.push_back(code);
    close_reason = reason;
  }
  void on_failed(std::error_code ec) override {
    check.on_failed(ec), ++events;
    failure = ec;
  }

  fuzz::CheckingListener check;
  std::size_t events = 0;
  std::vector<std::string> messages;  // opcode tag ('t' or 'b') then the payload
  std::vector<std::string> pings, pongs;
  std::vector<std::uint16_t> closes;
  std::string close_reason;
  std::error_code failure;
  core::Buffer sent;  // what on_request answered
  // Set on a server's listener to answer from on_request.
  ws::ServerProtocol* server = nullptr;
  const ws::ServerProtocolOptions* route = nullptr;
  bool accept_now = true;
  bool reject = false;
  ws::ServerProtocol::AcceptOptions accept_options;

 private:
  static std::string tag(ws::Opcode op) { return op == ws::Opcode::text ? "t" : "b"; }
  std::string partial;
};

// A message being sent in fragments, and the messages whole.
struct Sent {
  std::vector<std::string> messages;
  std::string partial;  // the tag and data of an unfinished fragmented message
  std::vector<std::string> pings;
  std::size_t largest = 0;
};

class Session {
 public:
  explicit Session(Script& s) : s_(s) {}
  void run();

 private:
  ws::Protocol& subject() { return *subject_; }
  ws::Protocol& peer() { return *peer_; }
  // The options the subject runs with once open.
  const ws::ProtocolOptions& subject_options() const {
    if (!subject_server_) return copt_;
    return srec_->route != nullptr ? sroute_ : sopt_;
  }
  void configure();
  bool handshake();
  void step();
  void deliver_to_subject(std::size_t n);
  void to_peer(core::Buffer& bytes);
  void subject_send(std::uint8_t what);
  void peer_send(std::uint8_t what);
  std::string payload(bool text);
  void finish();

  Script& s_;
  bool subject_server_ = false;
  ws::ServerProtocolOptions sopt_, sroute_;  // the server's options, and a route's
  ws::ClientProtocolOptions copt_;
  std::unique_ptr<Recorder> srec_, crec_;
  std::unique_ptr<ws::ServerProtocol> server_;
  std::unique_ptr<ws::ClientProtocol> client_;
  ws::Protocol* subject_ = nullptr;
  ws::Protocol* peer_ = nullptr;
  Recorder* subj_rec_ = nullptr;
  Recorder* peer_rec_ = nullptr;
  std::string pending_;  // bytes on their way to the subject
  Sent subject_sent_, peer_sent_;
  bool injected_ = false;        // raw bytes or flipped bits went to the subject
  bool subject_ponged_ = false;  // the subject sent pongs of its own
  bool peer_open_ = false;
  bool cut_ = false;  // the subject got EOF or was terminated
};

void Session::configure() {
  const std::uint8_t f = s_.byte();
  const std::uint8_t g = s_.byte();
  subject_server_ = (f & 0x01) != 0;
  ws::ProtocolOptions& subj = subject_server_ ? static_cast<ws::ProtocolOptions&>(sopt_) : copt_;
  ws::ProtocolOptions& peer = subject_server_ ? static_cast<ws::ProtocolOptions&>(copt_) : sopt_;
  subj.frame_mode = (f & 0x02) != 0;
  subj.auto_pong = (f & 0x04) == 0;
  subj.strict_lengths = (f & 0x08) == 0;
  subj.max_message_size = limits[(f >> 4) & 3];
  subj.max_frame_size = limits[(f >> 6) & 3];
  peer.max_message_size = peer.max_frame_size = 4u << 20;
  choose_deflate(sopt_.deflate, s_);
  choose_deflate(copt_.deflate, s_);
  static const std::vector<std::string> protocols[4] = {
      {}, {"chat"}, {"chat", "superchat"}, {"superchat", "v2.json"}};
  sopt_.subprotocols = protocols[g & 3];
  copt_.subprotocols = protocols[(g >> 2) & 3];
  if ((g & 0x10) != 0) sopt_.allowed_origins = {"http://example.com"};
  if ((g & 0x20) != 0) copt_.headers.emplace_back("Origin", "http://example.com");
  copt_.mask_key_source = &fuzz::fixed_mask_key;
  // A route (the glue's set_options in on_request): the same as the subject's, mode toggled.
  sroute_ = sopt_;
  sroute_.frame_mode = !sopt_.frame_mode;
  const bool routed = subject_server_ && (g & 0x40) != 0;
  const ws::ProtocolOptions& checked =
      routed ? static_cast<const ws::ProtocolOptions&>(sroute_) : subj;
  srec_ = std::make_unique<Recorder>(subject_server_ ? checked : peer);
  crec_ = std::make_unique<Recorder>(subject_server_ ? peer : checked);
  if (routed) srec_->route = &sroute_;
}

bool Session::handshake() {
  const std::uint8_t h = s_.byte();
  // Extra headers from the input: the client's on its request, the server's on its 101. A
  // handshake that may fail this way counts as injected.
  injected_ = (h & 0x05) != 0;
  if ((h & 0x01) != 0) {
    copt_.headers.emplace_back(
        (h & 0x02) != 0 ? "Sec-WebSocket-Extensions" : "Sec-WebSocket-Protocol",
        s_.bytes(s_.byte() & 0x3F));
  }
  if ((h & 0x04) != 0) {
    srec_->accept_options.headers.emplace_back(
        (h & 0x08) != 0 ? "Sec-WebSocket-Extensions" : "Sec-WebSocket-Protocol",
        s_.bytes(s_.byte() & 0x3F));
  }
  if ((h & 0x10) != 0) srec_->accept_options.subprotocol = (h & 0x20) != 0 ? "chat" : "v2.json";
  srec_->accept_now = (h & 0x40) == 0;
  srec_->reject = (h & 0xC0) == 0xC0;
  server_ = std::make_unique<ws::ServerProtocol>(sopt_, *srec_);
  client_ = std::make_unique<ws::ClientProtocol>(copt_, *crec_);
  srec_->server = server_.get();
  subject_ = subject_server_ ? static_cast<ws::Protocol*>(server_.get()) : client_.get();
  peer_ = subject_server_ ? static_cast<ws::Protocol*>(client_.get()) : server_.get();
  subj_rec_ = subject_server_ ? srec_.get() : crec_.get();
  peer_rec_ = subject_server_ ? crec_.get() : srec_.get();

  core::Buffer request;
  try {
    client_->connect("server.example.com", "/chat", request);
  } catch (const std::invalid_argument&) {
    return false;  // an extra request header from the input that client_request() refuses
  }
  core::Buffer response;
  server_->receive_data(request.span(), response);
  core::Buffer answer;
  answer.append(srec_->sent.span());
  srec_->sent.clear();
  answer.append(response.span());
  if (server_->state() == ws::State::connecting && server_->request() != nullptr) {
    try {
      server_->accept(srec_->accept_options, answer);
    } catch (const std::invalid_argument&) {
      server_->reject(ws::Error::rejected, answer);
    }
    server_->resume(answer);
  }
  require(server_->state() != ws::State::connecting, "the request was not answered");
  if (subject_server_) {
    to_peer(answer);
  } else {
    pending_.append(answer.view());
    deliver_to_subject(pending_.size());
  }
  // The server opens when it answers, the client when it accepted the answer.
  if (client_->state() == ws::State::open) {
    require(server_->state() == ws::State::open, "the client opened alone");
  }
  // Unless the server's 101 carries extension or subprotocol headers of the input's: accept()
  // writes AcceptOptions::headers as given, so they can contradict what it negotiated.
  if (client_->state() == ws::State::open && (h & 0x04) == 0) {
    require(subject().compression_enabled() == peer().compression_enabled(),
            "the ends disagree on compression");
    require(subject().subprotocol() == peer().subprotocol(), "the ends disagree on subprotocol");
  }
  // (With such headers the two ends may run different parameters: nothing is compared.)
  peer_open_ = peer().state() == ws::State::open && (h & 0x04) == 0;
  return true;
}

// Feeds the subject `n` pending bytes in chunks the script chooses, copied or in place, and
// hands everything it produced to the peer.
void Session::deliver_to_subject(std::size_t n) {
  n = std::min(n, pending_.size());
  const std::uint8_t how = s_.byte();
  const std::size_t chunk = (how & 0x80) != 0 ? 1 + (how & 0x0F) : n;
  std::string bytes = pending_.substr(0, n);
  pending_.erase(0, n);
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    const std::size_t len = std::min(chunk, bytes.size() - pos);
    const bool was_closed = subject().state() == ws::State::closed;
    const bool was_open = subject().state() == ws::State::open;
    const std::size_t events = subj_rec_->events;
    const std::size_t closes = subj_rec_->closes.size();
    core::Buffer out;
    if ((how & 0x40) != 0) {
      subject().receive_data_in_place({reinterpret_cast<std::uint8_t*>(bytes.data()) + pos, len},
                                      out);
    } else {
      subject().receive_data(as_bytes(bytes).subspan(pos, len), out);
    }
    if (was_closed) {
      require(out.empty() && subj_rec_->sent.empty(), "a closed protocol produced bytes");
      require(subj_rec_->events == events, "a closed protocol reported events");
    }
    if (subj_rec_->failure && subject().close_code_sent() != 0 && was_open) {
      const std::uint16_t c = subject().close_code_sent();
      require(c == 1002 || c == 1007 || c == 1009, "a failure closed with another code");
    }
    // A close from the peer while open is answered in this call with the same code.
    if (!injected_ && was_open && subj_rec_->closes.size() > closes) {
      const std::size_t answered = peer_rec_->closes.size();
      core::Buffer all;
      all.append(subj_rec_->sent.span());
      subj_rec_->sent.clear();
      all.append(out.span());
      to_peer(all);
      require(peer_rec_->closes.size() == answered + 1 &&
                  peer_rec_->closes.back() == subj_rec_->closes.back(),
              "a close was not answered with its code");
      continue;
    }
    to_peer(subj_rec_->sent);
    to_peer(out);
  }
}

void Session::to_peer(core::Buffer& bytes) {
  core::Buffer owed;
  peer().receive_data(bytes.span(), owed);
  bytes.clear();
  pending_.append(owed.view());
}

std::string Session::payload(bool text) {
  std::string p = s_.bytes(s_.length());
  if (text && !utf8(p)) p = std::string(p.size(), 'x');
  return p;
}

void Session::subject_send(std::uint8_t what) {
  const ws::State before = subject().state();
  const bool open = before == ws::State::open;
  const bool fragmenting = subject().sending_fragmented();
  core::Buffer out;
  bool ok = false;
  switch (what % 6) {
    case 0:
    case 1: {  // a whole message
      const bool text = what % 6 == 0;
      const std::string p = payload(text);
      ok = text ? subject().send_text(p, out) : subject().send_binary(as_bytes(p), out);
      require(ok == (open && !fragmenting), "send_message accepted or refused wrongly");
      if (ok) subject_sent_.messages.push_back((text ? "t" : "b") + p);
      break;
    }
    case 2: {  // a fragment: text data only while the message is text
      const bool fin = (what & 0x10) != 0;
      const bool text = fragmenting ? subject_sent_.partial[0] == 't' : (what & 0x20) != 0;
      const std::string p = payload(text);
      ok = subject().send_fragment(text ? ws::Opcode::text : ws::Opcode::binary, as_bytes(p), fin,
                                   out);
      require(ok == open, "send_fragment accepted or refused wrongly");
      if (!ok) break;
      if (!fragmenting) subject_sent_.partial = text ? "t" : "b";
      subject_sent_.partial += p;
      if (fin) subject_sent_.messages.push_back(std::move(subject_sent_.partial));
      if (fin) subject_sent_.partial.clear();
      break;
    }
    case 3:
    case 4: {  // ping or pong of at most 125 bytes
      const std::string p = s_.bytes(s_.byte() % 126);
      ok = what % 6 == 3 ? subject().send_ping(as_bytes(p), out)
                         : subject().send_pong(as_bytes(p), out);
      require(ok == open, "send_ping or send_pong accepted or refused wrongly");
      if (ok && what % 6 == 4) subject_ponged_ = true;
      break;
    }
    default: {  // close, with arguments that may be refused
      static constexpr std::uint16_t codes[8] = {0, 1000, 1001, 1005, 1011, 3000, 4999, 2999};
      const std::uint16_t code = (what & 0x80) != 0 ? s_.u16() : codes[(what >> 3) & 7];
      const std::string reason = s_.bytes(s_.byte() % 130);
      const bool valid = (code == 0 ? reason.empty() : ws::is_valid_close_code(code)) &&
                         reason.size() <= 123 && utf8(reason);
      try {
        ok = subject().send_close(code, reason, out);
        require(valid, "send_close accepted bad arguments");
      } catch (const std::invalid_argument&) {
        require(!valid, "send_close refused good arguments");
      }
      require(ok == (valid && open), "send_close accepted or refused wrongly");
      if (ok) require(subject().state() == ws::State::closing, "close sent but not closing");
      break;
    }
  }
  require(ok || out.empty(), "a refused send produced bytes");
  to_peer(out);
}

void Session::peer_send(std::uint8_t what) {
  core::Buffer out;
  switch (what % 5) {
    case 0: {
      const bool text = (what & 0x10) != 0;
      std::string p = s_.bytes(s_.length());
      if (text && !utf8(p)) injected_ = true;  // the subject must fail it with 1007
      const bool ok =
          peer().send_message(text ? ws::Opcode::text : ws::Opcode::binary, as_bytes(p), out);
      if (ok) peer_sent_.messages.push_back((text ? "t" : "b") + p);
      if (ok) peer_sent_.largest = std::max(peer_sent_.largest, p.size());
      break;
    }
    case 1: {
      const bool fin = (what & 0x10) != 0;
      const bool fragmenting = peer().sending_fragmented();
      const bool text = fragmenting ? peer_sent_.partial[0] == 't' : (what & 0x20) != 0;
      const std::string p = payload(text);
      if (!peer().send_fragment(text ? ws::Opcode::text : ws::Opcode::binary, as_bytes(p), fin,
                                out)) {
        break;
      }
      if (!fragmenting) peer_sent_.partial = text ? "t" : "b";
      peer_sent_.partial += p;
      peer_sent_.largest = std::max(peer_sent_.largest, peer_sent_.partial.size());
      if (fin) peer_sent_.messages.push_back(std::move(peer_sent_.partial));
      if (fin) peer_sent_.partial.clear();
      break;
    }
    case 2: {
      const std::string p = s_.bytes(s_.byte() % 126);
      if (peer().send_ping(as_bytes(p), out)) peer_sent_.pings.push_back(p);
      break;
    }
    case 3:
      peer().send_pong(as_bytes(s_.bytes(s_.byte() % 126)), out);
      break;
    default: {
      static constexpr std::uint16_t codes[4] = {0, 1000, 1008, 4000};
      const std::uint16_t code = codes[(what >> 3) & 3];
      const std::string reason = code == 0 ? "" : s_.bytes(s_.byte() % 124);
      if (utf8(reason)) peer().send_close(code, reason, out);
      break;
    }
  }
  pending_.append(out.view());
}

// Operations until the script ends (at most 300), then everything pending is delivered.
void Session::step() {
  const std::uint8_t op = s_.byte();
  switch (op % 8) {
    case 0:
    case 1:
      peer_send(s_.byte());
      break;
    case 2:
      subject_send(s_.byte());
      break;
    case 3:
      deliver_to_subject((op & 0x80) != 0 ? pending_.size() : s_.length());
      break;
    case 4: {  // raw bytes
      pending_ += s_.bytes(s_.length());
      injected_ = true;
      break;
    }
    case 5: {  // a raw frame: any first byte, masked as a well-behaved peer would or not
      ws::Frame f;
      const std::uint8_t b0 = s_.byte();
      f.fin = (b0 & 0x80) != 0;
      f.rsv1 = (b0 & 0x40) != 0;
      f.rsv2 = (b0 & 0x20) != 0;
      f.rsv3 = (b0 & 0x10) != 0;
      f.opcode = static_cast<ws::Opcode>(b0 & 0x0F);
      f.masked = subject_server_ != ((op & 0x80) != 0);
      f.mask_key = fuzz::fixed_mask_key();
      const std::string p = s_.bytes(s_.length());
      f.payload = as_bytes(p);
      f.length = p.size();
      core::Buffer b;
      ws::serialize(f, b);
      pending_.append(b.view());
      injected_ = true;
      break;
    }
    case 6:  // one bit flipped in what is pending
      if (!pending_.empty()) {
        pending_[s_.u16() % pending_.size()] ^= static_cast<char>(1u << (op >> 5));
        injected_ = true;
      }
      break;
    default:
      if ((op & 0x40) != 0) {
        subject().terminate();
      } else {
        subject().receive_eof();
      }
      require(subject().state() == ws::State::closed, "EOF or terminate left it open");
      cut_ = true;
      break;
  }
}

void Session::finish() {
  deliver_to_subject(pending_.size());
  if (!peer_open_) return;
  // The subject's output is always valid, and carries exactly its messages.
  require(!peer_rec_->failure, "the subject's output failed at the peer");
  require(peer_rec_->messages == subject_sent_.messages, "the peer got other messages");
  for (std::uint16_t c : peer_rec_->closes) {
    require(c == ws::close_code::no_status || ws::is_valid_close_code(c), "close code sent");
  }
  if (injected_) return;
  if (!subj_rec_->closes.empty()) {
    require(subject().close_reason_received() == subj_rec_->close_reason, "close reason kept");
    require(subject().close_code_received() == subj_rec_->closes.back(), "close code kept");
  }
  // Nothing injected: the subject got what the peer sent, and fails only for a size limit.
  const auto& got = subj_rec_->messages;
  const auto& want = peer_sent_.messages;
  require(got.size() <= want.size() && std::equal(got.begin(), got.end(), want.begin()),
          "the subject got other messages");
  if (subj_rec_->failure && subj_rec_->failure != ws::Error::unexpected_eof) {
    const ws::ProtocolOptions& o = subject_options();
    const std::size_t limit = std::min(o.max_message_size, o.max_frame_size);
    require(subj_rec_->failure == ws::Error::message_too_big ||
                subj_rec_->failure == ws::Error::frame_too_big,
            "the subject failed a well-behaved peer");
    require(peer_sent_.largest + peer_sent_.largest / 8 + 64 > limit,
            "a size limit failed a message within it");
  } else if (!subj_rec_->failure && !cut_) {
    require(got.size() == want.size(), "the subject lost messages");
  }
  // Automatic pongs answer the pings in order (a closing subject may stop answering).
  const auto& pongs = peer_rec_->pongs;
  const auto& pings = peer_sent_.pings;
  if (!subject_ponged_ && subject_options().auto_pong) {
    require(pongs.size() <= pings.size() && std::equal(pongs.begin(), pongs.end(), pings.begin()),
            "pongs that do not answer the pings");
  }
}

void Session::run() {
  configure();
  try {
    sopt_.validate();
    copt_.validate();
  } catch (const std::invalid_argument&) {
    return;  // the input chose options that cannot be used (e.g. compression level 0 bits)
  }
  if (!handshake()) return;
  for (int i = 0; i < 300 && !s_.done(); ++i) step();
  finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script script({data, size});
  Session(script).run();
  return 0;
}
