// The uvws version, for logs and the User-Agent / Server headers.
#pragma once

namespace uvws {

// "uvws/MAJOR.MINOR.PATCH"
const char* version() noexcept;

}  // namespace uvws
