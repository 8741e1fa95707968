// The tcp service end to end: the real sluice binary, real origins and real client sockets on
// 127.0.0.1, checking what a client and the access log see.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "support/net_helpers.h"
#include "support/sluice_process.h"
#include "support/test_origin.h"

namespace sluice::test {
namespace {

using namespace std::chrono_literals;

struct ServerSpec {
  std::string name;
  std::string address;
  int weight = 1;
};

// A config with one tcp VIP in front of `servers`.
std::string tcpConfig(uint16_t vipPort, const std::vector<ServerSpec>& servers,
                      const std::string& groupExtra = "", const std::string& globalExtra = "",
                      int workers = 1) {
  std::string yaml = "global:\n  workers: " + std::to_string(workers) + "\n" + globalExtra +
                     "server_groups:\n  - name: g\n    protocol: tcp\n" + groupExtra +
                     "    servers:\n";
  for (const auto& s : servers) {
    yaml += "      - {name: " + s.name + ", address: " + s.address +
            ", weight: " + std::to_string(s.weight) + "}\n";
  }
  yaml += "vips:\n  - name: v\n    listen: 127.0.0.1:" + std::to_string(vipPort) +
          "\n    service: tcp\n    default_group: g\n";
  return yaml;
}

// Connects, reads the origin's one-line greeting, closes.
std::string greetingThrough(uint16_t port) {
  const int fd = connectLocal(port);
  if (fd < 0) return "connect failed";
  std::string line = readLine(fd, 5s);
  ::close(fd);
  return line;
}

TEST(TcpService, RoundRobinSpreadsConnectionsByWeight) {
  TestOrigin a(TestOrigin::echo("a\n")), b(TestOrigin::echo("b\n")), c(TestOrigin::echo("c\n"));
  const uint16_t port = freePort();
  SluiceProcess sluice(
      tcpConfig(port, {{"a", a.address(), 1}, {"b", b.address(), 1}, {"c", c.address(), 2}},
                "    balance: round_robin\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  std::map<std::string, int> seen;
  for (int i = 0; i < 40; ++i)
    ++seen[greetingThrough(port)];
  EXPECT_EQ(seen["a\n"], 10);
  EXPECT_EQ(seen["b\n"], 10);
  EXPECT_EQ(seen["c\n"], 20);
}

TEST(TcpService, FailsOverPastARefusingServer) {
  TestOrigin live(TestOrigin::echo("live\n"));
  const uint16_t deadPort = freePort();  // nothing listens there: connect is refused
  const uint16_t port = freePort();
  SluiceProcess sluice(
      tcpConfig(port, {{"dead", "127.0.0.1:" + std::to_string(deadPort)}, {"live", live.address()}},
                "    retries: 1\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(greetingThrough(port), "live\n") << "connection " << i;
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 10; }, 5s));
  int retried = 0;
  for (const auto& record : sluice.accessLog()) {
    EXPECT_EQ(record["server"], "live");
    if (record["attempts"] == 2) ++retried;
  }
  EXPECT_GE(retried, 4)
      << "round robin should have tried the dead server first about half the time";
}

TEST(TcpService, ClosesTheClientWhenEveryServerIsDown) {
  const uint16_t dead1 = freePort(), dead2 = freePort(), port = freePort();
  SluiceProcess sluice(tcpConfig(
      port,
      {{"d1", "127.0.0.1:" + std::to_string(dead1)}, {"d2", "127.0.0.1:" + std::to_string(dead2)}},
      "    retries: 5\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  bool eof = false;
  EXPECT_EQ(readUntilClose(fd, 5s, &eof), "");
  EXPECT_TRUE(eof);
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  const auto record = sluice.accessLog()[0];
  EXPECT_EQ(record["end"], "connect_failed");
  EXPECT_EQ(record["attempts"], 2) << "each server once, even though retries allows more";
  EXPECT_EQ(record["error"], "Connection refused");
}

// A listener whose accept queue is full and never drained: the kernel drops further SYNs, so a
// connect to it neither succeeds nor fails, as with a server that has vanished from the network.
class BlackholeServer {
 public:
  BlackholeServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // Fill the queue (backlog 0 still admits one): later SYNs are dropped.
    for (int i = 0; i < 2; ++i)
      filler_[i] = connectNonBlocking();
  }
  ~BlackholeServer() {
    for (int fd : filler_)
      ::close(fd);
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int connectNonBlocking() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    std::this_thread::sleep_for(50ms);
    return fd;
  }
  int fd_ = -1;
  int filler_[2] = {-1, -1};
  uint16_t port_ = 0;
};

TEST(TcpService, ConnectTimeoutMovesOnToTheNextServer) {
  BlackholeServer blackhole;
  TestOrigin live(TestOrigin::echo("live\n"));
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"hole", blackhole.address()}, {"live", live.address()}},
                                 "    retries: 1\n    timeouts: {connect: 200ms, idle: 10s}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  // Round robin sends the first connection to the blackhole; it must still reach "live".
  EXPECT_EQ(greetingThrough(port), "live\n");
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  const auto record = sluice.accessLog()[0];
  EXPECT_EQ(record["server"], "live");
  EXPECT_EQ(record["attempts"], 2);
}

TEST(TcpService, ASlowReaderHoldsBackTheServerInsteadOfGrowingMemory) {
  // The origin writes as fast as it can, non-blocking, and records how much the path accepted
  // while the client reads nothing.
  std::atomic<size_t> accepted{0};
  std::atomic<bool> stalled{false};
  TestOrigin origin([&](int fd) {
    std::string chunk(1 << 20, 'b');
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto lastProgress = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        accepted += static_cast<size_t>(n);
        lastProgress = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - lastProgress > 500ms) {
        stalled = true;
        break;
      } else {
        std::this_thread::sleep_for(5ms);
      }
    }
    ::close(fd);
  });
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(eventually([&] { return stalled.load(); }, 20s)) << "the origin was never held back";
  // What is in flight is bounded by four socket buffers and one pipe, not by the 20s of writing
  // the origin attempted.
  EXPECT_LT(accepted.load(), 48u << 20) << accepted.load();
  // Reading drains it all: nothing was lost while held back.
  bool eof = false;
  const std::string all = readUntilClose(fd, 10s, &eof);
  ::close(fd);
  EXPECT_TRUE(eof);
  EXPECT_EQ(all.size(), accepted.load());
}

