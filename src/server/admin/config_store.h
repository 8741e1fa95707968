#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace sluice {

// Where the configuration is kept: load the current version, replace it only if it is still the
// version the caller started from (compare-and-swap), and watch it for changes made elsewhere.
// The file is the first store; an etcd store (cluster mode) is the second.
class ConfigStore {
 public:
  virtual ~ConfigStore() = default;

  struct Version {
    std::string text;
    std::string id;           // changes whenever the stored text does (a file: its SHA-256)
    std::string by, comment;  // who stored it and why, when the store keeps that
  };
  virtual bool load(Version& out, std::string& error) = 0;

  enum class Swap { kDone, kConflict, kFailed, kUnavailable };
  // Stores `text` if the current version is `expectedId`: kConflict (nothing written) when
  // someone else changed it, kFailed (`error` says why) when it could not be written,
  // kUnavailable when the store cannot be reached. On kDone, `newId` is the stored version's id.
  virtual Swap compareAndSwap(const std::string& expectedId, const std::string& text,
                              const std::string& by, const std::string& comment, std::string& newId,
                              std::string& error) = 0;

  // What the store's text runs as: the file's text is the whole config; a cluster's shared
  // sections run with the node's own (cluster/cluster_store.h).
  virtual std::string runnable(const std::string& text) const { return text; }
  // How an apply goes live. A file: the config runs first, then is written (and put back when
  // the write fails). A cluster: the commit is what counts; every node, this one too, runs it
  // from its watch, and awaitRunning() waits until this node does (false: `error` says why not).
  virtual bool commitsFirst() const { return false; }
  virtual bool awaitRunning(const std::string& id, std::string& error) {
    (void)id;
    (void)error;
    return true;
  }
  // A top-level section of `document` this store does not keep ("" when there is none): a
  // cluster keeps only the shared sections; the rest is each node's file.
  virtual std::string foreignSection(const nlohmann::json& document) const {
    (void)document;
    return "";
  }
  // Whether writes can be stored now (a cluster's etcd answers).
  virtual bool reachable() const { return true; }

  // The staged draft, when the store keeps it for every node (a cluster: one banner for all);
  // otherwise (a file) the editor keeps it beside the file. `base`: the version it was made on;
  // `revision`: its own, for the next saveDraft's compare ("0": there is none).
  struct Draft {
    nlohmann::json document;
    std::string base;
    std::string revision = "0";
  };
  virtual bool sharesDraft() const { return false; }
  virtual bool loadDraft(Draft& out, std::string& error) {
    (void)out;
    error = "this store keeps no draft";
    return false;
  }
  // Stores `document` as the draft (null: none), if the draft is still at `expectedRevision`.
  virtual Swap saveDraft(const nlohmann::json* document, const std::string& base,
                         const std::string& expectedRevision, std::string& newRevision,
                         std::string& error) {
    (void)document, (void)base, (void)expectedRevision, (void)newRevision;
    error = "this store keeps no draft";
    return Swap::kFailed;
  }

  // Calls `changed` (on a thread of the store's) with each new version stored, whoever stored
  // it, from now until the store is destroyed. Once per store.
  using Watcher = std::function<void(const Version&)>;
  virtual void watch(Watcher changed) = 0;
};

// The config file: read whole; written with writeFileAtomically() (core/atomic_file.h).
// Its watch is inotify on the file's directory: an editor's save, a deploy tool's rename over
// it, or the API's own write (a file's changes reach the running config only by SIGHUP or the
// API: the watch only tells).
class FileConfigStore final : public ConfigStore {
 public:
  explicit FileConfigStore(std::string path) : path_(std::move(path)) {}
  ~FileConfigStore() override;
  bool load(Version& out, std::string& error) override;
  Swap compareAndSwap(const std::string& expectedId, const std::string& text, const std::string& by,
                      const std::string& comment, std::string& newId, std::string& error) override;
  void watch(Watcher changed) override;
  const std::string& path() const { return path_; }

 private:
  void watchLoop(int inotify, Watcher changed);

  std::string path_;
  int stopFd_ = -1;  // an eventfd that ends the watch
  std::thread watcher_;
};

// The SHA-256 of `text` as hex: a file version's id.
std::string versionIdOf(const std::string& text);

}  // namespace sluice
