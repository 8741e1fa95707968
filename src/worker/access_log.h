#pragma once

#include <string>
#include <string_view>

namespace sluice {

// Where per-connection records go: JSON lines to stdout, to a file (opened for append, so
// logrotate's copytruncate and concurrent writers both work), or nowhere.
//
// Shared by all workers: each worker formats a record in its own buffer (AccessLogLine) and
// hands it over with one write(), which the kernel appends whole; no lock is taken.
class AccessLog {
 public:
  // `target` is the config's global.access_log. On failure returns false and sets `error`.
  bool open(const std::string& target, std::string& error);
  // Opens the file again (after logrotate moved it: SIGUSR1) and puts it behind the same file
  // descriptor with dup2(), so that a worker writing at that moment writes whole records to
  // either file, never to a closed descriptor. Nothing to do for stdout or off.
  bool reopen(std::string& error);
  ~AccessLog();

  bool enabled() const { return fd_ >= 0; }
  void write(std::string_view line) const;

 private:
  int fd_ = -1;
  bool ownsFd_ = false;
  std::string path_;
};

// Builds one JSON object on one line, valid JSON whatever bytes a client sent: keys are the
// caller's constants; string values are escaped, and a byte that is not part of well-formed
// UTF-8 is written as \u00XX (its value kept, the line still valid). The buffer is reused between
// records, so a record costs no allocation once warm.
class AccessLogLine {
 public:
  AccessLogLine& begin();
  AccessLogLine& field(std::string_view key, std::string_view value);
  AccessLogLine& field(std::string_view key, uint64_t value);
  const std::string& finish();

 private:
  void key(std::string_view key);
  std::string buffer_;
};

}  // namespace sluice