TEST(TcpService, ClientHalfCloseStillGetsTheServersReply) {
  // The origin reads until the client's EOF, then answers: the reply must travel back after
  // the client shut down its sending half.
  TestOrigin origin([](int fd) {
    writeAll(fd, "received " + std::to_string(discardUntilClose(fd)) + "\n");
    ::close(fd);
  });
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(writeAll(fd, std::string(100000, 'x')));
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  bool eof = false;
  EXPECT_EQ(readUntilClose(fd, 10s, &eof), "received 100000\n");
  EXPECT_TRUE(eof);
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["end"], "client_close");
  EXPECT_EQ(sluice.accessLog()[0]["bytes_in"], 100000);
}

TEST(TcpService, ServerHalfCloseStillLetsTheClientSend) {
  // The origin says hello and shuts down its sending half at once, then keeps reading.
  std::atomic<size_t> receivedByOrigin{0};
  TestOrigin origin([&](int fd) {
    writeAll(fd, "bye\n");
    ::shutdown(fd, SHUT_WR);
    char buffer[65536];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
      receivedByOrigin += static_cast<size_t>(n);
    ::close(fd);
  });
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  bool eof = false;
  EXPECT_EQ(readUntilClose(fd, 10s, &eof), "bye\n");
  EXPECT_TRUE(eof) << "the server's EOF reaches the client";
  ASSERT_TRUE(writeAll(fd, std::string(50000, 'y'))) << "the client may still send";
  ::shutdown(fd, SHUT_WR);
  EXPECT_TRUE(eventually([&] { return receivedByOrigin.load() == 50000; }, 10s))
      << "origin received " << receivedByOrigin.load();
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["end"], "server_close");
}

TEST(TcpService, Relays256MiBBothWaysIntact) {
  constexpr size_t kTotal = 256u << 20;
  TestOrigin origin(TestOrigin::echo());
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  RunningHash sent;
  std::thread writer([&] {
    PatternStream pattern(42);
    std::vector<char> chunk(1 << 20);
    for (size_t done = 0; done < kTotal; done += chunk.size()) {
      pattern.fill(chunk.data(), chunk.size());
      sent.add(chunk.data(), chunk.size());
      if (!writeAll(fd, chunk.data(), chunk.size())) break;
    }
    ::shutdown(fd, SHUT_WR);
  });
  RunningHash received;
  size_t receivedBytes = 0;
  std::vector<char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    received.add(buffer.data(), static_cast<size_t>(n));
    receivedBytes += static_cast<size_t>(n);
  }
  writer.join();
  ::close(fd);
  EXPECT_EQ(receivedBytes, kTotal);
  EXPECT_EQ(received.value(), sent.value());
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["bytes_in"], kTotal);
  EXPECT_EQ(sluice.accessLog()[0]["bytes_out"], kTotal);
}

TEST(TcpService, ClosesIdleConnectionsAfterTheIdleTimeout) {
  TestOrigin origin(TestOrigin::echo());
  const uint16_t port = freePort();
  SluiceProcess sluice(
      tcpConfig(port, {{"o", origin.address()}}, "    timeouts: {connect: 1s, idle: 1s}\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  // Activity keeps the connection open past one idle period...
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writeAll(fd, "ping\n"));
    EXPECT_EQ(readLine(fd, 5s), "ping\n");
    std::this_thread::sleep_for(300ms);  // well inside the idle timeout, even on a slow machine
  }
  // ...and silence closes it.
  bool eof = false;
  readUntilClose(fd, 10s, &eof);
  EXPECT_TRUE(eof);
  ::close(fd);
  ASSERT_TRUE(eventually([&] { return sluice.accessLog().size() == 1; }, 5s));
  EXPECT_EQ(sluice.accessLog()[0]["end"], "idle_timeout");
}

