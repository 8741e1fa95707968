// libFuzzer target: the request parser and the canonical request. Whatever the client's bytes
// and however they are cut into reads, every request Sluice would forward must re-parse,
// strictly, to the very request the rules saw (same method, target, host, fields and body),
// and re-framing it must change nothing: no byte reaches a server outside a parsed message.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http/hop_by_hop.h"
#include "http/http1/request_parser.h"
#include "http/proxy/upstream_request.h"

namespace sluice {
namespace {

// What must survive forwarding, copied out of the parser.
struct Canonical {
  std::string method, target, path, query, host, upgradeProtocol;
  std::vector<std::pair<std::string, std::string>> fields;  // without forwarding claims
  bool chunked = false, hasContentLength = false, upgrade = false;
  uint64_t contentLength = 0;

  explicit Canonical(const HttpRequestHead& h)
      : method(h.method),
        target(h.target),
        path(h.path),
        query(h.query),
        host(h.host),
        upgradeProtocol(h.upgradeProtocol),
        chunked(h.chunked),
        hasContentLength(h.hasContentLength),
        upgrade(h.upgrade),
        contentLength(h.contentLength) {
    for (const HttpHeader& f : h.headers) {
      if (!isForwardingClaim(f.name)) fields.emplace_back(f.name, f.value);
    }
  }
  bool operator==(const Canonical&) const = default;
};

void check(bool condition) {
  if (!condition) __builtin_trap();
}

RequestPolicy fuzzPolicy() {
  RequestPolicy policy;
  policy.maxHeaderBytes = 4096;
  policy.maxHeaders = 40;
  policy.maxBody = 1 << 16;
  policy.defaultHost = "192.0.2.1:80";
  return policy;
}

// The forwarded request (head and re-framed body) parsed again by a fresh parser: one whole
// message, consuming every byte, equal to the first.
void checkReparses(const RequestPolicy& policy, const Canonical& sent, const std::string& wire,
                   const std::string& body) {
  // The server's limits leave room for the fields Sluice adds (X-Forwarded-*).
  RequestPolicy roomier = policy;
  roomier.maxHeaders += 8;
  roomier.maxHeaderBytes += 1024;
  Http1RequestParser again(roomier);
  std::string rebody;
  again.setBodyOutput(&rebody);
  auto head = again.feed(wire.data(), wire.size());
  check(head.event == Http1RequestParser::Event::kHeadComplete);
  check(Canonical(again.head()) == sent);
  auto rest = again.feed(wire.data() + head.consumed, wire.size() - head.consumed);
  check(rest.event == Http1RequestParser::Event::kMessageComplete);
  check(head.consumed + rest.consumed == wire.size());
  check(rebody == body);  // re-framing what Sluice framed is the identity
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  if (size < 1) return 0;
  static const RequestPolicy policy = fuzzPolicy();
  static const SocketAddress client = *SocketAddress::parse("198.51.100.7:5000");
  const size_t step = 1 + data[0] % 64;  // the client's bytes arrive `step` at a time
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  Http1RequestParser parser(policy);
  std::string body;
  parser.setBodyOutput(&body);
  std::string wire;  // the current request as it would go to the server
  size_t consumed = 0, available = std::min(step, bytes.size());
  bool inBody = false;
  for (int events = 0; events < 10000; ++events) {
    const auto result = parser.feed(bytes.data() + consumed, available - consumed);
    consumed += result.consumed;
    switch (result.event) {
      case Http1RequestParser::Event::kError:
        return 0;
      case Http1RequestParser::Event::kHeadComplete: {
        wire.clear();
        body.clear();
        ForwardingContext context{&client, false, "https", 443, false};
        writeUpstreamRequestHead(parser.head(), context, wire);
        inBody = true;
        break;
      }
      case Http1RequestParser::Event::kMessageComplete: {
        check(inBody);
        inBody = false;
        const Canonical sent(parser.head());
        const bool upgrade = parser.head().upgrade;
        checkReparses(policy, sent, wire + body, body);
        if (upgrade) return 0;  // what follows is another protocol
        break;
      }
      case Http1RequestParser::Event::kNeedMore:
        if (available == bytes.size()) return 0;
        // Body bytes were forwarded: the framing output only ever grows by whole pieces.
        available = std::min(bytes.size(), available + step);
        break;
    }
  }
  return 0;
}
