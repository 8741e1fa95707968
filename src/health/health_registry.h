#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/config.h"
#include "health/server_states.h"
#include "net/address.h"

namespace sluice {

// The one place a server's health lives across reloads, keyed by group and server name.
//
// Each new snapshot asks for its ServerStates: a server that keeps its group, name and address
// keeps its ServerHealth (down stays down, an ejection runs on, slow start goes on ramping); a
// server that is new, or moved to another address, starts up. A change of the server's `drain`
// key takes effect at once. Servers the snapshot no longer has are forgotten here (connections
// of older snapshots still hold their state until they close).
//
// Operators' live operations live here too: a server drained or disabled through the admin API
// stays so across every later snapshot until it is enabled again, whatever the config's `drain`
// key and the health checks say.
//
// Not thread-safe: the Runtime serialises its callers.
class HealthRegistry {
 public:
  enum class Operation { kEnable, kDrain, kDisable };

  std::shared_ptr<const ServerStates> statesFor(const ConfigSnapshot& snapshot);

  // Records an operator's operation on group/server (kEnable clears any) and applies it to
  // `health`, the server's state now.
  void setOperation(const std::string& group, const std::string& server, Operation operation,
                    ServerHealth& health, bool configDrain);
  // Operations in force, by "group/server", for the state file.
  const std::map<std::string, Operation>& operations() const { return operations_; }
  void restoreOperations(std::map<std::string, Operation> operations) {
    operations_ = std::move(operations);
  }
  static const char* toString(Operation operation);

 private:
  struct Entry {
    SocketAddress address;
    bool drain = false;  // the config's drain key when the entry was last handed out
    std::shared_ptr<ServerHealth> health;
  };
  std::map<std::string, Entry> entries_;         // "group\0server"
  std::map<std::string, Operation> operations_;  // "group/server"; never kEnable
};

}  // namespace sluice
