#include "health/health_checker.h"

#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/log.h"
#include "core/units.h"
#include "net/socket.h"
#include "tls/tls_client_context.h"
#include "tls/transport.h"

namespace sluice {
namespace {

constexpr size_t kMaxResponse = 64 * 1024;  // what a check reads of a response at most

// TLS for checks of groups that have no client context of their own (a `tls` check on a
// passthrough group's servers): a liveness check, so the certificate is not verified.
std::shared_ptr<const TlsClientContext> livenessTls() {
  static const std::shared_ptr<const TlsClientContext> context = [] {
    BackendTlsSettings settings;
    settings.verify = false;
    std::string error;
    return TlsClientContext::create(settings, error);
  }();
  return context;
}

}  // namespace

class HealthChecker::Probe final : public IoHandler {
 public:
  Probe(EventLoop& loop, const ServerGroupConfig& group, const ServerConfig& server,
        ServerHealth& health, ServerCounters& counters, uint64_t seed)
      : loop_(loop),
        group_(group),
        server_(server),
        health_(health),
        counters_(counters),
        check_(group.health),
        random_(seed),
        next_(loop.timers(), [this] { run(); }),
        deadline_(loop.timers(),
                  [this] { fail("timed out after " + formatDuration(check_.timeout)); }) {
    tls_ = group.tlsContext ? group.tlsContext : livenessTls();
    const std::string host = check_.host.empty() ? server.name : check_.host;
    request_ = "GET " + check_.path + " HTTP/1.1\r\nHost: " + host +
               "\r\nUser-Agent: sluice-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  }
  ~Probe() { close(); }

  // The first probe of each server is spread over one interval, so that a config with many
  // servers does not probe them all at once.
  void schedule(bool first) {
    const auto interval = check_.interval.count();
    int64_t delay = interval;
    if (first) {
      delay = std::uniform_int_distribution<int64_t>(0, interval / 4)(random_);
    } else if (check_.jitterPercent > 0) {
      const int64_t spread = interval * check_.jitterPercent / 100;
      delay += std::uniform_int_distribution<int64_t>(-spread, spread)(random_);
    }
    next_.armAt(loop_.now() + Millis(delay));
  }

  void onIo(uint32_t events) override {
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
      transport_.socketReadable(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
    advance();
  }

 private:
  enum class Step { kIdle, kConnecting, kHandshaking, kSending, kReading };
  using Type = HealthCheckConfig::Type;

  void run() {
    close();
    fd_ = connectTcp(server_.address);
    if (!fd_.valid() || !loop_.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this)) {
      const int error = errno;
      if (isLocalResourceError(error)) {
        // Sluice is short of descriptors or memory: that says nothing of the server, so this
        // check is skipped rather than failed (a full fd table must not take servers down).
        close();
        schedule(false);
        return;
      }
      fail(std::string("connect: ") + std::strerror(error));
      return;
    }
    step_ = Step::kConnecting;
    startedAt_ = Clock::now();
    response_.clear();
    sent_ = 0;
    deadline_.armAt(loop_.now() + check_.timeout);
  }

  void advance() {
    if (step_ == Step::kConnecting) {
      pollfd writable{fd_.get(), POLLOUT, 0};
      if (::poll(&writable, 1, 0) <= 0) return;  // still connecting
      const int error = connectResult(fd_.get());
      if (error != 0) {
        fail(std::string("connect: ") + std::strerror(error));
        return;
      }
      if (check_.type == Type::kTcp) {
        succeed();
        return;
      }
      if (check_.type == Type::kTls || check_.type == Type::kHttps) {
        const std::string sni = server_.tlsSni;
        transport_ = Transport(fd_.get(), tls_->newSession(sni, server_.tlsVerifyName, nullptr),
                               Transport::Role::kConnect);
        step_ = Step::kHandshaking;
      } else {
        transport_ = Transport(fd_.get());
        step_ = Step::kSending;
      }
    }
    if (step_ == Step::kHandshaking) {
      if (!transport_.handshake()) {
        if (transport_.failed()) fail(transport_.error());
        return;
      }
      if (check_.type == Type::kTls) {
        succeed();
        return;
      }
      step_ = Step::kSending;
    }
    if (step_ == Step::kSending) {
      while (sent_ < request_.size()) {
        const ssize_t n = transport_.write(request_.data() + sent_, request_.size() - sent_);
        if (n == Transport::kAgain) return;
        if (n == Transport::kFailed) {
          fail("sending the check: " + transport_.error());
          return;
        }
        sent_ += static_cast<size_t>(n);
      }
      step_ = Step::kReading;
    }
    if (step_ == Step::kReading) read();
  }

  void read() {
    char buffer[16384];
    for (;;) {
      const ssize_t n = transport_.read(buffer, sizeof buffer);
      if (n == Transport::kAgain) break;
      if (n == Transport::kFailed || n == 0) {
        judge(n == 0 || !response_.empty());
        return;
      }
      response_.append(buffer, static_cast<size_t>(n));
      if (response_.size() >= kMaxResponse || responseComplete()) {
        judge(true);
        return;
      }
    }
  }

  // Whether the response has all arrived: servers may keep the connection open whatever the
  // check's `Connection: close` asks, so the framing says when it is whole.
  bool responseComplete() const {
    const size_t headEnd = response_.find("\r\n\r\n");
    if (headEnd == std::string::npos) return false;
    const std::string_view head(response_.data(), headEnd + 2);
    const size_t body = response_.size() - headEnd - 4;
    for (size_t at = head.find("\r\n"); at != std::string_view::npos;
         at = head.find("\r\n", at + 2)) {
      const std::string_view line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
      if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
        return body >= std::strtoull(std::string(line.substr(15)).c_str(), nullptr, 10);
      }
      if (line.size() > 18 && strncasecmp(line.data(), "transfer-encoding:", 18) == 0) {
        return response_.ends_with("0\r\n\r\n");
      }
    }
    return false;  // delimited by the close
  }

