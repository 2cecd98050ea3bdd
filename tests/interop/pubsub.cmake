# Pub/sub interop tests, included by tests/interop/CMakeLists.txt (which defines
# uvws_interop_test):
#   uvws_interop_chat_browser      the chat example in headless Chromium (node + playwright-core)
#   uvws_interop_broadcast_python  the broadcast example with three python-websockets clients
# Each starts its example server on port 0 and stops it by PID.

# From the source directory, where node finds node_modules; the screenshot goes to the build
# directory.
uvws_interop_test(uvws_interop_chat_browser
  PEERS node playwright-core chromium
  COMMAND node ${CMAKE_CURRENT_LIST_DIR}/chat_browser.mjs $<TARGET_FILE:uvws-chat>
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}
  LABELS browser
  ENVIRONMENT "ARTIFACT_DIR=${CMAKE_CURRENT_BINARY_DIR}")

uvws_interop_test(uvws_interop_broadcast_python
  PEERS python-websockets
  COMMAND ${UVWS_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/broadcast_python.py
          $<TARGET_FILE:uvws-broadcast>)
