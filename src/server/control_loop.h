#pragma once

#include <memory>

#include "config/config.h"

namespace sluice {

// Runs Sluice with a validated config until SIGTERM or SIGINT, and returns the exit code.
//
// The calling thread becomes the control thread: it starts the Runtime (which binds every
// listening socket first, so a port already in use is a clear start-up error, exit 1, before any
// traffic is taken), then waits for signals:
// - SIGHUP re-reads the config file (snapshot->sourcePath) and publishes it; an invalid file,
//   or one the Runtime refuses, changes nothing and its errors are logged as `sluice check`
//   prints them;
// - SIGUSR1 reopens the access log (after logrotate moved it);
// - the first SIGTERM or SIGINT drains: listeners close, open connections finish for up to
//   global.drain_timeout; a second one closes them at once. Returns 0 after a drain.
int runSluice(std::shared_ptr<const ConfigSnapshot> snapshot);

}  // namespace sluice
