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

#include "http/http1/request_parser.h"
#include "session_harness.h"

namespace sluice {
namespace {

using fuzz::check;

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

// The request limits the VIP reads with, and those of what a server may be sent (with room
// for the fields Sluice adds).
struct Limits {
  RequestPolicy reference, roomier;
};

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  using fuzz::SessionHarness;
  // One worker and origin for the whole run.
  static SessionHarness* harness = new SessionHarness([](uint16_t port) {
    return "global: {workers: 1, access_log: \"off\"}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    retries: 0\n"
           "    servers: [{name: o1, address: 127.0.0.1:" +
           std::to_string(port) +
           "}]\n"
           "vips:\n"
           "  - name: plain\n    listen: 127.0.0.1:1\n    service: http\n    default_group: web\n"
           "    limits: {max_header_bytes: 4KiB, max_headers: 40, max_body: 64KiB}\n";
  });
  static const Limits limits = [] {
    Limits l;
    l.reference = harness->snapshot->vips[0].request;
    l.roomier = l.reference;
    l.roomier.maxHeaders += 8;
    l.roomier.maxHeaderBytes += 1024;
    return l;
  }();
  if (size < 2) return 0;
  const size_t split = std::min<size_t>(size - 2, data[0] | data[1] << 8);
  SessionHarness::Script script;
  script.client.assign(reinterpret_cast<const char*>(data + 2), split);
  script.origin.assign(reinterpret_cast<const char*>(data + 2 + split), size - 2 - split);
  // A server connection is answered once a whole request has reached it.
  script.answerAfter = [](const std::string& received) {
    return !parseRequests(limits.roomier, received, false).requests.empty();
  };
  const std::vector<SessionHarness::ServerSide> servers = harness->converse(0, script);

  // What reached the servers: whole requests, strictly, and the client's own, in order.
  const Parsed expected = parseRequests(limits.reference, script.client, true);
  if (getenv("SESSION_FUZZ_DEBUG")) {
    for (const Identity& r : expected.requests)
      fprintf(stderr, "expected %s %s\n", r.method.c_str(), r.target.c_str());
    for (const auto& server : servers)
      fprintf(stderr, "server got [%s]\n", server.received.c_str());
  }
  size_t next = 0;
  for (const auto& server : servers) {
    const Parsed forwarded = parseRequests(limits.roomier, server.received, false);
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
