#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::test {

// A server written in Python (test/h2/*.py, run with /usr/bin/python3) for the test's life:
// `script serve PORT ARGS...`, which prints "ready" once it listens and runs until killed.
class ScriptServer {
 public:
  // `environment`: NAME=value settings for it.
  ScriptServer(const std::string& script, uint16_t port, const std::vector<std::string>& args = {},
               const std::vector<std::string>& environment = {});
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  bool ready() const { return ready_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
  int output_ = -1;
  bool ready_ = false;
};

}  // namespace sluice::test
