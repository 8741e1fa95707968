#include "server/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace sluice {

bool AccessLog::open(const std::string& target, std::string& error) {
  if (target == "off") return true;
  if (target == "stdout") {
    fd_ = STDOUT_FILENO;
    return true;
  }
  fd_ = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    error = "cannot open access log '" + target + "': " + std::strerror(errno);
    return false;
  }
  ownsFd_ = true;
  return true;
}

AccessLog::~AccessLog() {
  if (ownsFd_) ::close(fd_);
}

void AccessLog::write(std::string_view line) const {
  if (fd_ < 0) return;
  // A full disk or a closed stdout must not stop traffic: the record is dropped.
  while (!line.empty()) {
    const ssize_t n = ::write(fd_, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    line.remove_prefix(static_cast<size_t>(n));
  }
}

AccessLogLine& AccessLogLine::begin() {
  buffer_.clear();
  buffer_.push_back('{');
  char stamp[32];
  const size_t n = formatUtcNow(stamp);
  return field("time", std::string_view(stamp, n));
}

void AccessLogLine::key(std::string_view key) {
  if (buffer_.size() > 1) buffer_.push_back(',');
  buffer_.push_back('"');
  buffer_.append(key);
  buffer_.append("\":");
}

AccessLogLine& AccessLogLine::field(std::string_view k, std::string_view value) {
  key(k);
  buffer_.push_back('"');
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      buffer_.push_back('\\');
      buffer_.push_back(c);
    } else if (u < 0x20) {
      char escaped[8];
      snprintf(escaped, sizeof escaped, "\\u%04x", u);
      buffer_.append(escaped);
    } else {
      buffer_.push_back(c);
    }
  }
  buffer_.push_back('"');
  return *this;
}

AccessLogLine& AccessLogLine::field(std::string_view k, uint64_t value) {
  key(k);
  buffer_.append(std::to_string(value));
  return *this;
}

const std::string& AccessLogLine::finish() {
  buffer_.append("}\n");
  return buffer_;
}

}  // namespace sluice
