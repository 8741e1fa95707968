#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "server/admin/config_store.h"

namespace sluice {

class Runtime;

// The admin API's model of the config, as the cloud panels have it: one shared draft that
// every write changes, a diff of the draft against what runs, and one apply that puts it live.
//
// The draft is the live document until the first write; it is kept in a file (admin.state_file
// with .draft), so a restart keeps staged work. Writes never touch the running config. apply():
// the draft must be the one the caller reviewed (If-Match), the file unchanged since it was read,
// and no SIGHUP reload in between (else 409); it is validated exactly as `sluice check` does,
// published to every worker, then written to the store; if the write fails, the previous
// snapshot is published again, so the file and the running config never disagree.
//
// Thread-safe: one mutex, taken by each call.
class ConfigEditor {
 public:
  using json = nlohmann::json;

  // An answer for the API: a status, and its JSON body (a problem's fields when >= 400).
  struct Answer {
    int status = 200;
    json body;
    std::string etag;      // of the representation, when there is one
    std::string location;  // of what a POST created, when it has an address of its own
  };

  // `draftPath`: where the draft is kept; `historyDir`: where every version that ran is kept.
  ConfigEditor(Runtime& runtime, std::shared_ptr<ConfigStore> store, std::string draftPath,
               std::string historyDir, std::string certsDir);
  ~ConfigEditor();

  // Named resources: section is "vips", "server_groups" or "certificates".
  Answer list(const std::string& section);
  Answer get(const std::string& section, const std::string& name);
  Answer create(const std::string& section, const json& entry);
  Answer replace(const std::string& section, const std::string& name, const json& entry,
                 const std::string& ifMatch);
  Answer patch(const std::string& section, const std::string& name, const json& mergePatch,
               const std::string& ifMatch);
  Answer remove(const std::string& section, const std::string& name, const std::string& ifMatch);

  // A VIP's ordered rules (vips[].rules), a resource of their own: a rule is named by its
  // position (0 is the first) or by its `name`. addRule() inserts at `position` (default: the
  // end); replaceRules() sets the whole list (the way to reorder many); moveRule() moves one.
  // Writes with an If-Match compare it with the rule's ETag, or the list's for the whole list.
  Answer rules(const std::string& vip);
  Answer rule(const std::string& vip, const std::string& ref);
  Answer addRule(const std::string& vip, const json& rule, std::optional<size_t> position);
  Answer replaceRules(const std::string& vip, const json& rules, const std::string& ifMatch);
  Answer replaceRule(const std::string& vip, const std::string& ref, const json& rule,
                     const std::string& ifMatch);
  Answer patchRule(const std::string& vip, const std::string& ref, const json& mergePatch,
                   const std::string& ifMatch);
  Answer removeRule(const std::string& vip, const std::string& ref, const std::string& ifMatch);
  Answer moveRule(const std::string& vip, const std::string& ref, size_t to,
                  const std::string& ifMatch);

  // Certificates in the draft, each as subject, names, expiry, key type and fingerprint (never
  // a key, nor where it is kept).
  Answer certificates(const std::string& name = "");
  // A certificate uploaded as PEM (chain, then key): the files are kept under `certsDir`, named
  // by their content (a live certificate's files are never overwritten), and the draft names
  // them. `replace`: it must exist (PUT), else it must not (POST).
  Answer uploadCertificate(const std::string& name, const std::string& certPem,
                           const std::string& keyPem, bool replace, const std::string& ifMatch);

  // The whole document: the live one, or the draft.
  Answer document(bool draft);
  // Replaces the whole draft (GitOps): the document must be valid (422 otherwise); with
  // `dryRun`, nothing is kept and the answer is the diff it would make.
  Answer putDocument(const json& document, bool dryRun);
  Answer changes();
  Answer validate();
  Answer discard();
  // `confirmWithinS` > 0: the previous config comes back by itself unless confirm() is called
  // within that many seconds.
  Answer apply(const std::string& ifMatch, const std::string& who, const std::string& comment,
               unsigned confirmWithinS = 0);
  Answer confirm();

  // History: every version of the config that went live (at start, by SIGHUP, by apply), each
  // with who, when, comment and what changed; numbered from 1, across restarts.
  Answer revisions();
  Answer revision(uint64_t number);
  Answer revisionDiff(uint64_t from, uint64_t to);
  // Stages revision `number` as the draft (apply puts it live).
  Answer restore(uint64_t number);

  // Changes pending in the draft (the console's banner), for /status.
  size_t pendingChanges();
  // The stored config (the file) differs from what runs: edited by hand since it was loaded.
  // A SIGHUP puts it live; an apply would answer 409.
  bool storeChanged();

 private:
  struct Validation {
    bool ok = false;
    json errors = json::array();  // [{pointer, message}]
  };

  // One edit of a VIP's rule list in a copy of the draft: it changes `list`, says what to show
  // and the status, or returns the problem that refuses it (status >= 400).
  using RuleEdit = std::function<Answer(json& list, json& shown, int& status)>;
  using RuleChange = std::function<Answer(json& list, size_t at, json& shown, int& status)>;
  Answer editRules(const std::string& vip, const RuleEdit& edit);
  Answer changeRule(const std::string& vip, const std::string& ref, const std::string& ifMatch,
                    const RuleChange& change);

  void refreshLive();
  void followRunning();
  // A store that shares the draft (a cluster): the draft as every node sees it now, and the
  // write of a new one (412 when another node's write came first, 503 when the store is away).
  void syncDraft();
  std::optional<Answer> shareDraft(const json& next);
  Answer applyDraft(const std::string& who, const std::string& comment);
  void watchConfirmations();
  Validation check(const json& document) const;
  json diff() const;
  static json diffDocuments(const json& from, const json& to);
  void recordRevision(const std::string& text, const std::string& by, const std::string& comment,
                      const json& changes);
  bool readRevision(uint64_t number, json& meta, std::string& text) const;
  size_t countChanges() const;
  Answer commitDraft(json next, int status, const json& shown);
  std::string draftEtag() const;
  void saveDraft() const;
  Answer unreachable();
  Answer commitToCluster(const std::string& who, const std::string& comment);
  static Answer problem(int status, const std::string& title, const std::string& detail,
                        json errors = nullptr);

  Runtime& runtime_;
  std::shared_ptr<ConfigStore> store_;
  std::string draftPath_;
  std::string historyDir_;
  std::string certsDir_;
  std::string path_;  // the config file's name, for validation (relative paths resolve from it)
  std::mutex mutex_;
  json live_;
  std::string liveId_;
  std::string storedId_;             // the store's latest version, as its watch last said
  std::string draftRevision_ = "0";  // a shared draft's revision in its store ("0": none)
  uint64_t liveRevision_ = 0;
  json draft_;
  uint64_t draftBase_ = 0;  // the live revision the draft was started from
  // A timed apply waiting for confirmation: when it must come, and what comes back without it.
  std::optional<std::chrono::steady_clock::time_point> confirmBy_;
  json rollbackTo_;
  std::condition_variable confirmed_;
  bool stopping_ = false;
  std::thread watcher_;
};

}  // namespace sluice
