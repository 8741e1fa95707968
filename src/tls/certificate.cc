#include "tls/certificate.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tls/host_name.h"

namespace sluice {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string openSslReason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::vector<std::string> dnsNamesOf(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    if (san->type != GEN_DNS) continue;
    const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(san->d.dNSName));
    std::string_view text(data, static_cast<size_t>(ASN1_STRING_length(san->d.dNSName)));
    std::string normalised;
    const bool wildcard = text.substr(0, 2) == "*.";
    if (normaliseHostName(wildcard ? text.substr(2) : text, normalised)) {
      names.push_back(wildcard ? "*." + normalised : normalised);
    }
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) {
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    std::string normalised;
    if (normaliseHostName(cn, normalised)) names.push_back(normalised);
  }
  return names;
}

}  // namespace

std::optional<Certificate> loadCertificate(const std::string& name, const std::string& certPath,
                                           const std::string& keyPath, std::string& error) {
  Certificate cert;
  cert.name = name;
  cert.certPath = certPath;
  cert.keyPath = keyPath;

  File certFile(std::fopen(certPath.c_str(), "r"));
  if (!certFile) {
    error = "cannot read certificate file '" + certPath + "': " + std::strerror(errno);
    return std::nullopt;
  }
  X509* leaf = PEM_read_X509(certFile.get(), nullptr, nullptr, nullptr);
  if (!leaf) {
    error =
        "certificate file '" + certPath + "' holds no PEM certificate (" + openSslReason() + ")";
    return std::nullopt;
  }
  cert.leaf.reset(leaf, X509_free);
  while (X509* next = PEM_read_X509(certFile.get(), nullptr, nullptr, nullptr)) {
    cert.chain.emplace_back(next, X509_free);
  }
  ERR_clear_error();  // the loop ends on "no start line"

  File keyFile(std::fopen(keyPath.c_str(), "r"));
  if (!keyFile) {
    error = "cannot read key file '" + keyPath + "': " + std::strerror(errno);
    return std::nullopt;
  }
  EVP_PKEY* key = PEM_read_PrivateKey(keyFile.get(), nullptr, nullptr, nullptr);
  if (!key) {
    error = "key file '" + keyPath + "' holds no PEM private key (" + openSslReason() + ")";
    return std::nullopt;
  }
  cert.key.reset(key, EVP_PKEY_free);
  if (X509_check_private_key(leaf, key) != 1) {
    ERR_clear_error();
    error = "key file '" + keyPath + "' does not match the certificate in '" + certPath + "'";
    return std::nullopt;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
    error = "certificate '" + certPath + "' has expired";
    return std::nullopt;
  }
  if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
    error = "certificate '" + certPath + "' is not valid yet";
    return std::nullopt;
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      cert.keyType = Certificate::KeyType::kEcdsa;
      break;
    case EVP_PKEY_RSA:
      cert.keyType = Certificate::KeyType::kRsa;
      break;
    default:
      cert.keyType = Certificate::KeyType::kOther;
      break;
  }
  cert.dnsNames = dnsNamesOf(leaf);
  return cert;
}

}  // namespace sluice
