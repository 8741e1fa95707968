// Cluster mode: several nodes, one configuration in a real etcd cluster (README, "Cluster mode").

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "integration/cluster_fixture.h"

namespace sluice::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Milliseconds from `since` until `probe` names `origin` (-1: not within 10 s).
long long msUntilServedBy(const std::string& origin, Clock::time_point since,
                          const std::function<std::string()>& probe) {
  if (!eventually([&] { return probe() == origin; }, seconds(10))) return -1;
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

TEST_F(ClusterTest, AnApplyOnOneNodeIsServedByEveryNode) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));  // seeds the empty cluster
  Node& b = startNode("b");
  Node& c = startNode("c");
  for (Node* n : {&a, &b, &c}) {
    EXPECT_EQ(originVia(*n), "a") << n->name << ": " << n->process->stderrText();
    EXPECT_EQ(offloadStatus(*n), 200) << n->name << " serves the certificate from etcd";
  }
  const long long seeded = static_cast<long long>(metric(a, "sluice_cluster_revision_running"));
  EXPECT_GT(seeded, 0);

  // A node's own sections are its file's: the API refuses them rather than drop them.
  const Reply foreign = stage(a, "global: {workers: 4}\n" + shared("b"));
  EXPECT_EQ(foreign.status, 422) << foreign.body;
  EXPECT_NE(foreign.body.find("'global' is kept in each node's file"), std::string::npos)
      << foreign.body;
  ASSERT_EQ(stage(a, shared("b")).status, 200);
  const auto applying = Clock::now();
  const Reply reply = applyDraft(a);
  const auto answered = Clock::now();
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_GT(reply.parsed().value("cluster_revision", 0ll), seeded);
  // The answer comes once A runs it.
  EXPECT_EQ(originVia(a), "b");
  const long long toB = msUntilServedBy("b", applying, [&] { return originVia(b); });
  const long long toC = msUntilServedBy("b", applying, [&] { return originVia(c); });
  ASSERT_GE(toB, 0) << b.process->stderrText();
  ASSERT_GE(toC, 0) << c.process->stderrText();
  std::printf(
      "apply on A (review, apply: %lld ms) to served by B: %lld ms, by C: %lld ms (each probe "
      "is a curl of its own)\n",
      static_cast<long long>(std::chrono::duration_cast<milliseconds>(answered - applying).count()),
      toB, toC);
  for (Node* n : {&a, &b, &c}) {
    EXPECT_EQ(metric(*n, "sluice_cluster_revision_running"),
              reply.parsed().value("cluster_revision", 0ll))
        << n->name;
    EXPECT_NE(readyz(*n).find("etcd answers"), std::string::npos) << n->name;
  }
  // Every node lists every node, each with the revision it runs.
  json view;
  ASSERT_TRUE(eventually(
      [&] {
        view = call(b, "GET", "/api/v1/cluster").parsed();
        if (!view.is_object() || view.value("nodes", json::array()).size() != 3) return false;
        for (const json& n : view["nodes"]) {
          if (n.value("revision", 0ll) != reply.parsed().value("cluster_revision", 0ll))
            return false;
        }
        return true;
      },
      seconds(5)))
      << view.dump(2);
  EXPECT_EQ(view["node"], "b");
  for (const json& n : view["nodes"]) {
    EXPECT_FALSE(n.value("lagging", true)) << n.dump();
    EXPECT_EQ(n.value("this_node", false), n.value("id", "") == "b") << n.dump();
    EXPECT_EQ(n["groups"]["web"]["servers"], 1) << n.dump();
  }
  // A node that does not follow is shown behind.
  c.process->signal(SIGSTOP);
  ASSERT_EQ(apply(a, shared("ab")).status, 200);
  auto lagging = [&](const std::string& id) {
    const json view = call(a, "GET", "/api/v1/cluster").parsed();
    for (const json& n : view.value("nodes", json::array())) {
      if (n.value("id", "") == id) return n.value("lagging", false);
    }
    return false;
  };
  EXPECT_TRUE(eventually([&] { return lagging("c"); }, seconds(5)))
      << call(a, "GET", "/api/v1/cluster").body;
  c.process->signal(SIGCONT);
  EXPECT_TRUE(eventually([&] { return !lagging("c"); }, seconds(5)))
      << call(a, "GET", "/api/v1/cluster").body;
  // A node that stops leaves the list at once (its lease is revoked).
  c.process->signal(SIGTERM);
  EXPECT_EQ(c.process->waitExit(), 0);
  EXPECT_TRUE(eventually(
      [&] { return call(a, "GET", "/api/v1/cluster").parsed()["nodes"].size() == 2; }, seconds(3)));

  // Every node's API shows the cluster's config, whoever applied it.
  const json config = call(b, "GET", "/api/v1/config").parsed();
  ASSERT_TRUE(config.contains("server_groups")) << config.dump();
  EXPECT_EQ(config["server_groups"][0]["servers"].size(), 2u) << config.dump();
  EXPECT_FALSE(config.contains("cluster")) << "the node's own sections are not shared";
}

