#include "server/admin/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/log.h"

namespace sluice {

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AuditLog::record(const std::string& path, const Entry& entry) {
  char now[32];
  const size_t length = formatUtcNow(now);
  nlohmann::json line = {{"time", std::string(now, length)},
                         {"token", entry.token},
                         {"client", entry.address},
                         {"method", entry.method},
                         {"path", entry.path},
                         {"what", entry.what},
                         {"status", entry.status}};
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  if (fd_ < 0 || openPath_ != path) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    openPath_ = path;
    if (fd_ < 0) {
      logError("admin.audit_log: cannot open " + path + " for append");
      return;
    }
  }
  if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    logError("admin.audit_log: a record could not be written to " + path);
  }
}

}  // namespace sluice
