#include "http/proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace sluice {
namespace {

// True when nothing is waiting on an idle connection and it is not closed: a byte or an EOF
// there means the server gave up on it (a TLS close_notify, or a FIN) or broke protocol.
bool stillOpen(int fd) {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::string upstreamAddressKey(const SocketAddress& address) {
  const uint16_t port = address.port();
  const std::string_view ip = address.ipBytes();
  std::string key(1, static_cast<char>(ip.size()));  // so no IPv4 key is an IPv6 key's prefix
  key.append(ip);
  key.push_back(static_cast<char>(port >> 8));
  key.push_back(static_cast<char>(port & 0xff));
  return key;
}

size_t UpstreamPool::closeTo(const SocketAddress& address) {
  const std::string prefix = upstreamAddressKey(address);
  size_t closed = 0;
  for (auto& [key, list] : idle_) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    closed += list.size();
    total_ -= list.size();
    list.clear();
  }
  return closed;
}

size_t UpstreamPool::sweep(TimePoint now) {
  size_t closed = 0;
  for (auto& [key, list] : idle_) {
    closed += std::erase_if(list, [&](const Idle& idle) {
      const UpstreamEvents* events = idle.connection.events.get();
      return now - idle.since >= maxIdle_ || (events && events->unusable);
    });
  }
  total_ -= closed;
  return closed;
}

UpstreamConnection UpstreamPool::take(std::string_view key, TimePoint now, bool verify) {
  const auto it = idle_.find(key);
  if (it == idle_.end()) return {};
  std::vector<Idle>& list = it->second;
  UpstreamConnection found;
  while (!list.empty() && !found.fd.valid()) {
    Idle candidate = std::move(list.back());
    list.pop_back();
    --total_;
    const UpstreamEvents* events = candidate.connection.events.get();
    if (now - candidate.since < maxIdle_ && !(events && events->unusable) &&
        (!verify || stillOpen(candidate.connection.fd.get()))) {
      found = std::move(candidate.connection);
    }
  }
  // An emptied list stays (its key and capacity are reused by the next give(), so a server
  // used by one client after another costs no allocation); give() sweeps them when there are
  // too many keys.
  return found;
}

void UpstreamPool::give(std::string_view key, UpstreamConnection connection, TimePoint now) {
  auto it = idle_.find(key);
  if (it == idle_.end()) {
    if (idle_.size() >= maxTotal_) {
      // Keys chosen by clients (`sni: client`) must not pile up: drop the empty lists.
      std::erase_if(idle_, [](const auto& entry) { return entry.second.empty(); });
    }
    if (total_ >= maxTotal_ || idle_.size() >= maxTotal_) return;  // full: it closes here
    it = idle_.emplace(std::string(key), std::vector<Idle>()).first;
  }
  std::vector<Idle>& list = it->second;
  if (list.size() >= maxPerKey_ || total_ >= maxTotal_) {
    if (list.empty()) return;
    list.erase(list.begin());  // the oldest of this server goes
    --total_;
  }
  list.push_back(Idle{std::move(connection), now});
  ++total_;
}

}  // namespace sluice
