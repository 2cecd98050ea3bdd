#include "uvws/version.h"

namespace uvws {

const char* version() noexcept {
  return "uvws/0.1.0";
}

}  // namespace uvws
