#include "tls/certificate_factory.h"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace sluice {
namespace {

void check(bool ok, const char* step) {
  if (!ok) throw std::runtime_error(std::string("certificate factory: ") + step + " failed");
}

EVP_PKEY* newKey(CertificateFactory::KeyType type) {
  EVP_PKEY* key =
      type == CertificateFactory::KeyType::kRsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  check(key != nullptr, "key generation");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr && X509_add_ext(cert, ext, -1) == 1, "adding an extension");
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, named `commonName`, not yet signed.
X509* newCertificate(EVP_PKEY* key, const std::string& commonName, long serial, int fromDays,
                     int toDays) {
  X509* cert = X509_new();
  check(cert != nullptr, "X509_new");
  X509_set_version(cert, 2);
  // A random 127-bit serial (CA/Browser Forum: at least 64 bits of entropy), so that no two
  // certificates of a CA made twice collide; `serial` keeps it unique within this CA anyway.
  BIGNUM* number = BN_new();
  check(number && BN_rand(number, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_add_word(number, static_cast<BN_ULONG>(serial)) == 1 &&
            BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != nullptr,
        "making a serial number");
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert), fromDays == 0 ? -3600 : 86400L * fromDays);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * toDays);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  return cert;
}

void writePem(const std::string& path, X509* cert, EVP_PKEY* key) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  check(out != nullptr, "opening an output file");
  const bool ok = cert ? PEM_write_X509(out, cert) == 1
                       : PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(out);
  check(ok, "writing PEM");
}

}  // namespace

CertificateFactory::CertificateFactory(std::string dir, const std::string& commonName)
    : dir_(std::move(dir)), caPath_(dir_ + "/ca.pem") {
  caKey_ = newKey(KeyType::kEcdsaP256);
  caCert_ = newCertificate(caKey_, commonName, serial_++, 0, 365);
  X509_set_issuer_name(caCert_, X509_get_subject_name(caCert_));
  addExtension(caCert_, caCert_, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(caCert_, caCert_, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(caCert_, caCert_, NID_subject_key_identifier, "hash");
  check(X509_sign(caCert_, caKey_, EVP_sha256()) > 0, "signing the CA");
  writePem(caPath_, caCert_, nullptr);
  writePem(dir_ + "/ca.key", nullptr, caKey_);
}

CertificateFactory::~CertificateFactory() {
  X509_free(caCert_);
  EVP_PKEY_free(caKey_);
}

CertificateFactory::Files CertificateFactory::issue(const std::string& fileStem,
                                                    const std::vector<std::string>& names,
                                                    KeyType keyType, int validFromDays,
                                                    int validToDays) {
  check(!names.empty(), "issuing a certificate without a name");
  EVP_PKEY* key = newKey(keyType);
  X509* cert = newCertificate(key, names[0], serial_++, validFromDays, validToDays);
  X509_set_issuer_name(cert, X509_get_subject_name(caCert_));
  std::string san;
  for (const auto& name : names)
    san += (san.empty() ? "DNS:" : ",DNS:") + name;
  addExtension(cert, caCert_, NID_subject_alt_name, san);
  addExtension(cert, caCert_, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, caCert_, NID_ext_key_usage, "serverAuth");
  addExtension(cert, caCert_, NID_authority_key_identifier, "keyid:always");
  if (!crlUrl_.empty()) addExtension(cert, caCert_, NID_crl_distribution_points, "URI:" + crlUrl_);
  check(X509_sign(cert, caKey_, EVP_sha256()) > 0, "signing a certificate");
  Files files{dir_ + "/" + fileStem + ".pem", dir_ + "/" + fileStem + ".key"};
  writePem(files.cert, cert, nullptr);
  writePem(files.key, nullptr, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

void CertificateFactory::writeCrl(const std::string& path, int days) {
  X509_CRL* crl = X509_CRL_new();
  check(crl != nullptr, "X509_CRL_new");
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(caCert_));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 86400L * days);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  const bool signed_ = X509_CRL_sign(crl, caKey_, EVP_sha256()) > 0;
  std::FILE* out = signed_ ? std::fopen(path.c_str(), "w") : nullptr;
  const bool written = out && PEM_write_X509_CRL(out, crl) == 1;
  if (out) std::fclose(out);
  X509_CRL_free(crl);
  check(signed_ && written, "writing the CRL");
}

}  // namespace sluice
