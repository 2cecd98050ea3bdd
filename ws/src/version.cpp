#include "uvws/version.h"

namespace uvws {

const char* version() noexcept {
  return "uvws/" UVWS_VERSION_STRING;  // project(VERSION) in CMakeLists.txt
}

}  // namespace uvws
