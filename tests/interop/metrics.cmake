# Metrics interop test, included by tests/interop/CMakeLists.txt (which defines
# uvws_interop_test):
#   uvws_interop_metrics_prometheus  uvws-chat's /metrics fetched with curl and parsed by
#                                    python3-prometheus-client, then scraped by a real
#                                    Prometheus server queried through its HTTP API
uvws_interop_test(uvws_interop_metrics_prometheus
  PEERS python-websockets prometheus-client prometheus curl
  COMMAND ${UVWS_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/metrics_prometheus.py
          $<TARGET_FILE:uvws-chat>)
