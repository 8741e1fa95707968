#include "support/http_origin.h"

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "support/net_helpers.h"

namespace sluice::test {
namespace {

// A blocking reader with a buffer, for one origin connection.
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}

  bool fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  bool readUntil(const std::string& delimiter, std::string& out) {
    size_t at;
    while ((at = buffer_.find(delimiter)) == std::string::npos) {
      if (!fill()) return false;
    }
    out = buffer_.substr(0, at);
    buffer_.erase(0, at + delimiter.size());
    return true;
  }
  // Reads exactly n bytes, feeding them to `sink`.
  template <typename Sink>
  bool readExactly(size_t n, Sink sink) {
    while (n > 0) {
      if (buffer_.empty() && !fill()) return false;
      const size_t take = std::min(n, buffer_.size());
      sink(buffer_.data(), take);
      buffer_.erase(0, take);
      n -= take;
    }
    return true;
  }
  std::string& buffer() { return buffer_; }

 private:
  int fd_;
  std::string buffer_;
};

std::string headerValue(const std::string& head, const char* name) {
  const std::string needle = std::string("\r\n") + name + ":";
  for (size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos; at += 2) {
    if (strncasecmp(head.c_str() + at, needle.c_str(), needle.size()) == 0) {
      size_t start = at + needle.size();
      while (start < head.size() && head[start] == ' ')
        ++start;
      return head.substr(start, head.find("\r\n", start) - start);
    }
  }
  return "";
}

void sendPattern(int fd, size_t size, bool chunked) {
  PatternStream pattern(7);
  std::string chunk(256 * 1024, '\0');
  for (size_t sent = 0; sent < size;) {
    const size_t n = std::min(chunk.size(), size - sent);
    pattern.fill(chunk.data(), n);
    if (chunked) {
      char line[32];
      snprintf(line, sizeof line, "%zx\r\n", n);
      if (!writeAll(fd, line) || !writeAll(fd, chunk.data(), n) || !writeAll(fd, "\r\n")) return;
    } else if (!writeAll(fd, chunk.data(), n)) {
      return;
    }
    sent += n;
  }
  if (chunked) writeAll(fd, "0\r\n\r\n");
}

}  // namespace

TestOrigin::Handler resettingOrigin() {
  return [](int fd) {
    char buffer[4096];
    [[maybe_unused]] ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(fd);
  };
}

TestOrigin::Handler httpOrigin(const std::string& name,
                               std::shared_ptr<std::atomic<int>> healthStatus,
                               std::shared_ptr<std::atomic<int>> answerStatus) {
  return [name, healthStatus, answerStatus](int fd) {
    Connection c(fd);
    std::string head;
    while (c.readUntil("\r\n\r\n", head)) {
      head = "\r\n" + head;  // so every header line starts with CRLF
      const std::string requestLine = head.substr(2, head.find("\r\n", 2) - 2);
      const std::string method = requestLine.substr(0, requestLine.find(' '));
      const size_t pathAt = requestLine.find(' ') + 1;
      const std::string path = requestLine.substr(pathAt, requestLine.rfind(' ') - pathAt);
      const std::string origin = "X-Origin: " + name + "\r\n";
      auto respond = [&](const std::string& body, const std::string& extra = "") {
        const int status = answerStatus ? answerStatus->load() : 200;
        return writeAll(fd, "HTTP/1.1 " + std::to_string(status) +
                                (status == 200 ? " OK\r\n" : " Status\r\n") + origin + extra +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                                body);
      };

      if (strcasecmp(headerValue(head, "Upgrade").c_str(), "websocket") == 0) {
        writeAll(fd, "HTTP/1.1 101 Switching Protocols\r\n" + origin +
                         "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        std::string& pending = c.buffer();
        if (!pending.empty() && !writeAll(fd, pending)) break;
        pending.clear();
        char bytes[65536];
        for (ssize_t n; (n = ::recv(fd, bytes, sizeof bytes, 0)) > 0;) {
          if (!writeAll(fd, bytes, static_cast<size_t>(n))) break;
        }
        break;
      }
      if (method == "POST" || method == "PUT") {
        if (strcasecmp(headerValue(head, "Expect").c_str(), "100-continue") == 0) {
          writeAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        RunningHash hash;
        size_t length = 0;
        auto sink = [&](const char* data, size_t n) {
          hash.add(data, n);
          length += n;
        };
        bool ok = true;
        if (strcasecmp(headerValue(head, "Transfer-Encoding").c_str(), "chunked") == 0) {
          for (std::string line; ok && c.readUntil("\r\n", line);) {
            const size_t size = std::stoul(line, nullptr, 16);
            if (size == 0) {
              c.readUntil("\r\n", line);  // the empty trailer section
              break;
            }
            ok = c.readExactly(size, sink) && c.readUntil("\r\n", line);
          }
        } else {
          const std::string cl = headerValue(head, "Content-Length");
          ok = c.readExactly(cl.empty() ? 0 : std::stoul(cl), sink);
        }
        if (!ok) break;
        respond("len=" + std::to_string(length) + " hash=" + std::to_string(hash.value()));
        continue;
      }
      if (path == "/echo") {
        respond(head.substr(2) + "\r\n");
      } else if (path.rfind("/bytes/", 0) == 0) {
        const size_t size = std::stoul(path.substr(7));
        writeAll(fd, "HTTP/1.1 200 OK\r\n" + origin + "Content-Length: " + std::to_string(size) +
                         "\r\n\r\n");
        sendPattern(fd, size, false);
      } else if (path.rfind("/chunked/", 0) == 0) {
        writeAll(fd, "HTTP/1.1 200 OK\r\n" + origin + "Transfer-Encoding: chunked\r\n\r\n");
        sendPattern(fd, std::stoul(path.substr(9)), true);
      } else if (path.rfind("/close/", 0) == 0) {
        writeAll(fd, "HTTP/1.1 200 OK\r\n" + origin + "Connection: close\r\n\r\n");
        sendPattern(fd, std::stoul(path.substr(7)), false);
        break;
      } else if (path == "/healthz") {
        const int status = healthStatus ? healthStatus->load() : 200;
        const std::string body = status < 400 ? "ok" : "sick";
        writeAll(fd, "HTTP/1.1 " + std::to_string(status) + " Status\r\n" + origin +
                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      } else if (path.rfind("/slow/", 0) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoul(path.substr(6))));
        respond("slow");
      } else {
        respond("hello from " + name + "\n");
      }
    }
    ::close(fd);
  };
}

}  // namespace sluice::test
