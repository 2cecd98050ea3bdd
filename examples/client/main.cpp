// uvws-client: a command-line WebSocket client (like wscat) on uvws::Client.
//
//   uvws-client ws://127.0.0.1:9001/echo            type lines; each is sent as a text message
//   echo hi | uvws-client ws://127.0.0.1:9001/echo  sends "hi", prints the echo, closes
//
// Each line of stdin is one text message; each message received is printed on stdout (text as
// is, binary as hex or as its length); connection events go to stderr. At the end of stdin the
// client closes with 1000 (unless --close-after sets the end). The exit status says how the
// connection ended (see usage()).
//
// Threads: the loop runs on the main thread; a second thread reads stdin (a regular file
// cannot be watched by an event loop) and posts each line to the loop. It may be blocked in
// read() when the connection ends, so the program ends with std::_Exit after flushing stdout:
// no destructor runs while that thread could still post to the loop.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "uvws/client.h"
#include "uvws/core/log.h"
#include "uvws/net/loop.h"
#include "uvws/net/timer.h"
#include "uvws/ws/error.h"

namespace {

enum Exit : int {
  normal = 0,        // closed with 1000 (or a close frame without a code, 1005)
  closed_other = 1,  // closed with another code (stderr says which)
  usage_error = 2,
  connect_failed = 3,     // lookup, TCP connect or timeout
  handshake_refused = 4,  // the server answered but did not accept (stderr: HTTP status)
  lost = 5,               // the connection ended without a close frame (1006)
};

[[noreturn]] void usage(int status) {
  std::fprintf(
      status == 0 ? stdout : stderr,
      "usage: uvws-client [options] URL    (ws://host[:port]/path, wss://host[:port]/path,\n"
      "                                     ws+unix:///sock:/path)\n"
      "  -H, --header 'Name: value'  extra request header (repeatable)\n"
      "  -s, --subprotocol NAME      offer a subprotocol (repeatable, preferred first)\n"
      "  -o, --origin ORIGIN         send an Origin header\n"
      "  --ping-interval MS          keepalive ping when idle; prints each RTT\n"
      "  --close-after SECONDS       close with 1000 after this long (stdin EOF then\n"
      "                              does not close)\n"
      "  --binary hex|length         how to print binary messages (default hex)\n"
      "  --compression               offer permessage-deflate\n"
      "  --connect-timeout MS        lookup + TCP connect + proxy (default 10000)\n"
      "  --cafile FILE               wss://: trust these CAs (PEM) instead of the system's\n"
      "  --insecure                  wss://: no certificate verification (warns)\n"
      "  --proxy URL                 connect through http://, socks5:// or socks5h://\n"
      "                              (\"\" = none; default: the environment, as curl)\n"
      "  --log-level LEVEL           trace|debug|info|warn|error|off (default warn)\n"
      "exit status: 0 closed with 1000/1005, 1 closed with another code, 2 usage,\n"
      "  3 could not connect, 4 handshake refused (TLS included), 5 connection lost (1006)\n");
  std::exit(status);
}

struct Settings {
  std::string url;
  uvws::ClientOptions options;
  double close_after = 0;
  bool binary_as_length = false;
};

Settings parse_args(int argc, char** argv) {
  Settings s;
  std::string log_level = "warn";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(usage_error);
      return argv[++i];
    };
    try {
      if (arg == "-h" || arg == "--help") {
        usage(0);
      } else if (arg == "-H" || arg == "--header") {
        const std::string h = value();
        const auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0) usage(usage_error);
        const auto start = h.find_first_not_of(' ', colon + 1);
        s.options.headers.emplace_back(h.substr(0, colon),
                                       start == std::string::npos ? "" : h.substr(start));
      } else if (arg == "-s" || arg == "--subprotocol") {
        s.options.subprotocols.push_back(value());
      } else if (arg == "-o" || arg == "--origin") {
        s.options.origin = value();
      } else if (arg == "--ping-interval") {
        s.options.ping_interval = std::chrono::milliseconds(std::stol(value()));
      } else if (arg == "--close-after") {
        s.close_after = std::stod(value());
      } else if (arg == "--binary") {
        const std::string v = value();
        if (v != "hex" && v != "length") usage(usage_error);
        s.binary_as_length = v == "length";
      } else if (arg == "--compression") {
        s.options.compression.enabled = true;
      } else if (arg == "--connect-timeout") {
        s.options.connect_timeout = std::chrono::milliseconds(std::stol(value()));
      } else if (arg == "--cafile") {
        s.options.tls.ca_file = value();
      } else if (arg == "--insecure") {
        s.options.tls.insecure = true;
      } else if (arg == "--proxy") {
        s.options.proxy = std::string(value());
      } else if (arg == "--log-level") {
        log_level = value();
      } else if (!arg.empty() && arg[0] == '-') {
        std::fprintf(stderr, "uvws-client: unknown option %s\n", argv[i]);
        usage(usage_error);
      } else if (s.url.empty()) {
        s.url = std::string(arg);
      } else {
        usage(usage_error);
      }
    } catch (const std::logic_error&) {  // stol/stod on a non-number
      std::fprintf(stderr, "uvws-client: bad value for %s\n", argv[i - 1]);
      usage(usage_error);
    }
  }
  if (s.url.empty()) usage(usage_error);
  uvws::core::set_log_level(log_level);
  return s;
}

