#include "health/server_health.h"

namespace sluice {

const char* ServerHealth::toString(State state) {
  switch (state) {
    case State::kUp:
      return "up";
    case State::kDown:
      return "down";
    case State::kDraining:
      return "draining";
    case State::kDisabled:
      return "disabled";
  }
  return "?";
}

}  // namespace sluice
