#pragma once

#include <memory>

#include "config/config.h"

namespace sluice {

// Runs Sluice with a validated config until SIGTERM or SIGINT, and returns the exit code.
//
// The calling thread becomes the control thread: it binds every listening socket first (so a
// port already in use is a clear start-up error, exit 1, before any traffic is taken), starts
// one worker thread per configured worker, and then waits for signals. The first SIGTERM or
// SIGINT drains: workers stop accepting and let open connections finish for up to
// global.drain_timeout; a second one closes them at once. Returns 0 after a drain.
int runSluice(std::shared_ptr<const ConfigSnapshot> snapshot);

}  // namespace sluice