TEST_F(ClusterTest, EveryNodeSharesOneDraftAndTwoRacingAppliesCommitOnce) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  Node& c = startNode("c");
  // Staged on A: every node's banner shows it, under the same ETag.
  ASSERT_EQ(callJson(a, "POST", "/api/v1/server_groups",
                     {{"name", "spare"},
                      {"protocol", "http"},
                      {"servers", {{{"name", "b"}, {"address", b_.address()}}}}})
                .status,
            201);
  const Reply onA = call(a, "GET", "/api/v1/changes");
  const Reply onB = call(b, "GET", "/api/v1/changes");
  EXPECT_EQ(onB.parsed().value("pending", 0), 1) << onB.body;
  EXPECT_EQ(onA.header("ETag"), onB.header("ETag"));
  EXPECT_EQ(call(c, "GET", "/api/v1/status").parsed().value("pending_changes", -1), 1)
      << call(c, "GET", "/api/v1/status").body;
  // B changes the draft further; A sees it.
  ASSERT_EQ(callJson(b, "PATCH", "/api/v1/server_groups/spare", {{"retries", 5}}).status, 200);
  const json spare = call(a, "GET", "/api/v1/server_groups/spare").parsed();
  EXPECT_EQ(spare.value("retries", 0), 5) << spare.dump();

  // Applied from two nodes at once, with the same review: one commits, the other gets 412.
  const std::string tag = call(c, "GET", "/api/v1/changes").header("ETag");
  const auto commits = [&] {
    const json kv =
        json::parse(etcd_.etcdctl("get " + prefix_ + "/commit -w json"), nullptr, false);
    return kv.is_object() && kv.contains("kvs") ? kv["kvs"][0].value("version", 0ll) : 0ll;
  };
  const long long before = commits();
  Reply fromA, fromB;
  std::thread first([&] {
    fromA = callJson(a, "POST", "/api/v1/apply", json::object(), "-H 'If-Match: " + tag + "'");
  });
  std::thread second([&] {
    fromB = callJson(b, "POST", "/api/v1/apply", json::object(), "-H 'If-Match: " + tag + "'");
  });
  first.join();
  second.join();
  ASSERT_TRUE((fromA.status == 200) != (fromB.status == 200))
      << "A: " << fromA.status << " " << fromA.body << "\nB: " << fromB.status << " " << fromB.body;
  EXPECT_EQ((fromA.status == 200 ? fromB : fromA).status, 412)
      << (fromA.status == 200 ? fromB : fromA).body;
  EXPECT_EQ(commits(), before + 1);
  for (Node* n : {&a, &b, &c}) {
    EXPECT_TRUE(eventually(
        [&] {
          const json group = call(*n, "GET", "/api/v1/server_groups/spare").parsed();
          return group.value("retries", 0) == 5 &&
                 call(*n, "GET", "/api/v1/changes").parsed().value("pending", -1) == 0;
        },
        seconds(5)))
        << n->name;
  }
}

