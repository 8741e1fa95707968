#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sluice {

// One worker's TLS sessions with backend servers, so that a new connection to a server resumes
// (an abbreviated handshake: no certificate, no signature) instead of starting over. Keyed by
// the same key as the upstream pool (TLS identity, SNI, verified name, server address): a
// session is only offered where it was made. Single-threaded: owned by one worker.
//
// Bounded: with `sni: client`, clients choose part of the key, so past `maxEntries` an arbitrary
// entry makes room (a lost session costs one full handshake, nothing more).
class BackendSessionCache {
 public:
  explicit BackendSessionCache(size_t maxEntries) : maxEntries_(maxEntries) {}
  ~BackendSessionCache();
  BackendSessionCache(const BackendSessionCache&) = delete;
  BackendSessionCache& operator=(const BackendSessionCache&) = delete;

  // The session to resume for `key`, or nullptr; still owned by the cache (SSL_set_session
  // takes its own reference).
  SSL_SESSION* find(std::string_view key) const;
  // Keeps a copy of `connection`'s current session for `key`, replacing any older one, if
  // that session can be resumed. A copy, because OpenSSL marks a connection's own session
  // unresumable when the connection is freed without a TLS shutdown, which is how a pooled
  // connection the server closed ends.
  void store(std::string_view key, const SSL* connection);
  // The same with a session the caller hands over.
  void store(std::string_view key, SSL_SESSION* session);
  size_t size() const { return sessions_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  size_t maxEntries_;
  std::unordered_map<std::string, SSL_SESSION*, Hash, std::equal_to<>> sessions_;
};

}  // namespace sluice
