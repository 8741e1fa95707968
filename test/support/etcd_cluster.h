#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sluice::test {

// A real etcd cluster (Debian's etcd-server) of `members` members on 127.0.0.1, on ports that
// were free (never etcd's own 2379/2380), with data in a temporary directory removed at the end.
// Members can be killed and started again on the same data, as an operator's failures would.
class EtcdCluster {
 public:
  // With `tls` (a CA and a certificate good for 127.0.0.1 as server and as client): members
  // serve clients over HTTPS and require their certificate.
  struct Tls {
    std::string ca, cert, key;
  };
  // `extraArgs`: more flags for every member (e.g. --auth-token-ttl 2).
  explicit EtcdCluster(size_t members = 3, std::vector<std::string> extraArgs = {}, Tls tls = {});
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // Client URLs, one per member.
  const std::vector<std::string>& endpoints() const { return clientUrls_; }
  // The same as a YAML flow list: [http://127.0.0.1:P1, ...].
  std::string endpointsYaml() const;

  // Waits until a write and a linearizable read go through (true), or the timeout.
  bool waitHealthy(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  void kill(size_t member);   // SIGKILL
  void start(size_t member);  // again, on its data (it rejoins)
  bool running(size_t member) const { return pids_[member] > 0; }
  // The member that is leader now, or -1.
  int leader() const;
  // Compacts the keyspace at its current revision (older revisions are gone); returns it.
  long long compact() const;
  // etcdctl's output for `args` against every running member (v3 API), as `user` once set.
  std::string etcdctl(const std::string& args) const;
  void setUser(const std::string& userAndPassword) { user_ = userAndPassword; }

 private:
  void spawn(size_t member, bool fresh);

  std::string dir_;
  std::vector<std::string> names_, clientUrls_, peerUrls_;
  std::vector<pid_t> pids_;
  std::string initialCluster_;
  std::vector<std::string> extraArgs_;
  Tls tls_;
  std::string user_;
};

}  // namespace sluice::test
