#include "support/sluice_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sluice::test {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

SluiceProcess::SluiceProcess(const std::string& yaml, const std::string& command) {
  makeDirectory();
  std::ofstream(configPath_) << yaml;
  start({command, "-c", configPath_});
}

SluiceProcess::SluiceProcess(const std::vector<std::string>& args) {
  makeDirectory();
  start(args);
}

void SluiceProcess::makeDirectory() {
  char dirTemplate[] = "/tmp/sluice-test-XXXXXX";
  if (!::mkdtemp(dirTemplate)) throw std::runtime_error("mkdtemp failed");
  dir_ = dirTemplate;
  configPath_ = dir_ + "/sluice.yaml";
}

void SluiceProcess::start(const std::vector<std::string>& args) {
  // Everything the child needs is prepared before fork(): other test threads (origins) may hold
  // the allocator's lock at that moment, so the child makes only async-signal-safe calls.
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(SLUICE_BINARY));
  for (const std::string& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int out =
      ::open((dir_ + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err =
      ::open((dir_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    // Nothing else the test process holds reaches sluice: not the pipes ctest reads other
    // tests' output from (a sluice left running would keep such a test from ever ending), not
    // an origin's sockets.
    ::close_range(3, ~0U, 0);
    ::execv(SLUICE_BINARY, argv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
}

SluiceProcess::~SluiceProcess() {
  if (exitCode_ < 0 && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool SluiceProcess::waitReady(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stderrText().find(" ready: ") != std::string::npos) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void SluiceProcess::signal(int signal) {
  ::kill(pid_, signal);
}

bool SluiceProcess::reload(const std::string& yaml, std::chrono::milliseconds timeout) {
  auto count = [this](std::string_view what) {
    const std::string text = stderrText();
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  };
  const size_t live = count("reloaded: revision"), rejected = count("reload rejected");
  { std::ofstream(configPath_ + ".new") << yaml; }
  std::filesystem::rename(configPath_ + ".new", configPath_);
  ::kill(pid_, SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count("reloaded: revision") > live) return true;
    if (count("reload rejected") > rejected) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int SluiceProcess::waitExit(std::chrono::milliseconds timeout) {
  if (exitCode_ >= 0) return exitCode_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exitCode_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string SluiceProcess::stdoutText() const {
  return readFile(dir_ + "/stdout");
}
std::string SluiceProcess::stderrText() const {
  return readFile(dir_ + "/stderr");
}

std::vector<nlohmann::json> SluiceProcess::accessLog() const {
  std::vector<nlohmann::json> records;
  std::istringstream lines(stdoutText());
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.front() == '{') records.push_back(nlohmann::json::parse(line));
  }
  return records;
}

}  // namespace sluice::test
