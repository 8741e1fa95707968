#include "health/health_registry.h"

namespace sluice {

std::shared_ptr<const ServerStates> HealthRegistry::statesFor(const ConfigSnapshot& snapshot) {
  auto states = std::make_shared<ServerStates>();
  std::map<std::string, Entry> kept;
  for (const ServerGroupConfig& group : snapshot.serverGroups) {
    ServerStates::Group& out = states->groups.emplace_back();
    for (const ServerConfig& server : group.servers) {
      std::string key = group.name;
      key.push_back('\0');
      key.append(server.name);
      Entry entry;
      if (auto old = entries_.find(key);
          old != entries_.end() && old->second.address == server.address) {
        entry = std::move(old->second);
        if (server.drain && !entry.drain) entry.health->setState(ServerHealth::State::kDraining);
        if (!server.drain && entry.drain) entry.health->setState(ServerHealth::State::kUp);
      } else {
        entry.address = server.address;
        entry.health = std::make_shared<ServerHealth>(server.drain ? ServerHealth::State::kDraining
                                                                   : ServerHealth::State::kUp);
      }
      entry.drain = server.drain;
      if (auto op = operations_.find(group.name + "/" + server.name); op != operations_.end()) {
        entry.health->setState(op->second == Operation::kDrain ? ServerHealth::State::kDraining
                                                               : ServerHealth::State::kDisabled);
      }
      out.push_back(entry.health);
      kept.emplace(std::move(key), std::move(entry));
    }
  }
  entries_ = std::move(kept);
  return states;
}

void HealthRegistry::setOperation(const std::string& group, const std::string& server,
                                  Operation operation, ServerHealth& health, bool configDrain) {
  const std::string key = group + "/" + server;
  switch (operation) {
    case Operation::kEnable:
      operations_.erase(key);
      // Back to what the config says; health checks take it down again if it is not well.
      health.setState(configDrain ? ServerHealth::State::kDraining : ServerHealth::State::kUp);
      return;
    case Operation::kDrain:
      operations_[key] = operation;
      health.setState(ServerHealth::State::kDraining);
      return;
    case Operation::kDisable:
      operations_[key] = operation;
      health.setState(ServerHealth::State::kDisabled);
      return;
  }
}

const char* HealthRegistry::toString(Operation operation) {
  switch (operation) {
    case Operation::kEnable:
      return "enable";
    case Operation::kDrain:
      return "drain";
    case Operation::kDisable:
      return "disable";
  }
  return "?";
}

}  // namespace sluice
