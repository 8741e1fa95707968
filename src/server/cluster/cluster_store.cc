#include "server/cluster/cluster_store.h"

#include <pthread.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "config/config_loader.h"
#include "core/atomic_file.h"
#include "core/hex.h"
#include "core/log.h"
#include "metrics/prometheus_text.h"
#include "server/admin/config_document.h"
#include "server/runtime.h"
#include "tls/session_ticket_keys.h"

namespace sluice {
namespace {

using json = nlohmann::json;
namespace doc = cluster_document;

// etcd's limits for one request, as a default etcd has them (--max-txn-ops,
// --max-request-bytes), less what the commit key and the framing take.
constexpr size_t kMaxTxnOps = 128;
constexpr size_t kMaxRequestBytes = 1536 * 1024 - 4096;

constexpr auto kProbeInterval = std::chrono::seconds(1);
// A node's registration lapses this long after it stops renewing it, and is renewed every
// third of that.
constexpr int64_t kNodeLeaseSeconds = 10;
constexpr auto kLeaseRenewal = std::chrono::seconds(kNodeLeaseSeconds / 3);
constexpr auto kAwaitRunning = std::chrono::seconds(10);

// The gateway writes int64 fields as strings.
int64_t int64Of(const json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) return std::strtoll(value.get<std::string>().c_str(), nullptr, 10);
  return 0;
}

// A range response's key-values (absent when there are none: the gateway leaves out empty
// fields). A copy: callers pass temporaries.
json kvsOf(const json& response) {
  if (!response.is_object() || !response.contains("kvs") || !response["kvs"].is_array()) {
    return json::array();
  }
  return response["kvs"];
}

EtcdClient::Options clientOptions(const ClusterConfig& config) {
  EtcdClient::Options options;
  options.endpoints = config.endpoints;
  options.caFile = config.caFile;
  options.certFile = config.certFile;
  options.keyFile = config.keyFile;
  options.user = config.user;
  options.password = config.password;
  options.timeout = config.timeout;
  return options;
}

json ticketKeyToJson(const SessionTicketKeys::Key& key) {
  auto text = [](const auto& bytes) {
    return EtcdClient::base64(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  };
  return {{"name", text(key.name)}, {"aes", text(key.aes)}, {"hmac", text(key.hmac)}};
}

std::optional<SessionTicketKeys::Key> ticketKeyFromJson(const json& value) {
  if (!value.is_object()) return std::nullopt;
  SessionTicketKeys::Key key;
  auto read = [&value](const char* field, auto& out) {
    const std::string bytes = EtcdClient::unbase64(value.value(field, ""));
    if (bytes.size() != out.size()) return false;
    std::memcpy(out.data(), bytes.data(), out.size());
    return true;
  };
  if (!read("name", key.name) || !read("aes", key.aes) || !read("hmac", key.hmac)) {
    return std::nullopt;
  }
  return key;
}

bool hasEntries(const json& shared) {
  for (const char* section : doc::kSharedSections) {
    if (shared.contains(section) && shared[section].is_array() && !shared[section].empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace

ClusterStore::ClusterStore(const ConfigSnapshot& local)
    : config_(local.cluster),
      localPath_(local.sourcePath),
      localDirectory_(localPath_.substr(
          0, localPath_.rfind('/') == std::string::npos ? 0 : localPath_.rfind('/'))),
      etcd_(clientOptions(config_)) {
  counters_.nodeId = config_.nodeId;
  char now[32];
  startedAt_.assign(now, formatUtcNow(now));
  std::string text, error;
  if (readFileText(localPath_, text)) local_ = yamlToDocument(text, error);
  if (!local_.is_object()) local_ = json::object();
}

ClusterStore::~ClusterStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopWatch_ = true;
  changed_.notify_all();
  if (watch_.joinable()) watch_.join();
  if (sync_.joinable()) sync_.join();
  // Gone at once from every node's list, not ten seconds later.
  if (lease_ != 0 && reachable_.load()) {
    json response;
    EtcdClient::Failure failure;
    etcd_.call("/v3/lease/revoke", {{"ID", std::to_string(lease_)}}, response, failure);
  }
}

bool ClusterStore::readAll(Read& out, EtcdClient::Failure& failure) {
  const std::string commit = doc::commitKey(config_.prefix);
  const std::string base = doc::configPrefix(config_.prefix);
  const json request = {{"success",
                         {{{"request_range", {{"key", EtcdClient::base64(commit)}}}},
                          {{"request_range",
                            {{"key", EtcdClient::base64(base)},
                             {"range_end", EtcdClient::base64(EtcdClient::prefixEnd(base))}}}}}}};
  json response;
  if (!etcd_.call("/v3/kv/txn", request, response, failure)) return false;
  const json& responses = response.value("responses", json::array());
  if (!responses.is_array() || responses.size() != 2) {
    failure = {"etcd answered a read with " + response.dump().substr(0, 200), false};
    return false;
  }
  out = Read{};
  for (const json& kv : kvsOf(responses[0].value("response_range", json::object()))) {
    out.revision = int64Of(kv.value("mod_revision", json()));
    out.commit = json::parse(EtcdClient::unbase64(kv.value("value", "")), nullptr, false);
  }
  for (const json& kv : kvsOf(responses[1].value("response_range", json::object()))) {
    out.keys[EtcdClient::unbase64(kv.value("key", ""))] =
        EtcdClient::unbase64(kv.value("value", ""));
  }
  // The watch goes on from the revision this read saw: a compaction past an older one cannot
  // send it back there.
  const int64_t header =
      int64Of(response.value("header", json::object()).value("revision", json()));
  std::lock_guard lock(mutex_);
  watchFrom_ = std::max(watchFrom_, header + 1);
  latest_ = std::max(latest_, out.revision);
  return true;
}

bool ClusterStore::seed(const json& shared, EtcdClient::Failure& failure) {
  doc::Keys keys;
  std::string error;
  if (!doc::toKeys(shared, config_.prefix, localDirectory_, keys, error)) {
    failure = {error, false};
    return false;
  }
  std::string newId;
  const Swap swap = compareAndSwap("0", documentToYaml(shared), "node " + config_.nodeId,
                                   "seeded from " + localPath_, newId, error);
  if (swap == Swap::kDone || swap == Swap::kConflict) return true;  // a conflict: another seeded
  failure = {error, swap == Swap::kUnavailable};
  return false;
}

json ClusterStore::composed(const json& shared) const {
  json document = doc::compose(local_, shared);
  // The cluster's sticky-cookie secrets, unless the node's file names its own: cookies one node
  // seals are honoured by every node, across one rotation.
  if (!stickySecrets_.empty()) {
    if (!document.contains("global") || !document["global"].is_object()) {
      document["global"] = json::object();
    }
    json& global = document["global"];
    if (!global.contains("sticky_secret")) {
      global["sticky_secret"] = stickySecrets_[0];
      if (stickySecrets_.size() > 1) global["sticky_previous_secret"] = stickySecrets_[1];
    }
  }
  return document;
}

// P/secrets/sticky_keys and P/secrets/session_tickets: {"keys": [newest, previous],
// "rotated_at"}. Whichever node finds one missing or due writes the next, guarded by its
// revision, so that two nodes racing make one.
bool ClusterStore::refreshSecrets(EtcdClient::Failure& failure) {
  struct Rotating {
    std::string key;
    int64_t periodSeconds;
    std::function<json()> fresh;
    json value = nullptr;
    int64_t revision = 0;
  };
  Rotating secrets[] = {
      {config_.prefix + "/secrets/sticky_keys", config_.stickySecretRotation.count() / 1000,
       [] {
         const SessionTicketKeys::Key random = SessionTicketKeys::freshKey();
         return json(hexOf(random.aes.data(), random.aes.size()));
       }},
      {config_.prefix + "/secrets/session_tickets", config_.sessionTicketRotation.count() / 1000,
       [] { return ticketKeyToJson(SessionTicketKeys::freshKey()); }},
  };
  for (int attempt = 0; attempt < 3; ++attempt) {
    json ranges = json::array();
    for (const Rotating& secret : secrets)
      ranges.push_back({{"request_range", {{"key", EtcdClient::base64(secret.key)}}}});
    json response;
    if (!etcd_.call("/v3/kv/txn", {{"success", ranges}}, response, failure)) return false;
    const json responses = response.value("responses", json::array());
    if (!responses.is_array() || responses.size() != std::size(secrets)) return false;
    json compares = json::array(), writes = json::array();
    const int64_t now = std::time(nullptr);
    for (size_t i = 0; i < std::size(secrets); ++i) {
      Rotating& secret = secrets[i];
      secret.value = nullptr;
      secret.revision = 0;
      for (const json& kv : kvsOf(responses[i].value("response_range", json::object()))) {
        secret.value = json::parse(EtcdClient::unbase64(kv.value("value", "")), nullptr, false);
        secret.revision = int64Of(kv.value("mod_revision", json()));
      }
      const json& value = secret.value;
      const bool present = value.is_object() && value.contains("keys") &&
                           value["keys"].is_array() && !value["keys"].empty();
      if (present && now - value.value("rotated_at", int64_t{0}) < secret.periodSeconds) continue;
      json keys = json::array({secret.fresh()});
      if (present) keys.push_back(value["keys"][0]);  // still accepted for one period
      compares.push_back({{"result", "EQUAL"},
                          {"target", "MOD"},
                          {"key", EtcdClient::base64(secret.key)},
                          {"mod_revision", std::to_string(secret.revision)}});
      writes.push_back(
          {{"request_put",
            {{"key", EtcdClient::base64(secret.key)},
             {"value", EtcdClient::base64(json{{"keys", keys}, {"rotated_at", now}}.dump())}}}});
    }
    if (writes.empty()) {
      adoptSecrets(secrets[0].value, secrets[0].revision, secrets[1].value, secrets[1].revision);
      return true;
    }
    // Written, or another node wrote first: either way, read again.
    if (!etcd_.call("/v3/kv/txn", {{"compare", compares}, {"success", writes}}, response,
                    failure)) {
      return false;
    }
  }
  return true;
}

void ClusterStore::adoptSecrets(const json& sticky, int64_t stickyRevision, const json& tickets,
                                int64_t ticketsRevision) {
  bool stickyChanged = false;
  {
    std::lock_guard lock(mutex_);
    if (ticketsRevision != ticketsRevision_ && tickets.is_object() && tickets.contains("keys")) {
      std::vector<SessionTicketKeys::Key> keys;
      for (const json& key : tickets["keys"]) {
        if (auto parsed = ticketKeyFromJson(key)) keys.push_back(*parsed);
      }
      if (!keys.empty()) {
        SessionTicketKeys::process().adopt(keys[0], keys.size() > 1 ? &keys[1] : nullptr);
        ticketsRevision_ = ticketsRevision;
        secrets_["session_tickets"] = tickets;
      }
    }
    if (stickyRevision != stickyRevision_ && sticky.is_object() && sticky.contains("keys")) {
      std::vector<std::string> keys;
      for (const json& key : sticky["keys"]) {
        if (key.is_string() && key.get<std::string>().size() >= 16) keys.push_back(key);
      }
      if (!keys.empty() && keys != stickySecrets_) {
        stickyChanged = runtime_ != nullptr;
        stickySecrets_ = keys;
        stickyRevision_ = stickyRevision;
        secrets_["sticky_keys"] = sticky;
      }
    }
  }
  // New sticky keys (a rotation, or the cluster's first ones after a start without etcd): the
  // running config again, sealing with the new key and opening with both.
  if (stickyChanged) {
    std::lock_guard running(runMutex_);
    std::string error;
    std::shared_ptr<const ConfigSnapshot> snapshot;
    {
      std::lock_guard lock(mutex_);
      snapshot = snapshotOf(runningShared_, error);
    }
    if (snapshot && runtime_->publish(snapshot, error)) {
      logInfo("cluster: sticky cookies are sealed with the cluster's new key");
    } else {
      logError("cluster: the new sticky key cannot be put live: " + error);
    }
  }
}

std::shared_ptr<const ConfigSnapshot> ClusterStore::snapshotOf(const json& shared,
                                                               std::string& error) const {
  const ConfigLoadResult result = loadConfigText(documentToYaml(composed(shared)), localPath_);
  if (!result.ok()) {
    error = result.errors.empty() ? "invalid" : result.errors.front().toString();
    for (const ConfigError& e : result.errors)
      logError("cluster: " + e.toString());
  }
  return result.snapshot;
}

bool ClusterStore::keepOnDisk(const Read& read, std::string& error) const {
  std::error_code failed;
  std::filesystem::create_directories(config_.dataDir, failed);
  json kept = {{"revision", read.revision}, {"commit", read.commit}, {"keys", read.keys}};
  if (!secrets_.is_null()) kept["secrets"] = secrets_;
  // It holds certificates' keys: readable by this user only.
  return writeFileAtomically(config_.dataDir + "/config.json", kept.dump() + "\n", 0600, error);
}

bool ClusterStore::readFromDisk(Read& out) const {
  std::string text;
  if (!readFileText(config_.dataDir + "/config.json", text)) return false;
  const json kept = json::parse(text, nullptr, false);
  if (!kept.is_object() || !kept.contains("keys") || !kept["keys"].is_object()) return false;
  out.revision = kept.value("revision", int64_t{0});
  out.commit = kept.value("commit", json::object());
  out.secrets = kept.value("secrets", json());
  for (const auto& [key, value] : kept["keys"].items()) {
    if (value.is_string()) out.keys[key] = value.get<std::string>();
  }
  return true;
}

std::shared_ptr<const ConfigSnapshot> ClusterStore::startupSnapshot() {
  const json fileShared = doc::sharedPart(local_);
  Read read;
  EtcdClient::Failure failure;
  bool fromEtcd = readAll(read, failure);
  if (fromEtcd && read.revision == 0 && hasEntries(fileShared)) {
    logInfo("cluster: " + config_.prefix + " holds no config yet: seeding it from " + localPath_);
    fromEtcd = seed(fileShared, failure) && readAll(read, failure);
  }
  // What runs from now on, and where it came from.
  auto adopt = [this](const json& shared, const Read& from, const char* source) {
    std::lock_guard lock(mutex_);
    running_ = {documentToYaml(shared), std::to_string(from.revision),
                from.commit.is_object() ? from.commit.value("by", "") : "",
                from.commit.is_object() ? from.commit.value("comment", "") : ""};
    runningShared_ = shared;
    runningRevision_ = handled_ = from.revision;
    counters_.source = source;
  };
  std::string error;
  json shared;
  if (fromEtcd && !refreshSecrets(failure))
    logWarn("cluster: the shared secrets: " + failure.error);
  if (fromEtcd) {
    markReachable(true, "");
    if (doc::fromKeys(read.keys, config_.prefix, config_.dataDir + "/certs", shared, error)) {
      if (auto snapshot = snapshotOf(shared, error)) {
        adopt(shared, read, "etcd");
        if (std::string why; !keepOnDisk(read, why)) logWarn("cluster: " + why);
        logInfo("cluster: node " + config_.nodeId + " runs revision " +
                std::to_string(read.revision) + " of " + config_.prefix);
        return snapshot;
      }
    }
    logError("cluster: revision " + std::to_string(read.revision) +
             " cannot run on this node: " + error);
  }
  std::shared_ptr<const ConfigSnapshot> snapshot;
  const bool kept = readFromDisk(read);
  if (kept && read.secrets.is_object()) {
    adoptSecrets(read.secrets.value("sticky_keys", json()), 1,
                 read.secrets.value("session_tickets", json()), 1);
  }
  if (kept && doc::fromKeys(read.keys, config_.prefix, config_.dataDir + "/certs", shared, error) &&
      (snapshot = snapshotOf(shared, error))) {
    adopt(shared, read, "data_dir");
    logWarn("cluster: serving revision " + std::to_string(read.revision) + " as kept in " +
            config_.dataDir + " until etcd answers");
  } else if ((snapshot = snapshotOf(fileShared, error))) {
    adopt(fileShared, Read{}, "file");
    logWarn("cluster: no config from etcd or " + config_.dataDir + ": serving " + localPath_ +
            "'s own until etcd answers");
  }
  if (!fromEtcd) markReachable(false, failure.error);
  return snapshot;
}

void ClusterStore::start(Runtime& runtime) {
  runtime_ = &runtime;
  sync_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sluice-etcd");
    syncLoop();
  });
  watch_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sluice-watch");
    watchLoop();
  });
}

