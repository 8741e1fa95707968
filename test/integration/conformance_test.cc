// The HTTP/1.1 conformance table (RFC 9112, RFC 9110), in the style of HAProxy's reg-tests:
// each case is the bytes a client (or an origin) sends, the status the other side must get,
// and exactly what the origin (or the client) receives, parsed back and compared. Every case
// runs against an http VIP and an https-offload VIP, and after each one a second client's
// canary request must get its own response: no case may leave a byte behind that the next
// user's request would be read with.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>

#include "support/net_helpers.h"
#include "support/recording_origin.h"
#include "support/sluice_process.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// A request case: what the client sends, the status of the first response it gets (0: the
// connection closes without one), and what the origin reads, written as
//   "<request line>|<field>|<field>...|body=<data>|trailer <field>"
// with Sluice's X-Forwarded-* fields left out (checked on their own), several requests joined
// by " ++ ", and "" for nothing at all. `{vip}` stands for the VIP's address. "<cut>": the client
// stopped mid-body, so the origin got the start of the request and then the end of its
// connection (bodies stream), never a whole message.
struct RequestCase {
  const char* name;
  std::string request;
  int status;
  std::string origin;
};

#define HOST "Host: a\r\n"
#define END "\r\n"

const std::vector<RequestCase>& requestCases() {
  static const std::vector<RequestCase> cases = {
      // --- What passes, and how the origin sees it (RFC 9112 §3, §5, §6; RFC 9110 §7.6).
      {"simple GET", "GET / HTTP/1.1\r\n" HOST END, 200, "GET / HTTP/1.1|Host: a"},
      {"query kept", "GET /p?x=1&y HTTP/1.1\r\n" HOST END, 200, "GET /p?x=1&y HTTP/1.1|Host: a"},
      {"empty query kept", "GET /p? HTTP/1.1\r\n" HOST END, 200, "GET /p? HTTP/1.1|Host: a"},
      {"HEAD", "HEAD /h HTTP/1.1\r\n" HOST END, 200, "HEAD /h HTTP/1.1|Host: a"},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" HOST END, 200, "OPTIONS * HTTP/1.1|Host: a"},
      {"DELETE", "DELETE /d HTTP/1.1\r\n" HOST END, 200, "DELETE /d HTTP/1.1|Host: a"},
      {"PATCH with a body", "PATCH /p HTTP/1.1\r\n" HOST "Content-Length: 2\r\n\r\nab", 200,
       "PATCH /p HTTP/1.1|Host: a|Content-Length: 2|body=ab"},
      {"POST Content-Length", "POST /p HTTP/1.1\r\n" HOST "Content-Length: 3\r\n\r\nabc", 200,
       "POST /p HTTP/1.1|Host: a|Content-Length: 3|body=abc"},
      {"POST Content-Length 0", "POST /p HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n", 200,
       "POST /p HTTP/1.1|Host: a|Content-Length: 0"},
      {"Content-Length leading zeros", "POST /p HTTP/1.1\r\n" HOST "Content-Length: 003\r\n\r\nabc",
       200, "POST /p HTTP/1.1|Host: a|Content-Length: 3|body=abc"},
      {"Content-Length moved to Sluice's place",
       "POST /p HTTP/1.1\r\nContent-Length: 1\r\n" HOST "X: y\r\n\r\nz", 200,
       "POST /p HTTP/1.1|Host: a|X: y|Content-Length: 1|body=z"},
      {"chunked",
       "PUT /p HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 200,
       "PUT /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=hello"},
      {"chunked, TE any case",
       "PUT /p HTTP/1.1\r\n" HOST "transfer-encoding: CHUNKED\r\n\r\n1\r\nx\r\n0\r\n\r\n", 200,
       "PUT /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=x"},
      {"chunk extensions dropped",
       "POST /p HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n1;c\r\nd\r\n0;z\r\n\r\n",
       200, "POST /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=abcd"},
      // llhttp 8 reads one extension per chunk; more are refused, never passed on.
      {"two extensions on a chunk",
       "POST /p HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n3;a=b;c\r\nabc\r\n0\r\n\r\n",
       400, ""},
      {"chunk sizes in any hex",
       "POST /p HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0\r\n\r\n",
       200, "POST /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=0123456789"},
      {"many chunks",
       "POST /p HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n2\r\ncd\r\n0\r\n\r\n",
       200, "POST /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=abcd"},
      {"a safe trailer is forwarded",
       "POST /p HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 1\r\n\r\n",
       200, "POST /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=x|trailer X-Sum: 1"},
      {"framing and routing trailers are dropped",
       "POST /p HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nContent-Length: 5\r\n"
       "Host: evil\r\nCookie: s=1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Ok: 1\r\n\r\n",
       200, "POST /p HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=x|trailer X-Ok: 1"},
      {"HTTP/1.0 without Host gets the VIP's", "GET /old HTTP/1.0\r\n\r\n", 200,
       "GET /old HTTP/1.1|Host: {vip}"},
      {"HTTP/1.0 with Host", "GET /old HTTP/1.0\r\n" HOST END, 200, "GET /old HTTP/1.1|Host: a"},
      {"HTTP/1.0 keep-alive", "GET /old HTTP/1.0\r\n" HOST "Connection: keep-alive\r\n\r\n", 200,
       "GET /old HTTP/1.1|Host: a"},
      {"HTTP/1.0 POST", "POST /old HTTP/1.0\r\n" HOST "Content-Length: 2\r\n\r\nhi", 200,
       "POST /old HTTP/1.1|Host: a|Content-Length: 2|body=hi"},
      {"field order kept", "GET / HTTP/1.1\r\nB: 2\r\n" HOST "A: 1\r\n\r\n", 200,
       "GET / HTTP/1.1|B: 2|Host: a|A: 1"},
      {"values trimmed", "GET / HTTP/1.1\r\n" HOST "X:   v  \t\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: v"},
      {"no space after the colon", "GET / HTTP/1.1\r\nHost:a\r\nX:v\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: v"},
      {"empty value", "GET / HTTP/1.1\r\n" HOST "X:\r\n\r\n", 200, "GET / HTTP/1.1|Host: a|X: "},
      {"repeated fields kept", "GET / HTTP/1.1\r\n" HOST "X: 1\r\nX: 2\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: 1|X: 2"},
      {"field name case kept", "GET / HTTP/1.1\r\n" HOST "x-lower: 1\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|x-lower: 1"},
      {"tab inside a value", "GET / HTTP/1.1\r\n" HOST "X: a\tb\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: a\tb"},
      {"obs-text in a value", "GET / HTTP/1.1\r\n" HOST "X: caf\xc3\xa9\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: caf\xc3\xa9"},
      {"token characters in a name", "GET / HTTP/1.1\r\n" HOST "X!#$%&'*+-.^_`|~: 1\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X!#$%&'*+-.^_`|~: 1"},
      {"cookies kept", "GET / HTTP/1.1\r\n" HOST "Cookie: a=1; b=2\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|Cookie: a=1; b=2"},
      {"Expect: 100-continue kept",
       "POST /p HTTP/1.1\r\n" HOST "Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 200,
       "POST /p HTTP/1.1|Host: a|Expect: 100-continue|Content-Length: 1|body=x"},
      {"Expect from HTTP/1.0 dropped",
       "POST /p HTTP/1.0\r\n" HOST "Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 200,
       "POST /p HTTP/1.1|Host: a|Content-Length: 1|body=x"},
      {"empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n" HOST END, 200,
       "GET / HTTP/1.1|Host: a"},
      {"Host with a port", "GET / HTTP/1.1\r\nHost: a:8080\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a:8080"},
      {"Host IPv4", "GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: 192.0.2.1"},
      {"Host IPv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: [2001:db8::1]:8080"},
      {"long value within limits",
       "GET / HTTP/1.1\r\n" HOST "X: " + std::string(4000, 'v') + "\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X: " + std::string(4000, 'v')},
      {"pipelined GETs", "GET /1 HTTP/1.1\r\n" HOST "\r\nGET /2 HTTP/1.1\r\n" HOST END, 200,
       "GET /1 HTTP/1.1|Host: a ++ GET /2 HTTP/1.1|Host: a"},
      {"pipelined POST then GET",
       "POST /1 HTTP/1.1\r\n" HOST "Content-Length: 2\r\n\r\nhiGET /2 HTTP/1.1\r\n" HOST END, 200,
       "POST /1 HTTP/1.1|Host: a|Content-Length: 2|body=hi ++ GET /2 HTTP/1.1|Host: a"},
      {"pipelined chunked then GET",
       "POST /1 HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n" HOST END,
       200,
       "POST /1 HTTP/1.1|Host: a|Transfer-Encoding: chunked|body=q ++ GET /2 HTTP/1.1|Host: a"},
      {"Connection: close ends after one",
       "GET /1 HTTP/1.1\r\n" HOST "Connection: close\r\n\r\nGET /2 HTTP/1.1\r\n" HOST END, 200,
       "GET /1 HTTP/1.1|Host: a"},
      {"HTTP/1.0 ends after one", "GET /1 HTTP/1.0\r\n" HOST "\r\nGET /2 HTTP/1.1\r\n" HOST END,
       200, "GET /1 HTTP/1.1|Host: a"},

      // --- Hop-by-hop fields never reach the origin (RFC 9110 §7.6.1).
      {"Connection: close not forwarded", "GET / HTTP/1.1\r\n" HOST "Connection: close\r\n\r\n",
       200, "GET / HTTP/1.1|Host: a"},
      {"Connection: keep-alive not forwarded",
       "GET / HTTP/1.1\r\n" HOST "Connection: keep-alive\r\n\r\n", 200, "GET / HTTP/1.1|Host: a"},
      {"a field Connection names is dropped",
       "GET / HTTP/1.1\r\n" HOST "Connection: X-Foo\r\nX-Foo: 1\r\nX-Bar: 2\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a|X-Bar: 2"},
      {"Connection names across fields",
       "GET / HTTP/1.1\r\n" HOST "Connection: x-a\r\nConnection: X-B\r\nX-A: 1\r\nX-B: 2\r\n\r\n",
       200, "GET / HTTP/1.1|Host: a"},
      {"Connection with empty elements",
       "GET / HTTP/1.1\r\n" HOST "Connection: ,, x-a ,\r\nX-A: 1\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"Keep-Alive dropped", "GET / HTTP/1.1\r\n" HOST "Keep-Alive: timeout=5\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"Proxy-Connection dropped", "GET / HTTP/1.1\r\n" HOST "Proxy-Connection: keep-alive\r\n\r\n",
       200, "GET / HTTP/1.1|Host: a"},
      {"TE dropped", "GET / HTTP/1.1\r\n" HOST "TE: trailers\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"Trailer dropped", "GET / HTTP/1.1\r\n" HOST "Trailer: X-Sum\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"the reserved field Close dropped", "GET / HTTP/1.1\r\n" HOST "Close: x\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"Upgrade without Connection: upgrade dropped",
       "GET / HTTP/1.1\r\n" HOST "Upgrade: websocket\r\n\r\n", 200, "GET / HTTP/1.1|Host: a"},
      {"h2c upgrade dropped",
       "GET / HTTP/1.1\r\n" HOST "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: "
       "h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
       200, "GET / HTTP/1.1|Host: a"},
      {"HTTP2-Settings alone dropped",
       "GET / HTTP/1.1\r\n" HOST "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"upgrade to an unknown protocol dropped",
       "GET / HTTP/1.1\r\n" HOST "Connection: upgrade\r\nUpgrade: foo/2\r\n\r\n", 200,
       "GET / HTTP/1.1|Host: a"},
      {"upgrade with a body is no upgrade",
       "POST / HTTP/1.1\r\n" HOST
       "Connection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 1\r\n\r\nx",
       200, "POST / HTTP/1.1|Host: a|Content-Length: 1|body=x"},
      {"a spoofed X-Forwarded-For is dropped",
       "GET / HTTP/1.1\r\n" HOST
       "X-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n\r\n",
       200, "GET / HTTP/1.1|Host: a"},

      // --- One target and one host (RFC 9112 §3.2).
      {"absolute-form reduced to origin-form", "GET http://a/p?q HTTP/1.1\r\n" HOST END, 200,
       "GET /p?q HTTP/1.1|Host: a"},
      {"absolute-form https", "GET https://a/p HTTP/1.1\r\n" HOST END, 200,
       "GET /p HTTP/1.1|Host: a"},
      {"absolute-form with a port", "GET http://a:8080/p HTTP/1.1\r\nHost: a:8080\r\n\r\n", 200,
       "GET /p HTTP/1.1|Host: a:8080"},
      {"absolute-form any case", "GET HTTP://A/p HTTP/1.1\r\n" HOST END, 200,
       "GET /p HTTP/1.1|Host: a"},
      {"absolute-form without a path", "GET http://a HTTP/1.1\r\n" HOST END, 200,
       "GET / HTTP/1.1|Host: a"},
      {"absolute-form with only a query", "GET http://a?x=1 HTTP/1.1\r\n" HOST END, 200,
       "GET /?x=1 HTTP/1.1|Host: a"},
      {"absolute-form gives HTTP/1.0 its Host", "GET http://a/p HTTP/1.0\r\n\r\n", 200,
       "GET /p HTTP/1.1|Host: a"},
      {"absolute-form path normalised", "GET http://a/x/../%61dmin HTTP/1.1\r\n" HOST END, 200,
       "GET /admin HTTP/1.1|Host: a"},
      {"absolute-form disagreeing with Host", "GET http://b/ HTTP/1.1\r\n" HOST END, 400, ""},
      {"absolute-form port disagreeing", "GET http://a:81/ HTTP/1.1\r\nHost: a:80\r\n\r\n", 400,
       ""},
      {"absolute-form other scheme", "GET ftp://a/ HTTP/1.1\r\n" HOST END, 400, ""},
      {"absolute-form with userinfo", "GET http://u@a/ HTTP/1.1\r\n" HOST END, 400, ""},
      {"absolute-form with no authority", "GET http:///p HTTP/1.1\r\n" HOST END, 400, ""},
      {"relative target", "GET p HTTP/1.1\r\n" HOST END, 400, ""},
      {"fragment in the target", "GET /a#b HTTP/1.1\r\n" HOST END, 400, ""},
      {"fragment alone", "GET /# HTTP/1.1\r\n" HOST END, 400, ""},
      {"asterisk with GET", "GET * HTTP/1.1\r\n" HOST END, 400, ""},
      {"no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400, ""},
      {"two Hosts", "GET / HTTP/1.1\r\n" HOST "Host: b\r\n\r\n", 400, ""},
      {"two equal Hosts", "GET / HTTP/1.1\r\n" HOST HOST END, 400, ""},
      {"Host with a space inside", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, ""},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, ""},
      {"Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, ""},
      {"Host with a query", "GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", 400, ""},
      {"empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 400, ""},
      {"Host with a bad port", "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", 400, ""},
      {"Host with a long port", "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400, ""},
      {"Host with an open bracket", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, ""},
      {"Host with a backslash", "GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n", 400, ""},

      // --- Normalised paths (RFC 3986 §5.2.4, §6.2.2).
      {"unreserved escape decoded", "GET /%61%62 HTTP/1.1\r\n" HOST END, 200,
       "GET /ab HTTP/1.1|Host: a"},
      {"tilde decoded", "GET /%7euser HTTP/1.1\r\n" HOST END, 200, "GET /~user HTTP/1.1|Host: a"},
      {"reserved escape upper-cased", "GET /a%2fb HTTP/1.1\r\n" HOST END, 200,
       "GET /a%2Fb HTTP/1.1|Host: a"},
      {"space escape kept", "GET /a%20b HTTP/1.1\r\n" HOST END, 200, "GET /a%20b HTTP/1.1|Host: a"},
      {"double slash merged", "GET //a HTTP/1.1\r\n" HOST END, 200, "GET /a HTTP/1.1|Host: a"},
      {"many slashes merged", "GET /a///b//c HTTP/1.1\r\n" HOST END, 200,
       "GET /a/b/c HTTP/1.1|Host: a"},
      {"dot segment removed", "GET /./a HTTP/1.1\r\n" HOST END, 200, "GET /a HTTP/1.1|Host: a"},
      {"dot-dot segment resolved", "GET /a/b/../c HTTP/1.1\r\n" HOST END, 200,
       "GET /a/c HTTP/1.1|Host: a"},
      {"trailing dot", "GET /a/. HTTP/1.1\r\n" HOST END, 200, "GET /a/ HTTP/1.1|Host: a"},
      {"trailing dot-dot", "GET /a/b/.. HTTP/1.1\r\n" HOST END, 200, "GET /a/ HTTP/1.1|Host: a"},
      {"escaped dots resolved", "GET /a/%2e%2E/b HTTP/1.1\r\n" HOST END, 200,
       "GET /b HTTP/1.1|Host: a"},
      {"trailing slash kept", "GET /a/ HTTP/1.1\r\n" HOST END, 200, "GET /a/ HTTP/1.1|Host: a"},
      {"dots inside names kept", "GET /a..b/.c/d. HTTP/1.1\r\n" HOST END, 200,
       "GET /a..b/.c/d. HTTP/1.1|Host: a"},
      {"sub-delims kept", "GET /a;b=c,d+e!$&'()* HTTP/1.1\r\n" HOST END, 200,
       "GET /a;b=c,d+e!$&'()* HTTP/1.1|Host: a"},
      {"query never normalised", "GET /p?a=%61/../&b=//x HTTP/1.1\r\n" HOST END, 200,
       "GET /p?a=%61/../&b=//x HTTP/1.1|Host: a"},
      {"climb above the root", "GET /../etc/passwd HTTP/1.1\r\n" HOST END, 400, ""},
      {"climb after a segment", "GET /a/../../x HTTP/1.1\r\n" HOST END, 400, ""},
      {"escaped climb", "GET /%2e%2e/x HTTP/1.1\r\n" HOST END, 400, ""},
      {"mixed-case escaped climb", "GET /%2E%2e/ HTTP/1.1\r\n" HOST END, 400, ""},
      {"bad escape", "GET /a%zz HTTP/1.1\r\n" HOST END, 400, ""},
      {"short escape", "GET /a%4 HTTP/1.1\r\n" HOST END, 400, ""},
      {"escape at the end", "GET /a% HTTP/1.1\r\n" HOST END, 400, ""},

      // --- A Connection option never strips framing or Host.
      {"Connection names Content-Length",
       "POST /x HTTP/1.1\r\n" HOST "Connection: Content-Length\r\nContent-Length: 3\r\n\r\nabc",
       400, ""},
      {"Connection names Transfer-Encoding",
       "POST /x HTTP/1.1\r\n" HOST
       "Connection: transfer-encoding\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, ""},
      {"Connection names Host", "GET / HTTP/1.1\r\n" HOST "Connection: host\r\n\r\n", 400, ""},
      {"Connection names Host among others",
       "GET / HTTP/1.1\r\n" HOST "Connection: close, X, HOST\r\n\r\n", 400, ""},
      {"a second Connection field names Host",
       "GET / HTTP/1.1\r\n" HOST "Connection: x\r\nConnection: Host\r\n\r\n", 400, ""},
      {"Connection with a non-token", "GET / HTTP/1.1\r\n" HOST "Connection: a b\r\n\r\n", 400, ""},
      {"Connection with a slash", "GET / HTTP/1.1\r\n" HOST "Connection: a/b\r\n\r\n", 400, ""},
      {"the smuggled capture",
       "POST /x HTTP/1.1\r\n" HOST "Connection: Content-Length\r\nContent-Length: 56\r\n\r\n"
       "POST /capture HTTP/1.1\r\n" HOST "Content-Length: 120\r\n\r\n",
       400, ""},

      // --- Framing that two parsers could read differently (RFC 9112 §6).
      {"CL with TE",
       "POST / HTTP/1.1\r\n" HOST
       "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, ""},
      {"TE with CL",
       "POST / HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
       400, ""},
      {"duplicate CL",
       "POST / HTTP/1.1\r\n" HOST "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400, ""},
      {"conflicting CL",
       "POST / HTTP/1.1\r\n" HOST "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, ""},
      {"CL list", "POST / HTTP/1.1\r\n" HOST "Content-Length: 3, 3\r\n\r\nabc", 400, ""},
      {"CL with a sign", "POST / HTTP/1.1\r\n" HOST "Content-Length: +3\r\n\r\nabc", 400, ""},
      {"CL negative", "POST / HTTP/1.1\r\n" HOST "Content-Length: -1\r\n\r\n", 400, ""},
      {"CL hex", "POST / HTTP/1.1\r\n" HOST "Content-Length: 0x3\r\n\r\nabc", 400, ""},
      {"CL with a space inside", "POST / HTTP/1.1\r\n" HOST "Content-Length: 1 2\r\n\r\n", 400, ""},
      {"CL empty", "POST / HTTP/1.1\r\n" HOST "Content-Length:\r\n\r\n", 400, ""},
      {"CL overflowing",
       "POST / HTTP/1.1\r\n" HOST "Content-Length: 99999999999999999999999\r\n\r\n", 400, ""},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, ""},
      {"space before the colon",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400, ""},
      {"space in a name", "GET / HTTP/1.1\r\n" HOST "X Y: 1\r\n\r\n", 400, ""},
      {"empty name", "GET / HTTP/1.1\r\n" HOST ": 1\r\n\r\n", 400, ""},
      {"separator in a name", "GET / HTTP/1.1\r\n" HOST "X(Y): 1\r\n\r\n", 400, ""},
      {"line without a colon", "GET / HTTP/1.1\r\n" HOST "X\r\n\r\n", 400, ""},
      {"obs-fold with a space", "GET / HTTP/1.1\r\n" HOST "X: a\r\n b\r\n\r\n", 400, ""},
      {"obs-fold with a tab", "GET / HTTP/1.1\r\n" HOST "X: a\r\n\tb\r\n\r\n", 400, ""},
      {"whitespace before the first field", "GET / HTTP/1.1\r\n " HOST END, 400, ""},
      {"bare LF everywhere",
       "GET / HTTP/1.1\n"
       "Host: a\n\n",
       400, ""},
      {"bare LF after a field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400, ""},
      {"bare LF ends the head", "GET / HTTP/1.1\r\n" HOST "\n", 400, ""},
      {"bare CR in a value", "GET / HTTP/1.1\r\n" HOST "X: a\rb\r\n\r\n", 400, ""},
      {"bare CR in the request line", "GET / HTTP/1.1\r" HOST END, 400, ""},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\n" HOST "X: a") + '\0' + "b\r\n\r\n", 400,
       ""},
      {"NUL in the target", std::string("GET /a") + '\0' + " HTTP/1.1\r\n" HOST END, 400, ""},
      {"control character in a value", "GET / HTTP/1.1\r\n" HOST "X: a\x01z\r\n\r\n", 400, ""},
      {"DEL in a value", "GET / HTTP/1.1\r\n" HOST "X: a\x7fz\r\n\r\n", 400, ""},
      {"space in the target", "GET /a b HTTP/1.1\r\n" HOST END, 400, ""},
      {"tab in the target", "GET /a\tb HTTP/1.1\r\n" HOST END, 400, ""},
      {"two spaces after the method: the origin gets one", "GET  / HTTP/1.1\r\n" HOST END, 200,
       "GET / HTTP/1.1|Host: a"},
      {"space after the version", "GET / HTTP/1.1 \r\n" HOST END, 400, ""},
      {"lower-case version", "GET / http/1.1\r\n" HOST END, 400, ""},
      {"lower-case method", "get / HTTP/1.1\r\n" HOST END, 400, ""},
      {"unknown method", "FROB / HTTP/1.1\r\n" HOST END, 400, ""},
      {"HTTP/0.9 request", "GET /\r\n\r\n", 505, ""},
      {"bad chunk size",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400,
       ""},
      {"chunk size with a sign",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n", 400,
       ""},
      {"chunk size overflowing",
       "POST / HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\na\r\n0\r\n\r\n",
       400, ""},
      {"chunk size ended by LF",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400, ""},
      {"chunk data without CRLF",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n", 400, ""},
      {"chunk data longer than its size",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400,
       ""},
      {"chunk extension too long",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n1;" + std::string(5000, 'e') +
           "\r\na\r\n0\r\n\r\n",
       400, ""},
      {"last chunk ended by a bare LF",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\n", 400, ""},
      {"trailer with obs-fold",
       "POST / HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX: a\r\n b\r\n\r\n",
       400, ""},
      {"Transfer-Encoding in the trailers",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       400, ""},
      {"trailer name not a token",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX Y: a\r\n\r\n",
       400, ""},
      {"body cut short by the client", "POST / HTTP/1.1\r\n" HOST "Content-Length: 10\r\n\r\nabc",
       0, "<cut>"},
      {"chunked body cut short",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n5\r\nab", 0, "<cut>"},

      // --- Codings Sluice does not implement (RFC 9112 §6.1): 501.
      {"TE gzip", "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip\r\n\r\n", 501, ""},
      {"TE gzip then chunked",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, ""},
      {"TE chunked then gzip",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked, gzip\r\n\r\n", 501, ""},
      {"TE chunked twice",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 501, ""},
      {"TE in two fields",
       "POST / HTTP/1.1\r\n" HOST
       "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       501, ""},
      {"TE identity", "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: identity\r\n\r\n", 501, ""},
      {"TE look-alike", "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: xchunked\r\n\r\n", 501, ""},

      // --- Versions (RFC 9112 §2.3): 1.0 and 1.1 only.
      {"HTTP/1.2", "GET / HTTP/1.2\r\n" HOST END, 505, ""},
      {"HTTP/2.0 over HTTP/1", "GET / HTTP/2.0\r\n" HOST END, 505, ""},
      {"HTTP/3.0", "GET / HTTP/3.0\r\n" HOST END, 505, ""},
      {"HTTP/0.9 with a version", "GET / HTTP/0.9\r\n" HOST END, 505, ""},
      {"HTTP/1.10", "GET / HTTP/1.10\r\n" HOST END, 400, ""},

      // --- Methods, limits.
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405, ""},
      {"CL over max_body", "POST / HTTP/1.1\r\n" HOST "Content-Length: 2000\r\n\r\n", 413, ""},
      {"chunks over max_body",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n400\r\n" +
           std::string(1024, 'b') + "\r\n1\r\nb\r\n0\r\n\r\n",
       413, ""},
      {"chunk extensions count toward max_body",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n" +
           [] {
             std::string chunks;
             for (int i = 0; i < 4; ++i)
               chunks += "1;" + std::string(300, 'e') + "\r\nb\r\n";
             return chunks;
           }() +
           "0\r\n\r\n",
       413, ""},
      {"head over max_header_bytes",
       "GET / HTTP/1.1\r\n" HOST "X: " + std::string(9000, 'h') + "\r\n\r\n", 431, ""},
      {"more fields than max_headers",
       "GET / HTTP/1.1\r\n" HOST +
           [] {
             std::string fields;
             for (int i = 0; i < 40; ++i)
               fields += "X-" + std::to_string(i) + ": v\r\n";
             return fields;
           }() +
           "\r\n",
       431, ""},
      {"trailers over max_headers",
       "POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" +
           [] {
             std::string fields;
             for (int i = 0; i < 40; ++i)
               fields += "X-" + std::to_string(i) + ": v\r\n";
             return fields;
           }() +
           "\r\n",
       431, ""},
  };
  return cases;
}

#undef HOST
#undef END

// A response case: the origin's bytes for a GET (HEAD when `head`), the status the client
// gets, and what the client's bytes must and must not contain.
struct ResponseCase {
  const char* name;
  std::string response;
  int status;
  std::vector<std::string> contains = {};
  std::vector<std::string> absent = {};
  const char* method = "GET";
  const char* version = "HTTP/1.1";
};

const std::vector<ResponseCase>& responseCases() {
  static const std::vector<ResponseCase> cases = {
      {"Content-Length response",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok",
       200,
       {"\r\nX-A: 1\r\nContent-Length: 2\r\n", "\r\n\r\nok"}},
      {"chunked response re-chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n003;e=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
       200,
       {"Transfer-Encoding: chunked\r\n", "\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"},
       {"e=1"}},
      {"chunked response to HTTP/1.0 de-chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       200,
       {"Connection: close\r\n", "\r\n\r\nabc"},
       {"Transfer-Encoding", "0\r\n"},
       "GET",
       "HTTP/1.0"},
      {"close-delimited response",
       "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
       200,
       {"Connection: close\r\n", "\r\n\r\nuntil the end"}},
      {"hop-by-hop fields dropped",
       "HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: 1\r\nKeep-Alive: "
       "timeout=9\r\n"
       "Proxy-Connection: x\r\nTrailer: X-T\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n",
       200,
       {"Content-Length: 0\r\n"},
       {"X-Secret", "Keep-Alive", "Proxy-Connection", "Trailer", "Upgrade"}},
      {"the reserved field Close dropped",
       "HTTP/1.1 200 OK\r\nClose: 1\r\nConnection: close\r\n\r\nbody",
       200,
       {"Connection: close\r\n", "\r\n\r\nbody"},
       {"Close: 1"}},
      {"interim 100 passed to HTTP/1.1",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       100,
       {"HTTP/1.1 200 OK\r\n"}},
      {"interim 103 passed to HTTP/1.1",
       "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
       "0\r\n\r\n",
       103,
       {"Link: </a.css>\r\n", "HTTP/1.1 200 OK\r\n"}},
      {"interim kept from HTTP/1.0",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       200,
       {},
       {"100 Continue"},
       "GET",
       "HTTP/1.0"},
      {"HEAD response keeps its length",
       "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n",
       200,
       {"Content-Length: 1234\r\n"},
       {},
       "HEAD"},
      {"304 keeps its length and sends no body",
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\nETag: \"x\"\r\n\r\n",
       304,
       {"Content-Length: 99\r\n", "ETag: \"x\"\r\n"}},
      {"204 has no framing",
       "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
       204,
       {},
       {"Content-Length"}},
      {"HTTP/1.0 server", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, {"\r\n\r\nok"}},
      {"Connection names Content-Length",
       "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello",
       502,
       {},
       {"hello"}},
      {"Connection names Transfer-Encoding",
       "HTTP/1.1 200 OK\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       502,
       {},
       {"hello"}},
      {"TE other than chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
       502,
       {},
       {"xyz"}},
      {"TE gzip then chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
       502,
       {},
       {"xyz"}},
      {"CL with TE",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
       502,
       {},
       {"xyz"}},
      {"conflicting CL",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nxyzw",
       502,
       {},
       {"xyz"}},
      {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 502},
      {"bare LF ends the head", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nok", 502, {}, {"ok"}},
      {"bare LF in the head", "HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok", 502},
      {"space before a colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", 502},
      {"NUL in a field",
       std::string("HTTP/1.1 200 OK\r\nX: a") + '\0' + "\r\nContent-Length: 0\r\n\r\n", 502},
      {"status out of range", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", 502},
      {"status below 100", "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", 502},
      {"HTTP/2.0 status line", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 502},
      {"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", 502},
      {"101 to a request that asked for none",
       "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
       502},
      {"response head never ends: server_response", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
       504},
  };
  return cases;
}

// Which response case a request asks for: /resp/<index>.
std::string originAnswer(const ReceivedRequest& request) {
  const std::string& line = request.requestLine;
  const size_t at = line.find(" /resp/");
  if (at == std::string::npos) return RecordingOrigin::defaultAnswer(request);
  const size_t index = std::stoul(line.substr(at + 7));
  return responseCases().at(index).response;
}

// Reads back what the origin received, in the notation of RequestCase::origin.
std::string describe(const std::vector<ReceivedRequest>& requests) {
  std::string out;
  for (const ReceivedRequest& request : requests) {
    if (!out.empty()) out += " ++ ";
    out += request.requestLine;
    for (const auto& [name, value] : request.fields) {
      if (name == "X-Forwarded-For" || name == "X-Forwarded-Proto" || name == "X-Forwarded-Port") {
        continue;
      }
      out += "|" + name + ": " + value;
    }
    if (!request.body.empty()) out += "|body=" + request.body;
    for (const auto& [name, value] : request.trailers)
      out += "|trailer " + name + ": " + value;
  }
  return out;
}

int statusOf(const std::string& answer) {
  if (answer.size() < 12 || answer.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
  return std::stoi(answer.substr(9, 3));
}

class ConformanceTest : public ::testing::TestWithParam<bool> {
 protected:
  ConformanceTest() : origin_(&originAnswer) {}

  void SetUp() override {
    static const CertFactory::Issued cert = CertFactory::instance().issue({"shop.example.test"});
    const std::string vipHttp =
        "    default_group: web\n"
        "    limits: {max_header_bytes: 8KiB, max_headers: 30, max_body: 1KiB}\n"
        "    timeouts: {client_header: 2s, client_body: 2s, server_response: 2s}\n";
    sluice_ = std::make_unique<SluiceProcess>(
        "global: {workers: 1}\n"
        "certificates:\n  - {name: shop, cert: " +
        cert.cert + ", key: " + cert.key +
        "}\n"
        "server_groups:\n"
        "  - name: web\n    protocol: http\n    timeouts: {connect: 1s, idle: 30s}\n"
        "    servers: [{name: o1, address: " +
        origin_.address() +
        "}]\n"
        "vips:\n"
        "  - name: plain\n    listen: 127.0.0.1:" +
        std::to_string(plainPort_) + "\n    service: http\n" + vipHttp +
        "  - name: shop\n    listen: 127.0.0.1:" + std::to_string(tlsPort_) +
        "\n    service: https-offload\n    certificates: [shop]\n" + vipHttp);
    ASSERT_TRUE(sluice_->waitReady()) << sluice_->stderrText();
  }

  void TearDown() override {
    // Whatever the cases sent, every access-log record is one valid JSON object.
    if (sluice_) {
      EXPECT_NO_THROW(sluice_->accessLog());
    }
  }

  bool tls() const { return GetParam(); }
  uint16_t port() const { return tls() ? tlsPort_ : plainPort_; }
  std::string vipAddress() const { return "127.0.0.1:" + std::to_string(port()); }

  // Sends `bytes` on a new connection, ends the client's side, returns all it gets back.
  std::string exchange(const std::string& bytes) {
    if (tls()) return tlsExchange(tlsPort_, "shop.example.test", bytes, 5s);
    return exchangeOnce(plainPort_, bytes, 5s);
  }

  // A second client's request right after a case: it must get its own answer, and the origin
  // must read it alone.
  void expectCanary(const std::string& after) {
    origin_.clear();
    const std::string answer = exchange(
        "GET /canary HTTP/1.1\r\nHost: a\r\nCookie: secret=1\r\nConnection: close\r\n\r\n");
    EXPECT_NE(answer.find("seen GET /canary HTTP/1.1"), std::string::npos)
        << "after " << after << ":\n"
        << answer;
    const auto requests = origin_.requests();
    ASSERT_EQ(requests.size(), 1u) << "after " << after << ": " << describe(requests);
    EXPECT_EQ(describe(requests), "GET /canary HTTP/1.1|Host: a|Cookie: secret=1") << after;
    EXPECT_EQ(origin_.unparsed(), "") << "after " << after;
  }

  uint16_t plainPort_ = freePort();
  uint16_t tlsPort_ = freePort();
  RecordingOrigin origin_;
  std::unique_ptr<SluiceProcess> sluice_;
};

TEST_P(ConformanceTest, EveryRequestCase) {
  ASSERT_GE(requestCases().size() + responseCases().size(), 150u);
  for (const RequestCase& c : requestCases()) {
    SCOPED_TRACE(c.name);
    origin_.clear();
    const std::string answer = exchange(c.request);
    EXPECT_EQ(statusOf(answer), c.status) << c.name << "\n" << answer;
    std::string expected = c.origin;
    for (size_t at; (at = expected.find("{vip}")) != std::string::npos;) {
      expected.replace(at, 5, vipAddress());
    }
    const auto requests = origin_.requests();
    if (expected == "<cut>") {
      EXPECT_TRUE(requests.empty()) << c.name << ": " << describe(requests);
      EXPECT_TRUE(
          eventually([&] { return origin_.unparsed().rfind("POST / HTTP/1.1\r\n", 0) == 0; }, 5s))
          << c.name << ": " << origin_.unparsed();
      expectCanary(c.name);
      continue;
    }
    EXPECT_EQ(describe(requests), expected) << c.name;
    for (const ReceivedRequest& request : requests) {
      // Sluice's own forwarded fields, once each, whatever the client sent.
      EXPECT_EQ(request.field("X-Forwarded-For"), "127.0.0.1") << c.name;
      EXPECT_EQ(request.field("X-Forwarded-Proto"), tls() ? "https" : "http") << c.name;
      EXPECT_EQ(request.field("X-Forwarded-Port"), std::to_string(port())) << c.name;
    }
    EXPECT_EQ(origin_.unparsed(), "") << c.name << ": the origin read bytes outside a request";
    expectCanary(c.name);
  }
}

TEST_P(ConformanceTest, EveryResponseCase) {
  const auto& cases = responseCases();
  for (size_t i = 0; i < cases.size(); ++i) {
    const ResponseCase& c = cases[i];
    SCOPED_TRACE(c.name);
    const std::string answer =
        exchange(std::string(c.method) + " /resp/" + std::to_string(i) + " " + c.version +
                 "\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(statusOf(answer), c.status) << c.name << "\n" << answer;
    for (const std::string& part : c.contains) {
      EXPECT_NE(answer.find(part), std::string::npos) << c.name << ": wants " << part << "\n"
                                                      << answer;
    }
    for (const std::string& part : c.absent) {
      EXPECT_EQ(answer.find(part), std::string::npos)
          << c.name << ": must not have " << part << "\n"
          << answer;
    }
    // The client's bytes are one response (plus interim ones), nothing after it.
    const size_t finalAt = answer.rfind("HTTP/1.1 ");
    EXPECT_EQ(answer.find("HTTP/1.1 ", finalAt + 1), std::string::npos) << c.name;
    expectCanary(c.name);
  }
}

INSTANTIATE_TEST_SUITE_P(HttpAndHttps, ConformanceTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "HttpsOffload" : "Http"; });

}  // namespace
}  // namespace sluice::test
