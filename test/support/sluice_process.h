#pragma once

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sluice::test {

// The real `sluice` binary (the build's own: the sanitizer build runs the sanitizer binary),
// started on a config the test writes. stdout (the access log) and stderr go to files the test
// reads. Killed with SIGKILL on destruction if still running.
class SluiceProcess {
 public:
  // Writes `yaml` to a temporary file and starts `sluice <command> -c FILE`.
  explicit SluiceProcess(const std::string& yaml, const std::string& command = "run");
  // Starts `sluice <args...>` (no config file is written).
  explicit SluiceProcess(const std::vector<std::string>& args);
  ~SluiceProcess();

  // Waits until the process logs "ready:" (true) or exits (false).
  bool waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal`.
  void signal(int signal);
  // Replaces the config file with `yaml` (atomically, as an editor or a deploy tool does), sends
  // SIGHUP and waits for the outcome: true when the reload went live, false when it was
  // rejected (or nothing was logged in time).
  bool reload(const std::string& yaml,
              std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for the process to exit and returns its exit code (128+N when killed by signal N),
  // or -1 on timeout.
  int waitExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::string stdoutText() const;
  std::string stderrText() const;
  // The access log so far, one JSON object per line.
  std::vector<nlohmann::json> accessLog() const;
  const std::string& configPath() const { return configPath_; }
  pid_t pid() const { return pid_; }

 private:
  void makeDirectory();
  void start(const std::vector<std::string>& args);

  pid_t pid_ = -1;
  int exitCode_ = -1;
  std::string dir_;
  std::string configPath_;
};

}  // namespace sluice::test
