#include "server/admin/admin_tls.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include "server/runtime.h"

namespace sluice {
namespace {

// SSL_CTX_set_cert_cb: the running snapshot's admin certificate for this handshake.
int useRunningCertificate(SSL* ssl, void* arg) {
  const Runtime& runtime = *static_cast<const Runtime*>(arg);
  const auto snapshot = runtime.snapshot();
  const std::shared_ptr<const Certificate> certificate = snapshot->admin.tls;
  if (!certificate) return 0;
  if (SSL_use_certificate(ssl, certificate->leaf.get()) != 1) return 0;
  if (SSL_use_PrivateKey(ssl, certificate->key.get()) != 1) return 0;
  SSL_clear_chain_certs(ssl);
  for (const auto& intermediate : certificate->chain) {
    if (SSL_add1_chain_cert(ssl, intermediate.get()) != 1) return 0;
  }
  return 1;
}

}  // namespace

std::unique_ptr<httplib::Server> makeAdminHttpServer(const Runtime& runtime) {
  if (!runtime.snapshot()->admin.tls) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([&runtime](SSL_CTX& context) {
    SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
    SSL_CTX_set_options(&context, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_verify(&context, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_cert_cb(&context, useRunningCertificate,
                        const_cast<void*>(static_cast<const void*>(&runtime)));
    return true;
  });
}

}  // namespace sluice