// Prints what arrives and remembers how the connection ended. Loop thread only.
class Printer final : public uvws::Handler {
 public:
  Printer(const Settings& settings, uvws::net::Timer& close_timer)
      : settings_(settings), close_timer_(close_timer) {}

  void set_client(uvws::Client& client) { client_ = &client; }
  int exit_status() const { return status_; }

  // A line of stdin: sent now, or once the connection is open.
  void line(std::string text) {
    if (uvws::WebSocket* ws = client_->websocket()) {
      ws->send_text(text);
    } else if (!opened_) {
      pending_.push_back(std::move(text));
    }
  }
  // The end of stdin: close (once the lines before it are sent).
  void end_of_input() {
    eof_ = true;
    if (opened_) client_->close(uvws::ws::close_code::normal);
  }

  void on_open(uvws::WebSocket& ws) override {
    opened_ = true;
    const std::string_view sub = ws.subprotocol();
    if (sub.empty()) {
      std::fprintf(stderr, "connected\n");
    } else {
      std::fprintf(stderr, "connected (subprotocol %.*s)\n", static_cast<int>(sub.size()),
                   sub.data());
    }
    for (const std::string& text : pending_) ws.send_text(text);
    pending_.clear();
    if (eof_) ws.close(uvws::ws::close_code::normal);
  }
  void on_message(uvws::WebSocket&, uvws::Message m) override {
    if (m.is_text()) {
      std::fwrite(m.text().data(), 1, m.text().size(), stdout);
    } else if (settings_.binary_as_length) {
      std::fprintf(stdout, "<binary, %zu bytes>", m.size());
    } else {
      for (const std::uint8_t b : m.data()) std::fprintf(stdout, "%02x", b);
    }
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  void on_pong(uvws::WebSocket&, std::span<const std::uint8_t>) override {
    if (client_ != nullptr && client_->latency().count() > 0) {
      std::fprintf(stderr, "pong: %.3f ms\n",
                   static_cast<double>(client_->latency().count()) / 1e3);
    }
  }
  void on_close(uvws::WebSocket&, std::uint16_t code, std::string_view reason) override {
    close_timer_.stop();
    std::fprintf(stderr, "closed: %u%s%.*s\n", code, reason.empty() ? "" : " ",
                 static_cast<int>(reason.size()), reason.data());
    if (code == uvws::ws::close_code::normal || code == uvws::ws::close_code::no_status) {
      status_ = normal;
    } else if (code == uvws::ws::close_code::abnormal) {
      status_ = lost;
    } else {
      status_ = closed_other;
    }
  }
  void on_error(uvws::WebSocket* ws, std::error_code ec) override {
    if (ws != nullptr || opened_) {
      std::fprintf(stderr, "error: %s\n", ec.message().c_str());
      return;
    }
    close_timer_.stop();
    const int http = client_ != nullptr ? client_->handshake_status() : 0;
    // A TLS failure (a certificate that does not verify) is a refused handshake too.
    if (ec == uvws::ws::Condition::handshake_failed || ec.category() == uvws::net::tls_category()) {
      status_ = handshake_refused;
      std::fprintf(stderr, "handshake failed: %s", ec.message().c_str());
      if (http != 0) std::fprintf(stderr, " (HTTP %d)", http);
      std::fputc('\n', stderr);
    } else {
      status_ = connect_failed;
      std::fprintf(stderr, "cannot connect to %s: %s\n", settings_.url.c_str(),
                   ec.message().c_str());
    }
  }

 private:
  const Settings& settings_;
  uvws::net::Timer& close_timer_;
  uvws::Client* client_ = nullptr;
  std::vector<std::string> pending_;  // lines read before the connection opened
  int status_ = connect_failed;
  bool opened_ = false;
  bool eof_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse_args(argc, argv);
  uvws::net::Loop loop;
  uvws::net::Timer close_timer(loop);
  Printer printer(settings, close_timer);
  std::unique_ptr<uvws::Client> client;
  try {
    client = std::make_unique<uvws::Client>(loop, settings.url, printer, settings.options);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "uvws-client: %s\n", e.what());
    return usage_error;
  }
  printer.set_client(*client);
  uvws::Client* c = client.get();
  if (settings.close_after > 0) {
    close_timer.start(static_cast<std::uint64_t>(settings.close_after * 1000),
                      [c] { c->close(uvws::ws::close_code::normal); });
  }
  const bool close_on_eof = settings.close_after <= 0;
  Printer* p = &printer;
  std::thread([&loop, p, close_on_eof] {
    std::string line;
    while (std::getline(std::cin, line)) {
      loop.post([p, line = std::move(line)]() mutable { p->line(std::move(line)); });
    }
    if (close_on_eof) loop.post([p] { p->end_of_input(); });
  }).detach();
  client->connect();
  loop.run();
  // See the top of the file: no destructor runs while the stdin thread may post.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(printer.exit_status());
}
