#include "server/admin/config_store.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/hex.h"

namespace sluice {

std::string versionIdOf(const std::string& text) {
  unsigned char digest[32];
  unsigned length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return hexOf(digest, length);
}

bool FileConfigStore::load(Version& out, std::string& error) {
  std::ifstream in(path_);
  if (!in) {
    error = path_ + ": " + std::strerror(errno);
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  out.text = text.str();
  out.id = versionIdOf(out.text);
  return true;
}

ConfigStore::Swap FileConfigStore::compareAndSwap(const std::string& expectedId,
                                                  const std::string& text, std::string& newId,
                                                  std::string& error) {
  Version current;
  if (!load(current, error)) return Swap::kFailed;
  if (current.id != expectedId) return Swap::kConflict;
  if (!writeFileAtomically(path_, text, 0640, error)) return Swap::kFailed;
  newId = versionIdOf(text);
  return Swap::kDone;
}

}  // namespace sluice
