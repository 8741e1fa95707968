#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstddef>
#include <string>

namespace sluice {

// The client side of an HTTP connection: a non-blocking socket, plain or with TLS terminated
// by OpenSSL, behind one set of calls, so that the HTTP proxy is written once for `http` and
// `https-offload` VIPs.
//
// Every call is non-blocking and says whether to come back later. With TLS, a read may need
// the socket to be writable and a write may need it readable (key updates, alerts); the
// caller retries all pending work on every event of the socket, so the direction does not
// need tracking.
class ClientTransport {
 public:
  static constexpr ssize_t kAgain = -1;   // nothing now; retry on the next event
  static constexpr ssize_t kFailed = -2;  // the connection is broken (reset, TLS alert, ...)

  // `ssl` (owned) is a fresh server-side TLS session, or nullptr for plain TCP.
  ClientTransport(int fd, SSL* ssl);
  ~ClientTransport();
  ClientTransport(const ClientTransport&) = delete;
  ClientTransport& operator=(const ClientTransport&) = delete;

  // Drives the TLS handshake: true once complete (at once for plain TCP). After a failure,
  // failed() is true and error() says why.
  bool handshake();
  // Bytes read (> 0), 0 at the client's end of stream, kAgain or kFailed.
  ssize_t read(char* buffer, size_t size);
  // Bytes written (> 0), kAgain or kFailed.
  ssize_t write(const char* data, size_t size);
  // Ends the TLS session politely (close_notify), best effort; then the socket may be closed.
  void shutdown();

  bool tls() const { return ssl_ != nullptr; }
  // The last read waited for the socket to become writable (TLS only, rare): a writable edge
  // is then worth another read.
  bool readWaitsForWritable() const { return readWaitsForWritable_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  const char* tlsVersion() const;  // "TLSv1.3", or "" for plain TCP
  const char* cipher() const;      // "TLS_AES_128_GCM_SHA256", or ""

 private:
  ssize_t fail(const char* operation, int sslError);

  int fd_;
  SSL* ssl_;
  bool handshakeDone_ = false;
  bool readWaitsForWritable_ = false;
  bool failed_ = false;
  std::string error_;
};

}  // namespace sluice