TEST_F(ClusterTest, KillingTheEtcdLeaderLosesNoApply) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  const int leader = etcd_.leader();
  ASSERT_GE(leader, 0);
  etcd_.kill(static_cast<size_t>(leader));
  EXPECT_EQ(originVia(a), "a");
  EXPECT_EQ(originVia(b), "a");
  // The first apply may meet the election; a client retries what answered 503.
  ASSERT_TRUE(applyWithin(seconds(15), a, shared("b")));
  EXPECT_TRUE(eventually([&] { return originVia(b) == "b"; }, seconds(5)))
      << b.process->stderrText();
  EXPECT_EQ(originVia(a), "b");
}

TEST_F(ClusterTest, WithoutQuorumNodesServeAndWritesAre503UntilItComesBack) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  etcd_.kill(1);
  etcd_.kill(2);
  EXPECT_TRUE(eventually([&] { return metric(b, "sluice_cluster_etcd_up") == 0; }, seconds(15)));
  EXPECT_NE(readyz(b).find("etcd unreachable"), std::string::npos) << readyz(b);
  EXPECT_EQ(call(b, "GET", "/readyz").status, 200) << "a node without etcd still serves";
  for (Node* n : {&a, &b})
    EXPECT_EQ(originVia(*n), "a") << n->name;
  EXPECT_TRUE(eventually([&] { return stage(a, shared("b")).status == 503; }, seconds(15)));
  const Reply refused = stage(a, shared("b"));
  EXPECT_EQ(refused.status, 503) << refused.body;

  etcd_.start(1);
  etcd_.start(2);
  ASSERT_TRUE(etcd_.waitHealthy());
  EXPECT_TRUE(eventually([&] { return metric(a, "sluice_cluster_etcd_up") == 1; }, seconds(15)));
  ASSERT_TRUE(applyWithin(seconds(15), a, shared("b")));
  EXPECT_TRUE(eventually([&] { return originVia(b) == "b"; }, seconds(5)));
}

TEST_F(ClusterTest, ANodeStoppedThroughACompactionCatchesUpWithTheRightConfig) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  b.process->signal(SIGSTOP);
  // Every member restarts in turn: B's watch connection is gone, wherever it was, before any
  // event could reach it.
  for (size_t m = 0; m < 3; ++m) {
    etcd_.kill(m);
    etcd_.start(m);
    ASSERT_TRUE(etcd_.waitHealthy());
  }
  for (const char* servers : {"b", "ab", "b"}) {
    ASSERT_TRUE(applyWithin(seconds(15), a, shared(servers)));
  }
  // The revision B would watch from is gone.
  etcd_.compact();
  b.process->signal(SIGCONT);
  EXPECT_TRUE(eventually(
      [&] {
        return metric(b, "sluice_cluster_revision_running") ==
               metric(a, "sluice_cluster_revision_running");
      },
      seconds(15)))
      << b.process->stderrText();
  EXPECT_EQ(originVia(b), "b");
  EXPECT_GE(metric(b, "sluice_cluster_resyncs_total"), 1);
}

TEST_F(ClusterTest, ANodeStartedWhileEtcdIsDownServesTheConfigItKept) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("a"));
  startNode("b");
  ASSERT_EQ(apply(a, shared("b")).status, 200);
  EXPECT_TRUE(eventually([&] { return originVia(node("b")) == "b"; }, seconds(5)));
  node("b").process.reset();  // stopped
  for (size_t m = 0; m < 3; ++m)
    etcd_.kill(m);
  Node& b = startNode("b");
  EXPECT_EQ(originVia(b), "b") << b.process->stderrText();
  EXPECT_EQ(offloadStatus(b), 200);
  EXPECT_NE(readyz(b).find("etcd unreachable"), std::string::npos);
  EXPECT_EQ(stage(b, shared("a")).status, 503);
  for (size_t m = 0; m < 3; ++m)
    etcd_.start(m);
  ASSERT_TRUE(etcd_.waitHealthy());
  EXPECT_TRUE(eventually([&] { return metric(b, "sluice_cluster_etcd_up") == 1; }, seconds(15)));
  ASSERT_TRUE(applyWithin(seconds(15), a, shared("a")));
  EXPECT_TRUE(eventually([&] { return originVia(b) == "a"; }, seconds(5)));
}

