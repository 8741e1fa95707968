#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "server/admin/config_store.h"
#include "server/cluster/cluster_document.h"
#include "server/cluster/etcd_client.h"

namespace sluice {

class Runtime;

// Cluster mode's config store (README, "Cluster mode"): the shared sections of the config live
// in etcd (cluster_document.h has the key layout) and every node runs what was committed last.
//
// - load() is the version this node runs; compareAndSwap() is one etcd transaction, guarded by
//   the commit key's revision, that writes only the resources that changed and the commit key.
// - A watch on the commit key (from the revision running + 1) wakes the sync thread, which reads
//   the whole config at one revision (a transaction of two ranges), runs it if it differs from
//   what runs, and keeps it in data_dir for a restart. A compaction that passed the revision the
//   watch asked for is answered the same way: read everything, diff, watch on from there.
// - A probe reads the commit key every second: it tells /readyz and /metrics whether etcd
//   answers, and catches a change whose watch event never came (a watch on a member that lost
//   its quorum says nothing).
// - etcd unreachable: the node serves what it runs; writes answer 503.
class ClusterStore final : public ConfigStore {
 public:
  using json = nlohmann::json;

  // `local`: the node's file as loaded (its cluster section, its path).
  explicit ClusterStore(const ConfigSnapshot& local);
  ~ClusterStore() override;

  // The config to start with: the cluster's (the file's shared sections seed an empty cluster),
  // or, when etcd cannot be reached, the one kept in data_dir, or the file's own. Null when
  // none is valid (logged).
  std::shared_ptr<const ConfigSnapshot> startupSnapshot();
  // Once the Runtime started with it: the watch and the probe.
  void start(Runtime& runtime);
  // SIGHUP: the node's file again (its own sections), run with the shared ones running now.
  bool reloadLocal(std::string& error);

  bool load(Version& out, std::string& error) override;
  Swap compareAndSwap(const std::string& expectedId, const std::string& text, const std::string& by,
                      const std::string& comment, std::string& newId, std::string& error) override;
  void watch(Watcher changed) override;
  std::string runnable(const std::string& text) const override;
  bool commitsFirst() const override { return true; }
  bool awaitRunning(const std::string& id, std::string& error) override;
  bool reachable() const override { return reachable_.load(); }
  std::string foreignSection(const json& document) const override;
  // The shared draft: P/draft, {base, keys} (certificates inline, as the config's own keys).
  // An apply's transaction deletes it.
  bool sharesDraft() const override { return true; }
  bool loadDraft(Draft& out, std::string& error) override;
  Swap saveDraft(const json* document, const std::string& base, const std::string& expectedRevision,
                 std::string& newRevision, std::string& error) override;

  // For /readyz, /metrics and the API.
  struct Status {
    bool reachable = false;
    int64_t unreachableSince = 0;  // Unix seconds; 0 while reachable
    int64_t running = 0;           // the etcd revision of the config this node runs
    int64_t latest = 0;            // the latest commit etcd has shown this node
    std::string lastError;
    std::string nodeId;
    std::string source;  // where the running config came from: etcd, data_dir, file
    uint64_t applies = 0, watchRestarts = 0, resyncs = 0, failedApplies = 0;
  };
  Status status() const;

  // The nodes registered now (P/nodes/ID, each under a lease of its own that lapses ten seconds
  // after the node stops renewing it), each with the revision it runs and whether it lags the
  // latest commit. False when etcd cannot be read.
  bool nodes(json& out, std::string& error);

 private:
  // A whole read of the cluster's config: the commit's revision and the keys under P/config/.
  struct Read {
    int64_t revision = 0;  // the commit key's mod_revision (0: nothing committed yet)
    json commit;           // the commit key's value
    cluster_document::Keys keys;
    json secrets;  // as kept in data_dir: the sticky secret and the session-ticket keys
  };
  bool readAll(Read& out, EtcdClient::Failure& failure);
  bool seed(const json& shared, EtcdClient::Failure& failure);
  // Runs `read` if it is newer than what runs; keeps it in data_dir.
  void runRead(const Read& read, const char* why);
  std::shared_ptr<const ConfigSnapshot> snapshotOf(const json& shared, std::string& error) const;
  json composed(const json& shared) const;  // the node's sections, the shared ones, the secret
  bool refreshSecrets(EtcdClient::Failure& failure);
  void adoptSecrets(const json& sticky, int64_t stickyRevision, const json& tickets,
                    int64_t ticketsRevision);
  bool keepOnDisk(const Read& read, std::string& error) const;
  bool readFromDisk(Read& out) const;
  void markReachable(bool reachable, const std::string& error);
  // Keeps P/nodes/ID current under this node's lease: granted when there is none (or it
  // lapsed while etcd was away), renewed every few seconds, written again when what it says
  // changed. On the sync thread.
  void registerNode();
  json nodeRecord() const;
  void syncLoop();
  void watchLoop();

  ClusterConfig config_;
  std::string localPath_;
  std::string localDirectory_;
  json local_;  // the node's own sections, as last read from its file
  EtcdClient etcd_;

  Runtime* runtime_ = nullptr;
  std::mutex runMutex_;  // one publish at a time: a commit read, or the node's own file again
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // the sync thread's wake-up; and runs, for awaitRunning
  bool wake_ = false;
  bool stopping_ = false;
  Version running_;     // the shared sections running, as YAML, and their revision
  json runningShared_;  // the same, as a document
  int64_t runningRevision_ = 0;
  int64_t handled_ = 0;    // the latest commit this node ran or found it cannot run
  int64_t watchFrom_ = 0;  // the revision the next watch starts from
  int64_t latest_ = 0;
  std::string runError_;  // why the latest commit could not run here, if it could not
  std::vector<Watcher> watchers_;
  std::vector<std::string> stickySecrets_;  // the cluster's: current, previous
  int64_t stickyRevision_ = 0;              // of the sticky keys in use
  int64_t ticketsRevision_ = 0;             // of the session-ticket keys in use
  json secrets_;                            // both, as kept in data_dir
  std::atomic<bool> reachable_{false};
  std::atomic<bool> stopWatch_{false};
  Status counters_;
  std::string lastRefusal_;  // the last refusal logged by the sync thread
  int64_t lease_ = 0;        // this node's registration lease (0: none yet)
  std::chrono::steady_clock::time_point nextRenewal_;
  json registered_;  // the record as last written
  std::string startedAt_;
  std::thread sync_, watch_;
};

// The cluster's families for /metrics (sluice_cluster_*).
std::string clusterMetrics(const ClusterStore::Status& status);

}  // namespace sluice
