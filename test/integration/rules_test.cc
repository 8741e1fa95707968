// Layer-7 rules, sticky sessions and request hashing end to end: the real sluice binary, echo
// origins on 127.0.0.1 that name themselves in `X-Origin`, and curl as the client (over IPv4
// and IPv6 loopback).

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <regex>
#include <set>

#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

// curl's output: the response head(s) then the body (-i), and helpers to read them.
struct Reply {
  std::string raw;
  // The last status line's, HTTP/1.1 or HTTP/2.
  int status() const {
    const size_t h1 = raw.rfind("HTTP/1.1 ");
    const size_t h2 = raw.rfind("HTTP/2 ");
    if (h1 == std::string::npos && h2 == std::string::npos) return 0;
    if (h2 != std::string::npos && (h1 == std::string::npos || h2 > h1)) {
      return std::stoi(raw.substr(h2 + 7, 3));
    }
    return std::stoi(raw.substr(h1 + 9, 3));
  }
  std::string header(const std::string& name) const {
    const std::regex pattern("\r\n" + name + ": ([^\r]*)\r\n", std::regex::icase);
    std::smatch match;
    return std::regex_search(raw, match, pattern) ? match[1].str() : "";
  }
  std::string body() const {
    const size_t at = raw.find("\r\n\r\n");
    return at == std::string::npos ? "" : raw.substr(at + 4);
  }
};

Reply curl(const std::string& url, const std::string& flags = "") {
  Reply reply;
  runCommand("curl -sS -i --max-time 20 " + flags + " '" + url + "'", reply.raw);
  return reply;
}

class RulesTest : public ::testing::Test {
 protected:
  RulesTest() {
    for (const char* name : {"w1", "w2", "w3"})
      web_.push_back(std::make_unique<TestOrigin>(httpOrigin(name)));
  }
  std::string servers() const {
    std::string list;
    for (size_t i = 0; i < web_.size(); ++i) {
      list += std::string(list.empty() ? "" : ", ") + "{name: w" + std::to_string(i + 1) +
              ", address: " + web_[i]->address() + "}";
    }
    return "[" + list + "]";
  }
  // An http VIP on 127.0.0.1 and one on [::1], both with `rules`; groups web (w1..w3, with
  // `webExtra`) and api.
  std::string config(const std::string& rules, const std::string& webExtra = "",
                     const std::string& global = "") {
    return "global: {workers: 1" + global +
           "}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n    retries: 2\n    timeouts: {connect: 1s}\n" +
           webExtra + "    servers: " + servers() +
           "\n"
           "  - {name: api, protocol: http, servers: [{name: api1, address: " +
           api_.address() +
           "}]}\n"
           "vips:\n"
           "  - name: shop\n    listen: 127.0.0.1:" +
           std::to_string(port_) + "\n    service: http\n    default_group: web\n" +
           (rules.empty() ? "" : "    rules:\n" + rules) +
           "  - name: shop6\n    listen: \"[::1]:" + std::to_string(port6_) +
           "\"\n    service: http\n    default_group: web\n" +
           (rules.empty() ? "" : "    rules:\n" + rules);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string url6(const std::string& path) const {
    return "http://[::1]:" + std::to_string(port6_) + path;
  }

  std::vector<std::unique_ptr<TestOrigin>> web_;
  TestOrigin api_{httpOrigin("api1")};
  uint16_t port_ = freePort();
  uint16_t port6_ = freePort();
};

// Every kind of answer Sluice makes itself, to HEAD: the fields a GET gets and no content
// (RFC 9110, 9.3.2), over HTTP/1.1 (the connection then closes: nothing may follow the head)
// and over HTTP/2 (no DATA frame).
TEST_F(RulesTest, AnswersToHeadCarryNoContentOnEitherProtocol) {
  const uint16_t forceHttps = freePort();
  const uint16_t empty = freePort();
  std::string cfg = config(
      "      - {match: {path_prefix: /deny}, action: {deny: 403}}\n"
      "      - {match: {path_prefix: /respond}, action: {respond: {status: 200, body: maint}}}\n"
      "      - {match: {path_prefix: /moved}, action: {redirect: {to: \"https://x.test/\"}}}\n");
  cfg.replace(cfg.find("    service: http\n"), 18, "    service: http\n    http2: {h2c: true}\n");
  cfg += "  - {name: force, listen: 127.0.0.1:" + std::to_string(forceHttps) +
         ", service: http, default_group: web, redirect_https: true, http2: {h2c: true}}\n"
         "  - {name: nothing, listen: 127.0.0.1:" +
         std::to_string(empty) + ", service: http, default_group: gone, http2: {h2c: true}}\n";
  cfg.replace(cfg.find("vips:\n"), 6,
              "  - {name: gone, protocol: http, servers: [{name: g1, address: 127.0.0.1:" +
                  std::to_string(freePort()) + "}]}\nvips:\n");
  SluiceProcess sluice(cfg);
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  struct Case {
    uint16_t port;
    std::string path;
    int status;
  };
  for (const Case& c :
       {Case{port_, "/deny", 403}, Case{port_, "/respond", 200}, Case{port_, "/moved", 302},
        Case{forceHttps, "/x", 301}, Case{empty, "/", 502}}) {
    const int fd = connectLocal(c.port);
    ASSERT_GE(fd, 0);
    writeAll(fd, "HEAD " + c.path + " HTTP/1.1\r\nHost: shop.test\r\n\r\n");
    bool eof = false;
    const std::string response = readUntilClose(fd, 5000ms, &eof);
    ::close(fd);
    EXPECT_TRUE(eof) << c.path;
    EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(c.status) + " ", 0), 0u) << response;
    const size_t end = response.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos) << response;
    EXPECT_EQ(response.size(), end + 4) << "content after the head of a HEAD answer:\n" << response;
    // The same answer to GET has content, as its Content-Length says.
    const Reply get = curl("http://127.0.0.1:" + std::to_string(c.port) + c.path);
    EXPECT_EQ(get.status(), c.status);
    EXPECT_EQ(std::to_string(get.body().size()), get.header("Content-Length")) << get.raw;

    std::string frames;
    runCommand("nghttp -v -H ':method: HEAD' http://127.0.0.1:" + std::to_string(c.port) + c.path +
                   " 2>&1",
               frames);
    EXPECT_NE(frames.find(":status: " + std::to_string(c.status)), std::string::npos) << frames;
    EXPECT_EQ(frames.find("recv DATA frame"), std::string::npos) << frames;
  }
}

