// Must NOT compile with uvws_core's include path alone: core may not include ws (or net).
// tests/CMakeLists.txt compiles it expecting failure, proving that the layers' separate
// include roots catch a wrong-direction include.
#include "uvws/ws/frame.h"

int main() {
  return 0;
}
