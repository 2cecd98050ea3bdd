# Findlibuv: libuv as the imported target libuv::uv.
#
# Debian 12's libuv1-dev ships libuv.pc but no CMake package, so this module finds it through
# pkg-config and, without pkg-config, by its header and library. Installed next to uvwsConfig.cmake,
# so that find_package(uvws) can find_dependency(libuv) on a machine without this source tree.
# The target name is the one libuv's own CMake package (libuv >= 1.45) exports for the shared
# library, so a consumer's target_link_libraries(... libuv::uv) works with either.
# Sets libuv_FOUND, libuv_VERSION (when pkg-config knows it) and libuv::uv.
if(TARGET libuv::uv)
  set(libuv_FOUND TRUE)
  return()
endif()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_LIBUV QUIET libuv)
endif()
find_path(libuv_INCLUDE_DIR uv.h HINTS ${PC_LIBUV_INCLUDE_DIRS})
find_library(libuv_LIBRARY NAMES uv libuv HINTS ${PC_LIBUV_LIBRARY_DIRS})
set(libuv_VERSION ${PC_LIBUV_VERSION})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(libuv
  REQUIRED_VARS libuv_LIBRARY libuv_INCLUDE_DIR
  VERSION_VAR libuv_VERSION)

if(libuv_FOUND)
  add_library(libuv::uv UNKNOWN IMPORTED)
  set_target_properties(libuv::uv PROPERTIES
    IMPORTED_LOCATION "${libuv_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${libuv_INCLUDE_DIR}")
endif()
mark_as_advanced(libuv_INCLUDE_DIR libuv_LIBRARY)