TEST_F(RulesTest, EveryActionInOrder) {
  SluiceProcess sluice(config(
      "      - name: admin-only-from-office\n"
      "        match: {path_prefix: /admin, not_source: [203.0.113.0/24, \"::1/128\"]}\n"
      "        action: {deny: 403}\n"
      "      - match: {host: old.shop.example.test}\n"
      "        action: {redirect: {to: \"https://shop.example.test{path}{query}\", status: 301}}\n"
      "      - match: {path_prefix: /api/, method: [GET, POST]}\n"
      "        action: {route: api}\n"
      "      - match: {header: {name: User-Agent, regex: \"(?i)badbot\"}}\n"
      "        action: {respond: {status: 429, body: \"slow down\\n\"}}\n"
      "      - match: {query: {name: preview, present: true}, cookie: {name: staff, value: "
      "\"yes\"}}\n"
      "        action: {respond: {status: 200, body: \"preview\", content_type: text/html}}\n"
      "      - match: {any: true}\n"
      "        action: {set_request_headers: {X-Env: prod}, remove_response_headers: [X-Origin],\n"
      "                 add_response_headers: {X-Served-By: sluice}}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  // Access rules by source: IPv4 loopback is outside the office, ::1 inside.
  EXPECT_EQ(curl(url("/admin/users")).status(), 403);
  EXPECT_EQ(curl(url6("/admin/users")).status(), 200);
  // A redirect template keeps the path and query.
  const Reply moved = curl(url("/cart/view?item=7&x=y"), "-H 'Host: old.shop.example.test'");
  EXPECT_EQ(moved.status(), 301);
  EXPECT_EQ(moved.header("Location"), "https://shop.example.test/cart/view?item=7&x=y");
  EXPECT_EQ(curl(url("/"), "-H 'Host: OLD.shop.example.test'").header("Location"),
            "https://shop.example.test/");
  // Routing by path and method (the api origin's greeting), and not for other methods.
  EXPECT_EQ(curl(url("/api/items")).body(), "hello from api1\n");
  EXPECT_EQ(curl(url("/api/items"), "-X DELETE").body().rfind("hello from w", 0), 0u);
  // respond, by header regex; by query and cookie together.
  const Reply slow = curl(url("/"), "-A 'Mozilla/5.0 BadBot'");
  EXPECT_EQ(slow.status(), 429);
  EXPECT_EQ(slow.body(), "slow down\n");
  EXPECT_EQ(curl(url("/x?preview"), "-b staff=yes").body(), "preview");
  EXPECT_EQ(curl(url("/x?preview"), "-b staff=no").status(), 200);
  EXPECT_NE(curl(url("/x?preview"), "-b staff=no").body(), "preview");
  // Header changes on the way in and out.
  const Reply echo = curl(url("/echo"), "-H 'X-Env: dev'");
  EXPECT_NE(echo.body().find("X-Env: prod\r\n"), std::string::npos) << echo.raw;
  EXPECT_EQ(echo.body().find("X-Env: dev"), std::string::npos) << "set replaces the client's";
  EXPECT_EQ(echo.header("X-Origin"), "") << echo.raw;
  EXPECT_EQ(echo.header("X-Served-By"), "sluice");

  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() >= 11; }, 5s));
  std::map<std::string, int> rules;
  for (const auto& record : sluice.accessLog()) {
    if (record.contains("rule")) rules[record["rule"]]++;
  }
  EXPECT_EQ(rules["admin-only-from-office"], 1);
  EXPECT_EQ(rules["vips[0].rules[1]"], 2) << "an unnamed rule is named by its place";
}

