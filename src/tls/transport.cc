#include "tls/transport.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "tls/socket_bio.h"

namespace sluice {

Transport::Transport(int fd, SSL* ssl, Role role) : Transport(fd, ssl, nullptr, 0) {
  if (role == Role::kConnect) SSL_set_connect_state(ssl_);
}

Transport::Transport(int fd, SSL* ssl, const char* peeked, size_t length) : fd_(fd), ssl_(ssl) {
  BIO* bio = newSocketBio(fd, peeked, length);
  if (!bio) {
    failed_ = true;
    error_ = "TLS handshake: out of memory";
    return;
  }
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways takes one reference
  SSL_set_accept_state(ssl_);
}

Transport::~Transport() {
  SSL_free(ssl_);
}

Transport::Transport(Transport&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      handshakeDone_(other.handshakeDone_),
      readWaitsForWritable_(other.readWaitsForWritable_),
      writeWaitsForWritable_(other.writeWaitsForWritable_),
      handshakeWaitsForWritable_(other.handshakeWaitsForWritable_),
      edge_(other.edge_),
      failed_(other.failed_),
      error_(std::move(other.error_)) {}

Transport& Transport::operator=(Transport&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::exchange(other.ssl_, nullptr);
    handshakeDone_ = other.handshakeDone_;
    readWaitsForWritable_ = other.readWaitsForWritable_;
    writeWaitsForWritable_ = other.writeWaitsForWritable_;
    handshakeWaitsForWritable_ = other.handshakeWaitsForWritable_;
    edge_ = other.edge_;
    failed_ = other.failed_;
    error_ = std::move(other.error_);
  }
  return *this;
}

ssize_t Transport::fail(const char* operation, int sslError) {
  failed_ = true;
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (ssl_ && !SSL_is_server(ssl_) && SSL_get_verify_result(ssl_) != X509_V_OK) {
    // The server's certificate did not pass: say why in the checker's words.
    error_ = std::string("certificate verify failed: ") +
             X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
  } else if (sslError == SSL_ERROR_SYSCALL && errno != 0) {
    error_ = std::string(operation) + ": " + std::strerror(errno);
  } else if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    error_ = std::string(operation) + ": " + text;
  } else {
    error_ = std::string(operation) + ": connection closed";
  }
  return kFailed;
}

bool Transport::handshake() {
  if (handshakeDone_) return true;
  if (failed_ || !ssl_) return false;
  errno = 0;
  corkSocketBio(SSL_get_wbio(ssl_));
  const int rc = SSL_do_handshake(ssl_);
  const int error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rc);
  const int savedErrno = errno;  // for fail(); sending what was held may change it
  const bool flushed = uncorkSocketBio(SSL_get_wbio(ssl_));
  errno = savedErrno;
  handshakeWaitsForWritable_ = !flushed || error == SSL_ERROR_WANT_WRITE;
  if (rc == 1) {
    handshakeDone_ = true;
    // Bytes still held go out with the next read or write; a writable edge is worth a read.
    readWaitsForWritable_ = !flushed;
    return true;
  }
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) fail("TLS handshake", error);
  return false;
}

ssize_t Transport::read(char* buffer, size_t size) {
  if (!ssl_) {
    if (edge_.drained) return kAgain;  // see ReadEdge: the EAGAIN is known in advance
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n > 0) {
      edge_.afterRead(static_cast<size_t>(n), size);
      return n;
    }
    if (n == 0) return 0;
    if (errno == EAGAIN || errno == EINTR) return kAgain;
    return fail("read", SSL_ERROR_SYSCALL);
  }
  errno = 0;
  // Whatever the read makes OpenSSL write (session tickets, a key update's answer) leaves in
  // one send() when the call returns.
  corkSocketBio(SSL_get_wbio(ssl_));
  const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
  const int error = n > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, n);
  const int savedErrno = errno;
  readWaitsForWritable_ = !uncorkSocketBio(SSL_get_wbio(ssl_)) || error == SSL_ERROR_WANT_WRITE;
  errno = savedErrno;
  if (n > 0) return n;
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return kAgain;
  if (error == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify: a clean end of stream
  return fail("TLS read", error);
}

ssize_t Transport::write(const char* data, size_t size) {
  writeWaitsForWritable_ = false;
  if (!ssl_) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EINTR) {
      writeWaitsForWritable_ = true;
      return kAgain;
    }
    return fail("write", SSL_ERROR_SYSCALL);
  }
  errno = 0;
  // SSL_MODE_ENABLE_PARTIAL_WRITE is set on the contexts, so a write may take part of `data`.
  const int n = SSL_write(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int error = SSL_get_error(ssl_, n);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    writeWaitsForWritable_ = error == SSL_ERROR_WANT_WRITE;
    return kAgain;
  }
  return fail("TLS write", error);
}

void Transport::socketReadable(bool peerClosed) {
  if (ssl_) {
    markSocketReadable(SSL_get_rbio(ssl_), peerClosed);
  } else {
    edge_.readable(peerClosed);
  }
}

bool Transport::inputMayBePending() const {
  if (!ssl_) return !edge_.drained;
  return hasBufferedInput() || !socketDrained(SSL_get_rbio(ssl_));
}

void Transport::shutdown() {
  if (ssl_ && handshakeDone_ && !failed_) {
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
}

const char* Transport::tlsVersion() const {
  return ssl_ ? SSL_get_version(ssl_) : "";
}

const char* Transport::cipher() const {
  return ssl_ ? SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)) : "";
}

std::string_view Transport::serverName() const {
  const char* name = ssl_ ? SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name) : nullptr;
  return name ? std::string_view(name) : std::string_view();
}

std::string_view Transport::alpn() const {
  if (!ssl_) return {};
  const unsigned char* protocol = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &protocol, &length);
  return protocol ? std::string_view(reinterpret_cast<const char*>(protocol), length)
                  : std::string_view();
}

}  // namespace sluice
