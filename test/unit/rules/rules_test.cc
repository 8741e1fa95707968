#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "http/proxy/header_edits.h"
#include "http/proxy/sticky_cookie.h"
#include "rules/rule.h"

namespace sluice {
namespace {

// A config with one http VIP carrying `rules` (YAML lines, indented for the VIP).
std::string configWith(const std::string& rules, const std::string& groupExtra = "") {
  return "server_groups:\n"
         "  - {name: web, protocol: http, servers: [{name: w1, address: 127.0.0.1:8081}]}\n"
         "  - {name: api, protocol: http, servers: [{name: a1, address: 127.0.0.1:8082}]}\n"
         "  - {name: raw, protocol: tcp, servers: [{name: r1, address: 127.0.0.1:8083}]}\n" +
         groupExtra +
         "vips:\n"
         "  - name: shop\n"
         "    listen: 127.0.0.1:8080\n"
         "    service: http\n"
         "    default_group: web\n"
         "    rules:\n" +
         rules;
}

std::vector<std::string> errorsOf(const std::string& text) {
  std::vector<std::string> out;
  for (const ConfigError& e : loadConfigText(text, "rules.yaml").errors) {
    out.push_back(std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + e.field + ": " +
                  e.message);
  }
  return out;
}

::testing::AssertionResult hasError(const std::vector<std::string>& errors,
                                    const std::string& part) {
  for (const auto& e : errors) {
    if (e.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  }
  std::string all;
  for (const auto& e : errors)
    all += "\n  " + e;
  return ::testing::AssertionFailure() << "no error contains \"" << part << "\"; got:" << all;
}

TEST(RulesConfig, CompilerErrorsAreLocated) {
  auto rule = [](const std::string& match, const std::string& action) {
    return configWith("      - match: " + match + "\n        action: " + action + "\n");
  };
  EXPECT_TRUE(hasError(errorsOf(rule("{path_regex: \"(unclosed\"}", "{deny: 403}")),
                       "11:29: vips[0].rules[0].match.path_regex: '(unclosed' is not a valid "
                       "regular expression: missing ): (unclosed"));
  EXPECT_TRUE(hasError(errorsOf(rule("{source: [10.0.0.0/33]}", "{deny: 403}")),
                       "vips[0].rules[0].match.source: '/33' is not a prefix length"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{redirect: {to: \"https://x{paht}\"}}")),
                       "vips[0].rules[0].action.redirect.to: unknown field {paht} (known fields: "
                       "{scheme} {host} {port} {path} {query})"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{route: nowhere}")),
                       "12:25: vips[0].rules[0].action.route: no server group is named 'nowhere'"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{route: raw}")),
                       "vips[0].rules[0].action.route: the http VIP sends plain HTTP and needs a "
                       "group with protocol: http, but 'raw' has protocol: tcp"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{deny: 402}")),
                       "vips[0].rules[0].action.deny: must be one of 400, 403"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{deny: 403, route: api}")),
                       "vips[0].rules[0].action: has more than one of allow, deny"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true, path: /x}", "{deny: 403}")),
                       "vips[0].rules[0].match.any: must be true, and alone in its match"));
  EXPECT_TRUE(hasError(errorsOf(rule("{header: {name: X, value: a, regex: b}}", "{deny: 403}")),
                       "vips[0].rules[0].match.header: needs exactly one of value, regex or "
                       "present"));
  EXPECT_TRUE(hasError(errorsOf(rule("{path_prefix: api}", "{deny: 403}")),
                       "vips[0].rules[0].match.path_prefix: 'api' must start with /"));
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{set_request_headers: {\"Bad Name\": x}}")),
                       "'Bad Name' is not a header name"));
  // Framing and hop-by-hop fields are Sluice's alone, and every request keeps its Host.
  for (const char* edit :
       {"{set_request_headers: {Content-Length: \"5\"}}",
        "{add_request_headers: {transfer-encoding: chunked}}",
        "{set_response_headers: {Connection: close}}",
        "{remove_response_headers: [Content-Length]}", "{remove_request_headers: [Upgrade]}"}) {
    EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", edit)), "is written by Sluice")) << edit;
  }
  EXPECT_TRUE(hasError(errorsOf(rule("{any: true}", "{remove_request_headers: [host]}")),
                       "'host' cannot be removed"));
  EXPECT_TRUE(
      errorsOf(rule("{any: true}", "{set_request_headers: {Host: backend.internal}}")).empty());
  EXPECT_TRUE(hasError(errorsOf(rule("{hots: a.test}", "{deny: 403}")),
                       "vips[0].rules[0].match.hots: unknown key 'hots'"));
  // A rule after one that decides every request can never run.
  EXPECT_TRUE(hasError(errorsOf(configWith("      - {match: {any: true}, action: {deny: 403}}\n"
                                           "      - {match: {path: /x}, action: {allow: true}}\n")),
                       "12:9: vips[0].rules[1]: can never run: vips[0].rules[0] matches every "
                       "request (any: true) and decides it"));
  // ...but header changes on every request do not decide anything.
  EXPECT_TRUE(errorsOf(configWith("      - {match: {any: true}, action: {set_request_headers: {X: "
                                  "y}}}\n      - {match: {path: /x}, action: {deny: 403}}\n"))
                  .empty());
  // Rules belong to HTTP VIPs.
  std::string tcp = configWith("      - {match: {any: true}, action: {deny: 403}}\n");
  tcp.replace(tcp.find("service: http"), 13, "service: tcp");
  tcp.replace(tcp.find("default_group: web"), 18, "default_group: raw");
  EXPECT_TRUE(hasError(errorsOf(tcp),
                       "vips[0].rules: rules applies to http, https-offload and "
                       "https-bridge VIPs, not to a tcp VIP"));
}

