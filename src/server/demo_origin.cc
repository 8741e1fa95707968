#include "server/demo_origin.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {

class DemoOrigin::Connection final : public IoHandler, public Deferrable {
 public:
  Connection(DemoOrigin& origin, UniqueFd fd) : origin_(origin), fd_(std::move(fd)) {
    if (origin_.tls_) {
      ssl_ = SSL_new(origin_.tls_);
      SSL_set_fd(ssl_, fd_.get());
      SSL_set_accept_state(ssl_);
    }
  }
  ~Connection() { SSL_free(ssl_); }
  bool start() { return origin_.loop_->add(fd_.get(), EPOLLIN | EPOLLRDHUP, this); }

  void onIo(uint32_t) override {
    if (!fd_.valid()) return;
    char buffer[4096];
    for (;;) {
      const ssize_t n = receive(buffer, sizeof buffer);
      if (n > 0) {
        received_.append(buffer, static_cast<size_t>(n));
        if (!answer()) return close();
        continue;
      }
      if (n < 0) return;  // wait for more
      return close();     // EOF or error
    }
  }

 private:
  // >0 bytes read, <0 nothing yet (come back on the next event), 0 closed or failed.
  ssize_t receive(char* buffer, size_t size) {
    if (!ssl_) {
      const ssize_t n = ::read(fd_.get(), buffer, size);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
      return n < 0 ? 0 : n;
    }
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n > 0) return n;
    const int error = SSL_get_error(ssl_, n);
    return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ? -1 : 0;
  }

  bool isHttp() const {
    for (const char* method : {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS "}) {
      if (received_.rfind(method, 0) == 0) return true;
    }
    return false;
  }

  // Replies to what has arrived; false when the connection is done.
  bool answer() {
    if (isHttp()) {
      if (received_.find("\r\n\r\n") == std::string::npos) return true;
      const size_t pathAt = received_.find(' ') + 1;
      const std::string_view path(received_.data() + pathAt, received_.find(' ', pathAt) - pathAt);
      if (!origin_.filePath_.empty() && path == origin_.filePath_) {
        send("HTTP/1.1 200 OK\r\nContent-Type: " + origin_.fileType_ +
             "\r\nContent-Length: " + std::to_string(origin_.fileContent_.size()) +
             "\r\nConnection: close\r\n\r\n" + origin_.fileContent_);
        return false;
      }
      const std::string body =
          "Hello from demo origin " + origin_.name_ + " (" + origin_.address_.toString() +
          (ssl_ ? ", HTTPS with its own certificate" : "") + "), reached through Sluice.\n";
      send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) +
           "\r\nConnection: close\r\nX-Demo-Origin: " + origin_.name_ + "\r\n\r\n" + body);
      return false;
    }
    for (size_t eol; (eol = received_.find('\n')) != std::string::npos;) {
      send(origin_.name_ + ": " + received_.substr(0, eol + 1));
      received_.erase(0, eol + 1);
    }
    return true;
  }

  void send(const std::string& text) {
    // Demo replies are a few hundred bytes: they fit the socket buffer in one write.
    if (ssl_) {
      SSL_write(ssl_, text.data(), static_cast<int>(text.size()));
      return;
    }
    [[maybe_unused]] ssize_t n = ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
  }

  void close() {
    if (ssl_) SSL_shutdown(ssl_);
    origin_.loop_->remove(fd_.get());
    fd_.reset();
    origin_.loop_->deferDelete(std::unique_ptr<Deferrable>(this));
  }

  DemoOrigin& origin_;
  UniqueFd fd_;
  SSL* ssl_ = nullptr;
  std::string received_;
};

bool DemoOrigin::listen(EventLoop& loop, const std::string& name, const SocketAddress& address,
                        std::string& error, SSL_CTX* tls) {
  loop_ = &loop;
  tls_ = tls;
  name_ = name;
  address_ = address;
  fd_ = listenTcp(address, 128, error);
  return fd_.valid() && loop.add(fd_.get(), EPOLLIN, this);
}

void DemoOrigin::serveFile(std::string path, std::string content, std::string contentType) {
  filePath_ = std::move(path);
  fileContent_ = std::move(content);
  fileType_ = std::move(contentType);
}

DemoOrigin::~DemoOrigin() {
  if (fd_.valid() && loop_) loop_->remove(fd_.get());
}

void DemoOrigin::onIo(uint32_t) {
  for (;;) {
    const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto* connection = new Connection(*this, UniqueFd(fd));
    if (connection->start()) {
      connection->onIo(EPOLLIN);
    } else {
      delete connection;
    }
  }
}

}  // namespace sluice
