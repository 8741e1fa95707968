#include "tls/backend_session_cache.h"

namespace sluice {

BackendSessionCache::~BackendSessionCache() {
  for (auto& [key, session] : sessions_)
    SSL_SESSION_free(session);
}

SSL_SESSION* BackendSessionCache::find(std::string_view key) const {
  const auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second;
}

void BackendSessionCache::store(std::string_view key, const SSL* connection) {
  const SSL_SESSION* session = SSL_get0_session(connection);
  if (!session || !SSL_SESSION_is_resumable(session)) return;
  if (SSL_SESSION* copy = SSL_SESSION_dup(session)) store(key, copy);
}

void BackendSessionCache::store(std::string_view key, SSL_SESSION* session) {
  if (const auto it = sessions_.find(key); it != sessions_.end()) {
    SSL_SESSION_free(it->second);
    it->second = session;
    return;
  }
  if (sessions_.size() >= maxEntries_) {
    SSL_SESSION_free(sessions_.begin()->second);
    sessions_.erase(sessions_.begin());
  }
  sessions_.emplace(std::string(key), session);
}

}  // namespace sluice
