#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/certificate.h"
#include "tls/sni_router.h"

namespace sluice {

// How a VIP terminates TLS: the `tls:` keys of its config, with defaults a scanner rates well.
struct TlsSettings {
  std::string minVersion = "1.2";  // "1.2" or "1.3"
  // TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate" without DHE).
  std::string ciphers =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  // TLS 1.3.
  std::string ciphersuites =
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  // In the server's order of preference; Sluice speaks these two (and http/1.0).
  std::vector<std::string> alpn = {"h2", "http/1.1"};
};

// The TLS side of one terminating VIP: one OpenSSL context per set of names it serves, and the
// choice between them for each client.
//
// Certificates that name exactly the same hosts share a context, so that one name can have an
// ECDSA and an RSA certificate and OpenSSL hands each client the one it supports. A client's
// SNI picks the context: an exact name first, then a one-label wildcard, then the VIP's first
// certificate (also for clients that send no SNI).
//
// Built on the control thread when a config loads; immutable and shared by all workers
// afterwards (SSL_new on a shared SSL_CTX is thread-safe in OpenSSL 3).
class TlsServerContext {
 public:
  // `certificates` in the VIP's order; the first is the default. Returns nullptr and sets
  // `error` when the settings are invalid or two certificates of one key type name the same
  // hosts.
  static std::shared_ptr<const TlsServerContext> create(
      const std::vector<std::shared_ptr<const Certificate>>& certificates,
      const TlsSettings& settings, std::string& error);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A new server-side TLS session for an accepted connection, or nullptr (out of memory).
  SSL* newSession() const;

  // The context index a given SNI would be served from (for tests and diagnostics).
  size_t contextFor(std::string_view sni) const;

 private:
  TlsServerContext() = default;
  static int onServerName(SSL* ssl, int* alert, void* self);
  static int onAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLength,
                    const unsigned char* in, unsigned inLength, void* self);

  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::vector<std::shared_ptr<const Certificate>> certificates;
  };
  std::vector<Entry> entries_;
  SniRouter byName_;      // certificate names (exact and wildcard) → entry index
  std::string alpnWire_;  // the server's ALPN list in wire format
};

}  // namespace sluice
