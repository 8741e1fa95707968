#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace sluice {

// How a cluster's config lies in etcd, under its prefix P:
//   P/config/certificates/NAME    {"name", "cert_pem", "key_pem"}: the PEM itself, since no
//                                  node can read another's files
//   P/config/server_groups/NAME   the entry, as JSON in the schema's names
//   P/config/vips/NAME            the entry, its rules with it
//   P/commit                      {"by", "at", "comment", "node"}: written by every apply in the
//                                  same transaction, so its mod_revision stamps the whole set
// One key per resource, so that an apply writes only what changed and two operators editing
// different resources do not overwrite each other's entries.
//
// A node's running config is its own file's sections (cluster, admin, global) with the shared
// sections (certificates, server_groups, vips) from etcd.
namespace cluster_document {

using json = nlohmann::json;
using Keys = std::map<std::string, std::string>;  // key → value

inline constexpr const char* kSharedSections[] = {"certificates", "server_groups", "vips"};
bool isShared(const std::string& section);

std::string commitKey(const std::string& prefix);
std::string configPrefix(const std::string& prefix);  // P/config/

// The shared sections of a document (certificates, server groups, VIPs), as they are stored:
// certificates read from their files (relative paths from `directory`). False with `error`
// when a section is not a list, an entry has no name, or a certificate cannot be read.
bool toKeys(const json& document, const std::string& prefix, const std::string& directory,
            Keys& out, std::string& error);

// The shared document the keys under P/config/ make. Certificates become files under
// `certsDir`, named by their content (a running certificate's files are never overwritten).
// False with `error` when a value is not JSON or a file cannot be written.
bool fromKeys(const Keys& keys, const std::string& prefix, const std::string& certsDir, json& out,
              std::string& error);

// The node's own sections of `local` with the shared sections of `shared`.
json compose(const json& local, const json& shared);
// Only the shared sections of a document.
json sharedPart(const json& document);

}  // namespace cluster_document
}  // namespace sluice
