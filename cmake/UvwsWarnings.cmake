# Warnings as errors for uvws's own targets only (never for llhttp or system headers).
function(uvws_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
  # GCC 12 at -O3 reports `"literal" + std::string` as an overlapping memcpy (GCC bug 105329,
  # a false positive inside libstdc++); later GCCs do not.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()

# A layer library: every .cpp under src/, headers under include/. Always a static archive of
# position-independent objects with hidden visibility: the tests, benchmarks and fuzzers of this
# tree link a layer alone, and the installed library libuvws (static or shared) is made of the
# same objects (root CMakeLists.txt), so nothing is compiled twice. Only what a public header
# marks UVWS_EXPORT (uvws/core/export.h) is visible outside libuvws.so.
function(uvws_layer target dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/src/*.cpp)
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${dir}/include>)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # Calls inside the library to its own exported functions may be inlined and bound directly
  # (as for hidden ones): without this, GCC must assume that any exported function of a
  # position-independent object can be replaced at load time (LD_PRELOAD), and calls even
  # WebSocket::send -> self() out of line on every message. Replacing a libuvws function from
  # outside then does not change the library's own calls to it, which nothing here relies on.
  target_compile_options(${target} PRIVATE -fno-semantic-interposition)
  uvws_warnings(${target})
endfunction()
