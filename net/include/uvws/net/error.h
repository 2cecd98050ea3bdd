// libuv's negative status codes as std::error_code values (category "uvws.net"), so I/O
// failures reach callbacks as error codes and are never thrown.
#pragma once

#include <system_error>

#include "uvws/core/export.h"

namespace uvws::net {

// The category of libuv's status codes ("uvws.net"); message() is uv_strerror's.
UVWS_EXPORT const std::error_category& uv_category() noexcept;

// `status` is a libuv return value (negative on failure); 0 gives an empty error_code.
inline std::error_code uv_error(int status) noexcept {
  return status == 0 ? std::error_code{} : std::error_code{-status, uv_category()};
}

}  // namespace uvws::net
