#pragma once

#include <atomic>
#include <memory>
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
//   /healthz      `healthStatus` (200 unless the test changes it), body "ok" or "sick"
//   Upgrade: websocket   101, then echoes every byte
// Every response names the origin in `X-Origin: <name>`. With `answerStatus`, the answers to
// other paths carry that status (a server failing its traffic while its health page is fine).
TestOrigin::Handler httpOrigin(const std::string& name,
                               std::shared_ptr<std::atomic<int>> healthStatus = nullptr,
                               std::shared_ptr<std::atomic<int>> answerStatus = nullptr);

// A server that accepts, reads what the client sends first, then resets the connection
// without answering: the failure that idempotent requests are retried on.
TestOrigin::Handler resettingOrigin();

}  // namespace sluice::test
