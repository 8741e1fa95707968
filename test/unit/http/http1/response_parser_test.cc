#include "http/http1/response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

using Event = Http1ResponseParser::Event;

struct Parsed {
  std::vector<Event> events;
  std::vector<unsigned> statuses;
  HttpResponseHead last;
  size_t consumed = 0;
  std::string body;  // as framed for the client
};

// Feeds `bytes` in pieces of `step` (0: at once), following the parser's contract.
Parsed parse(Http1ResponseParser& parser, const std::string& bytes, size_t step = 0,
             BodyFramer::Mode mode = BodyFramer::Mode::kChunked) {
  Parsed out;
  size_t available = step == 0 ? bytes.size() : std::min(step, bytes.size());
  for (;;) {
    const auto result = parser.feed(bytes.data() + out.consumed, available - out.consumed);
    out.consumed += result.consumed;
    if (result.event == Event::kNeedMore) {
      if (available == bytes.size()) return out;
      available = std::min(bytes.size(), available + step);
      continue;
    }
    out.events.push_back(result.event);
    if (result.event == Event::kError) return out;
    if (result.event == Event::kHeadComplete) {
      out.statuses.push_back(parser.head().status);
      out.last = parser.head();
      if (parser.head().upgrade) return out;  // the rest is another protocol
      parser.frameBody(&out.body, parser.head().chunked ? mode : BodyFramer::Mode::kRaw);
    }
  }
}

TEST(Http1ResponseParser, ReadsContentLengthAndChunkedResponsesInAnySteps) {
  const std::string two =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: origin\r\n\r\nhello"
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{13}}) {
    Http1ResponseParser parser;
    const Parsed p = parse(parser, two, step);
    EXPECT_EQ(p.events, (std::vector<Event>{Event::kHeadComplete, Event::kMessageComplete,
                                            Event::kHeadComplete, Event::kMessageComplete}))
        << step;
    EXPECT_EQ(p.statuses, (std::vector<unsigned>{200, 201}));
    EXPECT_TRUE(p.last.chunked);
    EXPECT_TRUE(p.last.keepAlive);
    EXPECT_EQ(p.consumed, two.size());
  }
}

TEST(Http1ResponseParser, InterimResponsesComeFirst) {
  Http1ResponseParser parser;
  const Parsed p =
      parse(parser, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(p.statuses, (std::vector<unsigned>{100, 200}));
  EXPECT_EQ(p.events.back(), Event::kMessageComplete);
}

TEST(Http1ResponseParser, AHeadRequestsResponseHasNoBody) {
  Http1ResponseParser parser;
  parser.expect(true);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  const Parsed p = parse(parser, response);
  EXPECT_EQ(p.events, (std::vector<Event>{Event::kHeadComplete, Event::kMessageComplete}));
  EXPECT_EQ(p.last.contentLength, 1000u);
  EXPECT_EQ(p.consumed, response.size());
}

TEST(Http1ResponseParser, NoContentAndNotModifiedHaveNoBody) {
  Http1ResponseParser parser;
  const Parsed p = parse(parser,
                         "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n"
                         "Content-Length: 10\r\n\r\n");
  EXPECT_EQ(p.statuses, (std::vector<unsigned>{204, 304}));
  EXPECT_EQ(p.events.back(), Event::kMessageComplete);
}

TEST(Http1ResponseParser, ABodyDelimitedByCloseEndsAtEof) {
  Http1ResponseParser parser;
  const Parsed p = parse(parser, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome bytes");
  EXPECT_EQ(p.events, (std::vector<Event>{Event::kHeadComplete}));
  EXPECT_FALSE(p.last.keepAlive);
  EXPECT_TRUE(parser.finishAtEof());

  Http1ResponseParser cut;
  parse(cut, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some");
  EXPECT_FALSE(cut.finishAtEof()) << "a body shorter than its Content-Length is cut short";
}

TEST(Http1ResponseParser, SeesSwitchingProtocols) {
  Http1ResponseParser parser;
  const Parsed p = parse(parser,
                         "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                         "Upgrade: websocket\r\n\r\n\x81\x05hello");
  ASSERT_FALSE(p.statuses.empty());
  EXPECT_TRUE(p.last.upgrade);
}

TEST(Http1ResponseParser, ReChunksTheBodyAndForwardsOnlySafeTrailers) {
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
      "005;ext=\"x\"\r\nhello\r\n1\r\n!\r\n0\r\nX-Checksum: 42\r\nSet-Cookie: evil=1\r\n"
      "Content-Length: 9\r\n\r\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{5}}) {
    Http1ResponseParser parser;
    const Parsed p = parse(parser, response, step);
    ASSERT_FALSE(p.events.empty());
    EXPECT_EQ(p.events.back(), Event::kMessageComplete) << step;
    EXPECT_EQ(p.body, "5\r\nhello\r\n1\r\n!\r\n0\r\nX-Checksum: 42\r\n\r\n") << step;
    ASSERT_EQ(p.last.headers.size(), 1u) << "the framing field is Sluice's to write";
    EXPECT_EQ(p.last.headers[0].name, "X-A");
  }
  // An HTTP/1.0 client gets the data alone, delimited by the close.
  Http1ResponseParser parser;
  EXPECT_EQ(parse(parser, response, 0, BodyFramer::Mode::kRaw).body, "hello!");
}

TEST(Http1ResponseParser, DropsHopByHopFieldsAndThoseConnectionNames) {
  Http1ResponseParser parser;
  const std::string response =  // outlives the head, whose views point into it
      "HTTP/1.1 200 OK\r\nConnection: X-Internal, keep-alive\r\n"
      "X-Internal: secret\r\nKeep-Alive: timeout=5\r\nX-Kept: 1\r\nContent-Length: 0\r\n\r\n";
  const Parsed p = parse(parser, response);
  ASSERT_EQ(p.last.headers.size(), 1u);
  EXPECT_EQ(p.last.headers[0].name, "X-Kept");
}

TEST(Http1ResponseParser, RefusesMalformedResponses) {
  for (const char* bad : {"HTTP/1.1 2000 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\n"
                          "Content-Length: 2\r\n\r\nok",
                          "HTTP/1.1 200 OK\r\nConnection: transfer-encoding\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                          "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\n\r\n",
                          "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
                          "Content-Length: 2\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "SSH-2.0-OpenSSH\r\n"}) {
    Http1ResponseParser parser;
    const Parsed p = parse(parser, bad);
    ASSERT_FALSE(p.events.empty()) << bad;
    EXPECT_EQ(p.events.back(), Event::kError) << bad;
  }
}

}  // namespace
}  // namespace sluice
