// An open-loop TLS load generator for the benchmarks: work is offered at a fixed rate, whatever
// the server's pace, and each latency is measured from the moment the work was due (not from
// when it was sent), so a stalled server cannot hide its stall (coordinated omission).
//
//   build/bench/tls_load PORT MODE RATE SECONDS [options]
//
// MODE:
//   full       a new TLS connection per request, never resumed: each must be a full handshake
//   resumed    a new TLS connection per request, resuming the last session ticket received
//   keepalive  RATE requests/s over --connections TLS connections opened beforehand
// Options:
//   --host NAME        SNI and Host header (default bench.example.test)
//   --path PATH        the request's path (default /small)
//   --connections N    keepalive mode: connections (default 32)
//   --warmup SECONDS   the same load, not counted, before the measured interval (default 1)
//   --cpu PID[,PID..]  also report these processes' CPU time over the measured interval
//
// Prints one line of "key=value" fields: offered, done, full, resumed, failed, rate, p50_ms,
// p99_ms, p999_ms, and with --cpu: cpu_s, cpu_us_per_op, busy (CPU seconds per wall second).
// Exits 1 if any request failed, if a `full` connection resumed, or if a `resumed` connection
// after warm-up did a full handshake: the row is then not what it claims to be.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

enum class Mode { kFull, kResumed, kKeepAlive };

struct Options {
  uint16_t port = 0;
  Mode mode = Mode::kFull;
  double rate = 0;
  double seconds = 0;
  std::string host = "bench.example.test";
  std::string path = "/small";
  int connections = 32;
  double warmup = 1;
  std::vector<int> cpuPids;
};

double now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// utime + stime of the processes, in seconds.
double cpuSeconds(const std::vector<int>& pids) {
  double total = 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int pid : pids) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name, which is in parentheses and may hold spaces.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i == 14 || i == 15) total += std::strtod(field.c_str(), nullptr) / ticks;
  }
  return total;
}

struct Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaken = false;
  bool busy = false;      // a request is on the wire
  double due = 0;         // when the request in flight was due
  bool measured = false;  // due inside the measured interval
  size_t sent = 0;
  std::string request;
  std::string response;
};

// Where one HTTP/1.1 response ends, once its head is in: head + Content-Length. 0: not yet
// known; SIZE_MAX: a response this tool cannot frame (no Content-Length).
size_t responseEnd(const std::string& data) {
  const size_t head = data.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  constexpr std::string_view kName = "\r\ncontent-length:";
  for (size_t at = data.find("\r\n"); at < head; at = data.find("\r\n", at + 2)) {
    if (strncasecmp(data.c_str() + at, kName.data(), kName.size()) == 0)
      return head + 4 + std::strtoul(data.c_str() + at + kName.size(), nullptr, 10);
  }
  return SIZE_MAX;
}

