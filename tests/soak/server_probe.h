// ServerProbe: what /proc says of the server under test (Linux): its open file descriptors
// (/proc/PID/fd) and its resident set (VmRSS in /proc/PID/status).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace soak {

class ServerProbe {
 public:
  explicit ServerProbe(pid_t pid) : pid_(pid) {}

  // Empty once the process is gone (or /proc cannot be read).
  std::optional<std::size_t> fd_count() const;
  std::optional<std::size_t> rss_kib() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

}  // namespace soak
