// Micro-benchmarks of layer-7 rule evaluation (Google Benchmark): what a VIP's rules cost one
// request, with 1 and 50 rules, on the common path (no rule decides; only an `any` rule adds a
// header) and when an early rule decides.

#include <benchmark/benchmark.h>

#include <string>

#include "config/config_loader.h"
#include "rules/rule.h"

namespace sluice {
namespace {

// A VIP with `count` rules in the shapes operators write: 49 that do not match a plain page
// request (admin paths by source, API routes, bad bots by regex, old hosts, debug queries,
// beta cookies), then one `any` rule that adds headers.
std::shared_ptr<const ConfigSnapshot> vipWithRules(int count) {
  std::string rules;
  for (int i = 0; i + 1 < count; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 6) {
      case 0:
        rules += "      - {match: {path_prefix: /admin" + n +
                 ", not_source: [203.0.113.0/24, \"2001:db8::/32\"]}, action: {deny: 403}}\n";
        break;
      case 1:
        rules += "      - {match: {path_prefix: /api/v" + n +
                 "/, method: [GET, POST]}, action: {route: web}}\n";
        break;
      case 2:
        rules += "      - {match: {header: {name: User-Agent, regex: \"(?i)badbot" + n +
                 "\"}}, action: {respond: {status: 429, body: \"slow down\"}}}\n";
        break;
      case 3:
        rules += "      - {match: {host: old" + n +
                 ".shop.example.test}, action: {redirect: {to: \"https://shop.example.test{path}"
                 "{query}\", status: 301}}}\n";
        break;
      case 4:
        rules +=
            "      - {match: {query: {name: debug" + n + ", value: \"1\"}}, action: {deny: 403}}\n";
        break;
      case 5:
        rules += "      - {match: {cookie: {name: beta" + n +
                 ", present: true}}, action: {route: web}}\n";
        break;
    }
  }
  rules +=
      "      - {match: {any: true}, action: {set_request_headers: {X-Env: prod}, "
      "remove_response_headers: [Server]}}\n";
  const std::string yaml =
      "server_groups:\n"
      "  - {name: web, protocol: http, servers: [{name: w1, address: 127.0.0.1:8081}]}\n"
      "vips:\n"
      "  - name: shop\n    listen: 127.0.0.1:8080\n    service: http\n    default_group: web\n"
      "    rules:\n" +
      rules;
  ConfigLoadResult result = loadConfigText(yaml, "bench.yaml");
  if (!result.ok()) {
    fprintf(stderr, "%s\n", result.errors[0].toString().c_str());
    std::abort();
  }
  return result.snapshot;
}

// A browser's page request: the common path.
struct PageRequest {
  PageRequest() {
    head.method = "GET";
    setTarget("/products/shoes?page=2&sort=price");
    head.host = "shop.example.test";
    head.headers = {{"Host", "shop.example.test"},
                    {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120"},
                    {"Accept", "text/html,application/xhtml+xml"},
                    {"Accept-Language", "en-GB,en;q=0.9"},
                    {"Cookie", "session=abc123; theme=dark; SLUICE_SRV=0123.4567"},
                    {"Referer", "https://shop.example.test/"}};
    source = *SocketAddress::parse("198.51.100.23:51234");
    facts.setRequest(head);
    facts.source = &source;
  }
  // The canonical request's path and query, as the parser would make them.
  void setTarget(std::string_view target) {
    head.target = target;
    const size_t question = target.find('?');
    head.path = target.substr(0, question);
    head.query = question == std::string_view::npos ? "" : target.substr(question + 1);
  }
  HttpRequestHead head;
  SocketAddress source;
  RequestFacts facts;
};

void evaluate(benchmark::State& state, int count, const char* target) {
  const auto snapshot = vipWithRules(count);
  const RuleSet& rules = *snapshot->vips[0].rules;
  PageRequest request;
  request.setTarget(target);
  request.facts.setRequest(request.head);
  RuleDecision decision;
  for (auto _ : state) {
    request.facts.setRequest(request.head);
    rules.evaluate(request.facts, decision);
    benchmark::DoNotOptimize(decision.terminal);
  }
  state.SetLabel(decision.terminal
                     ? "decided"
                     : "default group, " + std::to_string(decision.requestEdits.size()) +
                           " header change(s)");
}

void BM_Rules1_CommonPath(benchmark::State& state) {
  evaluate(state, 1, "/products/shoes?page=2&sort=price");
}
void BM_Rules50_CommonPath(benchmark::State& state) {
  evaluate(state, 50, "/products/shoes?page=2&sort=price");
}
void BM_Rules50_FirstRuleDecides(benchmark::State& state) {
  evaluate(state, 50, "/admin0/users");
}
BENCHMARK(BM_Rules1_CommonPath);
BENCHMARK(BM_Rules50_CommonPath);
BENCHMARK(BM_Rules50_FirstRuleDecides);

}  // namespace
}  // namespace sluice

BENCHMARK_MAIN();
