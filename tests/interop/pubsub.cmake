# Pub/sub interop tests, included by tests/interop/CMakeLists.txt:
#   uvws_interop_chat_browser      the chat example in headless Chromium (node + playwright-core)
#   uvws_interop_broadcast_python  the broadcast example with three python-websockets clients
# Each starts its example server on port 0 and stops it by PID. A test whose tools are missing
# (node, node_modules, Chromium, python3 with websockets) is not registered, with a message.

if(TARGET uvws-chat)
  find_program(UVWS_NODE_EXECUTABLE node)
  set(uvws_chromium /usr/bin/chromium)
  if(UVWS_NODE_EXECUTABLE AND EXISTS ${uvws_chromium}
     AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/node_modules/playwright-core)
    # From the source directory, where node finds node_modules; the screenshot goes to the
    # build directory.
    add_test(NAME uvws_interop_chat_browser
             COMMAND ${UVWS_NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/chat_browser.mjs
                     $<TARGET_FILE:uvws-chat>
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(uvws_interop_chat_browser PROPERTIES
      TIMEOUT 120
      ENVIRONMENT "ARTIFACT_DIR=${CMAKE_CURRENT_BINARY_DIR}"
      LABELS "interop;browser")
  else()
    message(STATUS "uvws_interop_chat_browser not registered: needs node, ${uvws_chromium} and "
                   "playwright-core in ${CMAKE_CURRENT_LIST_DIR}/node_modules")
  endif()
endif()

if(TARGET uvws-broadcast)
  set(uvws_python_websockets /usr/bin/python3)
  execute_process(COMMAND ${uvws_python_websockets} -c "import websockets"
                  RESULT_VARIABLE uvws_websockets_missing OUTPUT_QUIET ERROR_QUIET)
  if(uvws_websockets_missing EQUAL 0)
    add_test(NAME uvws_interop_broadcast_python
             COMMAND ${uvws_python_websockets} ${CMAKE_CURRENT_LIST_DIR}/broadcast_python.py
                     $<TARGET_FILE:uvws-broadcast>)
    set_tests_properties(uvws_interop_broadcast_python PROPERTIES TIMEOUT 120 LABELS "interop")
  else()
    message(STATUS "uvws_interop_broadcast_python not registered: needs ${uvws_python_websockets} "
                   "with the websockets package")
  endif()
endif()
