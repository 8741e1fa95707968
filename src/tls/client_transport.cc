#include "tls/client_transport.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {

ClientTransport::ClientTransport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {
  if (ssl_) {
    SSL_set_fd(ssl_, fd_);
    SSL_set_accept_state(ssl_);
  } else {
    handshakeDone_ = true;
  }
}

ClientTransport::~ClientTransport() {
  SSL_free(ssl_);
}

ssize_t ClientTransport::fail(const char* operation, int sslError) {
  failed_ = true;
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (sslError == SSL_ERROR_SYSCALL && errno != 0) {
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

bool ClientTransport::handshake() {
  if (handshakeDone_) return true;
  if (failed_) return false;
  errno = 0;
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshakeDone_ = true;
    return true;
  }
  const int error = SSL_get_error(ssl_, rc);
  if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) fail("TLS handshake", error);
  return false;
}

ssize_t ClientTransport::read(char* buffer, size_t size) {
  if (!ssl_) {
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EINTR) return kAgain;
    return fail("read", SSL_ERROR_SYSCALL);
  }
  errno = 0;
  readWaitsForWritable_ = false;
  const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
  if (n > 0) return n;
  const int error = SSL_get_error(ssl_, n);
  if (error == SSL_ERROR_WANT_READ) return kAgain;
  if (error == SSL_ERROR_WANT_WRITE) {
    readWaitsForWritable_ = true;
    return kAgain;
  }
  if (error == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify: a clean end of stream
  return fail("TLS read", error);
}

ssize_t ClientTransport::write(const char* data, size_t size) {
  if (!ssl_) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EAGAIN || errno == EINTR) return kAgain;
    return fail("write", SSL_ERROR_SYSCALL);
  }
  errno = 0;
  // SSL_MODE_ENABLE_PARTIAL_WRITE is set on the context, so a write may take part of `data`.
  const int n = SSL_write(ssl_, data, static_cast<int>(size));
  if (n > 0) return n;
  const int error = SSL_get_error(ssl_, n);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return kAgain;
  return fail("TLS write", error);
}

void ClientTransport::shutdown() {
  if (ssl_ && handshakeDone_ && !failed_) SSL_shutdown(ssl_);
}

const char* ClientTransport::tlsVersion() const {
  return ssl_ ? SSL_get_version(ssl_) : "";
}

const char* ClientTransport::cipher() const {
  return ssl_ ? SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)) : "";
}

}  // namespace sluice