TEST_F(ClusterTest, KeepAliveLoadThroughTwoNodesSeesNoFailureAcrossTenApplies) {
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("ab"));
  Node& b = startNode("b");
  std::string loadA, loadB;
  auto load = [&](const Node& n, std::string& out) {
    runCommand("h2load --h1 -D 6 -c 4 -m 1 http://" + n.ip + ":" + std::to_string(web_) + "/echo",
               out);
  };
  std::thread first([&] { load(a, loadA); });
  std::thread second([&] { load(b, loadB); });
  std::this_thread::sleep_for(milliseconds(500));
  int applied = 0;
  for (int i = 0; i < 10; ++i) {
    const Reply reply = apply(i % 2 ? b : a, shared(i % 2 ? "ab" : "ba"));
    EXPECT_EQ(reply.status, 200) << reply.body;
    applied += reply.status == 200;
  }
  first.join();
  second.join();
  EXPECT_EQ(applied, 10);
  for (const std::string* out : {&loadA, &loadB}) {
    EXPECT_NE(out->find(" 0 failed, 0 errored, 0 timeout"), std::string::npos) << *out;
    EXPECT_NE(out->find("status codes: "), std::string::npos) << *out;
    EXPECT_NE(out->find(" 0 3xx, 0 4xx, 0 5xx"), std::string::npos) << *out;
  }
}

// What `openssl s_client` says of a TLS 1.3 connection to `node`'s offload VIP: "New" or
// "Reused". `in`: a session to resume; `out`: where the session it gets is kept.
std::string tlsSession(ClusterTest::Node& node, uint16_t port, const std::string& in,
                       const std::string& out) {
  std::string text;
  runCommand(
      "printf 'GET /echo HTTP/1.1\\r\\nHost: shop.test\\r\\nConnection: close\\r\\n\\r\\n' | "
      "openssl s_client -connect " +
          node.ip + ":" + std::to_string(port) + " -servername shop.test -tls1_3 -ign_eof " +
          "-CAfile " + CertFactory::instance().caPath() + (in.empty() ? "" : " -sess_in " + in) +
          " -sess_out " + out + " 2>&1",
      text);
  if (text.find("Reused, TLSv1.3") != std::string::npos) return "Reused";
  if (text.find("New, TLSv1.3") != std::string::npos) return "New";
  return text;
}

