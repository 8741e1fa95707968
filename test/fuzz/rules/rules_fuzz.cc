// libFuzzer target: the rules compiler and evaluator. The input is the `rules:` list of an http
// VIP (YAML); a rule set that compiles is evaluated against requests whose parts come from the
// same input. Never a crash; a decision names a rule of the set.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config_loader.h"
#include "rules/rule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice;
  const std::string input(reinterpret_cast<const char*>(data), size);
  // The first line is a request's path and fields; the rest is the rules list.
  const size_t newline = input.find('\n');
  const std::string request = input.substr(0, newline);
  const std::string rules = newline == std::string::npos ? "" : input.substr(newline + 1);
  const std::string config =
      "server_groups:\n"
      "  - {name: web, protocol: http, servers: [{name: w1, address: 127.0.0.1:8081}]}\n"
      "  - {name: api, protocol: http, servers: [{name: a1, address: 127.0.0.1:8082}]}\n"
      "vips:\n"
      "  - name: shop\n    listen: 127.0.0.1:8080\n    service: http\n    default_group: web\n"
      "    rules:\n" +
      rules;
  const ConfigLoadResult result = loadConfigText(config, "rules.yaml");
  if (!result.ok() || !result.snapshot->vips[0].rules) return 0;
  const RuleSet& set = *result.snapshot->vips[0].rules;

  HttpRequestHead head;
  head.method = "GET";
  const size_t space = request.find(' ');
  const std::string target = request.substr(0, space);  // the head's views point into it
  head.target = target;
  head.path = head.target.substr(0, head.target.find('?'));
  if (const size_t q = head.target.find('?'); q != std::string_view::npos) {
    head.query = head.target.substr(q + 1);
  }
  const std::string_view rest =
      space == std::string::npos ? std::string_view() : std::string_view(request).substr(space + 1);
  head.headers = {{"Host", rest.substr(0, rest.find(' '))},
                  {"Cookie", rest},
                  {"User-Agent", rest},
                  {"X-Token", rest}};
  head.host = head.headers[0].value;
  const SocketAddress source = *SocketAddress::parse("10.1.2.3:4000");
  RequestFacts facts;
  facts.setRequest(head);
  facts.source = &source;
  facts.sni = head.host;
  facts.scheme = "https";
  facts.port = 443;
  RuleDecision decision;
  set.evaluate(facts, decision);
  if (decision.terminal && decision.terminal->action == Rule::Action::kRedirect) {
    std::string location;
    decision.terminal->redirect.render(facts, location);
  }
  return 0;
}
