#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

// A certificate from the config's `certificates:` list: its chain and private key, loaded and
// checked once, when a config is loaded (never on a worker). Immutable afterwards; TLS
// contexts of several VIPs and snapshots share it.
struct Certificate {
  enum class KeyType { kEcdsa, kRsa, kOther };

  std::string name;      // the config's name for it
  std::string certPath;  // as resolved
  std::string keyPath;
  KeyType keyType = KeyType::kOther;
  std::vector<std::string> dnsNames;  // subjectAltName DNS names, lower case (CN if none)

  std::shared_ptr<X509> leaf;
  std::vector<std::shared_ptr<X509>> chain;  // intermediates, in file order
  std::shared_ptr<EVP_PKEY> key;
};

// Loads `certPath` (PEM: the leaf, then any intermediates) and `keyPath` (PEM private key) and
// checks them: both readable and parseable, the key matching the certificate, and the
// certificate valid now. On failure returns nullopt and sets `error` to a sentence naming the
// file and what is wrong with it.
std::optional<Certificate> loadCertificate(const std::string& name, const std::string& certPath,
                                           const std::string& keyPath, std::string& error);

}  // namespace sluice