  // The response so far: complete, or all the server sent before closing.
  void judge(bool received) {
    if (!received) {
      fail("no response: " + transport_.error());
      return;
    }
    unsigned status = 0;
    if (std::sscanf(response_.c_str(), "HTTP/1.%*u %u", &status) != 1) {
      fail("not an HTTP response");
      return;
    }
    if (status < check_.statusMin || status > check_.statusMax) {
      fail("HTTP status " + std::to_string(status));
      return;
    }
    if (!check_.bodyContains.empty()) {
      const size_t body = response_.find("\r\n\r\n");
      if (body == std::string::npos ||
          response_.find(check_.bodyContains, body + 4) == std::string::npos) {
        fail("the body does not contain '" + check_.bodyContains + "'");
        return;
      }
    }
    succeed();
  }

  // What the admin API shows of this check.
  void record(bool passed, std::string reason) {
    ServerHealth::CheckRecord check;
    check.atUnixMillis = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    check.latencyMicros = microsBetween(startedAt_, Clock::now());
    check.passed = passed;
    check.reason = std::move(reason);
    health_.recordCheck(std::move(check));
  }

  void succeed() {
    close();
    failures_ = 0;
    ++successes_;
    counters_.checked(true);
    record(true, "passed");
    ServerHealth& health = health_;
    if (health.state() == ServerHealth::State::kDown && successes_ >= check_.rise) {
      health.setState(ServerHealth::State::kUp);
      counters_.changedState(true);
      logInfo("server " + group_.name + "/" + server_.name +
              " is up: " + std::to_string(successes_) + " check(s) passed in a row");
    }
    schedule(false);
  }

  void fail(const std::string& why) {
    close();
    successes_ = 0;
    ++failures_;
    counters_.checked(false);
    record(false, why);
    ServerHealth& health = health_;
    if (health.state() == ServerHealth::State::kUp && failures_ >= check_.fall) {
      health.setState(ServerHealth::State::kDown);
      counters_.changedState(false);
      logWarn("server " + group_.name + "/" + server_.name + " is down: " + why + " (" +
              std::to_string(failures_) + " check(s) failed in a row)");
    }
    schedule(false);
  }

  void close() {
    deadline_.cancel();
    if (fd_.valid()) {
      transport_.shutdown();  // close_notify after a TLS check: an orderly goodbye
      transport_ = Transport();
      loop_.remove(fd_.get());
      fd_.reset();
    }
    step_ = Step::kIdle;
  }

  EventLoop& loop_;
  const ServerGroupConfig& group_;
  const ServerConfig& server_;
  ServerHealth& health_;
  ServerCounters& counters_;
  const HealthCheckConfig& check_;
  std::shared_ptr<const TlsClientContext> tls_;
  std::mt19937_64 random_;
  Timer next_;
  Timer deadline_;
  UniqueFd fd_;
  Transport transport_;
  Step step_ = Step::kIdle;
  TimePoint startedAt_;
  std::string request_;
  size_t sent_ = 0;
  std::string response_;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
};

HealthChecker::HealthChecker(std::shared_ptr<const ConfigSnapshot> snapshot,
                             std::shared_ptr<const ServerStates> states,
                             std::shared_ptr<const SnapshotMetrics> metrics, unsigned writer)
    : snapshot_(std::move(snapshot)), states_(std::move(states)), metrics_(std::move(metrics)) {
  uint64_t seed = 0x5eed;
  for (size_t g = 0; g < snapshot_->serverGroups.size(); ++g) {
    const ServerGroupConfig& group = snapshot_->serverGroups[g];
    if (group.health.type == HealthCheckConfig::Type::kNone) continue;
    for (size_t s = 0; s < group.servers.size(); ++s) {
      probes_.push_back(std::make_unique<Probe>(loop_, group, group.servers[s], states_->of(g, s),
                                                metrics_->servers[g][s]->of(writer), ++seed));
    }
  }
}

HealthChecker::~HealthChecker() {
  if (thread_.joinable()) {
    loop_.post([this] { loop_.stop(); });
    thread_.join();
  }
  probes_.clear();
}

void HealthChecker::start() {
  if (probes_.empty()) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sluice-health");
    for (auto& probe : probes_)
      probe->schedule(true);
    loop_.run();
  });
}

}  // namespace sluice
