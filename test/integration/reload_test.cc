// Hitless reload end to end: the real sluice binary, its config file rewritten and SIGHUP sent
// as an operator (or `systemctl reload`) does, with real origins and clients that stay connected
// across the reload. What must hold: listeners that stay never refuse a connection, HTTP
// connections move to the new config at their next request (without Connection: close), relays
// keep theirs, only what was removed drains, and nothing stateful (health, sticky cookies, TLS
// sessions) starts over.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "support/http_origin.h"
#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"
#include "support/tls_support.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

struct Response {
  int status = 0;
  std::string head;
  std::string body;
  std::string header(const std::string& name) const {
    const size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t from = at + name.size() + 4;
    return head.substr(from, head.find("\r\n", from) - from);
  }
};

// One request on an open keep-alive connection, and its response (Content-Length framed).
Response request(int fd, const std::string& path, const std::string& extra = "") {
  writeAll(fd, "GET " + path + " HTTP/1.1\r\nHost: reload.test\r\n" + extra + "\r\n");
  Response response;
  response.head = readUntil(fd, "\r\n\r\n", 5000ms);
  if (response.head.rfind("HTTP/1.1 ", 0) != 0) return response;
  response.status = std::stoi(response.head.substr(9, 3));
  const std::string length = response.header("Content-Length");
  if (!length.empty()) {
    response.body.resize(std::stoul(length));
    size_t got = 0;
    while (got < response.body.size()) {
      const ssize_t n = ::recv(fd, response.body.data() + got, response.body.size() - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
  }
  return response;
}

// A new connection's single request: the origin's name, or "" when it failed.
std::string originOf(uint16_t port, const std::string& path = "/echo") {
  const int fd = connectLocal(port);
  if (fd < 0) return "";
  const Response response = request(fd, path);
  ::close(fd);
  return response.status == 200 ? response.header("X-Origin") : "";
}

// A TLS client that stays connected: the long-lived connection a reload must not cut.
class TlsConnection {
 public:
  TlsConnection(uint16_t port, const std::string& sni) {
    context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(context_, CertFactory::instance().caPath().c_str(), nullptr);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    fd_ = connectLocal(port);
    ssl_ = SSL_new(context_);
    SSL_set_tlsext_host_name(ssl_, sni.c_str());
    SSL_set1_host(ssl_, sni.c_str());
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
  }
  ~TlsConnection() {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  // Writes `text` and reads until `size` bytes came back (an echo), or fails.
  std::string roundTrip(const std::string& text, size_t size) {
    if (SSL_write(ssl_, text.data(), static_cast<int>(text.size())) <= 0) return "";
    std::string back(size, '\0');
    size_t got = 0;
    while (got < size) {
      const int n = SSL_read(ssl_, back.data() + got, static_cast<int>(size - got));
      if (n <= 0) return back.substr(0, got);
      got += static_cast<size_t>(n);
    }
    return back;
  }

 private:
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

class ReloadTest : public ::testing::Test {
 protected:
  ReloadTest() : a_(httpOrigin("a")), b_(httpOrigin("b")), echo_(TestOrigin::echo()) {}

  // An http VIP `web` to group web (`server` one of a_/b_), a tcp VIP `raw` to the echo origin,
  // and `extra` text appended (more VIPs).
  std::string config(const TestOrigin& server, const std::string& name,
                     const std::string& extraVips = "", const std::string& global = "") {
    return "global: {workers: 2, drain_timeout: 1s, drain_spread: 0s" + global +
           "}\n"
           "server_groups:\n"
           "  - {name: web, protocol: http, servers: [{name: " +
           name + ", address: " + server.address() +
           "}]}\n"
           "  - {name: other, protocol: http, servers: [{name: b, address: " +
           b_.address() +
           "}]}\n"
           "  - {name: raw, protocol: tcp, servers: [{name: e1, address: " +
           echo_.address() +
           "}]}\n"
           "vips:\n"
           "  - {name: web, listen: 127.0.0.1:" +
           std::to_string(web_) +
           ", service: http, default_group: web}\n"
           "  - {name: raw, listen: 127.0.0.1:" +
           std::to_string(raw_) + ", service: tcp, default_group: raw}\n" + extraVips;
  }
  std::string vip(const std::string& name, uint16_t port, const std::string& group) {
    return "  - {name: " + name + ", listen: 127.0.0.1:" + std::to_string(port) +
           ", service: http, default_group: " + group + "}\n";
  }

  uint16_t web_ = freePort();
  uint16_t raw_ = freePort();
  TestOrigin a_, b_, echo_;
};

TEST_F(ReloadTest, AnOpenHttpConnectionIsServedByTheNewConfigAtItsNextRequest) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  const int fd = connectLocal(web_);
  const Response before = request(fd, "/echo");
  EXPECT_EQ(before.header("X-Origin"), "a");
  EXPECT_EQ(before.header("Connection"), "") << "no close announced: the connection stays";

  const uint16_t added = freePort();
  ASSERT_TRUE(sluice.reload(config(b_, "b", vip("added", added, "web"))));
  const Response after = request(fd, "/echo");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.header("X-Origin"), "b") << "the same connection, the new group";
  EXPECT_EQ(originOf(added), "b") << "the VIP the reload added listens";
  EXPECT_NE(sluice.stderrText().find("reloaded: revision 2 is live"), std::string::npos);
  ::close(fd);
}

TEST_F(ReloadTest, AnInvalidFileChangesNothingAndItsErrorsReadAsSluiceCheckPrintsThem) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  std::string broken = config(b_, "b");
  broken.replace(broken.find("service: tcp"), 12, "service: tpc");

  SluiceProcess check(broken, "check");
  ASSERT_EQ(check.waitExit(), 1);
  const std::string checkSays = check.stderrText().substr(0, check.stderrText().find('\n'));
  ASSERT_NE(checkSays.find("vips[1].service"), std::string::npos) << checkSays;

  EXPECT_FALSE(sluice.reload(broken));
  // The same words, naming the running process's own file.
  std::string expected = checkSays;
  expected.replace(0, check.configPath().size(), sluice.configPath());
  EXPECT_NE(sluice.stderrText().find(expected), std::string::npos) << sluice.stderrText();
  EXPECT_NE(sluice.stderrText().find("revision 1 stays in force"), std::string::npos);
  EXPECT_EQ(originOf(web_), "a") << "the running config serves on";

  EXPECT_TRUE(sluice.reload(config(b_, "b"))) << "and a good file after it goes live";
  EXPECT_EQ(originOf(web_), "b");
}

TEST_F(ReloadTest, ANewAddressThatCannotBeBoundRejectsTheWholeReload) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  // Another program holds this port.
  const uint16_t taken = freePort();
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(taken);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);

  EXPECT_FALSE(sluice.reload(config(b_, "b", vip("blocked", taken, "web"))));
  EXPECT_NE(sluice.stderrText().find("vips[2] (blocked)"), std::string::npos)
      << sluice.stderrText();
  EXPECT_EQ(originOf(web_), "a") << "nothing changed: not even the group of another VIP";
  ::close(holder);
}