void ClusterStore::markReachable(bool reachable, const std::string& error) {
  reachable_.store(reachable);
  std::lock_guard lock(mutex_);
  if (!reachable) counters_.lastError = error;
  if ((counters_.unreachableSince == 0) == reachable) return;  // no news
  if (reachable) {
    if (counters_.unreachableSince != 0) logInfo("cluster: etcd answers again");
    counters_.unreachableSince = 0;
  } else {
    counters_.unreachableSince = std::time(nullptr);
    logWarn("cluster: etcd cannot be reached (" + error + "): serving revision " +
            std::to_string(runningRevision_) + "; admin writes answer 503 until it answers");
  }
}

void ClusterStore::runRead(const Read& read, const char* why) {
  std::lock_guard running(runMutex_);
  json shared;
  std::string error;
  std::shared_ptr<const ConfigSnapshot> snapshot;
  {
    std::lock_guard lock(mutex_);
    if (read.revision <= handled_) return;
  }
  bool ok = doc::fromKeys(read.keys, config_.prefix, config_.dataDir + "/certs", shared, error);
  bool same = false;
  {
    std::lock_guard lock(mutex_);
    same = ok && shared == runningShared_;
    if (ok && !same) snapshot = snapshotOf(shared, error);
  }
  if (ok && !same && snapshot && !runtime_->publish(snapshot, error)) snapshot = nullptr;
  Version ran;
  {
    std::lock_guard lock(mutex_);
    handled_ = std::max(handled_, read.revision);
    if (!ok || (!same && !snapshot)) {
      runError_ = "revision " + std::to_string(read.revision) + " cannot run on node " +
                  config_.nodeId + ": " + error;
      ++counters_.failedApplies;
      logError("cluster: " + runError_ + "; revision " + std::to_string(runningRevision_) +
               " stays in force");
    } else {
      runError_.clear();
      running_ = {documentToYaml(shared), std::to_string(read.revision),
                  read.commit.is_object() ? read.commit.value("by", "") : "",
                  read.commit.is_object() ? read.commit.value("comment", "") : ""};
      runningShared_ = shared;
      runningRevision_ = read.revision;
      counters_.source = "etcd";
      if (!same) ++counters_.applies;
      if (std::string failed; !keepOnDisk(read, failed)) logWarn("cluster: " + failed);
      if (!same) {
        logInfo("cluster: revision " + std::to_string(read.revision) + " is live (" + why +
                (running_.by.empty() ? "" : ", applied by " + running_.by) + ")");
      }
      ran = running_;
    }
  }
  changed_.notify_all();
  if (ran.id.empty()) return;
  std::vector<Watcher> watchers;
  {
    std::lock_guard lock(mutex_);
    watchers = watchers_;
  }
  for (const Watcher& watcher : watchers)
    watcher(ran);
}

