// A TCPConnection subclass for tests: records every hook into an Events struct, and optionally
// echoes what it receives.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "uvws/net/tcp_connection.h"
#include "uvws/net/tcp_listener.h"

namespace uvws::net::test {

struct Events {
  bool echo = true;
  bool throw_on_data = false;
  int accepted = 0;
  int eof = 0;
  int errors = 0;
  int drains = 0;
  int timers = 0;
  int closed = 0;
  std::error_code last_error;
  std::uint64_t timer_at = 0;  // uv_now() when on_timer ran
  std::string received;
  std::string peer;                   // remote_address() in on_accepted
  std::vector<TCPConnection*> conns;  // accepted and not yet closed, in accept order
};

class Recorder : public TCPConnection {
 public:
  Recorder(Loop& loop, Events& events) : TCPConnection(loop), ev_(events) {}

 protected:
  void on_data(std::span<std::uint8_t> bytes) override {
    if (ev_.throw_on_data) throw std::runtime_error("test hook failure");
    ev_.received.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (ev_.echo) output().append(bytes);
  }
  void on_accepted() override {
    ++ev_.accepted;
    ev_.peer = remote_address();
    ev_.conns.push_back(this);
  }
  void on_eof() override {
    ++ev_.eof;
    close();
  }
  void on_error(std::error_code ec) override {
    ++ev_.errors;
    ev_.last_error = ec;
  }
  void on_drain() override { ++ev_.drains; }
  void on_timer() override {
    ++ev_.timers;
    ev_.timer_at = uv_now(loop().uv());
  }
  void on_closed() override {
    ++ev_.closed;
    std::erase(ev_.conns, this);
  }

 private:
  Events& ev_;
};

inline TCPListener::Factory recorder_factory(Events& events) {
  return
      [&events](Loop& l) -> TCPConnection* { return TCPConnection::create<Recorder>(l, events); };
}

}  // namespace uvws::net::test
