#pragma once

#include <openssl/ssl.h>

#include <string>

#include "tls/certificate.h"

namespace sluice {

// What the server (VIP) and client (server group) TLS contexts both need from OpenSSL.

// The most recent OpenSSL error as text, and the error queue cleared.
std::string openSslError();

// "1.2" → TLS1_2_VERSION, "1.3" → TLS1_3_VERSION; 0 and `error` set for anything else.
int parseTlsVersion(const std::string& version, std::string& error);

// Installs `certificate` (leaf, intermediates, key) in `ctx`; false when OpenSSL refuses.
bool useCertificate(SSL_CTX* ctx, const Certificate& certificate);

}  // namespace sluice
