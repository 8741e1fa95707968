#include "server/admin/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sluice {

bool loadLiveOperations(const std::string& path, LiveOperations& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return true;
    error = path + ": " + std::strerror(errno);
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("servers") ||
      !json["servers"].is_array()) {
    error = path + ": not a Sluice state file (expected {\"servers\": [...]})";
    return false;
  }
  for (const auto& entry : json["servers"]) {
    const std::string server = entry.value("server", "");
    const std::string operation = entry.value("operation", "");
    if (server.find('/') == std::string::npos || (operation != "drain" && operation != "disable")) {
      error = path +
              ": an entry is not {\"server\": \"group/server\", \"operation\": "
              "\"drain\" or \"disable\"}: " +
              entry.dump();
      return false;
    }
    out[server] = operation == "drain" ? HealthRegistry::Operation::kDrain
                                       : HealthRegistry::Operation::kDisable;
  }
  return true;
}

bool saveLiveOperations(const std::string& path, const LiveOperations& operations,
                        std::string& error) {
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& [server, operation] : operations) {
    servers.push_back({{"server", server}, {"operation", HealthRegistry::toString(operation)}});
  }
  const std::string text = nlohmann::json{{"servers", servers}}.dump(2) + "\n";
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = temporary + ": " + std::strerror(errno);
    return false;
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(written ? errno : saved);
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace sluice