TEST_F(ReloadTest, SettingsReadOnlyAtStartAreRefusedRatherThanHalfApplied) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  std::string more = config(b_, "b");
  more.replace(more.find("workers: 2"), 10, "workers: 3");
  EXPECT_FALSE(sluice.reload(more));
  EXPECT_NE(
      sluice.stderrText().find("global.workers changes only at a restart (running: 2, file: 3)"),
      std::string::npos);
  EXPECT_EQ(originOf(web_), "a");
}

// Twenty reloads while new connections keep coming: the listener that stays never closes.
TEST_F(ReloadTest, NoConnectionIsRefusedOrFailedWhileTheConfigIsReloadedTwentyTimes) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex mutex;
  std::set<std::string> seen;
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&] {
      // Bounded: until the reloads are done, and never more than 5000 requests each.
      for (int i = 0; i < 5000 && !stop.load(); ++i) {
        const std::string origin = originOf(web_);
        if (origin.empty()) {
          failed.fetch_add(1);
          continue;
        }
        ok.fetch_add(1);
        std::lock_guard lock(mutex);
        seen.insert(origin);
      }
    });
  }
  // And one keep-alive connection that must never be told to close, nor be closed.
  std::atomic<int> keptAlive{0}, cut{0};
  clients.emplace_back([&] {
    const int fd = connectLocal(web_);
    for (int i = 0; i < 5000 && !stop.load(); ++i) {
      const Response response = request(fd, "/echo");
      if (response.status != 200 || response.header("Connection") == "close") {
        cut.fetch_add(1);
        break;
      }
      keptAlive.fetch_add(1);
    }
    ::close(fd);
  });
  const uint16_t extra = freePort();
  for (int i = 0; i < 20; ++i) {
    // Alternate the group's server and add and remove a second VIP each time.
    const bool odd = i % 2 == 1;
    ASSERT_TRUE(sluice.reload(odd ? config(a_, "a") : config(b_, "b", vip("extra", extra, "web"))));
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  for (auto& client : clients)
    client.join();
  EXPECT_EQ(failed.load(), 0) << "of " << ok.load() + failed.load() << " requests";
  EXPECT_GT(ok.load(), 20);
  EXPECT_EQ(seen, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(cut.load(), 0) << "after " << keptAlive.load() << " requests on one connection";
  EXPECT_GT(keptAlive.load(), 20);
}

TEST_F(ReloadTest, RelaysKeepTheirConfigAndOnlyConnectionsOfARemovedVipDrain) {
  SluiceProcess sluice(config(a_, "a"));
  ASSERT_TRUE(sluice.waitReady());
  const int relay = connectLocal(raw_);
  ASSERT_TRUE(writeAll(relay, "one"));
  EXPECT_EQ(readUntil(relay, "one", 5000ms), "one");

  // A WebSocket through the http VIP: a relay too, once upgraded.
  const int socket = connectLocal(web_);
  writeAll(socket,
           "GET /ws HTTP/1.1\r\nHost: reload.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "\r\n");
  ASSERT_NE(readUntil(socket, "\r\n\r\n", 5000ms).find("101"), std::string::npos);

  // A reload that leaves both relays' VIPs and servers as they were (it adds a VIP): they are
  // not touched by it, and still are not after the drain timeout (1s) has passed.
  ASSERT_TRUE(sluice.reload(config(a_, "a", vip("more", freePort(), "other"))));
  std::this_thread::sleep_for(1500ms);
  ASSERT_TRUE(writeAll(relay, "two"));
  EXPECT_EQ(readUntil(relay, "two", 5000ms), "two");
  ASSERT_TRUE(writeAll(socket, "frame"));
  EXPECT_EQ(readUntil(socket, "frame", 5000ms), "frame") << "the WebSocket still reaches a";

  // Now the raw VIP goes away, and server a from the web group: each relay may finish for
  // drain_timeout, then is closed; the removed VIP's port refuses new connections at once.
  std::string withoutRaw = config(b_, "b");
  withoutRaw.erase(withoutRaw.find("  - {name: raw, listen"));
  ASSERT_TRUE(sluice.reload(withoutRaw));
  EXPECT_LT(connectLocal(raw_), 0) << "the removed VIP's port is closed";
  ASSERT_TRUE(writeAll(relay, "three"));
  EXPECT_EQ(readUntil(relay, "three", 5000ms), "three") << "still within the drain timeout";
  ASSERT_TRUE(writeAll(socket, "frame2"));
  EXPECT_EQ(readUntil(socket, "frame2", 5000ms), "frame2");
  const auto start = std::chrono::steady_clock::now();
  for (int fd : {relay, socket}) {
    bool eof = false;
    readUntilClose(fd, 10000ms, &eof);
    EXPECT_TRUE(eof) << "closed at the drain deadline";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_EQ(originOf(web_), "b") << "the web VIP itself stays and serves the new group";
  ::close(relay);
  ::close(socket);
  bool logged = false;
  for (const auto& record : sluice.accessLog())
    logged |= record.value("vip", "") == "raw" && record.value("end", "") == "drained";
  EXPECT_TRUE(logged) << "the access log says why it was closed\n" << sluice.stdoutText();
}

TEST_F(ReloadTest, IdleKeepAliveConnectionsOfARemovedVipCloseAtOnce) {
  const uint16_t gone = freePort();
  SluiceProcess sluice(config(a_, "a", vip("gone", gone, "web")));
  ASSERT_TRUE(sluice.waitReady());
  const int idle = connectLocal(gone);
  EXPECT_EQ(request(idle, "/echo").header("X-Origin"), "a");
  ASSERT_TRUE(sluice.reload(config(a_, "a")));
  bool eof = false;
  readUntilClose(idle, 5000ms, &eof);
  EXPECT_TRUE(eof) << "nothing in flight: no reason to wait for the drain deadline";
  ::close(idle);
}

TEST_F(ReloadTest, HealthStickyCookiesAndTheirServersCarryOver) {
  auto status = std::make_shared<std::atomic<int>>(200);
  TestOrigin sick(httpOrigin("sick", status));
  auto yaml = [&](const std::string& extraVips) {
    return "global: {workers: 2}\n"
           "server_groups:\n"
           "  - name: web\n    protocol: http\n"
           "    health: {type: http, path: /healthz, interval: 200ms, timeout: 100ms, rise: 2, "
           "fall: 2}\n"
           "    sticky: {cookie: {name: SRV}}\n"
           "    servers:\n      - {name: a, address: " +
           a_.address() + "}\n      - {name: b, address: " + b_.address() +
           "}\n      - {name: sick, address: " + sick.address() +
           "}\n"
           "vips:\n  - {name: web, listen: 127.0.0.1:" +
           std::to_string(web_) + ", service: http, default_group: web}\n" + extraVips;
  };
  SluiceProcess sluice(yaml(""));
  ASSERT_TRUE(sluice.waitReady());
  *status = 500;
  ASSERT_TRUE(eventually(
      [&] { return sluice.stderrText().find("server web/sick is down") != std::string::npos; },
      5000ms));
  // A client made sticky to one server before the reload.
  const int fd = connectLocal(web_);
  const Response first = request(fd, "/echo");
  const std::string cookie =
      first.header("Set-Cookie").substr(0, first.header("Set-Cookie").find(';'));
  ASSERT_FALSE(cookie.empty());
  const std::string stuckTo = first.header("X-Origin");
  ::close(fd);

  ASSERT_TRUE(sluice.reload(yaml(vip("second", freePort(), "web"))));
  // Right after the reload: the sick server is still down (not up again by default), and the
  // cookie still names its server (the same key signs it).
  for (int i = 0; i < 20; ++i) {
    const int c = connectLocal(web_);
    const Response response = request(c, "/echo");
    ::close(c);
    EXPECT_NE(response.header("X-Origin"), "sick") << "request " << i;
  }
  for (int i = 0; i < 5; ++i) {
    const int c = connectLocal(web_);
    const Response response = request(c, "/echo", "Cookie: " + cookie + "\r\n");
    ::close(c);
    EXPECT_EQ(response.header("X-Origin"), stuckTo);
    EXPECT_EQ(response.header("Set-Cookie"), "") << "the cookie was honoured, not replaced";
  }
  EXPECT_EQ(sluice.stderrText().find("server web/sick is up"), std::string::npos);
}

// The seeds' switch: an offload VIP takes over a passthrough VIP's address, live.
TEST_F(ReloadTest, APassthroughAddressBecomesOffloadedWhileItsOpenConnectionsFinishUntouched) {
  CertFactory& certs = CertFactory::instance();
  auto stats = std::make_shared<TlsOriginStats>();
  TestOrigin backend(tlsWrapped(TestOrigin::echo(), certs.issue({"shop.test"}), stats));
  const CertFactory::Issued lbCert = certs.issue({"shop.test"});
  const uint16_t port = freePort();
  const std::string common =
      "global: {workers: 2, drain_timeout: 30s}\n"
      "certificates:\n  - {name: shop, cert: " +
      lbCert.cert + ", key: " + lbCert.key +
      "}\n"
      "server_groups:\n"
      "  - {name: tls-backends, protocol: tcp, servers: [{name: t1, address: " +
      backend.address() +
      "}]}\n"
      "  - {name: web, protocol: http, servers: [{name: a, address: " +
      a_.address() + "}]}\n";
  const std::string passthrough =
      "  - {name: shop-pass, listen: 127.0.0.1:" + std::to_string(port) +
      ", service: https-passthrough, default_group: tls-backends";
  SluiceProcess sluice(common + "vips:\n" + passthrough + "}\n");
  ASSERT_TRUE(sluice.waitReady());
  TlsConnection open(port, "shop.test");
  ASSERT_TRUE(open.connected());
  EXPECT_EQ(open.roundTrip("before", 6), "before");

  ASSERT_TRUE(
      sluice.reload(common + "vips:\n" + passthrough +
                    ", active: false}\n"
                    "  - {name: shop, listen: 127.0.0.1:" +
                    std::to_string(port) +
                    ", service: https-offload, certificates: [shop], default_group: web}\n"));
  // New connections are offloaded: Sluice's certificate, an HTTP answer with the forwarded
  // protocol.
  const std::string answer = tlsExchange(
      port, "shop.test", "GET /echo HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
  EXPECT_NE(answer.find("X-Origin: a"), std::string::npos) << answer;
  EXPECT_NE(answer.find("X-Forwarded-Proto: https"), std::string::npos);
  // The open passthrough connection carries on with the backend's own TLS.
  EXPECT_EQ(open.roundTrip("after", 5), "after");
  EXPECT_EQ(stats->handshakes.load(), 1) << "no new connection reached the passthrough backend";
}

TEST_F(ReloadTest, TlsSessionsResumeAcrossAReloadAndARenewedCertificateIsServed) {
  CertFactory& certs = CertFactory::instance();
  const CertFactory::Issued issued = certs.issue({"shop.test"});
  const std::string dir = std::filesystem::path(issued.cert).parent_path().string();
  const std::string cert = dir + "/live-" + std::to_string(web_) + ".pem";
  const std::string key = dir + "/live-" + std::to_string(web_) + ".key";
  std::filesystem::copy_file(issued.cert, cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(issued.key, key, std::filesystem::copy_options::overwrite_existing);
  const uint16_t port = freePort();
  auto yaml = [&](const std::string& comment) {
    return "# " + comment +
           "\nglobal: {workers: 1}\n"
           "certificates:\n  - {name: shop, cert: " +
           cert + ", key: " + key +
           "}\n"
           "server_groups:\n"
           "  - {name: web, protocol: http, servers: [{name: a, address: " +
           a_.address() +
           "}]}\n"
           "vips:\n  - {name: shop, listen: 127.0.0.1:" +
           std::to_string(port) +
           ", service: https-offload, certificates: [shop], default_group: web}\n";
  };
  SluiceProcess sluice(yaml("first"));
  ASSERT_TRUE(sluice.waitReady());
  const std::string session = sluice.configPath() + ".session";
  const std::string client = "openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                             " -servername shop.test -CAfile " + certs.caPath() + " -tls1_2 ";
  std::string out;
  runCommand("echo | " + client + "-sess_out " + session + " 2>&1", out);
  ASSERT_NE(out.find("Verify return code: 0"), std::string::npos) << out;

  // The certificate is renewed in place (same files), then the config reloaded.
  const CertFactory::Issued renewed = certs.issue({"shop.test"});
  std::filesystem::copy_file(renewed.cert, cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, key, std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(sluice.reload(yaml("renewed")));

  runCommand("echo | " + client + "-sess_in " + session + " 2>&1", out);
  EXPECT_NE(out.find("Reused, TLSv1.2"), std::string::npos) << "the ticket key carried over\n"
                                                            << out;
  std::string served, expected;
  runCommand("echo | " + client + "2>/dev/null | openssl x509 -noout -serial", served);
  runCommand("openssl x509 -in " + renewed.cert + " -noout -serial", expected);
  EXPECT_EQ(served, expected) << "a new handshake gets the renewed certificate";
}

// systemd's Type=notify protocol (packaging/sluice.service), with the test as the service
// manager: a datagram socket named by NOTIFY_SOCKET.
TEST_F(ReloadTest, SystemdIsToldReadyReloadingAndStopping) {
  const std::string path = "/tmp/sluice-notify-" + std::to_string(::getpid());
  ::unlink(path.c_str());
  const int socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  auto next = [&] {
    pollfd ready{socket, POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return std::string("(nothing)");
    char message[512];
    const ssize_t n = ::recv(socket, message, sizeof message, 0);
    return std::string(message, n > 0 ? static_cast<size_t>(n) : 0);
  };
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  SluiceProcess sluice(config(a_, "a"));
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(next(), "READY=1");
  ASSERT_TRUE(sluice.waitReady());
  sluice.signal(SIGHUP);
  const std::string reloading = next();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_EQ(next(), "READY=1") << "after the reload, whatever its outcome";
  sluice.signal(SIGTERM);
  EXPECT_EQ(next(), "STOPPING=1");
  EXPECT_EQ(sluice.waitExit(), 0);
  ::close(socket);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace sluice::test
