#include "server/admin/state_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.h"

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
  return writeFileAtomically(path, text, 0640, error);
}

}  // namespace sluice
