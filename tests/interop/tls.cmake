# TLS interop, included by tests/interop/CMakeLists.txt (which defines uvws_interop_test):
#   uvws_interop_tls_python         python-websockets over Python's ssl against uvws-echo over
#                                   wss://, curl against uvws-echo and uvws-chat over https://,
#                                   and uvws-client over wss:// (--cafile, --insecure, failures)
#   uvws_client_interop_python_tls  uvws_client_interop (client.cmake) against echo_server.py
#                                   over TLS, and the verification failures (self-signed,
#                                   expired, wrong host) against python-websockets TLS servers
#   uvws_client_interop_node_tls    the same against echo_server.mjs (https.createServer + ws)
#   uvws_interop_node_ws_tls        node_client.mjs: npm ws over wss:// against uvws-echo
#   uvws_interop_chat_browser_tls   chat_browser.mjs: Chromium loads the chat over https:// and
#                                   two pages chat over wss://
# The certificates are made at test time by tests/tls/make_certs.sh (the openssl command).
set(uvws_make_certs ${PROJECT_SOURCE_DIR}/tests/tls/make_certs.sh)

uvws_interop_test(uvws_interop_tls_python
  PEERS python-websockets curl openssl
  COMMAND ${UVWS_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tls_python.py $<TARGET_FILE:uvws-echo>
          $<TARGET_FILE:uvws-chat> $<TARGET_FILE:uvws-client> ${uvws_make_certs}
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})

uvws_interop_test(uvws_client_interop_python_tls
  PEERS python-websockets openssl
  COMMAND $<TARGET_FILE:uvws_client_interop> --tls ${uvws_make_certs} ${UVWS_SYSTEM_PYTHON}
          ${CMAKE_CURRENT_LIST_DIR}/echo_server.py)

# Node resolves `ws` and `playwright-core` from the scripts' directory: tests/interop/node_modules.
uvws_interop_test(uvws_client_interop_node_tls
  PEERS node npm-ws openssl
  COMMAND $<TARGET_FILE:uvws_client_interop> --tls ${uvws_make_certs} node
          ${CMAKE_CURRENT_LIST_DIR}/echo_server.mjs
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})

uvws_interop_test(uvws_interop_node_ws_tls
  PEERS node npm-ws openssl
  COMMAND node ${CMAKE_CURRENT_LIST_DIR}/node_client.mjs $<TARGET_FILE:uvws-echo>
          --tls ${uvws_make_certs}
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})

uvws_interop_test(uvws_interop_chat_browser_tls
  PEERS node playwright-core chromium openssl
  COMMAND node ${CMAKE_CURRENT_LIST_DIR}/chat_browser.mjs $<TARGET_FILE:uvws-chat>
          --tls ${uvws_make_certs}
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}
  LABELS browser
  ENVIRONMENT "ARTIFACT_DIR=${CMAKE_CURRENT_BINARY_DIR}")