class Load {
 public:
  explicit Load(const Options& options) : options_(options) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    // The client checks the server's CertificateVerify signature either way; skipping the
    // chain walk keeps the generator's own cost down, so the server's core saturates first.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (options_.mode == Mode::kResumed) {
      SSL_CTX_set_session_cache_mode(ctx_,
                                     SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(ctx_, &Load::onNewSession);
      SSL_CTX_set_app_data(ctx_, this);
    } else {
      SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET);
      SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    }
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    request_ = "GET " + options_.path + " HTTP/1.1\r\nHost: " + options_.host + "\r\n\r\n";
  }

  int run() {
    if (options_.mode == Mode::kKeepAlive && !openKeepAliveConnections()) return 1;
    runFor(options_.warmup, /*measured=*/false);
    const double cpuBefore = cpuSeconds(options_.cpuPids);
    const double started = now();
    runFor(options_.seconds, /*measured=*/true);
    const double wall = now() - started;
    const double cpu = cpuSeconds(options_.cpuPids) - cpuBefore;
    // Work still in flight at the end was offered but is not counted as done or failed.
    std::sort(latencies_.begin(), latencies_.end());
    auto quantile = [&](double q) {
      if (latencies_.empty()) return 0.0;
      return latencies_[std::min(latencies_.size() - 1,
                                 static_cast<size_t>(q * static_cast<double>(latencies_.size())))] *
             1000;
    };
    std::printf(
        "offered=%ld done=%ld full=%ld resumed=%ld failed=%ld rate=%.0f p50_ms=%.3f p99_ms=%.3f "
        "p999_ms=%.3f",
        offered_, done_, full_, resumed_, failed_, static_cast<double>(done_) / wall, quantile(0.5),
        quantile(0.99), quantile(0.999));
    if (!options_.cpuPids.empty())
      std::printf(" cpu_s=%.3f cpu_us_per_op=%.1f busy=%.2f", cpu,
                  done_ > 0 ? cpu / static_cast<double>(done_) * 1e6 : 0.0, cpu / wall);
    std::printf("\n");
    if (!firstError_.empty())
      std::fprintf(stderr, "tls_load: first failure: %s\n", firstError_.c_str());
    if (failed_ > 0) return 1;
    if (options_.mode == Mode::kFull && resumed_ > 0) return 1;
    if (options_.mode == Mode::kResumed && full_ > 0) return 1;
    return 0;
  }

 private:
  static int onNewSession(SSL* ssl, SSL_SESSION* session) {
    auto* self = static_cast<Load*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    // A copy: OpenSSL marks a connection's own session unresumable when the connection is
    // freed without a close_notify, as these are.
    if (self->session_ != nullptr) SSL_SESSION_free(self->session_);
    self->session_ = SSL_SESSION_dup(session);
    return 0;  // the callback's reference is not kept
  }

  // Offers the mode's work for `seconds`; counts it only when `measured`.
  void runFor(double seconds, bool measured) {
    measured_ = measured;
    const double start = now();
    const double end = start + seconds;
    long offered = 0;
    epoll_event events[256];
    for (;;) {
      const double t = now();
      if (t >= end) break;
      // Everything due by now is offered now, stamped with when it was due.
      const long due = static_cast<long>((t - start) * options_.rate);
      for (; offered < due; ++offered)
        offer(start + static_cast<double>(offered) / options_.rate);
      // Sleep exactly until the next request is due (epoll_pwait2 takes nanoseconds): a
      // millisecond timeout would either spin (0) or delay requests; spinning would take the
      // core from the origin that shares it.
      const double next = start + static_cast<double>(offered + 1) / options_.rate;
      const double wait = std::max(0.0, std::min(next, end) - now());
      timespec timeout{static_cast<time_t>(wait),
                       static_cast<long>((wait - std::floor(wait)) * 1e9)};
      const int n = epoll_pwait2(epoll_, events, 256, &timeout, nullptr);
      for (int i = 0; i < n; ++i)
        drive(*static_cast<Connection*>(events[i].data.ptr));
    }
  }

  void offer(double due) {
    if (measured_) ++offered_;
    if (options_.mode == Mode::kKeepAlive) {
      waiting_.push_back(due);
      dispatchWaiting();
      return;
    }
    auto* c = new Connection;
    c->due = due;
    c->busy = true;
    c->request = request_;
    c->measured = measured_;
    if (!open(*c)) return finish(*c, "connect failed");
    if (options_.mode == Mode::kResumed && session_ != nullptr) {
      // Each connection its own copy, for the same reason as in onNewSession.
      SSL_SESSION* copy = SSL_SESSION_dup(session_);
      SSL_set_session(c->ssl, copy);
      SSL_SESSION_free(copy);
    }
    drive(*c);
  }

  bool open(Connection& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(options_.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
        errno != EINPROGRESS)
      return false;
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_tlsext_host_name(c.ssl, options_.host.c_str());
    SSL_set_connect_state(c.ssl);
    epoll_event event{EPOLLIN | EPOLLOUT | EPOLLET, {.ptr = &c}};
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event);
    return true;
  }

  // Opens the keep-alive connections and completes their handshakes before any load.
  bool openKeepAliveConnections() {
    keepAlive_.resize(static_cast<size_t>(options_.connections));
    for (Connection& c : keepAlive_) {
      c.request = request_;
      if (!open(c)) return false;
    }
    const double deadline = now() + 10;
    epoll_event events[256];
    for (;;) {
      size_t ready = 0;
      for (Connection& c : keepAlive_) {
        drive(c);
        if (c.handshaken) ++ready;
        if (c.fd < 0) return false;
      }
      if (ready == keepAlive_.size()) return true;
      if (now() > deadline) {
        std::fprintf(stderr, "tls_load: %zu of %zu connections up in 10 s\n", ready,
                     keepAlive_.size());
        return false;
      }
      epoll_wait(epoll_, events, 256, 100);
    }
  }

  void dispatchWaiting() {
    for (Connection& c : keepAlive_) {
      if (waiting_.empty()) return;
      if (c.busy || c.fd < 0) continue;
      c.busy = true;
      c.due = waiting_.front();
      c.measured = measured_;
      waiting_.pop_front();
      c.sent = 0;
      drive(c);
    }
  }

  // Moves one connection as far as its socket allows: handshake, request, response.
  void drive(Connection& c) {
    if (c.fd < 0) return;
    if (!c.handshaken) {
      ERR_clear_error();
      const int rc = SSL_do_handshake(c.ssl);
      if (rc != 1) {
        const int error = SSL_get_error(c.ssl, rc);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
        return finish(c, std::string("handshake: ") + ERR_error_string(ERR_get_error(), nullptr));
      }
      c.handshaken = true;
      if (c.measured && options_.mode != Mode::kKeepAlive)
        ++(SSL_session_reused(c.ssl) ? resumed_ : full_);
    }
    if (!c.busy) return;
    while (c.sent < c.request.size()) {
      const int n =
          SSL_write(c.ssl, c.request.data() + c.sent, static_cast<int>(c.request.size() - c.sent));
      if (n <= 0) {
        const int error = SSL_get_error(c.ssl, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
        return finish(c, "write failed");
      }
      c.sent += static_cast<size_t>(n);
    }
    char buffer[16384];
    for (;;) {
      const int n = SSL_read(c.ssl, buffer, sizeof buffer);
      if (n <= 0) {
        const int error = SSL_get_error(c.ssl, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
        return finish(c, "connection closed before the response ended");
      }
      c.response.append(buffer, static_cast<size_t>(n));
      const size_t end = responseEnd(c.response);
      if (end == SIZE_MAX) return finish(c, "response without Content-Length");
      if (end == 0 || c.response.size() < end) continue;
      if (c.response.compare(0, 12, "HTTP/1.1 200") != 0)
        return finish(c, "status " + c.response.substr(0, c.response.find('\r')));
      c.response.erase(0, end);
      return finish(c, "");
    }
  }

  // Counts one request as done (error empty) or failed; per-request connections close.
  void finish(Connection& c, const std::string& error) {
    if (c.measured && c.busy) {
      if (error.empty()) {
        ++done_;
        latencies_.push_back(now() - c.due);
      } else {
        ++failed_;
        if (firstError_.empty()) firstError_ = error;
      }
    }
    c.busy = false;
    if (options_.mode == Mode::kKeepAlive && error.empty()) return dispatchWaiting();
    if (c.ssl != nullptr) SSL_free(c.ssl);
    if (c.fd >= 0) ::close(c.fd);  // closing also leaves the epoll set
    c.ssl = nullptr;
    c.fd = -1;
    if (options_.mode != Mode::kKeepAlive) delete &c;
  }

  const Options options_;
  SSL_CTX* ctx_ = nullptr;
  SSL_SESSION* session_ = nullptr;
  int epoll_ = -1;
  std::string request_;
  std::vector<Connection> keepAlive_;
  std::deque<double> waiting_;  // keep-alive requests due, oldest first
  bool measured_ = false;
  long offered_ = 0, done_ = 0, full_ = 0, resumed_ = 0, failed_ = 0;
  std::vector<double> latencies_;
  std::string firstError_;
};

bool parse(int argc, char** argv, Options& o) {
  if (argc < 5) return false;
  o.port = static_cast<uint16_t>(std::atoi(argv[1]));
  const std::string mode = argv[2];
  if (mode == "full")
    o.mode = Mode::kFull;
  else if (mode == "resumed")
    o.mode = Mode::kResumed;
  else if (mode == "keepalive")
    o.mode = Mode::kKeepAlive;
  else
    return false;
  o.rate = std::atof(argv[3]);
  o.seconds = std::atof(argv[4]);
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--host")
      o.host = value;
    else if (key == "--path")
      o.path = value;
    else if (key == "--connections")
      o.connections = std::atoi(value.c_str());
    else if (key == "--warmup")
      o.warmup = std::atof(value.c_str());
    else if (key == "--cpu") {
      std::istringstream list(value);
      for (std::string pid; std::getline(list, pid, ',');)
        o.cpuPids.push_back(std::atoi(pid.c_str()));
    } else
      return false;
  }
  return o.port != 0 && o.rate > 0 && o.seconds > 0 && o.connections > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: %s PORT full|resumed|keepalive RATE SECONDS [--host NAME] [--path PATH] "
                 "[--connections N] [--warmup SECONDS] [--cpu PID,...]\n",
                 argv[0]);
    return 2;
  }
  rlimit files{65536, 65536};
  setrlimit(RLIMIT_NOFILE, &files);
  return Load(options).run();
}
