# TLS interop, included by tests/interop/CMakeLists.txt (which defines uvws_interop_test):
#   uvws_interop_tls_python  python-websockets over Python's ssl against uvws-echo over wss://,
#                            curl against uvws-echo and uvws-chat over https://, and
#                            uvws-client over wss:// (--cafile, --insecure, failures)
# The certificates are made at test time by tests/tls/make_certs.sh (the openssl command).
uvws_interop_test(uvws_interop_tls_python
  PEERS python-websockets curl openssl
  COMMAND ${UVWS_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/tls_python.py $<TARGET_FILE:uvws-echo>
          $<TARGET_FILE:uvws-chat> $<TARGET_FILE:uvws-client>
          ${PROJECT_SOURCE_DIR}/tests/tls/make_certs.sh
  WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
