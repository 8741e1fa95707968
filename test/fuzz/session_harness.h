#pragma once

// What the session fuzz targets share: one worker on a real event loop, driven step by step
// from the fuzzer's thread, an origin listening on 127.0.0.1, and the conversation between a
// client over a socketpair and the origin's connections.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "health/health_registry.h"
#include "metrics/metrics_registry.h"
#include "server/worker.h"
#include "worker/access_log.h"
#include "worker/worker_config.h"

namespace sluice::fuzz {

inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Reads what is there without waiting; false once the peer has closed.
inline bool readAvailable(int fd, std::string* into) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      if (into) into->append(buffer, static_cast<size_t>(n));
      continue;
    }
    return n == 0 ? false : (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

class SessionHarness {
  // First, so that they outlive the worker.
  AccessLog accessLog_;  // off
  HealthRegistry registry_;
  MetricsRegistry metrics_{1};
  int origin_ = -1;

 public:
  // `yaml(port)`: the config, given the origin's port.
  explicit SessionHarness(const std::function<std::string(uint16_t)>& yaml) {
    origin_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(origin_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    check(::listen(origin_, 64) == 0);
    socklen_t length = sizeof address;
    ::getsockname(origin_, reinterpret_cast<sockaddr*>(&address), &length);
    const ConfigLoadResult loaded = loadConfigText(yaml(ntohs(address.sin_port)), "fuzz.yaml");
    check(loaded.ok());
    snapshot = loaded.snapshot;
    config = std::make_shared<WorkerConfig>(snapshot, registry_.statesFor(*snapshot),
                                            metrics_.metricsFor(*snapshot), 1, 0);
    worker = std::make_unique<Worker>(0, config, std::vector<ListenSocket>{}, accessLog_);
  }

  struct ServerSide {
    int fd;
    std::string received;
    bool answered = false;
  };
  struct Script {
    std::string client;     // what the client sends
    std::string origin;     // what each origin connection is answered with
    bool halfClose = true;  // the client shuts down its side once it has sent everything
    // When a connection has received enough to be answered.
    std::function<bool(const std::string& received)> answerAfter;
  };

  // Starts an HTTP session for `vip` on a fresh socketpair, plays `script`, lets both peers go
  // and the session end. Returns what each origin connection received.
  std::vector<ServerSide> converse(size_t vip, const Script& script) {
    // Connections a previous input's session left in the accept queue belong to no one now.
    for (int fd; (fd = ::accept4(origin_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;)
      ::close(fd);
    int pair[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == 0);
    const SocketAddress peer = *SocketAddress::parse("198.51.100.7:5000");
    worker->startHttpSession(config, snapshot->vips[vip], UniqueFd(pair[1]), peer);
    std::vector<ServerSide> servers;
    size_t sent = 0;
    bool clientOpen = true;
    const std::string& client = script.client;
    for (int step = 0; step < 200 && clientOpen; ++step) {
      if (sent < client.size()) {
        const ssize_t n = ::send(pair[0], client.data() + sent, client.size() - sent, MSG_NOSIGNAL);
        if (n > 0) sent += static_cast<size_t>(n);
        if (sent == client.size() && script.halfClose) ::shutdown(pair[0], SHUT_WR);
      } else if (step == 0 && script.halfClose) {
        ::shutdown(pair[0], SHUT_WR);
      }
      worker->loop().runOnce(1);
      for (int fd;
           (fd = ::accept4(origin_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
        servers.push_back({fd, "", false});
      }
      for (ServerSide& server : servers) {
        if (server.fd < 0) continue;
        const bool open = readAvailable(server.fd, &server.received);
        if (!server.answered && script.answerAfter(server.received)) {
          ::send(server.fd, script.origin.data(), script.origin.size(), MSG_NOSIGNAL);
          server.answered = true;
        }
        if (!open) {
          ::close(server.fd);
          server.fd = -1;
        }
      }
      clientOpen = readAvailable(pair[0], nullptr);
      // A client that keeps its side open has said everything: give the rest a few steps.
      if (!script.halfClose && sent == client.size() && step > 20) break;
    }
    // Both peers go; the session must notice and end.
    ::close(pair[0]);
    for (ServerSide& server : servers) {
      if (server.fd >= 0) ::close(server.fd);
    }
    for (int step = 0; step < 20; ++step)
      worker->loop().runOnce(0);
    return servers;
  }

  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::shared_ptr<const WorkerConfig> config;
  std::unique_ptr<Worker> worker;
};

}  // namespace sluice::fuzz
