#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::test {

using std::chrono::milliseconds;

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
uint16_t freePort();

// A blocking socket connected to 127.0.0.1:port, or -1 (errno set).
int connectLocal(uint16_t port);

// Writes all of `data`; false on error.
bool writeAll(int fd, const void* data, size_t size);
inline bool writeAll(int fd, const std::string& data) {
  return writeAll(fd, data.data(), data.size());
}

// Reads until EOF, an error, or `timeout` without data. `eof` tells whether EOF was seen.
std::string readUntilClose(int fd, milliseconds timeout, bool* eof = nullptr);

// A client's whole exchange with 127.0.0.1:port: sends `bytes`, ends its side (SHUT_WR), and
// returns everything that comes back until the server closes or `wait` passes without a byte.
std::string exchangeOnce(uint16_t port, const std::string& bytes, milliseconds wait);

// Reads and discards until EOF or an error; returns the number of bytes read.
size_t discardUntilClose(int fd);

// Reads byte by byte up to and including `marker` (nothing past it), or what came before
// EOF/timeout.
std::string readUntil(int fd, std::string_view marker, milliseconds timeout);

// Reads exactly one line (up to and including '\n'), or what came before EOF/timeout.
inline std::string readLine(int fd, milliseconds timeout) {
  return readUntil(fd, "\n", timeout);
}

// Polls `condition` every 10ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F condition, milliseconds timeout);

// A deterministic byte stream for large transfers and its running hash: a writer and a reader
// that agree on the seed agree on every byte without storing any of them.
class PatternStream {
 public:
  explicit PatternStream(uint64_t seed) : state_(seed | 1) {}
  void fill(char* out, size_t size);

 private:
  uint64_t state_;
};

// FNV-1a over bytes, incremental.
class RunningHash {
 public:
  void add(const char* data, size_t size);
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace sluice::test

#include <thread>

template <typename F>
bool sluice::test::eventually(F condition, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}
