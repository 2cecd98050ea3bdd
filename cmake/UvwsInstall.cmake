# Install rules, the CMake package (find_package(uvws)), uvws.pc and the Debian package.
#
#   cmake --install <build> --prefix P   installs
#     P/include/uvws/...                  the public headers: every header under a layer's
#                                         include/ (private headers live in the layers' src/)
#     P/<libdir>/libuvws.a or .so*        the library (llhttp folded in)
#     P/<libdir>/cmake/uvws/              uvwsConfig.cmake, uvwsConfigVersion.cmake,
#                                         uvwsTargets*.cmake, Findlibuv.cmake
#     P/<libdir>/pkgconfig/uvws.pc
#     P/share/doc/uvws/                   README.md, CHANGELOG.md
#   cpack -G DEB (in a static build)     libuvws-dev_<version>_<arch>.deb (scripts/package.sh)
include(CMakePackageConfigHelpers)

if(BUILD_SHARED_LIBS)
  set(UVWS_LIBRARY_KIND shared)
else()
  set(UVWS_LIBRARY_KIND static)
endif()
set(uvws_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/uvws)

install(TARGETS uvws EXPORT uvwsTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(layer_include core/include ws/protocol/include net/include ws/include)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${layer_include}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
endforeach()

install(EXPORT uvwsTargets NAMESPACE uvws:: DESTINATION ${uvws_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/uvwsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/uvwsConfig.cmake INSTALL_DESTINATION ${uvws_cmake_dir})
# 0.x: SameMajorVersion accepts any 0.y for find_package(uvws 0.1); CHANGELOG.md lists the
# API changes between minor versions.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/uvwsConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/uvwsConfig.cmake ${PROJECT_BINARY_DIR}/uvwsConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/Findlibuv.cmake
        DESTINATION ${uvws_cmake_dir})

# uvws.pc. The public headers include <uv.h> (net/loop.h) and spdlog (core/log.h) and call
# them inline, so libuv and spdlog are always in Requires. The static library also needs
# libssl, libcrypto, zlib and hiredis (the Redis bridge) at link time: for it they are in
# Requires too, so that a plain `pkg-config --libs uvws` links; for the shared library they are
# Requires.private.
set(UVWS_PC_REQUIRES "libuv >= 1.44, spdlog >= 1.10")
set(uvws_pc_link_only "libssl >= 3, libcrypto >= 3, zlib, hiredis")
if(BUILD_SHARED_LIBS)
  set(UVWS_PC_REQUIRES_PRIVATE "${uvws_pc_link_only}")
else()
  string(APPEND UVWS_PC_REQUIRES ", ${uvws_pc_link_only}")
  set(UVWS_PC_REQUIRES_PRIVATE "")
endif()
file(RELATIVE_PATH UVWS_PC_PREFIX_FROM_PCDIR
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" UVWS_PC_PREFIX_FROM_PCDIR "${UVWS_PC_PREFIX_FROM_PCDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/uvws.pc.in ${PROJECT_BINARY_DIR}/uvws.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/uvws.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/uvws)

# The Debian package: libuvws-dev, the static library and everything above under /usr.
# Debian's policy files (copyright, changelog) go to /usr/share/doc/libuvws-dev in the package
# only (component "debian", left out of a plain `cmake --install`).
set(uvws_deb_doc ${PROJECT_BINARY_DIR}/debian-doc)
file(MAKE_DIRECTORY ${uvws_deb_doc})
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in ${uvws_deb_doc}/changelog @ONLY)
execute_process(COMMAND gzip -9nf ${uvws_deb_doc}/changelog)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/copyright ${uvws_deb_doc}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/libuvws-dev
        COMPONENT debian EXCLUDE_FROM_ALL)

set(CPACK_PACKAGE_NAME libuvws-dev)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "uvws maintainers <uvws@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "C++20 WebSocket framework on libuv - development files")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "uvws is a WebSocket server and client library for C++20 on libuv\n(RFC 6455, RFC 7692 permessage-deflate): servers with per-connection data,\npub/sub topics, backpressure and limits; asynchronous and blocking clients.\n.\nThis package contains the static library, the headers, the CMake package\n(find_package(uvws)) and the pkg-config file (uvws.pc).")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libuv1-dev (>= 1.44), libspdlog-dev (>= 1:1.10), libssl-dev (>= 3), zlib1g-dev, libhiredis-dev (>= 0.14)")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/uvws/uvws")
# One package: the default install (every component but "debian"), then the "debian" component.
set(CPACK_INSTALL_CMAKE_PROJECTS
  "${PROJECT_BINARY_DIR};uvws;ALL;/" "${PROJECT_BINARY_DIR};uvws;debian;/")
set(CPACK_STRIP_FILES OFF)
include(CPack)
