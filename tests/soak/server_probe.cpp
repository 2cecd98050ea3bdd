#include "server_probe.h"

#include <dirent.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace soak {

std::optional<std::size_t> ServerProbe::fd_count() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return std::nullopt;
  std::size_t n = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

std::optional<std::size_t> ServerProbe::rss_kib() const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return std::nullopt;
  char line[256];
  std::optional<std::size_t> rss;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long kib = 0;
    if (std::sscanf(line, "VmRSS: %lu kB", &kib) == 1) {
      rss = kib;
      break;
    }
  }
  std::fclose(f);
  return rss;
}

}  // namespace soak
