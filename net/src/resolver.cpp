#include "uvws/net/resolver.h"

#include <netdb.h>
#include <uv.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "uvws/core/log.h"
#include "uvws/net/error.h"
#include "uvws/net/loop.h"

namespace uvws::net {

// One lookup: deleted by libuv's callback, which runs exactly once (after a uv_cancel too).
struct Resolver::Request {
  uv_getaddrinfo_t req{};
  Resolver* owner;
  Callback callback;
};

namespace {

void resolved(uv_getaddrinfo_t* req, int status, addrinfo* result) {
  std::unique_ptr<Resolver::Request> request(static_cast<Resolver::Request*>(req->data));
  std::vector<sockaddr_storage> addresses;
  for (const addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    addresses.push_back(ss);
  }
  uv_freeaddrinfo(result);
  if (request->owner == nullptr) return;  // cancelled
  Resolver::Callback callback = std::move(request->callback);
  request->owner->cancel();  // detaches this request (it is done)
  if (status == 0 && addresses.empty()) status = UV_EAI_NONAME;
  // Nothing may unwind through libuv's C frames.
  try {
    callback(uv_error(status), std::move(addresses));
  } catch (const std::exception& e) {
    core::log(core::Layer::net).error("resolver callback threw: {}", e.what());
  } catch (...) {
    core::log(core::Layer::net).error("resolver callback threw a non-std exception");
  }
}

}  // namespace

void Resolver::resolve(const std::string& host, std::uint16_t port, Callback callback) {
  cancel();
  auto request = std::make_unique<Request>();
  request->owner = this;
  request->callback = std::move(callback);
  request->req.data = request.get();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  // No AI_ADDRCONFIG: it ignores loopback, so on a host with no other address "localhost"
  // would not resolve at all. Callers try the addresses in order.
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  const int rc =
      uv_getaddrinfo(loop_->uv(), &request->req, &resolved, host.c_str(), service.c_str(), &hints);
  if (rc != 0) {
    // Refused before any lookup started (ENOMEM, a bad argument): reported at once.
    Callback cb = std::move(request->callback);
    cb(uv_error(rc), {});
    return;
  }
  request_ = request.release();
}

void Resolver::cancel() noexcept {
  if (request_ == nullptr) return;
  request_->owner = nullptr;
  request_->callback = nullptr;
  uv_cancel(reinterpret_cast<uv_req_t*>(&request_->req));  // may fail if already running: fine
  request_ = nullptr;
}

}  // namespace uvws::net