class RuleEvaluation : public ::testing::Test {
 protected:
  void load(const std::string& rules) {
    result_ = loadConfigText(configWith(rules), "rules.yaml");
    ASSERT_TRUE(result_.ok()) << result_.errors[0].toString();
    rules_ = result_.snapshot->vips[0].rules.get();
  }
  // The name of the deciding rule for a request, or "-".
  std::string decide(const std::string& method, const std::string& target,
                     std::vector<HttpHeader> headers = {}, const char* source = "10.0.0.1:5000",
                     const char* sni = "") {
    head_.clear();
    head_.method = method;
    target_ = target;
    head_.target = target_;
    const size_t question = head_.target.find('?');
    head_.path = head_.target.substr(0, question);
    head_.query = question == std::string_view::npos ? "" : head_.target.substr(question + 1);
    head_.headers = std::move(headers);
    for (const HttpHeader& h : head_.headers) {
      if (h.name == "Host") head_.host = h.value;
    }
    address_ = *SocketAddress::parse(source);
    RequestFacts facts;
    facts.setRequest(head_);
    facts.source = &address_;
    facts.sni = sni;
    rules_->evaluate(facts, decision_);
    return decision_.terminal ? decision_.terminal->name : "-";
  }

  ConfigLoadResult result_;
  const RuleSet* rules_ = nullptr;
  HttpRequestHead head_;
  std::string target_;
  SocketAddress address_;
  RuleDecision decision_;
};

