#include "server/admin/config_editor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/config_loader.h"
#include "core/atomic_file.h"
#include "core/log.h"
#include "server/admin/api_views.h"
#include "server/admin/config_document.h"
#include "server/runtime.h"
#include "tls/certificate.h"

namespace sluice {
namespace {

using json = nlohmann::json;

// "vips" → "VIP", as messages name one entry.
std::string noun(const std::string& section) {
  if (section == "vips") return "VIP";
  if (section == "server_groups") return "server group";
  if (section == "certificates") return "certificate";
  return section;
}

bool isNamedSection(const std::string& section) {
  for (const char* named : kNamedSections) {
    if (section == named) return true;
  }
  return false;
}

// The entries of a named section, by name.
std::map<std::string, json> byName(const json& document, const std::string& section) {
  std::map<std::string, json> out;
  if (!document.contains(section) || !document[section].is_array()) return out;
  for (const json& entry : document[section]) {
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      out[entry["name"].get<std::string>()] = entry;
    }
  }
  return out;
}

// Every name either side has, in order.
std::set<std::string> namesIn(const std::map<std::string, json>& before,
                              const std::map<std::string, json>& after) {
  std::set<std::string> names;
  for (const auto& [name, entry] : before)
    names.insert(name);
  for (const auto& [name, entry] : after)
    names.insert(name);
  return names;
}

// The top-level fields of an entry that differ between two versions of it ("rules", "listen").
json changedFields(const json& before, const json& after) {
  std::set<std::string> fields;
  for (const auto& [key, value] : before.items()) {
    if (!after.contains(key) || after[key] != value) fields.insert(key);
  }
  for (const auto& [key, value] : after.items()) {
    if (!before.contains(key)) fields.insert(key);
  }
  return json(fields);
}

// An If-Match that names another version of `entry` than the one in the draft (none: any).
bool staleTag(const std::string& ifMatch, const json& entry) {
  return !ifMatch.empty() && ifMatch != etagOf(entry);
}

// A loader field ("vips[2].certificates[0]") as a JSON pointer into the document, naming named
// entries by name: "/vips/shop/certificates/0".
std::string pointerOf(const std::string& field, const json& document) {
  std::string pointer;
  std::string rest = field;
  bool first = true;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    std::string part = rest.substr(0, dot);
    rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    const size_t bracket = part.find('[');
    const std::string key = part.substr(0, bracket);
    if (!key.empty()) pointer += "/" + key;
    if (bracket != std::string::npos) {
      const std::string index = part.substr(bracket + 1, part.find(']') - bracket - 1);
      std::string step = index;
      if (first && isNamedSection(key) && document.contains(key) && document[key].is_array()) {
        const size_t i = std::stoul(index);
        if (i < document[key].size() && document[key][i].contains("name")) {
          step = document[key][i]["name"].get<std::string>();
        }
      }
      pointer += "/" + step;
    }
    first = false;
  }
  return pointer.empty() ? "/" : pointer;
}

}  // namespace

ConfigEditor::ConfigEditor(Runtime& runtime, std::shared_ptr<ConfigStore> store,
                           std::string draftPath, std::string historyDir, std::string certsDir)
    : runtime_(runtime),
      store_(std::move(store)),
      draftPath_(std::move(draftPath)),
      historyDir_(std::move(historyDir)),
      certsDir_(std::move(certsDir)) {
  path_ = runtime_.snapshot()->sourcePath;
  ConfigStore::Version version;
  std::string error;
  if (store_->load(version, error)) {
    live_ = yamlToDocument(version.text, error);
    liveId_ = version.id;
    storedId_ = version.id;
  }
  // A file's watch tells of hand edits (storeChanged()); a cluster's store runs what it sees
  // itself, and this editor follows through refreshLive().
  if (!store_->commitsFirst()) {
    store_->watch([this](const ConfigStore::Version& stored) {
      std::lock_guard lock(mutex_);
      storedId_ = stored.id;
    });
  }
  if (live_.is_null()) live_ = json::object();
  liveRevision_ = runtime_.revision();
  recordRevision(version.text, version.by.empty() ? "file" : version.by, "running at start",
                 json::array());
  draft_ = live_;
  draftBase_ = liveRevision_;
  if (store_->sharesDraft()) {
    syncDraft();  // the cluster's, kept in its store
    return;
  }
  // A draft kept from before a restart, if it was made on the file as it is now.
  std::ifstream in(draftPath_);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  const json kept = json::parse(text.str(), nullptr, false);
  if (!kept.is_discarded() && kept.value("base", "") == liveId_ && kept.contains("document")) {
    draft_ = kept["document"];
    logInfo("admin API: the draft kept in " + draftPath_ + " is back (" +
            std::to_string(countChanges()) + " change(s) pending)");
  } else {
    logWarn("admin API: the draft in " + draftPath_ +
            " was made on another version of the config file: set aside");
    std::filesystem::rename(draftPath_, draftPath_ + ".stale");
  }
}