void ClusterStore::syncLoop() {
  std::unique_lock lock(mutex_);
  auto nextProbe = std::chrono::steady_clock::now();
  while (!stopping_) {
    changed_.wait_until(lock, nextProbe, [this] { return stopping_ || wake_; });
    if (stopping_) return;
    const bool woken = wake_;
    wake_ = false;
    const int64_t handled = handled_;
    lock.unlock();
    EtcdClient::Failure failure;
    bool answered = false;
    if (woken) {
      // The watch saw a commit: read it whole.
      Read read;
      answered = readAll(read, failure);
      if (answered) runRead(read, "watch");
    } else {
      // The probe: only the commit key, unless it moved without a watch event.
      json response;
      const json request = {{"key", EtcdClient::base64(doc::commitKey(config_.prefix))}};
      answered = etcd_.call("/v3/kv/range", request, response, failure);
      int64_t revision = 0;
      for (const json& kv : kvsOf(response))
        revision = int64Of(kv.value("mod_revision", json()));
      if (answered && revision > handled) {
        Read read;
        answered = readAll(read, failure);
        if (answered) {
          std::lock_guard counting(mutex_);
          ++counters_.resyncs;
        }
        if (answered) runRead(read, "probe");
      }
    }
    if (answered) registerNode();
    if (answered && !woken && !refreshSecrets(failure)) answered = !failure.unreachable;
    if (answered || failure.unreachable) {
      markReachable(answered, failure.error);
    } else if (failure.error != lastRefusal_) {
      // Said once per reason (a wrong password would say it every second).
      lastRefusal_ = failure.error;
      logWarn("cluster: etcd refused a read: " + failure.error);
    }
    lock.lock();
    nextProbe = std::chrono::steady_clock::now() + kProbeInterval;
  }
}

