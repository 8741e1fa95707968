#pragma once

#include <cstddef>
#include <string_view>

#include "core/event_loop.h"

namespace sluice {

// A client connection in progress on a worker, whatever its service. The worker keeps a list of
// them so that a shutdown can close the ones still open when the drain deadline passes.
class Session : public Deferrable {
 public:
  // Ends the session at once (the drain deadline passed): close both sides and log `reason`.
  // Called on the worker's thread; the session removes itself from the worker as usual.
  virtual void abort(std::string_view reason) = 0;

  size_t workerSlot = 0;  // position in the worker's session list, maintained by the worker
};

}  // namespace sluice
