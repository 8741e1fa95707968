#include "tls/openssl_context.h"

#include <openssl/err.h>

namespace sluice {

std::string openSslError() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  char text[256] = "unknown OpenSSL error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  return text;
}

int parseTlsVersion(const std::string& version, std::string& error) {
  if (version == "1.2") return TLS1_2_VERSION;
  if (version == "1.3") return TLS1_3_VERSION;
  error = "min_version '" + version + "' must be \"1.2\" or \"1.3\"";
  return 0;
}

bool useCertificate(SSL_CTX* ctx, const Certificate& certificate) {
  bool ok = SSL_CTX_use_certificate(ctx, certificate.leaf.get()) == 1;
  for (const auto& intermediate : certificate.chain) {
    ok = ok && SSL_CTX_add1_chain_cert(ctx, intermediate.get()) == 1;
  }
  return ok && SSL_CTX_use_PrivateKey(ctx, certificate.key.get()) == 1;
}

}  // namespace sluice
