// libFuzzer target: the response parser and the canonical response. Whatever a server sends,
// a response Sluice forwards must re-parse, strictly, to the same status, fields and body, with
// the framing the client was given, and nothing after it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http/http1/response_parser.h"
#include "http/proxy/client_response.h"

namespace sluice {
namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Final {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  bool operator==(const Final&) const = default;
};

Final finalOf(const HttpResponseHead& head) {
  Final out{head.status, {}};
  for (const HttpHeader& f : head.headers)
    out.fields.emplace_back(f.name, f.value);
  return out;
}

// Reads the client's bytes back: interim heads, then the final one and its body.
bool reparse(const std::string& wire, bool requestWasHead, ResponseFraming framing, Final& final,
             std::string& body) {
  Http1ResponseParser parser(100 + 8);  // the client's limits leave room for Sluice's fields
  parser.expect(requestWasHead);
  size_t consumed = 0;
  for (int events = 0; events < 1000; ++events) {
    const auto result = parser.feed(wire.data() + consumed, wire.size() - consumed);
    consumed += result.consumed;
    switch (result.event) {
      case Http1ResponseParser::Event::kError:
        return false;
      case Http1ResponseParser::Event::kHeadComplete:
        if (parser.head().status >= 200) {
          final = finalOf(parser.head());
          parser.frameBody(&body, BodyFramer::Mode::kRaw);
        }
        break;
      case Http1ResponseParser::Event::kMessageComplete:
        if (final.status != 0) return consumed == wire.size();
        break;
      case Http1ResponseParser::Event::kNeedMore:
        return framing == ResponseFraming::kClose && final.status != 0 && parser.finishAtEof();
    }
  }
  return false;
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  if (size < 1) return 0;
  const bool requestWasHead = data[0] & 1;
  const bool clientHttp10 = data[0] & 2;
  const size_t step = 1 + (data[0] >> 2);
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  Http1ResponseParser parser;
  parser.expect(requestWasHead);
  std::string wire, body;
  Final final;
  ResponseFraming framing = ResponseFraming::kNone;
  size_t consumed = 0, available = std::min(step, bytes.size());
  for (int events = 0; events < 10000; ++events) {
    const size_t before = wire.size();
    const auto result = parser.feed(bytes.data() + consumed, available - consumed);
    consumed += result.consumed;
    (void)before;
    switch (result.event) {
      case Http1ResponseParser::Event::kError:
        return 0;
      case Http1ResponseParser::Event::kHeadComplete: {
        const HttpResponseHead& head = parser.head();
        if (head.upgrade) return 0;
        if (head.status < 200) {
          if (!clientHttp10) writeClientResponseHead(head, {}, wire);
          break;
        }
        framing = clientFraming(head, requestWasHead, clientHttp10);
        final = finalOf(head);
        ClientResponseContext context;
        context.framing = framing;
        context.close = framing == ResponseFraming::kClose;
        writeClientResponseHead(head, context, wire);
        // The body as the client is to get it; its data alone, for the comparison.
        parser.frameBody(&wire, framing == ResponseFraming::kChunked ? BodyFramer::Mode::kChunked
                                                                     : BodyFramer::Mode::kRaw);
        break;
      }
      case Http1ResponseParser::Event::kMessageComplete:
        if (final.status == 0) break;  // an interim response ended
        goto reparse;
      case Http1ResponseParser::Event::kNeedMore:
        if (available == bytes.size()) {
          if (final.status == 0 || !parser.finishAtEof()) return 0;  // cut short: never whole
          goto reparse;
        }
        available = std::min(bytes.size(), available + step);
        break;
    }
  }
  return 0;
reparse:
  Final again;
  std::string rebody;
  check(reparse(wire, requestWasHead, framing, again, rebody));
  // Sluice's own framing fields are the only difference.
  std::vector<std::pair<std::string, std::string>> fields;
  for (auto& f : again.fields) {
    if (f.first != "Content-Length" && f.first != "Transfer-Encoding" && f.first != "Connection") {
      fields.push_back(f);
    }
  }
  again.fields = fields;
  check(again == final);
  return 0;
}
