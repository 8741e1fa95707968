// Opens N TLS connections to 127.0.0.1:PORT, completes every handshake, then keeps them open
// and idle until its standard input closes (or a time limit passes): the load for measuring
// a proxy's memory per idle TLS connection (bench/memory.sh). Prints "ready N" once all are
// up, or "failed: ..." and exits 1.
//
//   build/bench/idle_tls_clients PORT N [max seconds]

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  bool done = false;
};

int connectTo(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT N [max seconds]\n", argv[0]);
    return 2;
  }
  const auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  const int count = std::atoi(argv[2]);
  const int limit = argc > 3 ? std::atoi(argv[3]) : 120;
  rlimit files{static_cast<rlim_t>(count + 64), static_cast<rlim_t>(count + 64)};
  setrlimit(RLIMIT_NOFILE, &files);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  std::vector<Connection> connections(static_cast<size_t>(count));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limit);
  int ready = 0;
  // A few hundred handshakes in flight at a time: what a listen backlog absorbs.
  constexpr int kBatch = 200;
  for (int start = 0; start < count; start += kBatch) {
    const int end = std::min(count, start + kBatch);
    for (int i = start; i < end; ++i) {
      Connection& c = connections[static_cast<size_t>(i)];
      c.fd = connectTo(port);
      c.ssl = SSL_new(ctx);
      SSL_set_fd(c.ssl, c.fd);
      SSL_set_connect_state(c.ssl);
    }
    int pending = end - start;
    while (pending > 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::printf("failed: %d of %d handshakes done in time\n", ready, count);
        return 1;
      }
      std::vector<pollfd> fds;
      std::vector<int> index;
      for (int i = start; i < end; ++i) {
        Connection& c = connections[static_cast<size_t>(i)];
        if (c.done) continue;
        const int rc = SSL_do_handshake(c.ssl);
        if (rc == 1) {
          c.done = true;
          ++ready;
          --pending;
          continue;
        }
        const int error = SSL_get_error(c.ssl, rc);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
          std::printf("failed: handshake %d: %s\n", i, ERR_error_string(ERR_get_error(), nullptr));
          return 1;
        }
        fds.push_back(
            {c.fd, static_cast<short>(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0});
        index.push_back(i);
      }
      if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
    }
  }
  std::printf("ready %d\n", ready);
  std::fflush(stdout);
  // Idle until told to stop: stdin closes, or the time limit.
  pollfd in{0, POLLIN, 0};
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  ::poll(&in, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
  for (Connection& c : connections) {
    SSL_free(c.ssl);
    ::close(c.fd);
  }
  SSL_CTX_free(ctx);
  return 0;
}
