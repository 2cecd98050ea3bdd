# The uvws client against real servers nobody here wrote, included by
# tests/interop/CMakeLists.txt:
#   uvws_client_interop_python  uvws_client_interop vs echo_server.py (python-websockets)
#   uvws_client_interop_node    uvws_client_interop vs echo_server.mjs (npm ws)
# uvws_client_interop starts the server command it is given, drives it with uvws::connect and
# uvws::Client, and stops it by PID. A test whose peer is missing is not registered, with a
# message.

add_executable(uvws_client_interop ${CMAKE_CURRENT_LIST_DIR}/client_interop.cpp)
target_link_libraries(uvws_client_interop PRIVATE uvws_ws)
uvws_warnings(uvws_client_interop)

# Debian's python3-websockets is visible to /usr/bin/python3 only (not to other pythons on PATH).
set(uvws_client_python /usr/bin/python3)
execute_process(COMMAND ${uvws_client_python} -c "import websockets"
                RESULT_VARIABLE uvws_client_websockets_missing OUTPUT_QUIET ERROR_QUIET)
if(uvws_client_websockets_missing EQUAL 0)
  add_test(NAME uvws_client_interop_python
           COMMAND uvws_client_interop ${uvws_client_python}
                   ${CMAKE_CURRENT_LIST_DIR}/echo_server.py)
  set_tests_properties(uvws_client_interop_python PROPERTIES TIMEOUT 120 LABELS "interop")
else()
  message(STATUS "uvws_client_interop_python not registered: needs ${uvws_client_python} "
                 "with the websockets package")
endif()

find_program(UVWS_CLIENT_NODE node)
if(UVWS_CLIENT_NODE AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/node_modules/ws/package.json)
  # Node resolves `ws` from the script's directory: tests/interop/node_modules.
  add_test(NAME uvws_client_interop_node
           COMMAND uvws_client_interop ${UVWS_CLIENT_NODE} ${CMAKE_CURRENT_LIST_DIR}/echo_server.mjs
           WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
  set_tests_properties(uvws_client_interop_node PROPERTIES TIMEOUT 120 LABELS "interop")
else()
  message(STATUS "uvws_client_interop_node not registered: needs node and "
                 "${CMAKE_CURRENT_LIST_DIR}/node_modules/ws (scripts/setup.sh --tests)")
endif()
