#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::test {

// A real TCP server on 127.0.0.1 (an ephemeral port) that runs `handler` on its own thread for
// each accepted connection; the handler owns the fd and closes it. Stops and joins on
// destruction. What a backend does is up to the test: echo, greet, count, stream slowly.
class TestOrigin {
 public:
  using Handler = std::function<void(int fd)>;
  explicit TestOrigin(Handler handler);
  ~TestOrigin();

  // Stops like a crashed server: the port refuses new connections and every open connection
  // is shut down (handlers see EOF and errors). Idempotent; the destructor calls it.
  void stop();

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

  // Common handlers.
  // Writes `greeting` (if any), then echoes every byte until EOF, then closes.
  static Handler echo(std::string greeting = "");

 private:
  void acceptLoop();

  Handler handler_;
  int listenFd_ = -1;
  int stopPipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptThread_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
  std::vector<int> open_;  // a duplicate of each open connection's fd, to shut it down
  bool stopped_ = false;
};

}  // namespace sluice::test
