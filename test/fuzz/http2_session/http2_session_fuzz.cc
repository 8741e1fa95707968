// libFuzzer target: a whole HTTP/2 client connection (h2c, prior knowledge) on a real worker's
// event loop driven step by step from this thread. The client sends the connection preface and
// then fuzzed frames over a socketpair; the origin on 127.0.0.1 answers each connection with
// fuzzed bytes, as an HTTP/1.1 server (mode 0) or as an HTTP/2 server behind a group with
// `http2: true` (mode 1: the bytes are its frames, after its own preface of SETTINGS).
// Whatever both send:
//   - an HTTP/1.1 server receives only whole requests that parse strictly, each one a request
//     an HTTP/2 client may make (a method, a target in origin form or `*`, one host);
//   - the connection ends when both peers have gone, and neither sanitizer complains.
//
// The input: one byte of mode, two bytes of client length, the client's frames, then the
// origin's bytes.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
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

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// An empty SETTINGS frame: what an HTTP/2 server sends first.
constexpr char kServerSettings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};

// Whether `bytes` are whole HTTP/1.1 requests, strictly, each with a method, a target and a host.
bool wholeRequests(const RequestPolicy& policy, const std::string& bytes) {
  Http1RequestParser parser(policy);
  std::string body;
  parser.setBodyOutput(&body);
  size_t consumed = 0;
  for (int events = 0; events < 100000; ++events) {
    const auto result = parser.feed(bytes.data() + consumed, bytes.size() - consumed);
    consumed += result.consumed;
    switch (result.event) {
      case Http1RequestParser::Event::kError:
        return false;
      case Http1RequestParser::Event::kHeadComplete:
        if (parser.head().method.empty() || parser.head().target.empty()) return false;
        break;
      case Http1RequestParser::Event::kMessageComplete:
        break;
      case Http1RequestParser::Event::kNeedMore:
        return true;  // a request may still be arriving when the test ends
    }
  }
  return true;
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
    const std::string server = std::to_string(ntohs(address.sin_port));
    const std::string yaml =
        "global: {workers: 1, access_log: \"off\"}\n"
        "server_groups:\n"
        "  - name: web\n    protocol: http\n    retries: 0\n"
        "    servers: [{name: o1, address: 127.0.0.1:" +
        server +
        "}]\n"
        "  - name: h2\n    protocol: http\n    retries: 0\n    http2: true\n"
        "    servers: [{name: o2, address: 127.0.0.1:" +
        server +
        "}]\n"
        "vips:\n"
        "  - name: plain\n    listen: 127.0.0.1:1\n    service: http\n    default_group: web\n"
        "    http2: {h2c: true, max_concurrent_streams: 8, max_glitches: 200}\n"
        "    limits: {max_header_bytes: 4KiB, max_headers: 40, max_body: 64KiB}\n"
        "  - name: toh2\n    listen: 127.0.0.1:2\n    service: http\n    default_group: h2\n"
        "    http2: {h2c: true, max_concurrent_streams: 8, max_glitches: 200}\n"
        "    limits: {max_header_bytes: 4KiB, max_headers: 40, max_body: 64KiB}\n";
    const ConfigLoadResult loaded = loadConfigText(yaml, "fuzz.yaml");
    check(loaded.ok());
    snapshot = loaded.snapshot;
    config = std::make_shared<WorkerConfig>(snapshot, registry.statesFor(*snapshot),
                                            metrics.metricsFor(*snapshot), 1, 0);
    worker = std::make_unique<Worker>(0, config, std::vector<ListenSocket>{}, accessLog);
    // What a server may be sent has room for the fields Sluice adds.
    roomier = snapshot->vips[0].request;
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
  RequestPolicy roomier;
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
  if (size < 3) return 0;
  const bool http2Server = data[0] & 1;
  const size_t split = std::min<size_t>(size - 3, data[1] | data[2] << 8);
  const std::string client = std::string(kPreface, sizeof kPreface - 1) +
                             std::string(reinterpret_cast<const char*>(data + 3), split);
  std::string originBytes(reinterpret_cast<const char*>(data + 3 + split), size - 3 - split);
  if (http2Server) originBytes.insert(0, kServerSettings, sizeof kServerSettings);

  for (int fd; (fd = ::accept4(harness->origin, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;)
    ::close(fd);
  int pair[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == 0);
  const SocketAddress peer = *SocketAddress::parse("198.51.100.7:5000");
  harness->worker->startHttpSession(harness->config, harness->snapshot->vips[http2Server ? 1 : 0],
                                    UniqueFd(pair[1]), peer);
  std::vector<ServerSide> servers;
  size_t sent = 0;
  bool clientOpen = true;
  for (int step = 0; step < 200 && clientOpen; ++step) {
    if (sent < client.size()) {
      const ssize_t n = ::send(pair[0], client.data() + sent, client.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    harness->worker->loop().runOnce(1);
    for (int fd;
         (fd = ::accept4(harness->origin, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
      servers.push_back({fd, "", false});
    }
    for (ServerSide& server : servers) {
      if (server.fd < 0) continue;
      const bool open = readAvailable(server.fd, &server.received);
      if (!server.answered && !server.received.empty()) {
        ::send(server.fd, originBytes.data(), originBytes.size(), MSG_NOSIGNAL);
        server.answered = true;
      }
      if (!open) {
        ::close(server.fd);
        server.fd = -1;
      }
    }
    clientOpen = readAvailable(pair[0], nullptr);
    // The client has said everything and the connection went quiet: time to go.
    if (sent == client.size() && step > 20) break;
  }
  ::close(pair[0]);
  for (ServerSide& server : servers) {
    if (server.fd >= 0) ::close(server.fd);
  }
  for (int step = 0; step < 20; ++step)
    harness->worker->loop().runOnce(0);
  if (!http2Server) {
    for (const ServerSide& server : servers) check(wholeRequests(harness->roomier, server.received));
  }
  return 0;
}
