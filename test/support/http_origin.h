#pragma once

#include <string>

#include "support/test_origin.h"

namespace sluice::test {

// A keep-alive HTTP/1.1 origin for proxy tests, answering by path:
//   /echo         200, body: the request line and headers as received, one per line
//   POST any      200, body: "len=<body bytes> hash=<FNV-1a of the body>" (Content-Length or
//                 chunked request bodies); `100 Continue` first when the request expects it
//   /bytes/N      200 with N bytes of PatternStream(7), Content-Length framing
//   /chunked/N    the same N bytes with chunked framing
//   /close/N      the same N bytes delimited by closing the connection
//   /slow/MS      waits MS milliseconds, then 200 "slow"
//   Upgrade: websocket   101, then echoes every byte
// Every response names the origin in `X-Origin: <name>`.
TestOrigin::Handler httpOrigin(const std::string& name);

}  // namespace sluice::test