void ClusterStore::watchLoop() {
  const std::string commit = EtcdClient::base64(doc::commitKey(config_.prefix));
  while (!stopWatch_.load()) {
    int64_t from = 0;
    {
      std::lock_guard lock(mutex_);
      from = watchFrom_;
    }
    const json request = {
        {"create_request", {{"key", commit}, {"start_revision", std::to_string(from)}}}};
    bool compacted = false;
    auto onMessage = [this, &compacted](const json& message) {
      const json result = message.value("result", json::object());
      if (int64Of(result.value("compact_revision", json())) != 0) {
        // The revision asked for is gone: read everything now, and watch on from that read.
        compacted = true;
        return false;
      }
      if (result.value("canceled", false)) return false;
      bool any = false;
      if (result.contains("events") && result["events"].is_array()) {
        std::lock_guard lock(mutex_);
        for (const json& event : result["events"]) {
          const int64_t revision =
              int64Of(event.value("kv", json::object()).value("mod_revision", json()));
          watchFrom_ = std::max(watchFrom_, revision + 1);
          any = true;
        }
      }
      if (any) {
        std::lock_guard lock(mutex_);
        wake_ = true;
        changed_.notify_all();
      }
      return true;
    };
    EtcdClient::Failure failure;
    etcd_.stream("/v3/watch", request, onMessage, stopWatch_, failure);
    if (stopWatch_.load()) return;
    std::unique_lock lock(mutex_);
    ++counters_.watchRestarts;
    if (compacted) {
      ++counters_.resyncs;
      logWarn("cluster: the watch from revision " + std::to_string(from) +
              " was compacted away: reading the whole config again");
      wake_ = true;
      changed_.notify_all();
    }
    // A pause before watching again: a read (by the sync thread) moves watchFrom_ past a
    // compaction; an etcd that does not answer is not asked in a tight loop.
    changed_.wait_for(lock,
                      compacted ? std::chrono::milliseconds(100) : std::chrono::milliseconds(500),
                      [this] { return stopping_; });
  }
}

