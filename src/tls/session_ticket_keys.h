#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <memory>

namespace sluice {

// The keys that encrypt TLS session tickets, shared by every terminating context of the
// process and rotated on a schedule. Tickets are issued under the newest key and accepted
// under the newest two: a client that resumed just before a rotation still resumes after it
// (and gets a ticket under the new key), and a stolen ticket key stops being useful after two
// rotations — which is the point of rotating (forward secrecy for resumed sessions).
//
// rotate() runs on the control thread; the ticket callback runs on workers during handshakes.
// The key pair is an immutable object swapped atomically, so a handshake sees either the old
// pair or the new one, never a half-written key.
class SessionTicketKeys {
 public:
  struct Key {
    std::array<unsigned char, 16> name;
    std::array<unsigned char, 32> aes;   // AES-256-CBC, as OpenSSL's own ticket format uses
    std::array<unsigned char, 32> hmac;  // HMAC-SHA256
  };

  SessionTicketKeys();  // starts with one fresh key
  void rotate();        // a fresh key becomes current; the current one is kept as previous
  // Keys made elsewhere (cluster mode: shared through etcd, so that a ticket issued by one node
  // resumes on every node): `current` issues and accepts, `previous` (if any) only accepts.
  void adopt(const Key& current, const Key* previous);
  static Key freshKey();

  // Installs the ticket callback on `ctx`; tickets of `ctx` then use these keys.
  void install(SSL_CTX* ctx);

  // The keys of this process (terminating VIPs share them across config reloads).
  static SessionTicketKeys& process();

 private:
  struct Pair {
    Key current;
    Key previous;
    bool hasPrevious = false;
  };
  static int onTicket(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                      EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);

  std::atomic<std::shared_ptr<const Pair>> pair_;
};

}  // namespace sluice
