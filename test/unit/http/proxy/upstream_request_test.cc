#include "http/proxy/upstream_request.h"

#include <gtest/gtest.h>

#include "http/http1/request_parser.h"

namespace sluice {
namespace {

// The head Sluice sends upstream for `request` from `client`.
std::string upstream(const std::string& request, const char* client, bool trusted,
                     bool rfc7239 = false, std::string_view scheme = "https") {
  RequestPolicy policy;
  policy.defaultHost = "192.0.2.1:80";
  Http1RequestParser parser(policy);
  const auto result = parser.feed(request.data(), request.size());
  EXPECT_EQ(result.event, Http1RequestParser::Event::kHeadComplete) << parser.error().reason;
  const SocketAddress peer = *SocketAddress::parse(client);
  ForwardingContext context{&peer, trusted, scheme, 8443, rfc7239};
  std::string out;
  writeUpstreamRequestHead(parser.head(), context, out);
  return out;
}

// The same request as HTTP/2 fields, "name: value" a line each.
std::string upstreamHttp2(const std::string& request, std::string_view scheme) {
  RequestPolicy policy;
  Http1RequestParser parser(policy);
  const auto result = parser.feed(request.data(), request.size());
  EXPECT_EQ(result.event, Http1RequestParser::Event::kHeadComplete) << parser.error().reason;
  const SocketAddress peer = *SocketAddress::parse("198.51.100.7:50000");
  ForwardingContext context{&peer, false, "https", 443, false};
  Http2FieldList fields;
  writeHttp2UpstreamRequest(parser.head(), context, scheme, fields);
  std::string out;
  const nghttp2_nv* nv = fields.nv();
  for (size_t i = 0; i < fields.size(); ++i) {
    out.append(reinterpret_cast<const char*>(nv[i].name), nv[i].namelen).append(": ");
    out.append(reinterpret_cast<const char*>(nv[i].value), nv[i].valuelen).append("\n");
  }
  return out;
}

TEST(UpstreamRequest, Http2ServersGetPseudoFieldsLowerCaseNamesAndNoConnectionFields) {
  EXPECT_EQ(upstreamHttp2("POST /cart?x=1 HTTP/1.1\r\nHost: shop.example.test\r\n"
                          "Content-Type: text/plain\r\nTE: trailers\r\nConnection: keep-alive\r\n"
                          "Content-Length: 5\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n",
                          "http"),
            ":method: POST\n"
            ":scheme: http\n"
            ":authority: shop.example.test\n"
            ":path: /cart?x=1\n"
            "te: trailers\n"
            "content-type: text/plain\n"
            "content-length: 5\n"
            "x-forwarded-for: 198.51.100.7\n"
            "x-forwarded-proto: https\n"
            "x-forwarded-port: 443\n");
  // A chunked body has no length on HTTP/2: it ends with the stream.
  const std::string chunked =
      upstreamHttp2("PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "https");
  EXPECT_NE(chunked.find(":scheme: https\n"), std::string::npos) << chunked;
  EXPECT_EQ(chunked.find("transfer-encoding"), std::string::npos) << chunked;
  EXPECT_EQ(chunked.find("content-length"), std::string::npos) << chunked;
}

TEST(UpstreamRequest, AddsForwardedHeadersAndKeepsHost) {
  EXPECT_EQ(upstream("GET /cart?x=1 HTTP/1.1\r\nHost: shop.example.test\r\nAccept: */*\r\n\r\n",
                     "198.51.100.7:50000", false),
            "GET /cart?x=1 HTTP/1.1\r\n"
            "Host: shop.example.test\r\n"
            "Accept: */*\r\n"
            "X-Forwarded-For: 198.51.100.7\r\n"
            "X-Forwarded-Proto: https\r\n"
            "X-Forwarded-Port: 8443\r\n"
            "\r\n");
}

TEST(UpstreamRequest, DropsWhatAnUntrustedClientClaims) {
  const std::string out = upstream(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n"
      "X-Forwarded-Host: evil\r\nX-Real-IP: 10.0.0.1\r\nForwarded: for=10.0.0.1\r\n"
      "x-forwarded-port: 1\r\n\r\n",
      "198.51.100.7:50000", false, false, "http");
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: a\r\n"
            "X-Forwarded-For: 198.51.100.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 8443\r\n"
            "\r\n");
}

TEST(UpstreamRequest, ExtendsWhatATrustedProxyTells) {
  const std::string out = upstream(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 10.0.0.2\r\n"
      "X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop\r\n\r\n",
      "10.0.0.3:40000", true, false, "http");
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop\r\n"
            "X-Forwarded-For: 203.0.113.9, 10.0.0.2, 10.0.0.3\r\nX-Forwarded-Port: 8443\r\n\r\n");
}

TEST(UpstreamRequest, AddsRfc7239ForwardedWhenAsked) {
  EXPECT_NE(upstream("GET / HTTP/1.1\r\nHost: shop.example.test:8443\r\n\r\n", "[2001:db8::7]:1",
                     false, true)
                .find("Forwarded: for=\"[2001:db8::7]\";proto=https;host=\"shop.example.test:8443\""
                      "\r\n"),
            std::string::npos);
  const std::string chained =
      upstream("GET / HTTP/1.1\r\nHost: a\r\nForwarded: for=203.0.113.9;proto=https\r\n\r\n",
               "10.0.0.3:1", true, true);
  EXPECT_NE(chained.find("Forwarded: for=203.0.113.9;proto=https, for=10.0.0.3;proto=https;"
                         "host=\"a\"\r\n"),
            std::string::npos)
      << chained;
}

TEST(UpstreamRequest, RemovesHopByHopHeaders) {
  const std::string out = upstream(
      "POST /up HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: 5\r\n"
      "X-Secret: 1\r\nTE: trailers\r\nTrailer: X-T\r\nProxy-Connection: close\r\n"
      "Transfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n",
      "198.51.100.7:1", false);
  EXPECT_EQ(out.substr(0, out.find("X-Forwarded-For")),
            "POST /up HTTP/1.1\r\nHost: a\r\nX-Kept: yes\r\nTransfer-Encoding: chunked\r\n");
}

TEST(UpstreamRequest, WritesItsOwnFramingWhereverTheClientPutIt) {
  const std::string out =
      upstream("POST /up HTTP/1.1\r\ncontent-length:  12 \r\nHost: a\r\nX-Kept: yes\r\n\r\n",
               "198.51.100.7:1", false);
  EXPECT_EQ(out.substr(0, out.find("X-Forwarded-For")),
            "POST /up HTTP/1.1\r\nHost: a\r\nX-Kept: yes\r\nContent-Length: 12\r\n");
}

TEST(UpstreamRequest, DropsAnH2cUpgradeAndItsSettings) {
  const std::string out = upstream(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
      "198.51.100.7:1", false);
  EXPECT_EQ(out.substr(0, out.find("X-Forwarded-For")), "GET / HTTP/1.1\r\nHost: a\r\n");
}

TEST(UpstreamRequest, ForwardsTheNormalisedTargetOfAnAbsoluteFormRequest) {
  const std::string out = upstream("GET http://a/x/../%61dmin//p?q=%61 HTTP/1.1\r\nHost: a\r\n\r\n",
                                   "198.51.100.7:1", false);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "GET /admin/p?q=%61 HTTP/1.1");
}

TEST(UpstreamRequest, GivesAnHttp10RequestWithoutHostTheVipsAddress) {
  const std::string out = upstream("GET / HTTP/1.0\r\n\r\n", "198.51.100.7:1", false);
  EXPECT_NE(out.find("\r\nHost: 192.0.2.1:80\r\n"), std::string::npos) << out;
}

TEST(UpstreamRequest, KeepsTheUpgradeOfAnUpgradeRequest) {
  const std::string out = upstream(
      "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "198.51.100.7:1", false);
  EXPECT_NE(out.find("Connection: upgrade\r\nUpgrade: websocket\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), std::string::npos);
}

TEST(UpstreamRequest, SpeaksHttp11UpstreamForAnHttp10Client) {
  EXPECT_EQ(upstream("GET / HTTP/1.0\r\n\r\n", "198.51.100.7:1", false).substr(0, 16),
            "GET / HTTP/1.1\r\n");
}

}  // namespace
}  // namespace sluice