json ClusterStore::nodeRecord() const {
  json groups = json::object();
  if (runtime_) {
    const auto snapshot = runtime_->snapshot();
    const auto states = runtime_->serverStates();
    const TimePoint now = Clock::now();
    for (size_t g = 0; g < snapshot->serverGroups.size(); ++g) {
      const ServerGroupConfig& group = snapshot->serverGroups[g];
      uint64_t up = 0;
      for (size_t i = 0; i < group.servers.size(); ++i)
        up += states->of(g, i).routable(now) ? 1 : 0;
      groups[group.name] = {{"up", up}, {"servers", group.servers.size()}};
    }
  }
  std::lock_guard lock(mutex_);
  std::string admin;
  if (runtime_ && runtime_->snapshot()->admin.enabled) {
    const AdminConfig& config = runtime_->snapshot()->admin;
    admin = std::string(config.tls ? "https://" : "http://") + config.listen.toString();
  }
  return {{"id", config_.nodeId},
          {"admin", admin},
          {"listen_address", config_.listenAddress},
          {"revision", runningRevision_},
          {"run_error", runError_},
          {"version", SLUICE_VERSION},
          {"started_at", startedAt_},
          {"groups", groups}};
}

void ClusterStore::registerNode() {
  const auto now = std::chrono::steady_clock::now();
  json response;
  EtcdClient::Failure failure;
  if (lease_ != 0 && now >= nextRenewal_) {
    // A lease that lapsed (etcd was away longer than its TTL) renews as nothing: grant again.
    if (!etcd_.call("/v3/lease/keepalive", {{"ID", std::to_string(lease_)}}, response, failure) ||
        int64Of(response.value("result", json::object()).value("TTL", json())) <= 0) {
      lease_ = 0;
    } else {
      nextRenewal_ = now + kLeaseRenewal;
    }
  }
  if (lease_ == 0) {
    if (!etcd_.call("/v3/lease/grant", {{"TTL", kNodeLeaseSeconds}}, response, failure)) return;
    lease_ = int64Of(response.value("ID", json()));
    nextRenewal_ = now + kLeaseRenewal;
    registered_ = nullptr;
  }
  const json record = nodeRecord();
  if (record == registered_) return;
  const json put = {{"key", EtcdClient::base64(config_.prefix + "/nodes/" + config_.nodeId)},
                    {"value", EtcdClient::base64(record.dump())},
                    {"lease", std::to_string(lease_)}};
  if (etcd_.call("/v3/kv/put", put, response, failure)) registered_ = record;
}

