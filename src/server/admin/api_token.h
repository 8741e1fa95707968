#pragma once

#include <string>

namespace sluice {

// A new admin API token: 32 random bytes as base64url (43 characters). Empty if the system has
// no random bytes to give.
std::string newApiToken();

// What admin.tokens[].sha256 holds for `token`: its SHA-256, as 64 hex digits.
std::string apiTokenSha256(const std::string& token);

}  // namespace sluice
