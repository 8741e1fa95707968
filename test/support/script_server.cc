#include "support/script_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sluice::test {

ScriptServer::ScriptServer(const std::string& script, uint16_t port,
                           const std::vector<std::string>& args,
                           const std::vector<std::string>& environment)
    : port_(port) {
  int out[2];
  if (::pipe(out) != 0) return;
  // Everything the child needs is made before the fork: it only calls exec after it.
  const std::string portText = std::to_string(port);
  std::vector<std::string> argv = {"python3", script, "serve", portText};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& arg : argv)
    pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  std::vector<std::string> settings = environment;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    for (std::string& setting : settings)
      ::putenv(setting.data());
    ::execv("/usr/bin/python3", pointers.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // "ready" once it listens, or the end of its output if it could not start. The pipe stays
  // open while it runs: a write to a closed one would end it.
  output_ = out[0];
  std::string line;
  char c;
  while (::read(output_, &c, 1) == 1 && c != '\n')
    line.push_back(c);
  ready_ = line == "ready";
}

ScriptServer::~ScriptServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  ::close(output_);
}

}  // namespace sluice::test
