#include "support/etcd_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "support/net_helpers.h"

namespace sluice::test {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe) return out;
  char chunk[4096];
  for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;)
    out.append(chunk, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

EtcdCluster::EtcdCluster(size_t members, std::vector<std::string> extraArgs, Tls tls)
    : extraArgs_(std::move(extraArgs)), tls_(std::move(tls)) {
  if (!tls_.cert.empty()) {
    extraArgs_.insert(extraArgs_.end(), {"--cert-file", tls_.cert, "--key-file", tls_.key,
                                         "--trusted-ca-file", tls_.ca, "--client-cert-auth"});
  }
  char dirTemplate[] = "/tmp/sluice-etcd-XXXXXX";
  if (!::mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed");
  dir_ = dirTemplate;
  for (size_t i = 0; i < members; ++i) {
    names_.push_back("m" + std::to_string(i));
    clientUrls_.push_back((tls_.cert.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") +
                          std::to_string(freePort()));
    peerUrls_.push_back("http://127.0.0.1:" + std::to_string(freePort()));
    initialCluster_ += (i ? "," : "") + names_[i] + "=" + peerUrls_[i];
  }
  pids_.assign(members, -1);
  for (size_t i = 0; i < members; ++i)
    spawn(i, true);
}

EtcdCluster::~EtcdCluster() {
  for (size_t i = 0; i < pids_.size(); ++i)
    kill(i);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void EtcdCluster::spawn(size_t member, bool fresh) {
  // Short heartbeats and elections: a killed leader is replaced in about a second.
  std::vector<std::string> args = {"etcd",
                                   "--name",
                                   names_[member],
                                   "--data-dir",
                                   dir_ + "/" + names_[member],
                                   "--listen-client-urls",
                                   clientUrls_[member],
                                   "--advertise-client-urls",
                                   clientUrls_[member],
                                   "--listen-peer-urls",
                                   peerUrls_[member],
                                   "--initial-advertise-peer-urls",
                                   peerUrls_[member],
                                   "--initial-cluster",
                                   initialCluster_,
                                   "--initial-cluster-state",
                                   fresh ? "new" : "existing",
                                   "--initial-cluster-token",
                                   "sluice-test",
                                   "--heartbeat-interval",
                                   "100",
                                   "--election-timeout",
                                   "1000",
                                   "--log-level",
                                   "warn"};
  args.insert(args.end(), extraArgs_.begin(), extraArgs_.end());
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int log = ::open((dir_ + "/" + names_[member] + ".log").c_str(),
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execvp("etcd", argv.data());
    ::_exit(127);
  }
  ::close(log);
  pids_[member] = pid;
}

void EtcdCluster::kill(size_t member) {
  if (pids_[member] <= 0) return;
  ::kill(pids_[member], SIGKILL);
  ::waitpid(pids_[member], nullptr, 0);
  pids_[member] = -1;
}

void EtcdCluster::start(size_t member) {
  if (pids_[member] <= 0) spawn(member, false);
}

std::string EtcdCluster::endpointsYaml() const {
  std::string out = "[";
  for (size_t i = 0; i < clientUrls_.size(); ++i)
    out += (i ? ", " : "") + clientUrls_[i];
  return out + "]";
}

std::string EtcdCluster::etcdctl(const std::string& args) const {
  std::string endpoints;
  for (size_t i = 0; i < clientUrls_.size(); ++i) {
    if (pids_[i] > 0) endpoints += (endpoints.empty() ? "" : ",") + clientUrls_[i];
  }
  return run(
      "ETCDCTL_API=3 etcdctl --dial-timeout=1s --command-timeout=3s --endpoints=" + endpoints +
      (user_.empty() ? "" : " --user " + user_) +
      (tls_.cert.empty() ? ""
                         : " --cacert " + tls_.ca + " --cert " + tls_.cert + " --key " + tls_.key) +
      " " + args);
}

bool EtcdCluster::waitHealthy(std::chrono::milliseconds timeout) const {
  return eventually(
      [this] {
        return etcdctl("put /sluice-test/health ok").find("OK") != std::string::npos &&
               etcdctl("get /sluice-test/health --print-value-only").find("ok") !=
                   std::string::npos;
      },
      timeout);
}

int EtcdCluster::leader() const {
  const nlohmann::json status =
      nlohmann::json::parse(etcdctl("endpoint status -w json"), nullptr, false);
  if (!status.is_array()) return -1;
  for (const auto& entry : status) {
    const auto& s = entry.value("Status", nlohmann::json::object());
    if (s.value("leader", 0ull) != 0 &&
        s.value("leader", 0ull) ==
            s.value("header", nlohmann::json::object()).value("member_id", 1ull)) {
      const std::string endpoint = entry.value("Endpoint", "");
      for (size_t i = 0; i < clientUrls_.size(); ++i) {
        if (clientUrls_[i] == endpoint) return static_cast<int>(i);
      }
    }
  }
  return -1;
}

long long EtcdCluster::compact() const {
  const nlohmann::json status = nlohmann::json::parse(
      etcdctl("get / --prefix --keys-only --limit=1 -w json"), nullptr, false);
  if (!status.is_object()) return 0;
  const long long revision =
      status.value("header", nlohmann::json::object()).value("revision", 0ll);
  etcdctl("compaction --physical " + std::to_string(revision));
  return revision;
}

}  // namespace sluice::test