TEST_F(RuleEvaluation, EachMatchKey) {
  load(
      "      - {name: host, match: {host: \"*.old.test\"}, action: {deny: 403}}\n"
      "      - {name: exact, match: {path: [/a, /b]}, action: {deny: 403}}\n"
      "      - {name: prefix, match: {path_prefix: /api/, method: [GET, POST]}, action: {route: "
      "api}}\n"
      "      - {name: regex, match: {path_regex: \"^/v[0-9]+/\"}, action: {deny: 404}}\n"
      "      - {name: bot, match: {header: {name: User-Agent, regex: \"(?i)badbot\"}}, action: "
      "{deny: 429}}\n"
      "      - {name: debug, match: {query: {name: debug, value: \"1\"}}, action: {deny: 403}}\n"
      "      - {name: beta, match: {cookie: {name: beta, present: true}}, action: {route: api}}\n"
      "      - {name: office, match: {path_prefix: /admin, not_source: [203.0.113.0/24, "
      "\"2001:db8::/32\"]}, action: {deny: 403}}\n"
      "      - {name: internal, match: {source: \"10.9.0.0/16\"}, action: {allow: true}}\n"
      "      - {name: sni, match: {sni: secure.test}, action: {deny: 403}}\n"
      "      - {name: token, match: {header: {name: X-Token, value: s3cret}}, action: {allow: "
      "true}}\n");
  EXPECT_EQ(decide("GET", "/", {{"Host", "www.old.test:8080"}}), "host");
  EXPECT_EQ(decide("GET", "/", {{"Host", "old.test"}}), "-") << "a wildcard needs a label";
  EXPECT_EQ(decide("GET", "/b"), "exact");
  EXPECT_EQ(decide("GET", "/b/c"), "-");
  EXPECT_EQ(decide("POST", "/api/orders?x=1"), "prefix");
  EXPECT_EQ(decide("DELETE", "/api/orders"), "-");
  EXPECT_EQ(decide("GET", "/v2/items"), "regex");
  EXPECT_EQ(decide("GET", "/x", {{"user-agent", "Mozilla BadBot/1"}}), "bot");
  EXPECT_EQ(decide("GET", "/x?a=2&debug=1"), "debug");
  EXPECT_EQ(decide("GET", "/x?debug=10"), "-");
  EXPECT_EQ(decide("GET", "/x", {{"Cookie", "a=1; beta=yes"}}), "beta");
  EXPECT_EQ(decide("GET", "/x", {{"Cookie", "betamax=1"}}), "-");
  EXPECT_EQ(decide("GET", "/admin/users", {}, "198.51.100.7:1"), "office");
  EXPECT_EQ(decide("GET", "/admin/users", {}, "203.0.113.9:1"), "-");
  EXPECT_EQ(decide("GET", "/admin/users", {}, "[2001:db8::5]:1"), "-");
  EXPECT_EQ(decide("GET", "/admin/users", {}, "[2001:db9::5]:1"), "office");
  EXPECT_EQ(decide("GET", "/x", {}, "10.9.3.4:1"), "internal");
  EXPECT_EQ(decide("GET", "/x", {}, "10.0.0.1:1", "SECURE.test"), "sni");
  EXPECT_EQ(decide("GET", "/x", {{"X-Token", "s3cret"}}), "token");
  EXPECT_EQ(decide("GET", "/x", {{"X-Token", "S3CRET"}}), "-") << "values are case-sensitive";
}

TEST_F(RuleEvaluation, FirstTerminalDecidesAndHeaderChangesAccumulate) {
  load(
      "      - {match: {any: true}, action: {set_request_headers: {X-Env: prod}}}\n"
      "      - {name: first, match: {path_prefix: /}, action: {allow: true, "
      "remove_response_headers: [Server]}}\n"
      "      - {name: second, match: {path: /}, action: {deny: 403}}\n");
  EXPECT_EQ(decide("GET", "/"), "first");
  ASSERT_EQ(decision_.requestEdits.size(), 1u);
  ASSERT_EQ(decision_.responseEdits.size(), 1u);
  EXPECT_EQ(decision_.responseEdits[0]->remove, std::vector<std::string>{"server"});
}

TEST(HeaderEdits, LaterRulesWin) {
  HeaderEdits first, second;
  first.set = {{"X-Env", "staging"}};
  first.add = {{"X-Trace", "1"}};
  second.set = {{"x-env", "prod"}};
  second.remove = {"x-powered-by"};
  const HeaderEditList edits{&first, &second};
  EXPECT_TRUE(dropsHeader(edits, "X-Powered-By"));
  EXPECT_TRUE(dropsHeader(edits, "X-ENV"));
  EXPECT_FALSE(dropsHeader(edits, "Server"));
  std::string out;
  forEachEditedHeader(edits, [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
  });
  EXPECT_EQ(out, "X-Trace: 1\r\nx-env: prod\r\n");
}

TEST(RedirectTemplate, RendersFieldsWithQuery) {
  RedirectTemplate redirect;
  std::string error;
  ASSERT_TRUE(redirect.compile("{scheme}://shop.test:{port}{path}{query}#top", error)) << error;
  RequestFacts facts;
  facts.scheme = "https";
  facts.port = 8443;
  facts.path = "/cart";
  facts.query = "a=1&b=2";
  std::string out;
  redirect.render(facts, out);
  EXPECT_EQ(out, "https://shop.test:8443/cart?a=1&b=2#top");
  facts.query = "";
  out.clear();
  redirect.render(facts, out);
  EXPECT_EQ(out, "https://shop.test:8443/cart#top");
  EXPECT_FALSE(redirect.compile("https://{host", error));
  EXPECT_EQ(error, "'{' at position 8 is never closed");
}

