// Performance tuning: loops, compression and the logs.
#include <thread>

#include <uvws/core/log.h>
#include <uvws/server.h>

int main() {
  // [tuning]
  uvws::core::set_log_level(spdlog::level::err);  // warn by default (or UVWS_LOG_LEVEL)
  uvws::ServerOptions options;
  options.threads = std::thread::hardware_concurrency();  // one loop per core (SO_REUSEPORT)
  options.backlog = 4096;                 // the listen() queue for connection bursts
  options.compression.enabled = false;    // deflate costs ~180 KiB and CPU per busy connection
  options.max_backpressure = 256u << 10;  // a smaller queue bounds memory per slow peer
  // [tuning]
  uvws::Server server(options);
  (void)server;
}
