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
// Used by the control thread only.
class HealthRegistry {
 public:
  std::shared_ptr<const ServerStates> statesFor(const ConfigSnapshot& snapshot);

 private:
  struct Entry {
    SocketAddress address;
    bool drain = false;  // the config's drain key when the entry was last handed out
    std::shared_ptr<ServerHealth> health;
  };
  std::map<std::string, Entry> entries_;  // "group\0server"
};

}  // namespace sluice
