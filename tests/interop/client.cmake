# The uvws client against real servers nobody here wrote, included by
# tests/interop/CMakeLists.txt (which defines uvws_interop_test):
#   uvws_client_interop_python  uvws_client_interop vs echo_server.py (python-websockets)
#   uvws_client_interop_node    uvws_client_interop vs echo_server.mjs (npm ws)
# uvws_client_interop starts the server command it is given, drives it with uvws::connect and
# uvws::Client, and stops it by PID.

add_executable(uvws_client_interop ${CMAKE_CURRENT_LIST_DIR}/client_interop.cpp)
target_link_libraries(uvws_client_interop PRIVATE uvws_ws)
uvws_warnings(uvws_client_interop)

uvws_interop_test(uvws_client_interop_python
  PEERS python-websockets
  COMMAND $<TARGET_FILE:uvws_client_interop> ${UVWS_SYSTEM_PYTHON}
          ${CMAKE_CURRENT_LIST_DIR}/echo_server.py)

# Node resolves `ws` from the script's directory: tests/interop/node_modules.
uvws_interop_test(uvws_client_interop_node
  PEERS node npm-ws
  COMMAND $<TARGET_FILE:uvws_client_interop> node ${CMAKE_CURRENT_LIST_DIR}/echo_server.mjs
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
