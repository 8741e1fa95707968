#include "tls/tls_server_context.h"

#include <openssl/err.h>

#include <algorithm>

#include "tls/host_name.h"
#include "tls/openssl_context.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

// Every context of every VIP shares one session-id context: resumption is per process.
constexpr unsigned char kSessionIdContext[] = "sluice";

bool sameNames(const Certificate& a, const Certificate& b) {
  auto x = a.dnsNames, y = b.dnsNames;
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  return x == y;
}

}  // namespace

TlsServerContext::~TlsServerContext() {
  for (Entry& entry : entries_)
    SSL_CTX_free(entry.ctx);
}

std::shared_ptr<const TlsServerContext> TlsServerContext::create(
    const std::vector<std::shared_ptr<const Certificate>>& certificates,
    const TlsSettings& settings, std::string& error) {
  if (certificates.empty()) {
    error = "a terminating VIP needs at least one certificate";
    return nullptr;
  }
  const int minVersion = parseTlsVersion(settings.minVersion, error);
  if (minVersion == 0) return nullptr;
  std::shared_ptr<TlsServerContext> self(new TlsServerContext());
  for (const std::string& protocol : settings.alpn) {
    if (protocol.empty() || protocol.size() > 255) {
      error = "alpn protocol names must be 1 to 255 bytes";
      return nullptr;
    }
    self->alpnWire_.push_back(static_cast<char>(protocol.size()));
    self->alpnWire_.append(protocol);
  }

  // Group certificates naming the same hosts; each group gets one context.
  for (const auto& cert : certificates) {
    auto same = std::find_if(self->entries_.begin(), self->entries_.end(), [&](const Entry& e) {
      return sameNames(*e.certificates.front(), *cert);
    });
    if (same == self->entries_.end()) {
      self->entries_.push_back(Entry{nullptr, {cert}});
      continue;
    }
    for (const auto& other : same->certificates) {
      if (other->keyType == cert->keyType) {
        error = "certificates '" + other->name + "' and '" + cert->name +
                "' have the same key type and the same names: a client could get either";
        return nullptr;
      }
    }
    same->certificates.push_back(cert);
  }

  for (size_t i = 0; i < self->entries_.size(); ++i) {
    Entry& entry = self->entries_[i];
    SSL_CTX* ctx = entry.ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
      error = "cannot create a TLS context: " + openSslError();
      return nullptr;
    }
    SSL_CTX_set_min_proto_version(ctx, minVersion);
    // No renegotiation at all (client-initiated renegotiation is also off by default in
    // OpenSSL 3 unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set), no compression (CRIME).
    // A client that closes without close_notify (most do) has ended the connection, not
    // failed: HTTP's own framing tells a truncated request. Without this option OpenSSL would
    // answer the close with a fatal alert into a closed socket (NGINX sets it too).
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
      error = "ciphers '" + settings.ciphers + "': " + openSslError();
      return nullptr;
    }
    if (SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1) {
      error = "ciphersuites '" + settings.ciphersuites + "': " + openSslError();
      return nullptr;
    }
    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384");
    // Non-blocking sockets: a write may take part of a buffer, and the retry may come from a
    // moved buffer (the proxy's output strings grow).
    // Read-ahead: one read() takes whatever the socket holds (a record's header and body,
    // several records), not a header and then a body.
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    // Tickets under the process's rotating keys, the same for every context, so that a
    // ticket from one of a VIP's certificates (or an earlier config) still resumes.
    SessionTicketKeys::process().install(ctx);
    SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
    SSL_CTX_set_tlsext_servername_callback(ctx, &TlsServerContext::onServerName);
    SSL_CTX_set_tlsext_servername_arg(ctx, self.get());
    SSL_CTX_set_alpn_select_cb(ctx, &TlsServerContext::onAlpn, self.get());
    for (const auto& cert : entry.certificates) {
      if (!useCertificate(ctx, *cert)) {
        error = "certificate '" + cert->name + "': " + openSslError();
        return nullptr;
      }
    }
    for (const std::string& name : entry.certificates.front()->dnsNames) {
      self->byName_.add(name, i);  // false: an earlier certificate already has the name
    }
  }
  return self;
}

SSL* TlsServerContext::newSession() const {
  return SSL_new(entries_.front().ctx);
}

size_t TlsServerContext::contextFor(std::string_view sni) const {
  std::string name;
  if (!normaliseHostName(sni, name)) return 0;
  const size_t index = byName_.route(name);
  return index == SniRouter::kNoRoute ? 0 : index;
}

int TlsServerContext::onServerName(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const TlsServerContext*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const size_t index = sni ? self->contextFor(sni) : 0;
  if (index != 0) SSL_set_SSL_CTX(ssl, self->entries_[index].ctx);
  return SSL_TLSEXT_ERR_OK;
}

int TlsServerContext::onAlpn(SSL*, const unsigned char** out, unsigned char* outLength,
                             const unsigned char* in, unsigned inLength, void* arg) {
  const auto* self = static_cast<const TlsServerContext*>(arg);
  if (self->alpnWire_.empty()) return SSL_TLSEXT_ERR_NOACK;
  // The server's preference decides; a client offering nothing we speak goes on without ALPN.
  unsigned char* selected = nullptr;
  const int rc = SSL_select_next_proto(
      &selected, outLength, reinterpret_cast<const unsigned char*>(self->alpnWire_.data()),
      static_cast<unsigned>(self->alpnWire_.size()), in, inLength);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace sluice
