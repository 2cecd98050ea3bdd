#include "uvws/net/error.h"

#include <uv.h>

#include <string>

namespace uvws::net {
namespace {

// libuv codes are negative; the error_code holds their negation so that 0 means success.
class UvCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvws.net"; }
  std::string message(int ev) const override {
    return std::string(uv_err_name(-ev)) + ": " + uv_strerror(-ev);
  }
  // On Unix libuv's codes are negated errno values, except its own (getaddrinfo's UV_EAI_*
  // around 3000, UV_EOF and friends around 4000): those that are errno values compare equal
  // to std::errc (ec == std::errc::connection_refused).
  std::error_condition default_error_condition(int ev) const noexcept override {
    if (ev > 0 && ev < 1000) return {ev, std::generic_category()};
    return {ev, *this};
  }
};

}  // namespace

const std::error_category& uv_category() noexcept {
  static const UvCategory c;
  return c;
}

}  // namespace uvws::net
