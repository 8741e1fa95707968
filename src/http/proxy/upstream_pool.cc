#include "http/proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

#include "core/hash.h"

namespace sluice {
namespace {

// True when nothing is waiting on an idle connection and it is not closed: a byte or an EOF
// there means the server gave up on it (or broke protocol).
bool stillOpen(int fd) {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

uint64_t UpstreamPool::keyOf(const SocketAddress& server) {
  return hashBytes(server.ipBytes(), server.port());
}

UniqueFd UpstreamPool::take(const SocketAddress& server, TimePoint now) {
  auto it = idle_.find(keyOf(server));
  if (it == idle_.end()) return UniqueFd();
  std::vector<Idle>& list = it->second;
  while (!list.empty()) {
    Idle candidate = std::move(list.back());
    list.pop_back();
    if (!(candidate.server == server)) {
      list.insert(list.begin(), std::move(candidate));  // a hash collision: keep it
      break;
    }
    if (now - candidate.since < maxIdle_ && stillOpen(candidate.fd.get())) {
      return std::move(candidate.fd);
    }
  }
  return UniqueFd();
}

void UpstreamPool::give(const SocketAddress& server, UniqueFd connection, TimePoint now) {
  std::vector<Idle>& list = idle_[keyOf(server)];
  if (list.size() >= maxPerServer_) list.erase(list.begin());  // the oldest goes
  list.push_back(Idle{server, std::move(connection), now});
}

size_t UpstreamPool::idle() const {
  size_t n = 0;
  for (const auto& [key, list] : idle_)
    n += list.size();
  return n;
}

}  // namespace sluice
