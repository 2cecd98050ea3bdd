// The uvws version, for logs and the User-Agent / Server headers.
#pragma once

#include "uvws/core/export.h"

namespace uvws {

// "uvws/MAJOR.MINOR.PATCH"
UVWS_EXPORT const char* version() noexcept;

}  // namespace uvws
