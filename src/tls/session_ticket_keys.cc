#include "tls/session_ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace sluice {
namespace {

// Keys for the SSL_CTX ex-data slot through which the callback finds its SessionTicketKeys.
int exDataIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

SessionTicketKeys::Key SessionTicketKeys::freshKey() {
  Key key;
  if (RAND_bytes(key.name.data(), static_cast<int>(key.name.size())) != 1 ||
      RAND_bytes(key.aes.data(), static_cast<int>(key.aes.size())) != 1 ||
      RAND_bytes(key.hmac.data(), static_cast<int>(key.hmac.size())) != 1) {
    throw std::runtime_error("session ticket keys: the random generator failed");
  }
  return key;
}

SessionTicketKeys::SessionTicketKeys() {
  auto pair = std::make_shared<Pair>();
  pair->current = freshKey();
  pair_.store(std::move(pair));
}

void SessionTicketKeys::rotate() {
  auto next = std::make_shared<Pair>();
  next->current = freshKey();
  next->previous = pair_.load()->current;
  next->hasPrevious = true;
  pair_.store(std::move(next));
}

void SessionTicketKeys::adopt(const Key& current, const Key* previous) {
  auto next = std::make_shared<Pair>();
  next->current = current;
  if (previous) {
    next->previous = *previous;
    next->hasPrevious = true;
  }
  pair_.store(std::move(next));
}

SessionTicketKeys& SessionTicketKeys::process() {
  static SessionTicketKeys keys;
  return keys;
}

void SessionTicketKeys::install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, exDataIndex(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &SessionTicketKeys::onTicket);
}

int SessionTicketKeys::onTicket(SSL* ssl, unsigned char name[16],
                                unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX* cipher,
                                EVP_MAC_CTX* mac, int encrypt) {
  auto* self =
      static_cast<SessionTicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), exDataIndex()));
  if (!self) return -1;
  const std::shared_ptr<const Pair> pair = self->pair_.load();
  const Key* key = nullptr;
  if (encrypt) {
    key = &pair->current;
    std::memcpy(name, key->name.data(), key->name.size());
    if (RAND_bytes(iv, 16) != 1) return -1;
  } else if (std::memcmp(name, pair->current.name.data(), 16) == 0) {
    key = &pair->current;
  } else if (pair->hasPrevious && std::memcmp(name, pair->previous.name.data(), 16) == 0) {
    key = &pair->previous;
  } else {
    return 0;  // unknown or expired key: a full handshake
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac.data()), key->hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  // Fetched once: OpenSSL 3 looks a legacy EVP_aes_256_cbc() up by name on every init.
  static const EVP_CIPHER* const kAes = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
    return fetched ? fetched : EVP_aes_256_cbc();
  }();
  const int ok = encrypt ? EVP_EncryptInit_ex(cipher, kAes, nullptr, key->aes.data(), iv)
                         : EVP_DecryptInit_ex(cipher, kAes, nullptr, key->aes.data(), iv);
  // One fresh ticket replaces the one the client used (a full handshake gets OpenSSL's two).
  if (!encrypt) SSL_set_num_tickets(ssl, 1);
  // 2: valid, and issue a fresh ticket. TLS 1.3 clients use a ticket once (RFC 8446, C.4), so
  // a resumed connection that got no new ticket would make the client's next one full.
  return ok == 1 ? 2 : -1;
}

}  // namespace sluice
