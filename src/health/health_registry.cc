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
      out.push_back(entry.health);
      kept.emplace(std::move(key), std::move(entry));
    }
  }
  entries_ = std::move(kept);
  return states;
}

}  // namespace sluice
