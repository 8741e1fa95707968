#include "server/admin/config_store.h"

#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/hex.h"
#include "core/log.h"

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

FileConfigStore::~FileConfigStore() {
  if (!watcher_.joinable()) return;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(stopFd_, &one, sizeof one);
  watcher_.join();
  ::close(stopFd_);
}

void FileConfigStore::watch(Watcher changed) {
  const size_t slash = path_.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  const int inotify = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify < 0 ||
      ::inotify_add_watch(inotify, directory.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    logWarn("admin API: cannot watch " + path_ + " for changes: " + std::strerror(errno));
    if (inotify >= 0) ::close(inotify);
    return;
  }
  stopFd_ = ::eventfd(0, EFD_CLOEXEC);
  watcher_ = std::thread([this, inotify, changed = std::move(changed)] {
    pthread_setname_np(pthread_self(), "sluice-watch");
    watchLoop(inotify, changed);
    ::close(inotify);
  });
}

void FileConfigStore::watchLoop(int inotify, Watcher changed) {
  const std::string name = path_.substr(path_.rfind('/') + 1);
  std::string lastId;
  alignas(inotify_event) char events[4096];
  for (;;) {
    pollfd fds[2] = {{inotify, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    bool ours = false;  // an event for the config file itself
    for (ssize_t n; (n = ::read(inotify, events, sizeof events)) > 0;) {
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(events + at);
        if (event->len > 0 && name == event->name) ours = true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    if (!ours) continue;
    Version version;
    std::string error;
    if (!load(version, error) || version.id == lastId) continue;
    lastId = version.id;
    changed(version);
  }
}

ConfigStore::Swap FileConfigStore::compareAndSwap(const std::string& expectedId,
                                                  const std::string& text, const std::string&,
                                                  const std::string&, std::string& newId,
                                                  std::string& error) {
  Version current;
  if (!load(current, error)) return Swap::kFailed;
  if (current.id != expectedId) return Swap::kConflict;
  if (!writeFileAtomically(path_, text, 0640, error)) return Swap::kFailed;
  newId = versionIdOf(text);
  return Swap::kDone;
}

}  // namespace sluice
