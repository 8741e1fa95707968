#pragma once

#include <string_view>

namespace sluice {

// Operator-facing diagnostics (start-up, configuration, state changes) go to stderr, one line
// each, prefixed with a UTC timestamp and a level. Per-connection records go to the access log
// instead (server/access_log.h). Safe to call from any thread: each line is a single write().
enum class LogLevel { kInfo, kWarn, kError };

void logLine(LogLevel level, std::string_view message);

inline void logInfo(std::string_view message) {
  logLine(LogLevel::kInfo, message);
}
inline void logWarn(std::string_view message) {
  logLine(LogLevel::kWarn, message);
}
inline void logError(std::string_view message) {
  logLine(LogLevel::kError, message);
}

// Formats the current UTC time as RFC 3339 with milliseconds, e.g. 2026-11-24T11:45:58.123Z.
// `out` must hold at least 25 bytes; returns the number of bytes written.
size_t formatUtcNow(char* out);

}  // namespace sluice
