#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace sluice {

// The admin API's audit log: one JSON line per write attempt (allowed or not), appended to a
// file opened for append only: time, token name, client address, method, path, what was asked,
// the status answered. Opened at the first write, so a listener used only for metrics creates
// no file. Thread-safe.
class AuditLog {
 public:
  struct Entry {
    std::string_view token, address, method, path, what;
    int status = 0;
  };
  ~AuditLog();
  void record(const std::string& path, const Entry& entry);

 private:
  std::mutex mutex_;
  std::string openPath_;
  int fd_ = -1;
};

}  // namespace sluice
