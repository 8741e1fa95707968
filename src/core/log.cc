#include "core/log.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace sluice {

size_t formatUtcNow(char* out) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm parts{};
  gmtime_r(&ts.tv_sec, &parts);
  size_t n = strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &parts);
  n += static_cast<size_t>(snprintf(out + n, 6, ".%03ldZ", ts.tv_nsec / 1000000));
  return n;
}

void logLine(LogLevel level, std::string_view message) {
  static constexpr std::string_view kNames[] = {"info", "warn", "error"};
  char stamp[32];
  size_t n = formatUtcNow(stamp);
  std::string line;
  line.reserve(message.size() + 48);
  line.append(stamp, n).append(" ").append(kNames[static_cast<int>(level)]).append(" ");
  line.append(message).append("\n");
  // One write per line keeps lines from several threads whole; a failed write to stderr has
  // nowhere better to be reported.
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace sluice
