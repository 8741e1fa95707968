#include "server/admin/config_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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
  const std::string temporary = path_ + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = temporary + ": " + std::strerror(errno);
    return Swap::kFailed;
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int writeErrno = errno;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path_.c_str()) != 0) {
    error = path_ + ": " + std::strerror(written ? errno : writeErrno);
    ::unlink(temporary.c_str());
    return Swap::kFailed;
  }
  // The rename is durable once the directory is.
  const size_t slash = path_.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path_.substr(0, slash);
  if (const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  newId = versionIdOf(text);
  return Swap::kDone;
}

}  // namespace sluice
