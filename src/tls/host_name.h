#pragma once

#include <string>
#include <string_view>

namespace sluice {

// A DNS host name as SNI carries it and as routes name it (RFC 6066 §3): letters, digits, '-',
// '_' and dots, no empty label, at most 253 characters. Writes the lower-cased name without a
// trailing dot to `out`; false for anything else, so that a crafted name never reaches routing
// or the logs.
bool normaliseHostName(std::string_view name, std::string& out);

}  // namespace sluice
