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

#include "http/http1/request_parser.h"
#include "session_harness.h"

namespace sluice {
namespace {

using fuzz::check;

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

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using fuzz::SessionHarness;
  // One worker and origin for the whole run: VIP 0 in front of an HTTP/1.1 server, VIP 1 of an
  // HTTP/2 one.
  static SessionHarness* harness = new SessionHarness([](uint16_t port) {
    const std::string server = std::to_string(port);
    const std::string limits =
        "    http2: {h2c: true, max_concurrent_streams: 8, max_glitches: 200}\n"
        "    limits: {max_header_bytes: 4KiB, max_headers: 40, max_body: 64KiB}\n";
    return "global: {workers: 1, access_log: \"off\"}\n"
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
           "  - name: plain\n    listen: 127.0.0.1:1\n    service: http\n    default_group: web\n" +
           limits +
           "  - name: toh2\n    listen: 127.0.0.1:2\n    service: http\n    default_group: h2\n" +
           limits;
  });
  // What a server may be sent has room for the fields Sluice adds.
  static const RequestPolicy roomier = [] {
    RequestPolicy policy = harness->snapshot->vips[0].request;
    policy.maxHeaders += 8;
    policy.maxHeaderBytes += 1024;
    return policy;
  }();
  if (size < 3) return 0;
  const bool http2Server = data[0] & 1;
  const size_t split = std::min<size_t>(size - 3, data[1] | data[2] << 8);
  SessionHarness::Script script;
  script.client = std::string(kPreface, sizeof kPreface - 1) +
                  std::string(reinterpret_cast<const char*>(data + 3), split);
  script.origin.assign(reinterpret_cast<const char*>(data + 3 + split), size - 3 - split);
  if (http2Server) script.origin.insert(0, kServerSettings, sizeof kServerSettings);
  script.halfClose = false;  // an HTTP/2 client that half-closes has nothing more to say
  script.answerAfter = [](const std::string& received) { return !received.empty(); };
  const auto servers = harness->converse(http2Server ? 1 : 0, script);
  if (!http2Server) {
    for (const auto& server : servers)
      check(wholeRequests(roomier, server.received));
  }
  return 0;
}