ConfigEditor::Answer ConfigEditor::unreachable() {
  return problem(503, "The cluster's store cannot be reached",
                 "etcd does not answer: this node serves revision " + liveId_ +
                     " as it was, and takes no changes until etcd answers again");
}

ConfigEditor::Answer ConfigEditor::problem(int status, const std::string& title,
                                           const std::string& detail, json errors) {
  Answer answer;
  answer.status = status;
  answer.body = {{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}};
  if (!errors.is_null()) answer.body["errors"] = errors;
  return answer;
}

// A SIGHUP reload (or a hand edit followed by one) moved the running config: read it again. A
// draft with nothing in it follows; one with changes stays, and apply() will refuse it.
void ConfigEditor::refreshLive() {
  followRunning();
  if (store_->sharesDraft()) syncDraft();
}

void ConfigEditor::syncDraft() {
  // etcd away: the draft as last read (writes answer 503 anyway), without each call waiting
  // for every member to time out.
  if (!store_->reachable()) return;
  ConfigStore::Draft shared;
  std::string error;
  if (!store_->loadDraft(shared, error)) return;
  draftRevision_ = shared.revision;
  if (shared.revision == "0") {
    draft_ = live_;
    draftBase_ = liveRevision_;
    return;
  }
  draft_ = shared.document;
  draftBase_ = shared.base == liveId_ ? liveRevision_ : 0;  // 0: made on another revision
}

std::optional<ConfigEditor::Answer> ConfigEditor::shareDraft(const json& next) {
  const bool changes = !diffDocuments(live_, next).empty();
  std::string revision, error;
  switch (store_->saveDraft(changes ? &next : nullptr, liveId_, draftRevision_, revision, error)) {
    case ConfigStore::Swap::kDone:
      draftRevision_ = revision;
      return std::nullopt;
    case ConfigStore::Swap::kConflict:
      return problem(412, "Precondition failed",
                     "the shared draft changed since this node read it (another node's edit): "
                     "read it again");
    case ConfigStore::Swap::kUnavailable:
      return unreachable();
    case ConfigStore::Swap::kFailed:
      break;
  }
  return problem(500, "The draft cannot be kept", error);
}

void ConfigEditor::followRunning() {
  if (runtime_.revision() == liveRevision_) return;
  ConfigStore::Version version;
  std::string error;
  if (!store_->load(version, error)) return;
  const bool pending = countChanges() > 0;
  json document = yamlToDocument(version.text, error);
  if (document.is_null()) return;
  const bool sameVersion = version.id == liveId_;
  if (store_->commitsFirst() && !sameVersion) {
    recordRevision(version.text, version.by.empty() ? "cluster" : version.by,
                   version.comment.empty() ? "applied on another node" : version.comment,
                   diffDocuments(live_, document));
  } else {
    recordRevision(version.text, "file", "reloaded (SIGHUP)", diffDocuments(live_, document));
  }
  live_ = document;
  liveId_ = storedId_ = version.id;
  liveRevision_ = runtime_.revision();
  if (!pending) {
    draft_ = live_;
    draftBase_ = liveRevision_;
  }
}

ConfigEditor::Validation ConfigEditor::check(const json& document) const {
  Validation validation;
  const ConfigLoadResult result = loadConfigText(store_->runnable(documentToYaml(document)), path_);
  validation.ok = result.ok();
  for (const ConfigError& error : result.errors) {
    validation.errors.push_back({{"pointer", pointerOf(error.field, document)},
                                 {"field", error.field},
                                 {"message", error.message}});
  }
  return validation;
}

std::string ConfigEditor::draftEtag() const {
  // A shared draft's tag is the same on every node: one node's review applies on another.
  // (Its revision in the store names it: each node's copy lists entries in its own order and
  // keeps certificates under its own directory.)
  if (store_->sharesDraft()) return etagOf(json{{"base", liveId_}, {"draft", draftRevision_}});
  return etagOf(json{{"base", draftBase_}, {"document", draft_}});
}

void ConfigEditor::saveDraft() const {
  if (store_->sharesDraft()) return;  // kept by the store, written by shareDraft()
  if (countChanges() == 0) {
    std::filesystem::remove(draftPath_);
    return;
  }
  std::string error;
  if (!writeFileAtomically(draftPath_, json{{"base", liveId_}, {"document", draft_}}.dump(2) + "\n",
                           0640, error)) {
    logError("admin API: cannot save the draft: " + error);
  }
}

json ConfigEditor::diff() const {
  return diffDocuments(live_, draft_);
}

