#include "server/cluster/cluster_document.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "server/admin/config_store.h"

namespace sluice::cluster_document {
namespace {

// Written once under its content's name: a file already there holds the same bytes.
bool writeOnce(const std::string& path, const std::string& text, mode_t mode) {
  if (std::filesystem::exists(path)) return true;
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  return written && ::rename(temporary.c_str(), path.c_str()) == 0;
}

std::string resolve(const std::string& directory, const std::string& path) {
  return path.empty() || path.front() == '/' || directory.empty() ? path : directory + "/" + path;
}

}  // namespace

bool isShared(const std::string& section) {
  for (const char* shared : kSharedSections) {
    if (section == shared) return true;
  }
  return false;
}

std::string commitKey(const std::string& prefix) {
  return prefix + "/commit";
}

std::string configPrefix(const std::string& prefix) {
  return prefix + "/config/";
}

bool toKeys(const json& document, const std::string& prefix, const std::string& directory,
            Keys& out, std::string& error) {
  for (const char* section : kSharedSections) {
    if (!document.contains(section)) continue;
    const json& entries = document[section];
    if (!entries.is_array()) {
      error = std::string(section) + " is not a list";
      return false;
    }
    for (const json& entry : entries) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
          entry["name"].get<std::string>().empty() ||
          entry["name"].get<std::string>().find('/') != std::string::npos) {
        error = std::string("an entry of ") + section + " has no name";
        return false;
      }
      const std::string name = entry["name"];
      json stored = entry;
      if (std::string(section) == "certificates") {
        std::string cert, key;
        const std::string certPath = resolve(directory, entry.value("cert", ""));
        const std::string keyPath = resolve(directory, entry.value("key", ""));
        if (!readFileText(certPath, cert) || !readFileText(keyPath, key)) {
          error = "certificate '" + name + "': cannot read " + certPath + " and " + keyPath;
          return false;
        }
        stored = {{"name", name}, {"cert_pem", cert}, {"key_pem", key}};
      }
      out[configPrefix(prefix) + section + "/" + name] = stored.dump();
    }
  }
  return true;
}

bool fromKeys(const Keys& keys, const std::string& prefix, const std::string& certsDir, json& out,
              std::string& error) {
  out = json::object();
  const std::string base = configPrefix(prefix);
  for (const auto& [key, value] : keys) {
    if (!key.starts_with(base)) continue;
    const std::string rest = key.substr(base.size());
    const size_t slash = rest.find('/');
    const std::string section = rest.substr(0, slash);
    if (slash == std::string::npos || !isShared(section)) continue;  // not a resource of ours
    json entry = json::parse(value, nullptr, false);
    if (!entry.is_object()) {
      error = key + " is not a JSON object";
      return false;
    }
    if (section == "certificates") {
      const std::string cert = entry.value("cert_pem", ""), keyPem = entry.value("key_pem", "");
      const std::string name = entry.value("name", rest.substr(slash + 1));
      std::error_code failed;
      std::filesystem::create_directories(certsDir, failed);
      const std::string stem =
          certsDir + "/" + name + "-" + versionIdOf(cert + keyPem).substr(0, 16);
      if (failed || !writeOnce(stem + ".pem", cert, 0644) ||
          !writeOnce(stem + ".key", keyPem, 0600)) {
        error = "cannot write certificate '" + name + "' under " + certsDir;
        return false;
      }
      entry = {{"name", name}, {"cert", stem + ".pem"}, {"key", stem + ".key"}};
    }
    if (!out.contains(section)) out[section] = json::array();
    out[section].push_back(std::move(entry));
  }
  return true;
}

json compose(const json& local, const json& shared) {
  json out = json::object();
  if (local.is_object()) {
    for (const auto& [key, value] : local.items()) {
      if (!isShared(key)) out[key] = value;
    }
  }
  for (const char* section : kSharedSections) {
    if (shared.is_object() && shared.contains(section)) out[section] = shared[section];
  }
  return out;
}

json sharedPart(const json& document) {
  return compose(json::object(), document);
}

}  // namespace sluice::cluster_document
