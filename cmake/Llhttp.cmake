# llhttp 8.1 ships in Debian's node-llhttp as C sources: compile them into a small
# static library (no warnings-as-errors: it is not our code). Its objects are folded into
# libuvws (root CMakeLists.txt), so an installed uvws needs nothing from node-llhttp; its
# symbols are hidden, so that libuvws.so does not export llhttp_* to the application.
set(UVWS_LLHTTP_SRC_DIR /usr/share/llhttp CACHE PATH "llhttp C sources")
set(UVWS_LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "llhttp header")
if(NOT EXISTS ${UVWS_LLHTTP_SRC_DIR}/llhttp.c OR NOT EXISTS ${UVWS_LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "llhttp not found: apt-get install node-llhttp (or run scripts/setup.sh)")
endif()
add_library(uvws_llhttp STATIC
  ${UVWS_LLHTTP_SRC_DIR}/llhttp.c ${UVWS_LLHTTP_SRC_DIR}/api.c ${UVWS_LLHTTP_SRC_DIR}/http.c)
target_include_directories(uvws_llhttp SYSTEM PUBLIC $<BUILD_INTERFACE:${UVWS_LLHTTP_INCLUDE_DIR}>)
set_target_properties(uvws_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99
                                             C_VISIBILITY_PRESET hidden)
target_compile_options(uvws_llhttp PRIVATE -w)
