#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "tls/certificate.h"

namespace sluice {

// How Sluice speaks TLS to the servers of a `protocol: https` group: the group's `tls:` keys.
struct BackendTlsSettings {
  bool verify = true;          // check the server's certificate chain and name
  std::string ca;              // PEM bundle of trusted CAs; empty: the system trust store
  std::string sni;             // fixed SNI; empty: the server's name (see TlsClientContext)
  bool sniFromClient = false;  // `sni: client`: pass on the name the client asked for
  std::string verifyName;      // name checked in the certificate; empty: the SNI
  std::shared_ptr<const Certificate> clientCertificate;  // mTLS, optional
  std::string minVersion = "1.2";                        // "1.2" or "1.3"
};

// The client side of TLS towards one server group's servers, built once per config snapshot on
// the control thread and shared (immutable) by every worker.
//
// Verification is on unless the config turns it off: the chain must lead to the group's CA (or
// a system-trusted one), be valid now, and name the host Sluice meant to reach. The handshake
// fails otherwise, so a server that cannot prove who it is never sees a request.
class TlsClientContext {
 public:
  static std::shared_ptr<const TlsClientContext> create(const BackendTlsSettings& settings,
                                                        std::string& error);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A new client-side TLS session that sends `sni` (none when empty) and, when verifying,
  // requires the certificate to name `verifyName` (a DNS name, or an IP address literal
  // matched against IP subjectAltNames). `resume` (may be null) is a session from an earlier
  // connection to the same server to resume. Returns nullptr when out of memory.
  SSL* newSession(std::string_view sni, std::string_view verifyName, SSL_SESSION* resume) const;

  const BackendTlsSettings& settings() const { return settings_; }
  // Describes everything that makes a connection made by this context what it is (trust,
  // client certificate, versions): connections and sessions may be shared between contexts
  // with equal identities, e.g. across a config reload that keeps the group's settings.
  const std::string& identity() const { return identity_; }

 private:
  TlsClientContext() = default;

  SSL_CTX* ctx_ = nullptr;
  BackendTlsSettings settings_;
  std::string identity_;
};

}  // namespace sluice
