// Resolver: host names to socket addresses with libuv's resolver (getaddrinfo on libuv's
// thread pool), for clients.
//
// Ownership: the application owns the Resolver; its request lives on the heap until libuv's
// callback, so destroying the Resolver with a lookup in flight is safe (the lookup is
// cancelled, or its result dropped). Threads: the loop's thread only; the callback runs there.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "uvws/core/export.h"

namespace uvws::net {

class Loop;

// Asynchronous host name lookup on a Loop (uv_getaddrinfo), one at a time.
class UVWS_EXPORT Resolver {
 public:
  // Stream-socket addresses, IPv6 and IPv4, in the order the system prefers (RFC 6724).
  using Callback = std::function<void(std::error_code, std::vector<sockaddr_storage>)>;

  // A resolver on `loop`; the loop must outlive it.
  explicit Resolver(Loop& loop) : loop_(&loop) {}
  ~Resolver() { cancel(); }
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Starts a lookup of `host` for `port`, cancelling any in flight; the callback runs once, on
  // the loop thread, with the addresses or the error: later, from the loop, unless libuv
  // refuses to start the lookup (ENOMEM, a bad argument), which is reported within this call.
  void resolve(const std::string& host, std::uint16_t port, Callback callback);
  // The pending lookup's callback will not run.
  void cancel() noexcept;
  // True while a lookup is pending.
  bool busy() const noexcept { return request_ != nullptr; }

  struct Request;  // private to resolver.cpp

 private:
  Loop* loop_;
  Request* request_ = nullptr;
};

}  // namespace uvws::net