bool ClusterStore::nodes(json& out, std::string& error) {
  const std::string base = config_.prefix + "/nodes/";
  json response;
  EtcdClient::Failure failure;
  const json request = {{"key", EtcdClient::base64(base)},
                        {"range_end", EtcdClient::base64(EtcdClient::prefixEnd(base))}};
  if (!etcd_.call("/v3/kv/range", request, response, failure)) {
    error = failure.error;
    return false;
  }
  int64_t latest = 0;
  {
    std::lock_guard lock(mutex_);
    latest = latest_;
  }
  out = json::array();
  for (const json& kv : kvsOf(response)) {
    json node = json::parse(EtcdClient::unbase64(kv.value("value", "")), nullptr, false);
    if (!node.is_object()) continue;
    node["lagging"] = node.value("revision", int64_t{0}) < latest;
    node["this_node"] = node.value("id", "") == config_.nodeId;
    out.push_back(std::move(node));
  }
  return true;
}

bool ClusterStore::load(Version& out, std::string& error) {
  std::lock_guard lock(mutex_);
  if (running_.id.empty()) {
    error = "the cluster's config has not been read yet";
    return false;
  }
  out = running_;
  return true;
}

void ClusterStore::watch(Watcher changed) {
  std::lock_guard lock(mutex_);
  watchers_.push_back(std::move(changed));
}

std::string ClusterStore::runnable(const std::string& text) const {
  std::string error;
  const json document = yamlToDocument(text, error);
  std::lock_guard lock(mutex_);
  return documentToYaml(composed(doc::sharedPart(document)));
}