// The Set-Cookie value of a reply, or "".
std::string stickyValue(const Reply& reply) {
  const std::string cookie = reply.header("Set-Cookie");
  const size_t equals = cookie.find('=');
  return equals == std::string::npos ? ""
                                     : cookie.substr(equals + 1, cookie.find(';') - equals - 1);
}

const std::string kSticky =
    "    sticky:\n      cookie: {name: SLUICE_SRV, max_age: 8h, secure: auto, http_only: true, "
    "same_site: Lax}\n";
const std::string kSecret = ", sticky_secret: \"0123456789abcdef0123456789abcdef\"";

TEST_F(RulesTest, StickySessionsKeepAShopperOnOneServer) {
  SluiceProcess sluice(config("", kSticky, kSecret));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(sluice.stderrText().find("sticky_secret is not set"), std::string::npos);

  // 50 requests with a cookie jar (one keep-alive connection): one server.
  char jarTemplate[] = "/tmp/sluice-jar-XXXXXX";
  const int jarFd = ::mkstemp(jarTemplate);
  ::close(jarFd);
  const std::string jar = jarTemplate;
  std::string urls;
  for (int i = 0; i < 50; ++i)
    urls += " " + url("/p" + std::to_string(i));
  std::string out;
  runCommand("curl -sS -D - -o /dev/null -c " + jar + " -b " + jar + urls, out);
  std::set<std::string> origins;
  for (size_t at = 0; (at = out.find("X-Origin: ", at)) != std::string::npos; at += 10)
    origins.insert(out.substr(at + 10, 2));
  EXPECT_EQ(origins.size(), 1u) << out;
  size_t cookies = 0;
  for (size_t at = 0; (at = out.find("Set-Cookie: SLUICE_SRV=", at)) != std::string::npos; ++at)
    ++cookies;
  EXPECT_EQ(cookies, 1u) << "the cookie is set once, on the response that first picked";
  EXPECT_NE(out.find("; Path=/; Max-Age=28800; HttpOnly; SameSite=Lax\r\n"), std::string::npos)
      << "no Secure on plain HTTP with secure: auto\n"
      << out;
  // Without the jar, the same 50 requests spread (balancing is per request).
  runCommand("curl -sS -D - -o /dev/null" + urls, out);
  origins.clear();
  for (size_t at = 0; (at = out.find("X-Origin: ", at)) != std::string::npos; at += 10)
    origins.insert(out.substr(at + 10, 2));
  EXPECT_EQ(origins.size(), 3u) << out;
  std::remove(jar.c_str());

  // A valid cookie is honoured and not re-issued; the application's own cookies pass through.
  const Reply first = curl(url("/echo"));
  const std::string value = stickyValue(first);
  ASSERT_FALSE(value.empty()) << first.raw;
  const std::string server = first.header("X-Origin");
  const Reply again = curl(url("/echo"), "-b 'theme=dark; SLUICE_SRV=" + value + "'");
  EXPECT_EQ(again.header("X-Origin"), server);
  EXPECT_EQ(again.header("Set-Cookie"), "");
  EXPECT_NE(again.body().find("theme=dark"), std::string::npos) << again.raw;
  // Forged and tampered cookies are ignored and replaced, without an error.
  std::string tampered = value;
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  for (const std::string& bad : {std::string("0123456789abcdef.00000000000000000000000000000000"),
                                 tampered, std::string("w1")}) {
    const Reply reply = curl(url("/"), "-b 'SLUICE_SRV=" + bad + "'");
    EXPECT_EQ(reply.status(), 200) << bad;
    EXPECT_FALSE(stickyValue(reply).empty()) << "re-issued for " << bad;
  }

  // The shopper's server stops: the next request goes elsewhere, with a new cookie, no error.
  web_[server[1] - '1']->stop();
  const Reply moved = curl(url("/"), "-b 'SLUICE_SRV=" + value + "'");
  EXPECT_EQ(moved.status(), 200) << moved.raw;
  EXPECT_NE(moved.header("X-Origin"), server);
  const std::string newValue = stickyValue(moved);
  EXPECT_FALSE(newValue.empty());
  EXPECT_NE(newValue, value);
  EXPECT_EQ(curl(url("/"), "-b 'SLUICE_SRV=" + newValue + "'").header("X-Origin"),
            moved.header("X-Origin"));
}

