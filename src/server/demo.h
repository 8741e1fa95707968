#pragma once

#include <string>

namespace sluice {

// The demo's config, its certificate paths under `directory` (made at start).
std::string demoConfig(const std::string& directory, const std::string& tokenSha256);

// `sluice demo`: starts demo origins on loopback, Sluice on an embedded config in front of them,
// and prints commands to try each VIP. Returns the exit code.
int runDemo();

}  // namespace sluice
