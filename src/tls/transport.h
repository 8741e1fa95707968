#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "net/read_edge.h"

namespace sluice {

// One side of a proxied connection: a non-blocking socket, plain or with TLS, behind one set of
// calls, so that the HTTP proxy is written once for plain and TLS clients (`http`,
// `https-offload`, `https-bridge`) and for plain and TLS servers (`protocol: http|https`).
//
// Every call is non-blocking and says whether to come back later. With TLS, a read may need
// the socket to be writable and a write may need it readable (key updates, alerts); the
// caller retries all pending work on every event of the socket, so the direction does not
// need tracking.
//
// Movable (a pooled server connection moves between sessions); it does not own the socket.
class Transport {
 public:
  static constexpr ssize_t kAgain = -1;   // nothing now; retry on the next event
  static constexpr ssize_t kFailed = -2;  // the connection is broken (reset, TLS alert, ...)

  // A transport over nothing: tls() is false and every call fails.
  Transport() = default;
  // Plain TCP over `fd`.
  explicit Transport(int fd) : fd_(fd), handshakeDone_(true) {}
  // TLS over `fd` with a fresh `ssl` (owned), as the server (a client connected to us) or as
  // the client (we connected to a server).
  enum class Role { kAccept, kConnect };
  Transport(int fd, SSL* ssl, Role role);
  // TLS server over `fd`, whose first `length` bytes were already read into `peeked` (a
  // ClientHello a mixed listener looked at): the TLS engine reads them before the socket.
  // `peeked` stays the caller's, needed until peekedBytesConsumed().
  Transport(int fd, SSL* ssl, const char* peeked, size_t length);
  ~Transport();
  Transport(Transport&& other) noexcept;
  Transport& operator=(Transport&& other) noexcept;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Drives the TLS handshake: true once complete (at once for plain TCP). After a failure,
  // failed() is true and error() says why (for a server we connected to, the certificate
  // check's verdict when that is what failed).
  bool handshake();
  // Bytes read (> 0), 0 at the peer's end of stream, kAgain or kFailed.
  ssize_t read(char* buffer, size_t size);
  // Bytes written (> 0), kAgain or kFailed.
  ssize_t write(const char* data, size_t size);
  // The socket was reported readable (`peerClosed`: with EPOLLRDHUP, HUP or ERR). Every
  // readable event must be reported before reading: after a read that drained the socket,
  // read() answers kAgain without a system call until then.
  void socketReadable(bool peerClosed);
  // Ends the TLS session politely (close_notify), best effort; then the socket may be closed.
  void shutdown();

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_; }
  // The last read waited for the socket to become writable (TLS only, rare): a writable edge
  // is then worth another read.
  bool readWaitsForWritable() const { return readWaitsForWritable_; }
  // The last handshake step, read or write stopped until the socket is writable: the owner
  // must then be told of writability (it watches for it only when needed).
  bool waitsForWritable() const {
    return readWaitsForWritable_ || writeWaitsForWritable_ || handshakeWaitsForWritable_;
  }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  const char* tlsVersion() const;  // "TLSv1.3", or "" for plain TCP
  const char* cipher() const;      // "TLS_AES_128_GCM_SHA256", or ""
  // The server name a TLS client asked for (SNI), or "".
  std::string_view serverName() const;
  // The protocol ALPN chose ("h2", "http/1.1"), or empty.
  std::string_view alpn() const;
  // Every peeked byte given to the constructor has been read by the TLS engine.
  bool peekedBytesConsumed() const { return !ssl_ || BIO_pending(SSL_get_rbio(ssl_)) == 0; }
  // Bytes the TLS engine has received and not yet handed out (a record read in part).
  // With read-ahead, that includes whole records not yet decrypted.
  bool hasBufferedInput() const { return ssl_ && SSL_has_pending(ssl_) == 1; }
  // Whether a read could return anything now: false when the last read emptied the socket,
  // no readable edge came since, and the TLS engine holds nothing.
  bool inputMayBePending() const;
  // The TLS session was resumed rather than fully negotiated.
  bool resumed() const { return ssl_ && SSL_session_reused(ssl_); }

 private:
  ssize_t fail(const char* operation, int sslError);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool handshakeDone_ = false;
  bool readWaitsForWritable_ = false;
  bool writeWaitsForWritable_ = false;
  bool handshakeWaitsForWritable_ = false;
  ReadEdge edge_;  // plain TCP (with TLS, the BIO keeps it)
  bool failed_ = false;
  std::string error_;
};

}  // namespace sluice