TEST_F(RulesTest, NodesWithTheSameSecretHonourEachOthersCookies) {
  SluiceProcess a(config("", kSticky, kSecret));
  const uint16_t portA = port_;
  port_ = freePort();
  port6_ = freePort();
  SluiceProcess b(config("", kSticky, kSecret));
  ASSERT_TRUE(a.waitReady()) << a.stderrText();
  ASSERT_TRUE(b.waitReady()) << b.stderrText();
  for (int i = 0; i < 6; ++i) {
    const Reply fromA = curl("http://127.0.0.1:" + std::to_string(portA) + "/");
    const std::string value = stickyValue(fromA);
    ASSERT_FALSE(value.empty());
    const Reply fromB = curl(url("/"), "-b 'SLUICE_SRV=" + value + "'");
    EXPECT_EQ(fromB.header("X-Origin"), fromA.header("X-Origin"));
    EXPECT_EQ(fromB.header("Set-Cookie"), "") << "B accepts A's cookie as its own";
  }
}

TEST_F(RulesTest, AReplacedSecretKeepsShoppersOnTheirServerAndSealsTheirCookieAnew) {
  SluiceProcess sluice(config("", kSticky, kSecret));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const Reply first = curl(url("/"));
  const std::string old = stickyValue(first);
  ASSERT_FALSE(old.empty()) << first.raw;
  // The new secret seals; the old one, as previous, still opens.
  ASSERT_TRUE(sluice.reload(
      config("", kSticky,
             ", sticky_secret: \"fedcba9876543210fedcba9876543210\", sticky_previous_secret: "
             "\"0123456789abcdef0123456789abcdef\"")))
      << sluice.stderrText();
  const Reply moved = curl(url("/"), "-b 'SLUICE_SRV=" + old + "'");
  EXPECT_EQ(moved.header("X-Origin"), first.header("X-Origin"));
  const std::string resealed = stickyValue(moved);
  ASSERT_FALSE(resealed.empty()) << "sealed again under the new secret\n" << moved.raw;
  EXPECT_NE(resealed.substr(0, 8), old.substr(0, 8)) << "another key id";
  const Reply again = curl(url("/"), "-b 'SLUICE_SRV=" + resealed + "'");
  EXPECT_EQ(again.header("X-Origin"), first.header("X-Origin"));
  EXPECT_EQ(again.header("Set-Cookie"), "");
  // Once the old secret is dropped, its cookies open no more: balanced, and a new cookie.
  ASSERT_TRUE(
      sluice.reload(config("", kSticky, ", sticky_secret: \"fedcba9876543210fedcba9876543210\"")));
  EXPECT_FALSE(stickyValue(curl(url("/"), "-b 'SLUICE_SRV=" + old + "'")).empty());
}