ConfigStore::Swap ClusterStore::compareAndSwap(const std::string& expectedId,
                                               const std::string& text, const std::string& by,
                                               const std::string& comment, std::string& newId,
                                               std::string& error) {
  const json document = yamlToDocument(text, error);
  if (!document.is_object()) return Swap::kFailed;
  doc::Keys wanted;
  if (!doc::toKeys(doc::sharedPart(document), config_.prefix, localDirectory_, wanted, error)) {
    return Swap::kFailed;
  }
  Read current;
  EtcdClient::Failure failure;
  if (!readAll(current, failure)) {
    error = failure.error;
    markReachable(!failure.unreachable, failure.error);
    return failure.unreachable ? Swap::kUnavailable : Swap::kFailed;
  }
  if (std::to_string(current.revision) != expectedId) return Swap::kConflict;
  json operations = json::array();
  for (const auto& [key, value] : current.keys) {
    if (!wanted.count(key)) {
      operations.push_back({{"request_delete_range", {{"key", EtcdClient::base64(key)}}}});
    }
  }
  for (const auto& [key, value] : wanted) {
    const auto now = current.keys.find(key);
    if (now != current.keys.end() && now->second == value) continue;
    operations.push_back(
        {{"request_put",
          {{"key", EtcdClient::base64(key)}, {"value", EtcdClient::base64(value)}}}});
  }
  char at[32];
  const size_t length = formatUtcNow(at);
  const json note = {{"by", by},
                     {"comment", comment},
                     {"at", std::string(at, length)},
                     {"node", config_.nodeId},
                     {"resources", wanted.size()}};
  const std::string commitKey = doc::commitKey(config_.prefix);
  // The draft this apply puts live is done with, on every node.
  operations.push_back(
      {{"request_delete_range", {{"key", EtcdClient::base64(config_.prefix + "/draft")}}}});
  operations.push_back(
      {{"request_put",
        {{"key", EtcdClient::base64(commitKey)}, {"value", EtcdClient::base64(note.dump())}}}});
  if (operations.size() > kMaxTxnOps) {
    error = "this apply changes " + std::to_string(operations.size() - 2) +
            " resources; etcd takes at most " + std::to_string(kMaxTxnOps - 2) +
            " in one transaction: apply it in smaller steps";
    return Swap::kFailed;
  }
  const json request = {{"compare",
                         {{{"result", "EQUAL"},
                           {"target", "MOD"},
                           {"key", EtcdClient::base64(commitKey)},
                           {"mod_revision", expectedId}}}},
                        {"success", operations}};
  const std::string body = request.dump();
  if (body.size() > kMaxRequestBytes) {
    error = "this apply is " + std::to_string(body.size() / 1024) +
            " KiB; etcd takes at most 1.5 MiB in one request: apply it in smaller steps";
    return Swap::kFailed;
  }
  json response;
  if (!etcd_.call("/v3/kv/txn", request, response, failure)) {
    error = failure.error;
    if (failure.unreachable) markReachable(false, failure.error);
    return failure.unreachable ? Swap::kUnavailable : Swap::kFailed;
  }
  if (!response.value("succeeded", false)) return Swap::kConflict;
  newId =
      std::to_string(int64Of(response.value("header", json::object()).value("revision", json())));
  std::lock_guard lock(mutex_);
  wake_ = true;  // this node runs it as every other node does: from a read of the commit
  changed_.notify_all();
  return Swap::kDone;
}

std::string ClusterStore::foreignSection(const json& document) const {
  if (!document.is_object()) return "";
  for (const auto& [section, value] : document.items()) {
    if (!doc::isShared(section)) return section;
  }
  return "";
}

bool ClusterStore::loadDraft(Draft& out, std::string& error) {
  json response;
  EtcdClient::Failure failure;
  if (!etcd_.call("/v3/kv/range", {{"key", EtcdClient::base64(config_.prefix + "/draft")}},
                  response, failure)) {
    error = failure.error;
    if (failure.unreachable) markReachable(false, failure.error);
    return false;
  }
  out = Draft{};
  for (const json& kv : kvsOf(response)) {
    const json kept = json::parse(EtcdClient::unbase64(kv.value("value", "")), nullptr, false);
    if (!kept.is_object() || !kept.contains("keys") || !kept["keys"].is_object()) continue;
    doc::Keys keys;
    for (const auto& [key, value] : kept["keys"].items()) {
      if (value.is_string()) keys[key] = value.get<std::string>();
    }
    json document;
    if (!doc::fromKeys(keys, "", config_.dataDir + "/certs", document, error)) return false;
    out.document = document;
    out.base = kept.value("base", "");
    out.revision = std::to_string(int64Of(kv.value("mod_revision", json())));
  }
  return true;
}

ConfigStore::Swap ClusterStore::saveDraft(const json* document, const std::string& base,
                                          const std::string& expectedRevision,
                                          std::string& newRevision, std::string& error) {
  const std::string key = EtcdClient::base64(config_.prefix + "/draft");
  json operation;
  if (document) {
    doc::Keys keys;
    if (!doc::toKeys(doc::sharedPart(*document), "", localDirectory_, keys, error)) {
      return Swap::kFailed;
    }
    const std::string value = json{{"base", base}, {"keys", keys}}.dump();
    if (value.size() > kMaxRequestBytes) {
      error = "the draft is " + std::to_string(value.size() / 1024) +
              " KiB; etcd takes at most 1.5 MiB in one request";
      return Swap::kFailed;
    }
    operation = {{"request_put", {{"key", key}, {"value", EtcdClient::base64(value)}}}};
  } else {
    operation = {{"request_delete_range", {{"key", key}}}};
  }
  const json request = {{"compare",
                         {{{"result", "EQUAL"},
                           {"target", "MOD"},
                           {"key", key},
                           {"mod_revision", expectedRevision}}}},
                        {"success", json::array({operation})}};
  json response;
  EtcdClient::Failure failure;
  if (!etcd_.call("/v3/kv/txn", request, response, failure)) {
    error = failure.error;
    if (failure.unreachable) markReachable(false, failure.error);
    return failure.unreachable ? Swap::kUnavailable : Swap::kFailed;
  }
  if (!response.value("succeeded", false)) return Swap::kConflict;
  newRevision = document ? std::to_string(int64Of(
                               response.value("header", json::object()).value("revision", json())))
                         : "0";
  return Swap::kDone;
}