constexpr int64_t kNow = 1'800'000'000;  // when the sticky cookie test's cookies are sealed

TEST(StickyCookie, SealedValuesNameServersOpaquelyAndExpire) {
  ServerGroupConfig group;
  group.name = "web";
  group.servers.resize(3);
  group.servers[0].name = "w1";
  group.servers[1].name = "w2";
  group.servers[2].name = "w3";
  group.sticky.enabled = true;
  group.sticky.maxAgeSeconds = 8 * 3600;
  StickyCookie::prepare(group, "a secret of sixteen+ chars");
  auto cookieFor = [&](const ServerGroupConfig& g, uint32_t server, int64_t at = kNow) {
    std::string line;
    StickyCookie::appendSetCookie(g.sticky, server, true, line, at);
    const size_t from = line.find('=') + 1;
    return line.substr(from, line.find(';') - from);
  };
  auto serverOf = [&](const ServerGroupConfig& g, const std::string& cookie, int64_t at = kNow) {
    return StickyCookie::serverOf(g.sticky, {{"Cookie", cookie}}, at);
  };
  const std::string w2 = cookieFor(group, 1);
  EXPECT_EQ(w2.size(), 68u) << w2;
  EXPECT_EQ(w2.substr(0, 8), group.sticky.keys[0].id);
  EXPECT_NE(cookieFor(group, 1), w2) << "sealed with a fresh nonce each time";
  EXPECT_EQ(serverOf(group, "theme=dark; SLUICE_SRV=" + w2).server, 1u);
  EXPECT_FALSE(serverOf(group, "SLUICE_SRV=" + w2).reseal);
  // Every character changed, and the same bytes written another way: no server.
  for (size_t i = 0; i < w2.size(); ++i) {
    std::string tampered = w2;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(serverOf(group, "SLUICE_SRV=" + tampered).server, StickyCookie::kNone) << i;
  }
  std::string padded = w2 + "=";
  EXPECT_EQ(serverOf(group, "SLUICE_SRV=" + padded).server, StickyCookie::kNone);
  EXPECT_EQ(serverOf(group, "XSLUICE_SRV=" + w2).server, StickyCookie::kNone);
  // Expired: honoured until its max_age, resealed past half of it, then no more.
  EXPECT_TRUE(serverOf(group, "SLUICE_SRV=" + w2, kNow + 5 * 3600).reseal);
  EXPECT_EQ(serverOf(group, "SLUICE_SRV=" + w2, kNow + 8 * 3600).server, 1u);
  EXPECT_EQ(serverOf(group, "SLUICE_SRV=" + w2, kNow + 8 * 3600 + 1).server, StickyCookie::kNone);
  // Another group's cookie, even for a server of the same name, does not open here.
  ServerGroupConfig shop = group;
  shop.name = "shop";
  StickyCookie::prepare(shop, "a secret of sixteen+ chars");
  EXPECT_EQ(serverOf(shop, "SLUICE_SRV=" + w2).server, StickyCookie::kNone);
  // Another secret: no server; with the old one as previous: the server, to be resealed.
  ServerGroupConfig rotated = group;
  StickyCookie::prepare(rotated, "another secret of 16+ chars");
  EXPECT_EQ(serverOf(rotated, "SLUICE_SRV=" + w2).server, StickyCookie::kNone);
  StickyCookie::prepare(rotated, "another secret of 16+ chars", "a secret of sixteen+ chars");
  EXPECT_EQ(serverOf(rotated, "SLUICE_SRV=" + w2).server, 1u);
  EXPECT_TRUE(serverOf(rotated, "SLUICE_SRV=" + w2).reseal);
  EXPECT_EQ(cookieFor(rotated, 1).substr(0, 8), rotated.sticky.keys[0].id);
  std::string line;
  StickyCookie::appendSetCookie(group.sticky, 2, true, line);
  EXPECT_TRUE(line.starts_with("Set-Cookie: SLUICE_SRV=")) << line;
  EXPECT_TRUE(line.ends_with("; Path=/; Max-Age=28800; HttpOnly; SameSite=Lax; Secure\r\n"))
      << line;
}

}  // namespace
}  // namespace sluice