TEST(TcpService, SigtermLetsATransferInFlightComplete) {
  constexpr size_t kChunk = 64 * 1024, kChunks = 20;
  TestOrigin origin([](int fd) {
    // A slow download: about a second in all.
    std::string chunk(kChunk, 'z');
    for (size_t i = 0; i < kChunks; ++i) {
      if (!writeAll(fd, chunk)) break;
      std::this_thread::sleep_for(50ms);
    }
    ::close(fd);
  });
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}, "", "  drain_timeout: 30s\n", 2));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  char first[1024];
  const ssize_t firstBytes = ::recv(fd, first, sizeof first, 0);
  ASSERT_GT(firstBytes, 0);
  sluice.signal(SIGTERM);
  // New connections are refused once the listeners have closed.
  EXPECT_TRUE(eventually(
      [&] {
        const int probe = connectLocal(port);
        if (probe >= 0) ::close(probe);
        return probe < 0;
      },
      5s));
  bool eof = false;
  const std::string rest = readUntilClose(fd, 10s, &eof);
  ::close(fd);
  EXPECT_TRUE(eof);
  EXPECT_EQ(static_cast<size_t>(firstBytes) + rest.size(), kChunk * kChunks);
  EXPECT_EQ(sluice.waitExit(), 0) << sluice.stderrText();
  // The download's record (probes accepted before the listeners closed have their own).
  bool found = false;
  for (const auto& record : sluice.accessLog()) {
    if (record["bytes_out"] == kChunk * kChunks) {
      found = true;
      EXPECT_EQ(record["end"], "server_close");
    }
  }
  EXPECT_TRUE(found) << sluice.stdoutText();
}

TEST(TcpService, DrainTimeoutClosesConnectionsThatDoNotFinish) {
  TestOrigin origin(TestOrigin::echo());
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"o", origin.address()}}, "", "  drain_timeout: 300ms\n"));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();

  const int fd = connectLocal(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(writeAll(fd, "hi\n"));
  ASSERT_EQ(readLine(fd, 5s), "hi\n");
  sluice.signal(SIGTERM);
  bool eof = false;
  readUntilClose(fd, 10s, &eof);
  EXPECT_TRUE(eof);
  ::close(fd);
  EXPECT_EQ(sluice.waitExit(), 0);
  ASSERT_EQ(sluice.accessLog().size(), 1u);
  EXPECT_EQ(sluice.accessLog()[0]["end"], "shutdown");
}

TEST(TcpService, InactiveVipDoesNotListen) {
  TestOrigin origin(TestOrigin::echo("hello\n"));
  const uint16_t on = freePort(), off = freePort();
  SluiceProcess sluice(
      "server_groups:\n  - name: g\n    servers: [{name: o, address: " + origin.address() +
      "}]\n"
      "vips:\n"
      "  - {name: on, listen: 127.0.0.1:" +
      std::to_string(on) +
      ", service: tcp, default_group: g}\n"
      "  - {name: off, listen: 127.0.0.1:" +
      std::to_string(off) + ", service: tcp, default_group: g, active: false}\n");
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  EXPECT_EQ(greetingThrough(on), "hello\n");
  EXPECT_LT(connectLocal(off), 0);
  EXPECT_EQ(errno, ECONNREFUSED);
}

TEST(TcpService, PortAlreadyInUseIsAClearStartupError) {
  TestOrigin occupant(TestOrigin::echo());  // listens without SO_REUSEPORT
  SluiceProcess sluice(tcpConfig(occupant.port(), {{"o", "127.0.0.1:1"}}));
  EXPECT_FALSE(sluice.waitReady());
  EXPECT_EQ(sluice.waitExit(), 1);
  const std::string err = sluice.stderrText();
  EXPECT_NE(err.find("vips[0] (v)"), std::string::npos) << err;
  EXPECT_NE(err.find(occupant.address()), std::string::npos) << err;
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
}

TEST(TcpService, SourceHashKeepsAClientOnOneServer) {
  TestOrigin a(TestOrigin::echo("a\n")), b(TestOrigin::echo("b\n")), c(TestOrigin::echo("c\n"));
  const uint16_t port = freePort();
  SluiceProcess sluice(tcpConfig(port, {{"a", a.address()}, {"b", b.address()}, {"c", c.address()}},
                                 "    balance: source_hash\n", "", 2));
  ASSERT_TRUE(sluice.waitReady()) << sluice.stderrText();
  const std::string first = greetingThrough(port);
  ASSERT_EQ(first.size(), 2u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(greetingThrough(port), first);
}

}  // namespace
}  // namespace sluice::test