TEST_F(ClusterTest, CookiesAndTlsSessionsFromOneNodeAreHonouredByAnother) {
  clusterExtra_ = "  session_ticket_rotation: 3s\n  sticky_secret_rotation: 3s\n";
  ASSERT_TRUE(etcd_.waitHealthy());
  Node& a = startNode("a", shared("ab", true));
  Node& b = startNode("b");

  auto revisionOf = [&](const std::string& key) {
    const json kv = json::parse(etcd_.etcdctl("get " + key + " -w json"), nullptr, false);
    return kv.is_object() && kv.contains("kvs") ? kv["kvs"][0].value("mod_revision", 0ll) : 0ll;
  };
  const std::string stickyKeys = prefix_ + "/secrets/sticky_keys";
  // Right after a rotation (every node takes it within a probe, a second), for the most time
  // before the next one.
  const long long initial = revisionOf(stickyKeys);
  ASSERT_TRUE(eventually([&] { return revisionOf(stickyKeys) != initial; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(1200));

  // A sticky cookie from A sends the client to the same server through B.
  std::string out;
  runCommand("curl -sS -i --max-time 3 http://" + a.ip + ":" + std::to_string(web_) + "/echo", out);
  const size_t cookieAt = out.find("Set-Cookie: SLUICE_SRV=");
  ASSERT_NE(cookieAt, std::string::npos) << out;
  const std::string cookie = out.substr(cookieAt + 12, out.find(';', cookieAt) - cookieAt - 12);
  const std::string origin = out.substr(out.find("X-Origin: ") + 10, 1);
  for (int i = 0; i < 10; ++i) {
    runCommand("curl -sS -i --max-time 3 -H 'Cookie: " + cookie + "' http://" + b.ip + ":" +
                   std::to_string(web_) + "/echo",
               out);
    EXPECT_EQ(out.substr(out.find("X-Origin: ") + 10, 1), origin) << out;
    EXPECT_EQ(out.find("Set-Cookie: SLUICE_SRV="), std::string::npos)
        << "B honours A's cookie and sends no new one\n"
        << out;
  }

  // After one rotation of the cluster's sticky key, A's cookie still holds through B, and comes
  // back sealed under the new key; two rotations later it no longer opens.
  const long long sealedUnder = revisionOf(stickyKeys);
  ASSERT_GT(sealedUnder, 0);
  long long stickyRotated = 0;
  ASSERT_TRUE(eventually([&] { return (stickyRotated = revisionOf(stickyKeys)) != sealedUnder; },
                         seconds(10)));
  std::this_thread::sleep_for(milliseconds(1500));  // every node has it within a probe
  if (revisionOf(stickyKeys) == stickyRotated) {
    runCommand("curl -sS -i --max-time 3 -H 'Cookie: " + cookie + "' http://" + b.ip + ":" +
                   std::to_string(web_) + "/echo",
               out);
    EXPECT_EQ(out.substr(out.find("X-Origin: ") + 10, 1), origin) << out;
    EXPECT_NE(out.find("Set-Cookie: SLUICE_SRV="), std::string::npos)
        << "sealed again under the new key\n"
        << out;
  }
  ASSERT_TRUE(eventually([&] { return revisionOf(stickyKeys) != stickyRotated; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(1500));
  runCommand("curl -sS -i --max-time 3 -H 'Cookie: " + cookie + "' http://" + b.ip + ":" +
                 std::to_string(web_) + "/echo",
             out);
  EXPECT_NE(out.find("Set-Cookie: SLUICE_SRV="), std::string::npos)
      << "two rotations later, a new cookie\n"
      << out;

  // A TLS session from A resumes on B, across one rotation of the cluster's ticket key, and no
  // longer after the next.
  const std::string keys = prefix_ + "/secrets/session_tickets";
  auto keysRevision = [&] {
    const json kv = json::parse(etcd_.etcdctl("get " + keys + " -w json"), nullptr, false);
    return kv.is_object() && kv.contains("kvs") ? kv["kvs"][0].value("mod_revision", 0ll) : 0ll;
  };
  const long long issuedUnder = keysRevision();
  ASSERT_GT(issuedUnder, 0);
  const std::string ticket = dir_ + "/from-a";
  ASSERT_EQ(tlsSession(a, shop_, "", ticket), "New");
  ASSERT_EQ(tlsSession(b, shop_, ticket, dir_ + "/on-b"), "Reused");
  long long rotated = 0;
  ASSERT_TRUE(eventually([&] { return (rotated = keysRevision()) != issuedUnder; }, seconds(10)));
  // Both nodes take a new key within a probe (a second).
  std::this_thread::sleep_for(milliseconds(1500));
  if (keysRevision() == rotated) {
    EXPECT_EQ(tlsSession(b, shop_, ticket, dir_ + "/on-b2"), "Reused")
        << "the previous key is still accepted";
  }
  ASSERT_TRUE(eventually([&] { return keysRevision() != rotated; }, seconds(10)));
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(tlsSession(b, shop_, ticket, dir_ + "/on-b3"), "New")
      << "two rotations later, the ticket's key is gone";
}

// etcd with auth on: simple tokens that lapse after two idle seconds.
class ClusterAuthTest : public ClusterTest {
 protected:
  ClusterAuthTest() : ClusterTest({"--auth-token-ttl", "2"}) {}
};

TEST_F(ClusterAuthTest, NodesAuthenticateAndAgainWhenAMemberForgetsTheirToken) {
  ASSERT_TRUE(etcd_.waitHealthy());
  for (const std::string& command :
       {std::string("user add root --new-user-password=root-secret"),
        std::string("user add sluice --new-user-password=sluice-secret"),
        std::string("role add sluice"),
        "role grant-permission sluice --prefix=true readwrite " + prefix_ + "/",
        std::string("user grant-role sluice sluice"), std::string("auth enable")}) {
    etcd_.etcdctl(command);
  }
  etcd_.setUser("root:root-secret");
  ASSERT_TRUE(etcd_.waitHealthy());
  const std::string passwordFile = dir_ + "/etcd-password";
  std::ofstream(passwordFile) << "sluice-secret\n";
  etcdExtra_ = ", auth: {user: sluice, password_file: " + passwordFile + "}";
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  EXPECT_EQ(originVia(b), "a") << b.process->stderrText();
  EXPECT_EQ(metric(b, "sluice_cluster_etcd_up"), 1);
  // Tokens live in a member's memory: a rolling restart forgets every one of them.
  for (size_t m = 0; m < 3; ++m) {
    etcd_.kill(m);
    etcd_.start(m);
    ASSERT_TRUE(etcd_.waitHealthy());
  }
  std::this_thread::sleep_for(seconds(3));
  ASSERT_TRUE(applyWithin(seconds(15), a, shared("b")));
  EXPECT_TRUE(eventually([&] { return originVia(b) == "b"; }, seconds(5)))
      << b.process->stderrText();

  // A node with the wrong password is refused, says so, and serves its file's own config.
  std::ofstream(passwordFile) << "wrong\n";
  Node& c = startNode("c");
  EXPECT_NE(c.process->stderrText().find("etcd refused user 'sluice'"), std::string::npos)
      << c.process->stderrText();
}

// A CA and one certificate for 127.0.0.1, good as etcd's server and as a node's client
// certificate, made with the openssl command (in a directory removed at exit).
const EtcdCluster::Tls& etcdTls() {
  static const EtcdCluster::Tls tls = [] {
    char dirTemplate[] = "/tmp/sluice-etcd-tls-XXXXXX";
    const std::string dir = ::mkdtemp(dirTemplate);
    static const std::string kept = dir;
    std::atexit([] { std::filesystem::remove_all(kept); });
    std::ofstream(dir + "/ext") << "subjectAltName=IP:127.0.0.1\n"
                                   "extendedKeyUsage=serverAuth,clientAuth\n";
    std::string out;
    runCommand("cd " + dir +
                   " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout ca.key -out ca.pem -days 2 -subj /CN=etcd-test-ca 2>&1"
                   " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout node.key -out node.csr -subj /CN=127.0.0.1 2>&1"
                   " && openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                   "-out node.pem -days 2 -extfile ext 2>&1",
               out);
    return EtcdCluster::Tls{dir + "/ca.pem", dir + "/node.pem", dir + "/node.key"};
  }();
  return tls;
}

// etcd that serves clients over HTTPS only, and only to clients with a certificate of its CA.
class ClusterTlsTest : public ClusterTest {
 protected:
  ClusterTlsTest() : ClusterTest({}, etcdTls()) {}
};

TEST_F(ClusterTlsTest, NodesReachEtcdOverTlsWithAClientCertificate) {
  ASSERT_TRUE(etcd_.waitHealthy());
  ASSERT_EQ(etcd_.endpoints()[0].rfind("https://", 0), 0u);
  etcdExtra_ =
      ", tls: {ca: " + etcdTls().ca + ", cert: " + etcdTls().cert + ", key: " + etcdTls().key + "}";
  Node& a = startNode("a", shared("a"));
  Node& b = startNode("b");
  EXPECT_EQ(originVia(b), "a") << b.process->stderrText();
  ASSERT_TRUE(applyWithin(seconds(10), a, shared("b")));
  EXPECT_TRUE(eventually([&] { return originVia(b) == "b"; }, seconds(5)))
      << b.process->stderrText();
  // Without the client certificate etcd refuses the node: it says so and serves its file's own.
  etcdExtra_ = ", tls: {ca: " + etcdTls().ca + "}";
  Node& c = startNode("c");
  EXPECT_EQ(metric(c, "sluice_cluster_etcd_up"), 0) << c.process->stderrText();
  EXPECT_EQ(originVia(c), "") << "the file names no VIP of its own";
}

}  // namespace
}  // namespace sluice::test
