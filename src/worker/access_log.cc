#include "worker/access_log.h"

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
  path_ = target;
  return true;
}

bool AccessLog::reopen(std::string& error) {
  if (!ownsFd_) return true;
  const int fresh = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fresh < 0) {
    error = "cannot reopen access log '" + path_ + "': " + std::strerror(errno);
    return false;
  }
  const bool swapped = ::dup3(fresh, fd_, O_CLOEXEC) >= 0;
  if (!swapped) error = "cannot reopen access log '" + path_ + "': " + std::strerror(errno);
  ::close(fresh);
  return swapped;
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

namespace {

// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
size_t utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  size_t length;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

void appendEscaped(std::string& out, unsigned char byte) {
  char escaped[8];
  snprintf(escaped, sizeof escaped, "\\u%04x", byte);
  out.append(escaped);
}

}  // namespace

AccessLogLine& AccessLogLine::field(std::string_view k, std::string_view value) {
  key(k);
  buffer_.push_back('"');
  for (size_t i = 0; i < value.size();) {
    const char c = value[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      buffer_.push_back('\\');
      buffer_.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      appendEscaped(buffer_, u);
    } else if (u >= 0x80) {
      const size_t length = utf8SequenceLength(value.substr(i));
      if (length == 0) {
        appendEscaped(buffer_, u);
      } else {
        buffer_.append(value.substr(i, length));
        i += length;
        continue;
      }
    } else {
      buffer_.push_back(c);
    }
    ++i;
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