json ConfigEditor::diffDocuments(const json& from, const json& to) {
  json resources = json::array();
  for (const char* section : kNamedSections) {
    const auto before = byName(from, section), after = byName(to, section);
    for (const std::string& name : namesIn(before, after)) {
      const bool was = before.count(name), is = after.count(name);
      if (was && is && before.at(name) == after.at(name)) continue;
      json resource = {{"section", section},
                       {"name", name},
                       {"change", !was  ? "added"
                                  : !is ? "removed"
                                        : "changed"}};
      if (was && is) resource["fields"] = changedFields(before.at(name), after.at(name));
      resources.push_back(resource);
    }
  }
  for (const auto& [key, value] : to.items()) {
    if (isNamedSection(key)) continue;
    if (!from.contains(key) || from[key] != value) {
      resources.push_back({{"section", key}, {"change", from.contains(key) ? "changed" : "added"}});
    }
  }
  for (const auto& [key, value] : from.items()) {
    if (!isNamedSection(key) && !to.contains(key)) {
      resources.push_back({{"section", key}, {"change", "removed"}});
    }
  }
  return resources;
}

size_t ConfigEditor::countChanges() const {
  return diff().size();
}

bool ConfigEditor::storeChanged() {
  std::lock_guard lock(mutex_);
  refreshLive();
  return storedId_ != liveId_;
}

size_t ConfigEditor::pendingChanges() {
  std::lock_guard lock(mutex_);
  refreshLive();
  return countChanges();
}

ConfigEditor::Answer ConfigEditor::list(const std::string& section) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json entries = draft_.contains(section) ? draft_[section] : json::array();
  Answer answer;
  answer.body = {{section, entries}};
  answer.etag = etagOf(answer.body);
  return answer;
}

ConfigEditor::Answer ConfigEditor::get(const std::string& section, const std::string& name) {
  std::lock_guard lock(mutex_);
  refreshLive();
  const auto entries = byName(draft_, section);
  const auto found = entries.find(name);
  if (found == entries.end()) {
    return problem(404, "Not found", "no " + noun(section) + " is named '" + name + "'");
  }
  Answer answer;
  answer.body = found->second;
  answer.etag = etagOf(answer.body);
  return answer;
}

ConfigEditor::Answer ConfigEditor::commitDraft(json next, int status, const json& shown) {
  if (!store_->reachable()) return unreachable();
  const Validation validation = check(next);
  if (!validation.ok) {
    return problem(422, "The change would make the config invalid",
                   validation.errors[0]["pointer"].get<std::string>() + ": " +
                       validation.errors[0]["message"].get<std::string>(),
                   validation.errors);
  }
  if (countChanges() == 0) draftBase_ = liveRevision_;  // a fresh draft starts from what runs
  if (store_->sharesDraft()) {
    if (auto refused = shareDraft(next)) return *refused;
  }
  draft_ = std::move(next);
  saveDraft();
  Answer answer;
  answer.status = status;
  answer.body = shown;
  answer.etag = shown.is_null() ? "" : etagOf(shown);
  return answer;
}

ConfigEditor::Answer ConfigEditor::create(const std::string& section, const json& entry) {
  std::lock_guard lock(mutex_);
  refreshLive();
  if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
    return problem(400, "Bad request", "expected a JSON object with a \"name\"");
  }
  const std::string name = entry["name"];
  if (byName(draft_, section).count(name)) {
    return problem(409, "Conflict", "a " + noun(section) + " is already named '" + name + "'");
  }
  json next = draft_;
  if (!next.contains(section) || !next[section].is_array()) next[section] = json::array();
  next[section].push_back(entry);
  return commitDraft(std::move(next), 201, entry);
}

ConfigEditor::Answer ConfigEditor::replace(const std::string& section, const std::string& name,
                                           const json& entry, const std::string& ifMatch) {
  std::lock_guard lock(mutex_);
  refreshLive();
  if (!entry.is_object()) return problem(400, "Bad request", "expected a JSON object");
  json next = draft_;
  if (next.contains(section) && next[section].is_array()) {
    for (json& current : next[section]) {
      if (!current.is_object() || current.value("name", "") != name) continue;
      if (staleTag(ifMatch, current)) {
        return problem(412, "Precondition failed",
                       "'" + name + "' changed since it was read: read it again");
      }
      json replacement = entry;
      if (replacement.contains("name") && replacement["name"] != name) {
        return problem(400, "Bad request", "the body's name differs from the URL's");
      }
      replacement["name"] = name;
      current = replacement;
      return commitDraft(std::move(next), 200, replacement);
    }
  }
  return problem(404, "Not found", "no " + noun(section) + " is named '" + name + "'");
}

