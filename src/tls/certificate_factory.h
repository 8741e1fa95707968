#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace sluice {

// Makes a private certificate authority and certificates it signs (ECDSA P-256, SHA-256), for
// the demo and for operators who want a working HTTPS set-up before they have real
// certificates. Not a substitute for a real CA: the keys are written unencrypted.
class CertificateFactory {
 public:
  enum class KeyType { kEcdsaP256, kRsa2048 };
  struct Files {
    std::string cert;  // PEM certificate
    std::string key;   // PEM private key
  };

  // Creates the CA ("<commonName>") and writes it as `dir`/ca.pem and ca.key. Throws
  // std::runtime_error naming the step that failed.
  CertificateFactory(std::string dir, const std::string& commonName);
  ~CertificateFactory();

  const std::string& caPath() const { return caPath_; }

  // Where the CA publishes its certificate revocation list: issued certificates name it (a
  // CRL distribution point), so that clients and scanners can check revocation. Set it before
  // issuing; writeCrl() writes the (empty) CRL to serve there.
  void setCrlUrl(std::string url) { crlUrl_ = std::move(url); }
  void writeCrl(const std::string& path, int days = 7);

  // A server certificate for `names` (the first is the subject CN; all are DNS
  // subjectAltNames), written as `dir`/<fileStem>.pem and .key. It is valid from
  // `validFromDays` to `validToDays` days from now (negative: in the past).
  Files issue(const std::string& fileStem, const std::vector<std::string>& names,
              KeyType keyType = KeyType::kEcdsaP256, int validFromDays = 0, int validToDays = 30);

 private:
  std::string dir_;
  std::string caPath_;
  EVP_PKEY* caKey_ = nullptr;
  X509* caCert_ = nullptr;
  long serial_ = 1;
  std::string crlUrl_;
};

}  // namespace sluice
