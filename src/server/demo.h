#pragma once

namespace sluice {

// `sluice demo`: starts demo origins on loopback, Sluice on an embedded config in front of them,
// and prints commands to try each VIP. Returns the exit code.
int runDemo();

}  // namespace sluice
