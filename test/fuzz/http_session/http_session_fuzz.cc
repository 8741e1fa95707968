// libFuzzer target: a whole HttpProxySession, on a real worker's event loop driven step by step
// from this thread, between a client that sends fuzzed bytes (over a socketpair) and an origin
// on 127.0.0.1 that answers with fuzzed bytes. Whatever both send:
//   - every byte forwarded to a server parses, strictly, as whole requests (nothing outside a
//     parsed message: no smuggled bytes, no framing the client wrote);
//   - those requests are, in order, the canonical requests the client's bytes make (what the
//     rules saw), with nothing skipped and nothing invented;
//   - the session ends when both peers have gone, and neither sanitizer complains.
//
// The input: two bytes of client length, the client's bytes, then the origin's bytes (sent on
// each server connection once its first request has arrived).

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "health/health_registry.h"
#include "http/http1/request_parser.h"
#include "metrics/metrics_registry.h"
#include "server/access_log.h"
#include "server/worker.h"
#include "server/worker_config.h"

namespace sluice {
namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// The three things every canonical request is identified by here.
struct Identity {
  std::string method, target, host;
  bool operator==(const Identity&) const = default;
};

// Parses `bytes` as a sequence of requests with `policy`: the whole requests' identities, and
// whether the bytes ended cleanly (at a message boundary, or inside the last one).
struct Parsed {
  std::vector<Identity> requests;
  bool error = false;
};
// `pastUpgrades`: after an upgrade request, go on as if the server declined it (the client's
// side: which of its requests the proxy may forward); otherwise stop there (a server's side:
// what follows may be the new protocol).
Parsed parseRequests(const RequestPolicy& policy, const std::string& bytes, bool pastUpgrades) {
  Parsed out;
  Http1RequestParser parser(policy);
  std::string body;
  parser.setBodyOutput(&body);
  size_t consumed = 0;
  Identity current;
  for (int events = 0; events < 100000; ++events) {
    const auto result = parser.feed(bytes.data() + consumed, bytes.size() - consumed);
    consumed += result.consumed;
    switch (result.event) {
      case Http1RequestParser::Event::kError:
        out.error = true;
        return out;
      case Http1RequestParser::Event::kHeadComplete:
        current = {std::string(parser.head().method), std::string(parser.head().target),
                   std::string(parser.head().host)};
        break;
      case Http1RequestParser::Event::kMessageComplete:
        out.requests.push_back(current);
        if (parser.head().upgrade) {
          if (!pastUpgrades) return out;
          parser.nextMessage();
        }
        break;
      case Http1RequestParser::Event::kNeedMore:
        return out;
    }
  }
  return out;
}

struct Harness {
  Harness() {
    origin = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::bind(origin, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    check(::listen(origin, 64) == 0);
    socklen_t length = sizeof address;
    ::getsockname(origin, reinterpret_cast<sockaddr*>(&address), &length);
    const std::string yaml =
        "global: {workers: 1, access_log: \"off\"}\n"
        "server_groups:\n"
        "  - name: web\n    protocol: http\n    retries: 0\n"
        "    servers: [{name: o1, address: 127.0.0.1:" +
        std::to_string(ntohs(address.sin_port)) +
        "}]\n"
        "vips:\n"
        "  - name: plain\n    listen: 127.0.0.1:1\n    service: http\n    default_group: web\n"
        "    limits: {max_header_bytes: 4KiB, max_headers: 40, max_body: 64KiB}\n";
    const ConfigLoadResult loaded = loadConfigText(yaml, "fuzz.yaml");
    check(loaded.ok());
    snapshot = loaded.snapshot;
    config = std::make_shared<WorkerConfig>(snapshot, registry.statesFor(*snapshot),
                                            metrics.metricsFor(*snapshot), 1, 0);
    worker = std::make_unique<Worker>(0, config, std::vector<ListenSocket>{}, accessLog);
    reference = snapshot->vips[0].request;
    // What a server may be sent has room for the fields Sluice adds.
    roomier = reference;
    roomier.maxHeaders += 8;
    roomier.maxHeaderBytes += 1024;
  }

  int origin = -1;
  AccessLog accessLog;  // off
  HealthRegistry registry;
  MetricsRegistry metrics{1};
  std::shared_ptr<const ConfigSnapshot> snapshot;
  std::shared_ptr<const WorkerConfig> config;
  std::unique_ptr<Worker> worker;
  RequestPolicy reference, roomier;
};

struct ServerSide {
  int fd;
  std::string received;
  bool answered = false;
};

bool readAvailable(int fd, std::string* into) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      if (into) into->append(buffer, static_cast<size_t>(n));
      continue;
    }
    return n == 0 ? false : (errno == EAGAIN || errno == EWOULDBLOCK);  // false: closed
  }
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  static Harness* harness = new Harness();  // one worker and origin for the whole run
  if (size < 2) return 0;
  const size_t split = std::min<size_t>(size - 2, data[0] | data[1] << 8);
  const std::string client(reinterpret_cast<const char*>(data + 2), split);
  const std::string originBytes(reinterpret_cast<const char*>(data + 2 + split), size - 2 - split);

  // Connections a previous input's session left in the accept queue belong to no one now.
  for (int fd; (fd = ::accept4(harness->origin, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;)
    ::close(fd);
  int pair[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == 0);
  const SocketAddress peer = *SocketAddress::parse("198.51.100.7:5000");
  harness->worker->startHttpSession(harness->config, harness->snapshot->vips[0], UniqueFd(pair[1]),
                                    peer);
  std::vector<ServerSide> servers;
  size_t sent = 0;
  bool clientOpen = true;
  for (int step = 0; step < 200 && clientOpen; ++step) {
    if (sent < client.size()) {
      const ssize_t n = ::send(pair[0], client.data() + sent, client.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      if (sent == client.size()) ::shutdown(pair[0], SHUT_WR);
    } else if (step == 0) {
      ::shutdown(pair[0], SHUT_WR);
    }
    harness->worker->loop().runOnce(1);
    for (int fd;
         (fd = ::accept4(harness->origin, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
      servers.push_back({fd, "", false});
    }
    for (ServerSide& server : servers) {
      if (server.fd < 0) continue;
      const bool open = readAvailable(server.fd, &server.received);
      if (!server.answered &&
          !parseRequests(harness->roomier, server.received, false).requests.empty()) {
        ::send(server.fd, originBytes.data(), originBytes.size(), MSG_NOSIGNAL);
        server.answered = true;
      }
      if (!open) {
        ::close(server.fd);
        server.fd = -1;
      }
    }
    clientOpen = readAvailable(pair[0], nullptr);
  }
  // Both peers go; the session must notice and end.
  ::close(pair[0]);
  for (ServerSide& server : servers) {
    if (server.fd >= 0) ::close(server.fd);
  }
  for (int step = 0; step < 20; ++step)
    harness->worker->loop().runOnce(0);

  // What reached the servers: whole requests, strictly, and the client's own, in order.
  const Parsed expected = parseRequests(harness->reference, client, true);
  if (getenv("SESSION_FUZZ_DEBUG")) {
    for (const Identity& r : expected.requests)
      fprintf(stderr, "expected %s %s\n", r.method.c_str(), r.target.c_str());
    for (const ServerSide& server : servers)
      fprintf(stderr, "server got [%s]\n", server.received.c_str());
  }
  size_t next = 0;
  for (const ServerSide& server : servers) {
    const Parsed forwarded = parseRequests(harness->roomier, server.received, false);
    check(!forwarded.error);
    for (const Identity& request : forwarded.requests) {
      // A request may reach a second server only when the first failed before answering; it
      // is then the same request again.
      if (next > 0 && request == expected.requests[next - 1]) continue;
      check(next < expected.requests.size() && request == expected.requests[next]);
      ++next;
    }
  }
  return 0;
}