ConfigEditor::Answer ConfigEditor::patch(const std::string& section, const std::string& name,
                                         const json& mergePatch, const std::string& ifMatch) {
  std::lock_guard lock(mutex_);
  refreshLive();
  if (!mergePatch.is_object()) return problem(400, "Bad request", "expected a JSON merge patch");
  if (mergePatch.contains("name") && mergePatch["name"] != name) {
    return problem(400, "Bad request", "a patch cannot rename: create, then delete");
  }
  json next = draft_;
  if (next.contains(section) && next[section].is_array()) {
    for (json& current : next[section]) {
      if (!current.is_object() || current.value("name", "") != name) continue;
      if (staleTag(ifMatch, current)) {
        return problem(412, "Precondition failed",
                       "'" + name + "' changed since it was read: read it again");
      }
      current.merge_patch(mergePatch);  // RFC 7386: fields not sent are kept
      const json shown = current;
      return commitDraft(std::move(next), 200, shown);
    }
  }
  return problem(404, "Not found", "no " + noun(section) + " is named '" + name + "'");
}

ConfigEditor::Answer ConfigEditor::remove(const std::string& section, const std::string& name,
                                          const std::string& ifMatch) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json next = draft_;
  if (next.contains(section) && next[section].is_array()) {
    auto& entries = next[section];
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (!it->is_object() || it->value("name", "") != name) continue;
      if (staleTag(ifMatch, *it)) {
        return problem(412, "Precondition failed",
                       "'" + name + "' changed since it was read: read it again");
      }
      entries.erase(it);
      return commitDraft(std::move(next), 204, nullptr);
    }
  }
  return problem(404, "Not found", "no " + noun(section) + " is named '" + name + "'");
}

ConfigEditor::Answer ConfigEditor::certificates(const std::string& only) {
  std::lock_guard lock(mutex_);
  refreshLive();
  const std::string directory = path_.substr(0, path_.rfind('/') + 1);
  json list = json::array();
  for (const auto& [name, entry] : byName(draft_, "certificates")) {
    if (!only.empty() && name != only) continue;
    json usedBy = json::array();
    for (const auto& [vipName, vip] : byName(draft_, "vips")) {
      if (vip.contains("certificates") && vip["certificates"].is_array()) {
        for (const json& used : vip["certificates"]) {
          if (used == name) usedBy.push_back(vipName);
        }
      }
    }
    auto resolve = [&](const std::string& file) {
      return file.empty() || file.front() == '/' ? file : directory + file;
    };
    std::string error;
    const auto loaded = loadCertificate(name, resolve(entry.value("cert", "")),
                                        resolve(entry.value("key", "")), error);
    json view = certificateView(name, loaded ? &*loaded : nullptr, usedBy);
    if (!loaded) view["error"] = error;
    if (!only.empty()) {
      Answer answer;
      answer.body = view;
      answer.etag = etagOf(entry);
      return answer;
    }
    list.push_back(view);
  }
  if (!only.empty()) return problem(404, "Not found", "no certificate is named '" + only + "'");
  Answer answer;
  answer.body = {{"certificates", list}};
  return answer;
}

