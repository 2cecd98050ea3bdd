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
};

}  // namespace

const std::error_category& uv_category() noexcept {
  static const UvCategory c;
  return c;
}

}  // namespace uvws::net