bool ClusterStore::awaitRunning(const std::string& id, std::string& error) {
  const int64_t revision = std::strtoll(id.c_str(), nullptr, 10);
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, kAwaitRunning, [&] { return stopping_ || handled_ >= revision; })) {
    error = "revision " + id + " was committed, but node " + config_.nodeId +
            " has not read it back yet";
    return false;
  }
  if (runningRevision_ >= revision) return true;
  error = runError_.empty() ? "node " + config_.nodeId + " is stopping" : runError_;
  return false;
}

bool ClusterStore::reloadLocal(std::string& error) {
  std::string text;
  if (!readFileText(localPath_, text)) {
    error = localPath_ + ": cannot be read";
    return false;
  }
  const ConfigLoadResult checked = loadConfigFile(localPath_);
  if (!checked.ok()) {
    for (const ConfigError& e : checked.errors)
      logError(e.toString());
    error = localPath_ + ": " + std::to_string(checked.errors.size()) + " error(s)";
    return false;
  }
  json next = yamlToDocument(text, error);
  if (!next.is_object()) return false;
  if (next.value("cluster", json()) != local_.value("cluster", json())) {
    error = localPath_ + ": cluster: a change of the cluster section takes a restart";
    return false;
  }
  std::lock_guard running(runMutex_);
  std::shared_ptr<const ConfigSnapshot> snapshot;
  {
    std::lock_guard lock(mutex_);
    const json previous = local_;
    local_ = next;
    snapshot = snapshotOf(runningShared_, error);
    if (!snapshot) local_ = previous;
  }
  return snapshot && runtime_->publish(snapshot, error);
}

ClusterStore::Status ClusterStore::status() const {
  std::lock_guard lock(mutex_);
  Status out = counters_;
  out.reachable = reachable_.load();
  out.running = runningRevision_;
  out.latest = latest_;
  return out;
}

}  // namespace sluice

namespace sluice {

std::string clusterMetrics(const ClusterStore::Status& status) {
  PrometheusText out;
  const PrometheusText::Labels node = {{"node", status.nodeId}};
  out.family("sluice_cluster_etcd_up", "gauge",
             "1 while etcd answers this node; 0 while it does not (the node serves the config "
             "it runs, and admin writes answer 503)");
  out.sample("sluice_cluster_etcd_up", node, uint64_t{status.reachable ? 1u : 0u});
  out.family("sluice_cluster_etcd_unreachable_since_seconds", "gauge",
             "Since when etcd has not answered (Unix time; 0 while it answers)");
  out.sample("sluice_cluster_etcd_unreachable_since_seconds", node,
             static_cast<uint64_t>(status.unreachableSince));
  out.family("sluice_cluster_revision_running", "gauge",
             "The etcd revision of the shared config this node runs");
  out.sample("sluice_cluster_revision_running", node, static_cast<uint64_t>(status.running));
  out.family("sluice_cluster_revision_latest", "gauge",
             "The latest etcd revision of the shared config this node has seen committed");
  out.sample("sluice_cluster_revision_latest", node, static_cast<uint64_t>(status.latest));
  out.family("sluice_cluster_applies_total", "counter",
             "Commits this node read from etcd and put live");
  out.sample("sluice_cluster_applies_total", node, status.applies);
  out.family("sluice_cluster_failed_applies_total", "counter",
             "Commits this node read from etcd and could not run (the previous one stayed)");
  out.sample("sluice_cluster_failed_applies_total", node, status.failedApplies);
  out.family("sluice_cluster_watch_restarts_total", "counter",
             "Times the etcd watch ended and was started again");
  out.sample("sluice_cluster_watch_restarts_total", node, status.watchRestarts);
  out.family("sluice_cluster_resyncs_total", "counter",
             "Whole re-reads of the config: after a compaction, or a commit the watch missed");
  out.sample("sluice_cluster_resyncs_total", node, status.resyncs);
  return out.text();
}

}  // namespace sluice