ConfigEditor::Answer ConfigEditor::uploadCertificate(const std::string& name,
                                                     const std::string& certPem,
                                                     const std::string& keyPem, bool replace,
                                                     const std::string& ifMatch) {
  std::lock_guard lock(mutex_);
  refreshLive();
  const auto existing = byName(draft_, "certificates");
  const auto found = existing.find(name);
  if (replace && found == existing.end()) {
    return problem(404, "Not found", "no certificate is named '" + name + "'");
  }
  if (!replace && found != existing.end()) {
    return problem(409, "Conflict", "a certificate is already named '" + name + "'");
  }
  if (replace && staleTag(ifMatch, found->second)) {
    return problem(412, "Precondition failed", "'" + name + "' changed since it was read");
  }
  if (certPem.find("-----BEGIN") == std::string::npos ||
      keyPem.find("-----BEGIN") == std::string::npos) {
    return problem(400, "Bad request", "expected PEM text in cert_pem and key_pem");
  }
  std::error_code failed;
  std::filesystem::create_directories(certsDir_, failed);
  const std::string stem =
      certsDir_ + "/" + name + "-" + versionIdOf(certPem + keyPem).substr(0, 16);
  { std::ofstream(stem + ".pem") << certPem; }
  const int fd = ::open((stem + ".key").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool written =
      fd >= 0 && ::write(fd, keyPem.data(), keyPem.size()) == static_cast<ssize_t>(keyPem.size());
  if (fd >= 0) ::close(fd);
  if (failed || !written) {
    return problem(500, "The certificate cannot be kept", "cannot write under " + certsDir_);
  }
  const json entry = {{"name", name}, {"cert", stem + ".pem"}, {"key", stem + ".key"}};
  json next = draft_;
  if (!next.contains("certificates") || !next["certificates"].is_array()) {
    next["certificates"] = json::array();
  }
  if (replace) {
    for (json& current : next["certificates"]) {
      if (current.value("name", "") == name) current = entry;
    }
  } else {
    next["certificates"].push_back(entry);
  }
  Answer answer = commitDraft(std::move(next), replace ? 200 : 201, nullptr);
  if (answer.status >= 400) {
    // Refused: nothing is kept, and the reasons speak of what was sent, not of where it went.
    std::filesystem::remove(stem + ".pem", failed);
    std::filesystem::remove(stem + ".key", failed);
    auto inUploadTerms = [&](std::string text) {
      for (const auto& [file, field] : {std::pair{stem + ".pem", std::string("cert_pem")},
                                        std::pair{stem + ".key", std::string("key_pem")}}) {
        for (size_t at; (at = text.find("'" + file + "'")) != std::string::npos;)
          text.replace(at, file.size() + 2, field);
        for (size_t at; (at = text.find(file)) != std::string::npos;)
          text.replace(at, file.size(), field);
      }
      return text;
    };
    answer.body["detail"] = inUploadTerms(answer.body.value("detail", ""));
    for (json& error : answer.body["errors"])
      error["message"] = inUploadTerms(error.value("message", ""));
    return answer;
  }
  std::string error;
  const auto loaded = loadCertificate(name, stem + ".pem", stem + ".key", error);
  answer.body = certificateView(name, loaded ? &*loaded : nullptr, json::array());
  answer.etag = etagOf(entry);
  return answer;
}

ConfigEditor::Answer ConfigEditor::putDocument(const json& document, bool dryRun) {
  std::lock_guard lock(mutex_);
  refreshLive();
  if (!document.is_object()) return problem(400, "Bad request", "expected a whole config");
  if (const std::string section = store_->foreignSection(document); !section.empty()) {
    return problem(422, "The section is this node's own",
                   "cluster mode: '" + section +
                       "' is kept in each node's file; the API edits the shared sections "
                       "(certificates, server_groups, vips)",
                   json::array({{{"pointer", "/" + section},
                                 {"field", section},
                                 {"message", "not a shared section"}}}));
  }
  if (dryRun) {
    const Validation validation = check(document);
    Answer answer;
    answer.body = {{"valid", validation.ok},
                   {"errors", validation.errors},
                   {"resources", diffDocuments(live_, document)}};
    return answer;
  }
  Answer answer = commitDraft(document, 200, nullptr);
  if (answer.status >= 400) return answer;
  answer.body = {{"pending", countChanges()}, {"resources", diff()}};
  answer.etag = draftEtag();
  return answer;
}

ConfigEditor::Answer ConfigEditor::document(bool draft) {
  std::lock_guard lock(mutex_);
  refreshLive();
  Answer answer;
  answer.body = draft ? draft_ : live_;
  answer.etag = draft ? draftEtag() : etagOf(live_);
  return answer;
}

ConfigEditor::Answer ConfigEditor::changes() {
  std::lock_guard lock(mutex_);
  refreshLive();
  const json resources = diff();
  const Validation validation = check(draft_);
  // What each VIP's change does to the connections open on it now.
  json impact = json::array();
  const auto before = byName(live_, "vips"), after = byName(draft_, "vips");
  for (const std::string& name : namesIn(before, after)) {
    const bool was = before.count(name), is = after.count(name);
    const std::string change = !was                                ? "added"
                               : !is                               ? "removed"
                               : before.at(name) == after.at(name) ? "unchanged"
                                                                   : "changed";
    const uint64_t open = runtime_.metrics().activeConnections(name);
    const uint64_t upgraded = std::min(open, runtime_.metrics().activeUpgraded(name));
    const json& old = was ? before.at(name) : after.at(name);
    const std::string service = old.value("service", "");
    const bool http = service == "http" || service == "https-offload" || service == "https-bridge";
    const bool gone =
        !is || (was && (after.at(name).value("active", true) == false ||
                        after.at(name).value("service", "") != service ||
                        after.at(name).value("listen", "") != old.value("listen", "")));
    std::string effect;
    if (change == "added") {
      effect = "starts listening";
    } else if (change == "unchanged") {
      effect = "nothing changes";
    } else if (gone) {
      effect = std::to_string(open) +
               " connection(s) drain: each may finish until "
               "global.drain_timeout";
    } else if (http) {
      effect = std::to_string(open - upgraded) +
               " HTTP connection(s) move at their next request; " + std::to_string(upgraded) +
               " WebSocket (upgraded) connection(s) stay on the old revision until they close";
    } else {
      effect = std::to_string(open) + " connection(s) stay on the old revision until they close";
    }
    json entry = {{"vip", name}, {"change", change}, {"connections", open}, {"effect", effect}};
    if (http) {
      entry["http_connections"] = open - upgraded;
      entry["upgraded_connections"] = upgraded;
    }
    impact.push_back(entry);
  }
  Answer answer;
  answer.body = {{"pending", resources.size()},
                 {"stale", resources.size() > 0 && draftBase_ != liveRevision_},
                 {"resources", resources},
                 {"valid", validation.ok},
                 {"errors", validation.errors},
                 {"impact", impact},
                 {"live_yaml", documentToYaml(live_)},
                 {"draft_yaml", documentToYaml(draft_)}};
  answer.etag = draftEtag();
  return answer;
}

ConfigEditor::Answer ConfigEditor::validate() {
  std::lock_guard lock(mutex_);
  refreshLive();
  Validation validation = check(draft_);
  // What `sluice check` cannot know: whether each new address can be listened on here now.
  if (validation.ok) {
    const ConfigLoadResult loaded = loadConfigText(store_->runnable(documentToYaml(draft_)), path_);
    for (const auto& [v, why] : runtime_.testBind(*loaded.snapshot)) {
      const std::string field = "vips[" + std::to_string(v) + "].listen";
      validation.errors.push_back(
          {{"pointer", pointerOf(field, draft_)}, {"field", field}, {"message", why}});
      validation.ok = false;
    }
  }
  Answer answer;
  answer.body = {{"valid", validation.ok}, {"errors", validation.errors}};
  answer.etag = draftEtag();
  return answer;
}

ConfigEditor::Answer ConfigEditor::discard() {
  std::lock_guard lock(mutex_);
  refreshLive();
  if (store_->sharesDraft()) {
    if (!store_->reachable()) return unreachable();
    if (auto refused = shareDraft(live_)) return *refused;
  }
  draft_ = live_;
  draftBase_ = liveRevision_;
  saveDraft();
  Answer answer;
  answer.status = 204;
  return answer;
}

ConfigEditor::Answer ConfigEditor::apply(const std::string& ifMatch, const std::string& who,
                                         const std::string& comment, unsigned confirmWithinS) {
  std::unique_lock lock(mutex_);
  refreshLive();
  if (ifMatch.empty()) {
    return problem(428, "Precondition required",
                   "apply needs If-Match: the ETag of the changes you reviewed (GET /changes)");
  }
  if (ifMatch != draftEtag()) {
    return problem(412, "Precondition failed",
                   "the draft changed since you reviewed it: GET /changes again");
  }
  if (countChanges() == 0) return problem(409, "Conflict", "no changes are pending");
  if (draftBase_ != liveRevision_ && store_->commitsFirst()) {
    return problem(412, "Precondition failed",
                   "another node applied a change (cluster revision " + liveId_ +
                       ") since this draft was started: discard it, or restage the changes");
  }
  if (draftBase_ != liveRevision_) {
    return problem(409, "Conflict",
                   "the running config was reloaded (revision " + std::to_string(liveRevision_) +
                       ") since this draft was started from revision " +
                       std::to_string(draftBase_) + ": discard it, or restage the changes");
  }
  const json before = live_;
  Answer answer = applyDraft(who, comment);
  if (answer.status != 200 || confirmWithinS == 0) {
    confirmBy_.reset();
    return answer;
  }
  // Unless confirmed in time, the previous config comes back by itself: an apply that cut the
  // operator off (a wrong admin address, a firewall rule) undoes itself.
  rollbackTo_ = before;
  confirmBy_ = std::chrono::steady_clock::now() + std::chrono::seconds(confirmWithinS);
  answer.body["confirm_by_s"] = confirmWithinS;
  if (!watcher_.joinable()) watcher_ = std::thread([this] { watchConfirmations(); });
  confirmed_.notify_all();
  return answer;
}

ConfigEditor::Answer ConfigEditor::confirm() {
  std::lock_guard lock(mutex_);
  if (!confirmBy_) return problem(409, "Conflict", "no apply is waiting for confirmation");
  confirmBy_.reset();
  confirmed_.notify_all();
  Answer answer;
  answer.body = {{"confirmed", liveRevision_}};
  return answer;
}

void ConfigEditor::watchConfirmations() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!confirmBy_) {
      confirmed_.wait(lock);
      continue;
    }
    if (confirmed_.wait_until(lock, *confirmBy_) == std::cv_status::no_timeout) continue;
    if (!confirmBy_ || std::chrono::steady_clock::now() < *confirmBy_) continue;
    confirmBy_.reset();
    logWarn("admin API: the apply was not confirmed in time: rolling back");
    draft_ = rollbackTo_;
    draftBase_ = liveRevision_;
    const Answer answer = applyDraft("rollback", "not confirmed in time");
    if (answer.status != 200) {
      logError("admin API: the rollback failed: " + answer.body.value("detail", ""));
    }
  }
}

