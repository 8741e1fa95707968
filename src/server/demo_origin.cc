#include "server/demo_origin.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {

class DemoOrigin::Connection final : public IoHandler, public Deferrable {
 public:
  Connection(DemoOrigin& origin, UniqueFd fd) : origin_(origin), fd_(std::move(fd)) {}
  bool start() { return origin_.loop_->add(fd_.get(), EPOLLIN | EPOLLRDHUP, this); }

  void onIo(uint32_t) override {
    if (!fd_.valid()) return;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
      if (n > 0) {
        received_.append(buffer, static_cast<size_t>(n));
        if (!answer()) return close();
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      return close();  // EOF or error
    }
  }

 private:
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
      const std::string body = "Hello from demo origin " + origin_.name_ + " (" +
                               origin_.address_.toString() + "), reached through Sluice.\n";
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
    [[maybe_unused]] ssize_t n = ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
  }

  void close() {
    origin_.loop_->remove(fd_.get());
    fd_.reset();
    origin_.loop_->deferDelete(std::unique_ptr<Deferrable>(this));
  }

  DemoOrigin& origin_;
  UniqueFd fd_;
  std::string received_;
};

bool DemoOrigin::listen(EventLoop& loop, const std::string& name, const SocketAddress& address,
                        std::string& error) {
  loop_ = &loop;
  name_ = name;
  address_ = address;
  fd_ = listenTcp(address, 128, error);
  return fd_.valid() && loop.add(fd_.get(), EPOLLIN, this);
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
