#include "server/admin/state_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/config.h"
#include "core/atomic_file.h"

namespace sluice {

bool loadLiveState(const std::string& path, LiveState& out, std::string& error) {
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
    out.operations[server] = operation == "drain" ? HealthRegistry::Operation::kDrain
                                                  : HealthRegistry::Operation::kDisable;
  }
  const auto weights = json.value("weights", nlohmann::json::array());
  for (const auto& entry : weights.is_array() ? weights : nlohmann::json::array()) {
    const std::string server = entry.value("server", "");
    const auto weight = entry.value("weight", nlohmann::json());
    if (server.find('/') == std::string::npos || !weight.is_number_unsigned() ||
        weight.get<uint64_t>() < 1 || weight.get<uint64_t>() > kMaxWeight) {
      error = path + ": a weight is not {\"server\": \"group/server\", \"weight\": 1 to " +
              std::to_string(kMaxWeight) + "}: " + entry.dump();
      return false;
    }
    out.weights[server] = weight.get<uint32_t>();
  }
  return true;
}

bool saveLiveState(const std::string& path, const LiveState& state, std::string& error) {
  nlohmann::json servers = nlohmann::json::array(), weights = nlohmann::json::array();
  for (const auto& [server, operation] : state.operations) {
    servers.push_back({{"server", server}, {"operation", HealthRegistry::toString(operation)}});
  }
  for (const auto& [server, weight] : state.weights) {
    weights.push_back({{"server", server}, {"weight", weight}});
  }
  const std::string text =
      nlohmann::json{{"servers", servers}, {"weights", weights}}.dump(2) + "\n";
  return writeFileAtomically(path, text, 0640, error);
}

}  // namespace sluice
