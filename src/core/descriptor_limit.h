#pragma once

#include <cstdint>
#include <string>

namespace sluice {

// File descriptors a Sluice process needs for `maxConnections` client connections: each may
// hold a server connection too (two descriptors), plus a reserve for listeners, pooled idle
// server connections, pipes, health checks, the admin listener and logs.
uint64_t descriptorsNeeded(uint64_t maxConnections);

// Raises this process's soft RLIMIT_NOFILE toward descriptorsNeeded(maxConnections), as far as
// the hard limit allows (as HAProxy does). Returns a warning for the operator when the limit
// stays short, naming both numbers and the fix; empty when it is enough.
std::string ensureDescriptorLimit(uint64_t maxConnections);

}  // namespace sluice
