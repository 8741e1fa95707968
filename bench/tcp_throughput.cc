// Throughput of one large transfer through a tcp VIP, against a direct loopback connection in
// the same run, and Sluice's own CPU time per GiB read from /proc (what ranks proxies on a
// small machine, where the client and origin compete for the same cores).
//
//   build/bench/tcp_throughput [GiB] [runs]

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"

using namespace sluice::test;
using Clock = std::chrono::steady_clock;

namespace {

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i)
    fields >> skip;
  long utime = 0, stime = 0;
  fields >> utime >> stime;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

// Sends `bytes` to the origin on `port` and waits for its byte count; returns seconds.
double transfer(uint16_t port, size_t bytes) {
  const int fd = connectLocal(port);
  if (fd < 0) return -1;
  std::vector<char> chunk(1 << 20, 'x');
  const auto start = Clock::now();
  for (size_t sent = 0; sent < bytes; sent += chunk.size()) {
    if (!writeAll(fd, chunk.data(), chunk.size())) return -1;
  }
  ::shutdown(fd, SHUT_WR);
  const std::string reply = readUntilClose(fd, std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return reply == std::to_string(bytes) ? seconds : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t gib = argc > 1 ? std::stoul(argv[1]) : 1;
  const int runs = argc > 2 ? std::stoi(argv[2]) : 3;
  const size_t bytes = gib << 30;

  TestOrigin sink([](int fd) {
    std::vector<char> buffer(1 << 20);
    size_t total = 0;
    for (ssize_t n; (n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0;)
      total += size_t(n);
    writeAll(fd, std::to_string(total));
    ::close(fd);
  });
  const uint16_t port = freePort();
  SluiceProcess sluice(
      "global: {workers: 1, access_log: off}\n"
      "server_groups:\n  - name: sink\n    servers: [{name: s, address: " +
      sink.address() +
      "}]\n"
      "vips:\n  - {name: v, listen: 127.0.0.1:" +
      std::to_string(port) + ", service: tcp, default_group: sink}\n");
  if (!sluice.waitReady()) {
    std::fprintf(stderr, "sluice did not start:\n%s", sluice.stderrText().c_str());
    return 1;
  }

  std::vector<double> direct, proxied, cpuPerGib;
  for (int r = 0; r < runs; ++r) {
    direct.push_back(transfer(sink.port(), bytes));
    const double cpuBefore = cpuSeconds(sluice.pid());
    proxied.push_back(transfer(port, bytes));
    cpuPerGib.push_back((cpuSeconds(sluice.pid()) - cpuBefore) / double(gib));
    if (direct.back() < 0 || proxied.back() < 0) {
      std::fprintf(stderr, "a transfer failed\n");
      return 1;
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double mib = double(bytes) / (1 << 20);
  std::printf("| path (%zu GiB, median of %d) | MiB/s | sluice CPU s/GiB |\n|---|---|---|\n", gib,
              runs);
  std::printf("| direct loopback | %.0f | - |\n", mib / median(direct));
  std::printf("| through sluice tcp VIP (1 worker) | %.0f | %.3f |\n", mib / median(proxied),
              median(cpuPerGib));
  std::printf("ratio through/direct: %.2f\n", median(direct) / median(proxied));
  return 0;
}
