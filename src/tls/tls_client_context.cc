#include "tls/tls_client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls/openssl_context.h"

namespace sluice {
namespace {

bool isIpLiteral(const std::string& name) {
  unsigned char bytes[16];
  return inet_pton(AF_INET, name.c_str(), bytes) == 1 ||
         inet_pton(AF_INET6, name.c_str(), bytes) == 1;
}

}  // namespace

std::shared_ptr<const TlsClientContext> TlsClientContext::create(const BackendTlsSettings& settings,
                                                                 std::string& error) {
  const int minVersion = parseTlsVersion(settings.minVersion, error);
  if (minVersion == 0) return nullptr;
  std::shared_ptr<TlsClientContext> self(new TlsClientContext());
  self->settings_ = settings;
  SSL_CTX* ctx = self->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx) {
    error = "cannot create a TLS context: " + openSslError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, minVersion);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Read-ahead: one read() takes whatever the socket holds (a record's header and body,
  // several records), not a header and then a body.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Sessions are kept by the proxy per worker and server (BackendSessionCache), not by
  // OpenSSL's shared cache, which would need a lock.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  if (settings.verify) {
    const bool loaded = settings.ca.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx) == 1
                            : SSL_CTX_load_verify_locations(ctx, settings.ca.c_str(), nullptr) == 1;
    if (!loaded) {
      error = (settings.ca.empty() ? std::string("cannot load the system trust store: ")
                                   : "ca '" + settings.ca + "': ") +
              openSslError();
      return nullptr;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (const auto& cert = settings.clientCertificate) {
    if (!useCertificate(ctx, *cert)) {
      error = "client_cert '" + cert->certPath + "': " + openSslError();
      return nullptr;
    }
  }
  self->identity_ =
      std::string(settings.verify ? "verify" : "noverify") + "|ca=" + settings.ca +
      "|cert=" + (settings.clientCertificate ? settings.clientCertificate->certPath : "") +
      "|min=" + settings.minVersion;
  return self;
}

TlsClientContext::~TlsClientContext() {
  SSL_CTX_free(ctx_);
}

SSL* TlsClientContext::newSession(std::string_view sni, std::string_view verifyName,
                                  SSL_SESSION* resume) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, std::string(sni).c_str());
  if (settings_.verify && !verifyName.empty()) {
    const std::string name(verifyName);
    if (isIpLiteral(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, name.c_str());
    }
  }
  if (resume && SSL_SESSION_is_resumable(resume)) SSL_set_session(ssl, resume);
  return ssl;
}

}  // namespace sluice
