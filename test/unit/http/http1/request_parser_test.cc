#include "http/http1/request_parser.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <string>

namespace sluice {
namespace {

using Event = Http1RequestParser::Event;

// A copy of a canonical head that outlives the parser.
struct Field {
  std::string name, value;
};
struct Seen {
  std::string method, target, path, query, host, upgradeProtocol;
  std::vector<Field> headers;
  bool chunked = false, hasContentLength = false, keepAlive = false, upgrade = false,
       expectContinue = false;
  uint64_t contentLength = 0;
  unsigned versionMinor = 1;

  explicit Seen(const HttpRequestHead& h)
      : method(h.method),
        target(h.target),
        path(h.path),
        query(h.query),
        host(h.host),
        upgradeProtocol(h.upgradeProtocol),
        chunked(h.chunked),
        hasContentLength(h.hasContentLength),
        keepAlive(h.keepAlive),
        upgrade(h.upgrade),
        expectContinue(h.expectContinue),
        contentLength(h.contentLength),
        versionMinor(h.versionMinor) {
    for (const HttpHeader& f : h.headers)
      headers.push_back({std::string(f.name), std::string(f.value)});
  }
  const Field* field(std::string_view name) const {
    for (const Field& f : headers) {
      if (f.name.size() == name.size() && strncasecmp(f.name.data(), name.data(), name.size()) == 0)
        return &f;
    }
    return nullptr;
  }
};

// Feeds `bytes` to a parser in pieces of `step` bytes (0: all at once), following events.
struct Parsed {
  std::vector<Event> events;  // kHeadComplete / kMessageComplete / kError, in order
  std::vector<Seen> heads;
  int status = 0;
  std::string reason;
  size_t consumed = 0;
  std::string body;  // what the parser wrote for the server: bodies, framed by Sluice
};

RequestPolicy policyWith(size_t maxHead = 8192, uint64_t maxBody = 1 << 20) {
  RequestPolicy policy;
  policy.maxHeaderBytes = maxHead;
  policy.maxBody = maxBody;
  policy.defaultHost = "192.0.2.1:80";
  return policy;
}

Parsed parseWith(const RequestPolicy& policy, const std::string& bytes, size_t step = 0) {
  Http1RequestParser parser(policy);
  Parsed out;
  parser.setBodyOutput(&out.body);
  size_t available = step == 0 ? bytes.size() : std::min(step, bytes.size());
  for (;;) {
    const auto result = parser.feed(bytes.data() + out.consumed, available - out.consumed);
    out.consumed += result.consumed;
    switch (result.event) {
      case Event::kError:
        out.events.push_back(Event::kError);
        out.status = parser.error().status;
        out.reason = std::string(parser.error().reason);
        return out;
      case Event::kHeadComplete:
        out.events.push_back(result.event);
        out.heads.emplace_back(parser.head());
        break;
      case Event::kMessageComplete:
        out.events.push_back(result.event);
        if (parser.head().upgrade) parser.nextMessage();  // as if the server declined
        break;
      case Event::kNeedMore:
        if (available == bytes.size()) return out;
        available = std::min(bytes.size(), available + step);
        break;
    }
  }
}

Parsed parse(const std::string& bytes, size_t step = 0, size_t maxHead = 8192,
             uint64_t maxBody = 1 << 20) {
  return parseWith(policyWith(maxHead, maxBody), bytes, step);
}

TEST(Http1RequestParser, ReadsAHeadAndItsBody) {
  const std::string request =
      "POST /cart?item=7 HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\nX-Empty:\r\nX-Spaces:  padded  \r\n\r\nhello";
  const Parsed p = parse(request);
  ASSERT_EQ(p.events, (std::vector<Event>{Event::kHeadComplete, Event::kMessageComplete}));
  const Seen& h = p.heads[0];
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/cart?item=7");
  EXPECT_EQ(h.host, "shop.example.test");
  EXPECT_TRUE(h.hasContentLength);
  EXPECT_EQ(h.contentLength, 5u);
  EXPECT_TRUE(h.expectContinue);
  EXPECT_TRUE(h.keepAlive);
  ASSERT_EQ(h.headers.size(), 4u) << "Content-Length is Sluice's to write";
  EXPECT_EQ(h.headers[2].name, "X-Empty");
  EXPECT_EQ(h.headers[2].value, "");
  EXPECT_EQ(h.headers[3].value, "padded");
  EXPECT_EQ(p.consumed, request.size());
}

TEST(Http1RequestParser, SameResultWhateverTheReadSizes) {
  const std::string request =
      "GET /a HTTP/1.1\r\nHost: a.test\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n";
  for (size_t step = 1; step <= request.size(); ++step) {
    const Parsed p = parse(request, step);
    ASSERT_EQ(p.events, (std::vector<Event>{Event::kHeadComplete, Event::kMessageComplete}))
        << step;
    EXPECT_EQ(p.heads[0].headers.size(), 3u);
    EXPECT_EQ(p.heads[0].headers[1].name, "User-Agent") << step;
    EXPECT_EQ(p.heads[0].headers[1].value, "curl/8") << step;
    EXPECT_EQ(p.heads[0].target, "/a") << step;
  }
}

TEST(Http1RequestParser, PipelinedRequestsComeOneAtATime) {
  const std::string two =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\n\r\nGET /3 HTTP/1.0\r\n\r\n";
  const Parsed p = parse(two);
  ASSERT_EQ(p.heads.size(), 3u);
  EXPECT_EQ(p.heads[0].target, "/1");
  EXPECT_EQ(p.heads[1].target, "/2");
  EXPECT_TRUE(p.heads[1].chunked);
  EXPECT_EQ(p.heads[2].target, "/3");
  EXPECT_FALSE(p.heads[2].keepAlive) << "HTTP/1.0 without keep-alive";
  EXPECT_EQ(p.events.back(), Event::kMessageComplete);
  EXPECT_EQ(p.consumed, two.size());
}

TEST(Http1RequestParser, ReportsWhereEachMessageEnds) {
  const std::string first = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
  const std::string both = first + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  const RequestPolicy policy = policyWith();
  Http1RequestParser parser(policy);
  auto head = parser.feed(both.data(), both.size());
  ASSERT_EQ(head.event, Event::kHeadComplete);
  EXPECT_EQ(head.consumed, first.size() - 3) << "the head ends before the body";
  auto body = parser.feed(both.data() + head.consumed, both.size() - head.consumed);
  ASSERT_EQ(body.event, Event::kMessageComplete);
  EXPECT_EQ(head.consumed + body.consumed, first.size());
}

TEST(Http1RequestParser, SeesUpgradeRequests) {
  const Parsed p =
      parse("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_FALSE(p.heads.empty());
  EXPECT_TRUE(p.heads[0].upgrade);
}

// Each of these is read differently by some server or proxy, which is how requests get
// smuggled past a front end: every one must be refused, with 400 unless noted.
struct Smuggling {
  const char* name;
  const char* request;
  int status;
  int badBodyByte = -1;  // body-level: offset after the head of the first invalid byte
};

TEST(Http1RequestParser, RefusesEveryRequestSmugglingVariant) {
  const Smuggling cases[] = {
      {"CL and TE",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"TE and CL",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "4\r\n\r\n0\r\n\r\n",
       400},
      {"duplicate CL",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400},
      {"conflicting CL",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
      {"CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400},
      {"TE not last chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501},
      {"TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
      {"TE twice",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       501},
      {"TE gzip then chunked",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"TE in HTTP/1.0",
       "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"space before colon",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
      {"space in name", "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400},
      {"obs-fold tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
      {"bare LF in headers", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
      {"control char in value", "GET / HTTP/1.1\r\nHost: a\x01z\r\n\r\n", 400},
      {"bad chunk size",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
       400, 0},
      {"chunk size LF only",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n", 400, 1},
      {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"bad version", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
      {"HTTP/2.0 over HTTP/1", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
      {"HTTP/0.9 version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
      {"Connection names Content-Length",
       "POST /x HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: 3\r\n\r\nabc",
       400},
      {"Connection names Transfer-Encoding",
       "POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, transfer-encoding\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"Connection names Host", "GET / HTTP/1.1\r\nHost: a\r\nConnection: HOST\r\n\r\n", 400},
      {"Connection with a non-token", "GET / HTTP/1.1\r\nHost: a\r\nConnection: a b\r\n\r\n", 400},
      {"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      {"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 400},
      {"absolute-form disagreeing", "GET http://b/admin HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"absolute-form other scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"climb above the root", "GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"encoded climb", "GET /a/%2e%2e/%2E%2E/b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bad escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
      {"head ending LF LF", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
      {"chunk data without CRLF",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", 400,
       8},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
  };
  for (const Smuggling& c : cases) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
      const Parsed p = parse(c.request, step);
      ASSERT_FALSE(p.events.empty()) << c.name;
      EXPECT_EQ(p.events.back(), Event::kError) << c.name << " (step " << step << ")";
      EXPECT_EQ(p.status, c.status) << c.name << ": " << p.reason;
      if (c.badBodyByte < 0) {
        EXPECT_TRUE(p.heads.empty()) << c.name << ": no head may reach the proxy";
      } else {
        const std::string request = c.request;
        EXPECT_LE(p.consumed, request.find("\r\n\r\n") + 4 + c.badBodyByte)
            << c.name << ": nothing from the first invalid byte on is consumed";
      }
    }
  }
}

TEST(Http1RequestParser, RefusesAHeadOverTheLimitWith431) {
  const std::string request =
      "GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(9000, 'c') + "\r\n\r\n";
  const Parsed p = parse(request, 0, 8192);
  EXPECT_EQ(p.status, 431);
  EXPECT_LE(p.consumed, 8192u);
  // Fed slowly, the same.
  EXPECT_EQ(parse(request, 100, 8192).status, 431);
  // Just under the limit is fine.
  const std::string fits = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'x') + "\r\n\r\n";
  EXPECT_EQ(parse(fits, 0, fits.size() + 1).events.front(), Event::kHeadComplete);
}

TEST(Http1RequestParser, RefusesABodyOverTheLimitWith413) {
  // Announced by Content-Length: refused at the head, before any body byte.
  const Parsed announced =
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 0, 8192, 1000);
  EXPECT_EQ(announced.status, 413);
  EXPECT_TRUE(announced.heads.empty());
  // Chunked: refused once the chunks pass the limit.
  std::string chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i)
    chunked += "200\r\n" + std::string(512, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  const Parsed streamed = parse(chunked, 0, 8192, 1000);
  EXPECT_EQ(streamed.events.front(), Event::kHeadComplete);
  EXPECT_EQ(streamed.status, 413);
}

TEST(Http1RequestParser, HandlesGarbageWithoutCrashing) {
  std::string bytes;
  uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    bytes.clear();
    for (int i = 0; i < 64; ++i) {
      state = state * 1103515245 + 12345;
      const char alphabet[] = "GET / HTTP/1.1\r\n: chunked0123456789abcdefHost";
      bytes.push_back(alphabet[(state >> 16) % (sizeof alphabet - 1)]);
    }
    parse(bytes, 1 + round % 9);
  }
}

}  // namespace
}  // namespace sluice
