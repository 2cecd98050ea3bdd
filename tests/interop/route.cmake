# Route interop test, included by tests/interop/CMakeLists.txt (which defines
# uvws_interop_test):
#   uvws_interop_routes_python  python-websockets against uvws_route_server: parameters,
#                               wildcards, the catch-all, per-route limits and compression, an
#                               upgrade answered later from another thread.
add_executable(uvws_route_server ${CMAKE_CURRENT_LIST_DIR}/route_server.cpp)
target_link_libraries(uvws_route_server PRIVATE uvws_ws)
uvws_warnings(uvws_route_server)

uvws_interop_test(uvws_interop_routes_python
  PEERS python-websockets
  COMMAND ${UVWS_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/route_python.py
          $<TARGET_FILE:uvws_route_server>)