ConfigEditor::~ConfigEditor() {
  store_.reset();  // its watch calls into this editor: it ends first
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  confirmed_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

// Validates, publishes and writes the draft (the caller holds the mutex and checked the
// preconditions).
ConfigEditor::Answer ConfigEditor::applyDraft(const std::string& who, const std::string& comment) {
  if (store_->commitsFirst()) return commitToCluster(who, comment);
  ConfigStore::Version current;
  std::string error;
  if (!store_->load(current, error)) return problem(500, "Cannot read the config", error);
  if (current.id != liveId_) {
    return problem(409, "Conflict",
                   path_ +
                       " changed on disk since it was loaded: reload it (SIGHUP) or discard "
                       "the draft; nothing was overwritten");
  }
  const std::string text = documentToYaml(draft_);
  const ConfigLoadResult loaded = loadConfigText(text, path_);
  if (!loaded.ok()) {
    const Validation validation = check(draft_);
    return problem(
        422, "The draft is not a valid config",
        validation.errors.empty() ? "" : validation.errors[0]["message"].get<std::string>(),
        validation.errors);
  }
  const auto previous = runtime_.configured();  // not what runs: that has the live weights in
  if (!runtime_.publish(loaded.snapshot, error)) {
    if (runtime_.draining()) return problem(503, "Shutting down", error);
    return problem(422, "The draft cannot be put live", error);
  }
  std::string newId;
  const ConfigStore::Swap swap = store_->compareAndSwap(liveId_, text, who, comment, newId, error);
  if (swap != ConfigStore::Swap::kDone) {
    // The file and the running config must never disagree: back to what the file says.
    std::string ignored;
    runtime_.publish(previous, ignored);
    liveRevision_ = runtime_.revision();
    draftBase_ = liveRevision_;
    return swap == ConfigStore::Swap::kConflict
               ? problem(409, "Conflict", path_ + " changed on disk while applying: rolled back")
               : problem(500, "The config file could not be written: rolled back", error);
  }
  const uint64_t revision = runtime_.revision();
  recordRevision(text, who, comment, diff());
  logInfo("admin API: revision " + std::to_string(revision) + " applied by " + who +
          (comment.empty() ? "" : " (" + comment + ")"));
  const json resources = diff();
  live_ = draft_;
  liveId_ = storedId_ = newId;
  liveRevision_ = revision;
  draftBase_ = revision;
  saveDraft();
  Answer answer;
  answer.body = {{"revision", revision}, {"applied", resources}, {"by", who}};
  return answer;
}

// A cluster's apply: the commit is what counts. Validated here as every node will, committed
// if the cluster still runs what this draft was made on (else 412: another node applied first),
// then run by every node from its watch; this answer waits until this node runs it.
ConfigEditor::Answer ConfigEditor::commitToCluster(const std::string& who,
                                                   const std::string& comment) {
  if (!store_->reachable()) return unreachable();
  const std::string text = documentToYaml(draft_);
  const Validation validation = check(draft_);
  if (!validation.ok) {
    return problem(
        422, "The draft is not a valid config",
        validation.errors.empty() ? "" : validation.errors[0]["message"].get<std::string>(),
        validation.errors);
  }
  std::string newId, error;
  switch (store_->compareAndSwap(liveId_, text, who, comment, newId, error)) {
    case ConfigStore::Swap::kDone:
      break;
    case ConfigStore::Swap::kConflict:
      return problem(412, "Precondition failed",
                     "another node applied a change since revision " + liveId_ +
                         ", which this draft was made on: nothing was written; review the "
                         "changes again (this node runs the new revision as soon as it reads it)");
    case ConfigStore::Swap::kUnavailable:
      return unreachable();
    case ConfigStore::Swap::kFailed:
      return problem(422, "The draft cannot be committed", error);
  }
  const json resources = diff();
  const bool running = store_->awaitRunning(newId, error);
  // What runs is what the watch put live; the draft follows it if nothing else came between.
  ConfigStore::Version version;
  std::string ignored;
  if (store_->load(version, ignored) && version.id == newId) {
    recordRevision(version.text, who, comment, resources);
    live_ = yamlToDocument(version.text, ignored);
    liveId_ = storedId_ = newId;
    liveRevision_ = runtime_.revision();
    draft_ = live_;
    draftBase_ = liveRevision_;
    draftRevision_ = "0";  // the commit's transaction removed the shared draft
  }
  logInfo("admin API: cluster revision " + newId + " committed by " + who +
          (comment.empty() ? "" : " (" + comment + ")"));
  if (!running) {
    return problem(500, "Committed, but this node does not run it",
                   "cluster revision " + newId + " is committed: " + error);
  }
  Answer answer;
  answer.body = {{"revision", runtime_.revision()},
                 {"cluster_revision", std::stoll(newId)},
                 {"applied", resources},
                 {"by", who}};
  return answer;
}

// History files: NUMBER.yaml (the text) and NUMBER.json (who, when, comment, changes, the
// version id). A version already recorded last is not recorded again.
void ConfigEditor::recordRevision(const std::string& text, const std::string& by,
                                  const std::string& comment, const json& changes) {
  std::error_code failed;
  std::filesystem::create_directories(historyDir_, failed);
  uint64_t last = 0;
  for (const auto& entry : std::filesystem::directory_iterator(historyDir_, failed)) {
    if (entry.path().extension() == ".json") {
      last = std::max<uint64_t>(last, std::strtoull(entry.path().stem().c_str(), nullptr, 10));
    }
  }
  json meta;
  std::string previous;
  if (last > 0 && readRevision(last, meta, previous) && previous == text) return;
  char now[32];
  const size_t length = formatUtcNow(now);
  const uint64_t number = last + 1;
  const std::string base = historyDir_ + "/" + std::to_string(number);
  std::ofstream(base + ".yaml") << text;
  std::ofstream(base + ".json") << json{{"revision", number},
                                        {"running_as", runtime_.revision()},
                                        {"by", by},
                                        {"at", std::string(now, length)},
                                        {"comment", comment},
                                        {"changes", changes},
                                        {"version", versionIdOf(text)}}
                                       .dump(2)
                                << "\n";
  if (failed) logWarn("admin API: cannot keep the history in " + historyDir_);
}

bool ConfigEditor::readRevision(uint64_t number, json& meta, std::string& text) const {
  const std::string base = historyDir_ + "/" + std::to_string(number);
  std::ifstream metaFile(base + ".json"), textFile(base + ".yaml");
  if (!metaFile || !textFile) return false;
  std::stringstream metaText, yaml;
  metaText << metaFile.rdbuf();
  yaml << textFile.rdbuf();
  meta = json::parse(metaText.str(), nullptr, false);
  text = yaml.str();
  return !meta.is_discarded();
}

ConfigEditor::Answer ConfigEditor::revisions() {
  std::lock_guard lock(mutex_);
  refreshLive();
  std::vector<uint64_t> numbers;
  std::error_code failed;
  for (const auto& entry : std::filesystem::directory_iterator(historyDir_, failed)) {
    if (entry.path().extension() == ".json") {
      numbers.push_back(std::strtoull(entry.path().stem().c_str(), nullptr, 10));
    }
  }
  std::sort(numbers.rbegin(), numbers.rend());  // newest first
  json list = json::array();
  for (uint64_t number : numbers) {
    json meta;
    std::string text;
    if (readRevision(number, meta, text)) list.push_back(meta);
  }
  Answer answer;
  answer.body = {{"revisions", list}};
  return answer;
}

ConfigEditor::Answer ConfigEditor::revision(uint64_t number) {
  std::lock_guard lock(mutex_);
  json meta;
  std::string text;
  if (!readRevision(number, meta, text)) {
    return problem(404, "Not found", "no revision " + std::to_string(number) + " is kept");
  }
  meta["yaml"] = text;
  Answer answer;
  answer.body = meta;
  return answer;
}

ConfigEditor::Answer ConfigEditor::revisionDiff(uint64_t from, uint64_t to) {
  std::lock_guard lock(mutex_);
  json fromMeta, toMeta;
  std::string fromText, toText, error;
  if (!readRevision(from, fromMeta, fromText) || !readRevision(to, toMeta, toText)) {
    return problem(
        404, "Not found",
        "revisions " + std::to_string(from) + " and " + std::to_string(to) + " are not both kept");
  }
  Answer answer;
  answer.body = {
      {"from", from},
      {"to", to},
      {"resources", diffDocuments(yamlToDocument(fromText, error), yamlToDocument(toText, error))}};
  return answer;
}

ConfigEditor::Answer ConfigEditor::restore(uint64_t number) {
  std::lock_guard lock(mutex_);
  refreshLive();
  json meta;
  std::string text, error;
  if (!readRevision(number, meta, text)) {
    return problem(404, "Not found", "no revision " + std::to_string(number) + " is kept");
  }
  json document = yamlToDocument(text, error);
  if (document.is_null()) return problem(500, "The revision cannot be read", error);
  Answer answer = commitDraft(std::move(document), 200, nullptr);
  if (answer.status != 200) return answer;
  answer.body = {{"restored", number}, {"pending", countChanges()}};
  answer.etag = draftEtag();
  return answer;
}

}  // namespace sluice