TEST_F(RulesTest, WithoutASecretCookiesWorkAndTheOperatorIsWarned) {
  SluiceProcess sluice(config("", kSticky));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_NE(sluice.stderrText().find("global.sticky_secret is not set"), std::string::npos);
  const Reply first = curl(url("/"));
  const Reply again = curl(url("/"), "-b 'SLUICE_SRV=" + stickyValue(first) + "'");
  EXPECT_EQ(again.header("X-Origin"), first.header("X-Origin"));
}

TEST_F(RulesTest, UriAndHeaderHashingPlaceRequestsConsistently) {
  {
    SluiceProcess sluice(config("", "    balance: uri_hash\n"));
    ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
    std::set<std::string> used;
    for (int i = 0; i < 20; ++i) {
      const std::string path = "/asset/" + std::to_string(i) + ".css";
      const std::string first = curl(url(path + "?v=1")).header("X-Origin");
      EXPECT_EQ(curl(url(path + "?v=2")).header("X-Origin"), first) << "the query does not count";
      used.insert(first);
    }
    EXPECT_GE(used.size(), 2u) << "different paths spread";
  }
  SluiceProcess sluice(config("", "    balance: {header_hash: {name: X-Tenant}}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  std::set<std::string> used;
  for (int i = 0; i < 20; ++i) {
    const std::string tenant = "-H 'X-Tenant: t" + std::to_string(i) + "'";
    const std::string first = curl(url("/a"), tenant).header("X-Origin");
    EXPECT_EQ(curl(url("/b"), tenant).header("X-Origin"), first);
    used.insert(first);
  }
  EXPECT_GE(used.size(), 2u);
}

// Over TLS: the sni match key, and sticky cookies marked Secure.
TEST(RulesOverTls, SniMatchAndSecureCookies) {
  CertFactory& certs = CertFactory::instance();
  const CertFactory::Issued cert = certs.issue({"shop.example.test", "admin.example.test"});
  TestOrigin w1(httpOrigin("w1"));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 1, sticky_secret: \"0123456789abcdef0123456789abcdef\"}\n"
      "certificates: [{name: shop, cert: " +
      cert.cert + ", key: " + cert.key +
      "}]\n"
      "server_groups:\n"
      "  - name: web\n    protocol: http\n" +
      kSticky + "    servers: [{name: w1, address: " + w1.address() +
      "}]\n"
      "vips:\n"
      "  - name: shop\n    listen: 127.0.0.1:" +
      std::to_string(port) +
      "\n    service: https-offload\n    certificates: [shop]\n    default_group: web\n"
      "    rules:\n"
      "      - {match: {sni: admin.example.test}, action: {deny: 403}}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  auto get = [&](const std::string& name) {
    const std::string p = std::to_string(port);
    return curl("https://" + name + ":" + p + "/",
                "--cacert " + certs.caPath() + " --resolve " + name + ":" + p + ":127.0.0.1");
  };
  EXPECT_EQ(get("admin.example.test").status(), 403);
  const Reply shop = get("shop.example.test");
  EXPECT_EQ(shop.status(), 200);
  EXPECT_NE(shop.header("Set-Cookie").find("; Secure"), std::string::npos) << shop.raw;
}

}  // namespace
}  // namespace sluice::test
