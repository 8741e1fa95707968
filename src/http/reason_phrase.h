#pragma once

namespace sluice {

// The standard reason phrase for an HTTP status (RFC 9110 §15), e.g. "Moved Permanently";
// "Unknown" for a code it does not list.
const char* reasonPhrase(int status);

}  // namespace sluice
