// Micro-benchmarks of the pieces every connection or request goes through (Google Benchmark):
// the ClientHello peek of passthrough and mixed listeners, the request head's parsing and
// rewriting for the server, each balancer's pick, the SNI lookup in a config snapshot, and a
// sticky cookie opened (every request that carries one) and sealed (each first pick).

#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include "balance/server_group.h"
#include "balance/server_mask.h"
#include "config/config.h"
#include "http/http1/request_parser.h"
#include "http/proxy/sticky_cookie.h"
#include "http/proxy/upstream_request.h"
#include "net/address.h"
#include "tls/client_hello_peek.h"
#include "tls/sni_router.h"

namespace sluice {
namespace {

// A ClientHello captured from Chromium (GREASE, SNI, ALPN, a post-quantum key share: 1.8 KB).
std::string chromiumHello() {
  std::ifstream in(std::string(SLUICE_TEST_DATA_DIR) + "/client_hellos/chromium_grease.hex");
  std::string hex, bytes;
  in >> hex;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

void BM_ClientHelloPeek(benchmark::State& state) {
  const std::string hello = chromiumHello();
  if (hello.empty()) {
    state.SkipWithError("no captured ClientHello");
    return;
  }
  for (auto _ : state) {
    ClientHelloPeek peek(16384);
    benchmark::DoNotOptimize(peek.feed(hello));
    benchmark::DoNotOptimize(peek.info().sni.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * hello.size()));
}
BENCHMARK(BM_ClientHelloPeek);

// A browser's page request as it arrives.
const std::string kBrowserRequest =
    "GET /products/shoes?page=2&sort=price HTTP/1.1\r\n"
    "Host: shop.example.test\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-GB,en;q=0.9\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Cookie: session=abc123def456; theme=dark; SLUICE_SRV=0123.4567\r\n"
    "Referer: https://shop.example.test/\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n";

void BM_RequestHeadParse(benchmark::State& state) {
  const RequestPolicy policy;
  for (auto _ : state) {
    Http1RequestParser parser(policy);
    auto result = parser.feed(kBrowserRequest.data(), kBrowserRequest.size());
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(parser.head().host.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserRequest.size()));
}
BENCHMARK(BM_RequestHeadParse);

// The heads that cost the most within the default limits (32 KiB, 100 fields), to show that
// the work per head stays bounded by its size: the same parse and canonical form as above, fed
// heads built to be expensive. Compare the time per byte with BM_RequestHeadParse's.
std::string worstHead(int64_t kind) {
  std::string head = "GET /a HTTP/1.1\r\nHost: shop.example.test\r\n";
  auto fill = [&](const std::string& field) {
    while (head.size() + field.size() + 2 < 32 * 1024 - 64)
      head += field;
  };
  switch (kind) {
    case 0: {  // 99 short fields (the most fields per byte)
      for (int i = 0; i < 98; ++i)
        head += "X" + std::to_string(i) + ": v\r\n";
      break;
    }
    case 1: {  // the most Connection options, each naming one of the fields that follow
      head += "Connection: ";
      for (size_t i = 0; i < ConnectionOptions::kMaxOptions; ++i)
        head += "x-" + std::to_string(i) + ",";
      head += "\r\n";
      for (int i = 0; i < 97; ++i) {
        head += "X-" + std::to_string(i % ConnectionOptions::kMaxOptions) + ": " +
                std::string(300, 'v') + "\r\n";
      }
      break;
    }
    case 2: {  // a path of 8 KiB to normalise: escapes, dot segments and doubled slashes
      head = "GET /";
      while (head.size() < 8 * 1024)
        head += "a/./b/../%7e%41//";
      head += " HTTP/1.1\r\nHost: shop.example.test\r\n";
      fill("X-Pad: " + std::string(1000, 'p') + "\r\n");
      break;
    }
    default:  // one long field, up to the size limit
      fill("Cookie: " + std::string(1000, 'c') + "\r\n");
      break;
  }
  return head + "\r\n";
}

void BM_WorstRequestHeadParse(benchmark::State& state) {
  const std::string request = worstHead(state.range(0));
  const RequestPolicy policy;
  for (auto _ : state) {
    Http1RequestParser parser(policy);
    auto result = parser.feed(request.data(), request.size());
    if (result.event != Http1RequestParser::Event::kHeadComplete) {
      state.SkipWithError(std::string(parser.error().reason).c_str());
      return;
    }
    benchmark::DoNotOptimize(parser.head().host.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * request.size()));
  state.SetLabel(std::to_string(request.size()) + " bytes");
}
BENCHMARK(BM_WorstRequestHeadParse)->DenseRange(0, 3)->ArgNames({"shape"});

// Parsing plus writing the head the server gets: hop-by-hop headers out, forwarded headers in.
void BM_RequestHeadParseAndForward(benchmark::State& state) {
  const SocketAddress client = *SocketAddress::parse("198.51.100.23:51234");
  ForwardingContext context;
  context.client = &client;
  context.scheme = "https";
  context.vipPort = 443;
  std::string out;
  out.reserve(4096);
  const RequestPolicy policy;
  for (auto _ : state) {
    Http1RequestParser parser(policy);
    parser.feed(kBrowserRequest.data(), kBrowserRequest.size());
    out.clear();
    writeUpstreamRequestHead(parser.head(), context, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_RequestHeadParseAndForward);

// One pick among 10 servers, as each new server connection makes it.
void BM_BalancerPick(benchmark::State& state) {
  const auto balance = static_cast<BalanceAlgorithm>(state.range(0));
  ServerGroupConfig config;
  config.name = "web";
  config.balance = balance;
  config.hashHeader = "X-Tenant";
  for (int i = 0; i < 10; ++i) {
    ServerConfig server;
    server.name = "web" + std::to_string(i);
    server.address = *SocketAddress::parse("10.0.0." + std::to_string(i + 1) + ":8080");
    server.weight = static_cast<uint32_t>(1 + i % 3);
    config.servers.push_back(server);
  }
  ServerGroup group(config, {}, 42);
  const ServerMask none(10);
  const std::string keys[4] = {"198.51.100.23", "203.0.113.7", "/products/shoes", "tenant-42"};
  size_t i = 0;
  for (auto _ : state) {
    const uint32_t server = group.pick(none, keys[i++ & 3]);
    benchmark::DoNotOptimize(server);
  }
  state.SetLabel(toString(balance));
}
BENCHMARK(BM_BalancerPick)
    ->Arg(static_cast<int>(BalanceAlgorithm::kRoundRobin))
    ->Arg(static_cast<int>(BalanceAlgorithm::kLeastConn))
    ->Arg(static_cast<int>(BalanceAlgorithm::kRandomTwo))
    ->Arg(static_cast<int>(BalanceAlgorithm::kSourceHash))
    ->Arg(static_cast<int>(BalanceAlgorithm::kUriHash));

// The snapshot lookup a terminating or passthrough listener makes per connection: its SNI
// route among 1,000 names (500 exact, 500 wildcards), for an exact hit, a wildcard hit and a
// miss.
void BM_SniRoute(benchmark::State& state) {
  SniRouter router;
  for (int i = 0; i < 500; ++i) {
    router.add("shop" + std::to_string(i) + ".example.test", static_cast<size_t>(i));
    router.add("*.tenant" + std::to_string(i) + ".example.test", static_cast<size_t>(500 + i));
  }
  const std::string hosts[3] = {"shop250.example.test", "eu.tenant377.example.test",
                                "unknown.example.org"};
  const std::string& host = hosts[state.range(0)];
  for (auto _ : state)
    benchmark::DoNotOptimize(router.route(host));
  state.SetLabel(state.range(0) == 0 ? "exact" : state.range(0) == 1 ? "wildcard" : "miss");
}
BENCHMARK(BM_SniRoute)->Arg(0)->Arg(1)->Arg(2);

// A sticky group of 10 servers, with a current and a previous secret.
ServerGroupConfig stickyGroup() {
  ServerGroupConfig group;
  group.name = "web";
  for (int i = 0; i < 10; ++i) {
    ServerConfig server;
    server.name = "web" + std::to_string(i);
    group.servers.push_back(server);
  }
  group.sticky.enabled = true;
  group.sticky.maxAgeSeconds = 8 * 3600;
  StickyCookie::prepare(group, "the current secret, 32 characters",
                        "the previous secret, 32 chars..");
  return group;
}

void BM_StickyCookieOpen(benchmark::State& state) {
  const ServerGroupConfig group = stickyGroup();
  std::string line;
  StickyCookie::appendSetCookie(group.sticky, 7, false, line);
  const size_t from = line.find('=') + 1;
  const std::string cookie = "theme=dark; SLUICE_SRV=" + line.substr(from, line.find(';') - from);
  const std::vector<HttpHeader> headers = {{"Cookie", cookie}};  // views into `cookie`
  if (StickyCookie::serverOf(group.sticky, headers).server != 7) {
    state.SkipWithError("the sealed cookie does not open");
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(StickyCookie::serverOf(group.sticky, headers));
}
BENCHMARK(BM_StickyCookieOpen);

void BM_StickyCookieSeal(benchmark::State& state) {
  const ServerGroupConfig group = stickyGroup();
  std::string line;
  for (auto _ : state) {
    line.clear();
    StickyCookie::appendSetCookie(group.sticky, 7, true, line);
    benchmark::DoNotOptimize(line);
  }
}
BENCHMARK(BM_StickyCookieSeal);

}  // namespace
}  // namespace sluice
