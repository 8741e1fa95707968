#include "support/recording_origin.h"

#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::test {
namespace {

bool equalsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Reads one connection's bytes on demand.
class Wire {
 public:
  explicit Wire(int fd) : fd_(fd) {}
  // Ensures at least `n` bytes are buffered from `at`; false at EOF.
  bool need(size_t at, size_t n) {
    while (buffer_.size() < at + n) {
      char chunk[16384];
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(got));
    }
    return true;
  }
  // The offset just past `delimiter` found from `at`, or npos at EOF.
  size_t find(size_t at, const std::string& delimiter) {
    for (;;) {
      const size_t found = buffer_.find(delimiter, at);
      if (found != std::string::npos) return found + delimiter.size();
      if (!need(buffer_.size(), 1)) return std::string::npos;
    }
  }
  std::string& buffer() { return buffer_; }

 private:
  int fd_;
  std::string buffer_;
};

std::vector<std::pair<std::string, std::string>> parseFields(const std::string& lines) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 0;
  while (at < lines.size()) {
    size_t end = lines.find("\r\n", at);
    if (end == std::string::npos) end = lines.size();
    const std::string line = lines.substr(at, end - at);
    at = end + 2;
    const size_t colon = line.find(':');
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.erase(0, 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    out.emplace_back(line.substr(0, colon), value);
  }
  return out;
}

// Reads one request from `wire` (its bytes start at offset 0). False when the bytes do not
// frame as one: they stay in the buffer.
bool readRequest(Wire& wire, ReceivedRequest& request) {
  const size_t headEnd = wire.find(0, "\r\n\r\n");
  if (headEnd == std::string::npos) return false;
  const std::string head = wire.buffer().substr(0, headEnd - 4);
  const size_t lineEnd = head.find("\r\n");
  request.requestLine = head.substr(0, lineEnd);
  request.fields = lineEnd == std::string::npos ? decltype(request.fields){}
                                                : parseFields(head.substr(lineEnd + 2));
  const std::string length = request.field("content-length");
  const bool chunked = equalsIgnoreCase(request.field("transfer-encoding"), "chunked");
  if (request.count("content-length") > 1 || (chunked && !length.empty())) return false;
  size_t end = headEnd;
  if (chunked) {
    for (;;) {
      const size_t sizeEnd = wire.find(end, "\r\n");
      if (sizeEnd == std::string::npos) return false;
      const std::string sizeLine = wire.buffer().substr(end, sizeEnd - 2 - end);
      if (sizeLine.empty() ||
          sizeLine.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return false;
      }
      const size_t size = std::stoul(sizeLine, nullptr, 16);
      end = sizeEnd;
      if (size == 0) {
        const size_t trailersEnd = wire.find(end - 2, "\r\n\r\n");
        if (trailersEnd == std::string::npos) return false;
        if (trailersEnd - 4 > end) {
          request.trailers = parseFields(wire.buffer().substr(end, trailersEnd - 4 - end));
        }
        end = trailersEnd;
        break;
      }
      if (!wire.need(end, size + 2) || wire.buffer().compare(end + size, 2, "\r\n") != 0) {
        return false;
      }
      request.body.append(wire.buffer(), end, size);
      end += size + 2;
    }
  } else if (!length.empty()) {
    if (length.find_first_not_of("0123456789") != std::string::npos) return false;
    const size_t size = std::stoul(length);
    if (!wire.need(end, size)) return false;
    request.body = wire.buffer().substr(end, size);
    end += size;
  }
  request.raw = wire.buffer().substr(0, end);
  wire.buffer().erase(0, end);
  return true;
}

}  // namespace

std::string ReceivedRequest::field(const std::string& name) const {
  std::string found;
  size_t n = 0;
  for (const auto& [fieldName, value] : fields) {
    if (equalsIgnoreCase(fieldName, name)) {
      found = value;
      ++n;
    }
  }
  return n > 1 ? "<" + std::to_string(n) + " fields>" : found;
}

size_t ReceivedRequest::count(const std::string& name) const {
  size_t n = 0;
  for (const auto& field : fields)
    n += equalsIgnoreCase(field.first, name);
  return n;
}

RecordingOrigin::RecordingOrigin(Answer answer)
    : answer_(answer ? std::move(answer) : Answer(&RecordingOrigin::defaultAnswer)),
      origin_(std::make_unique<TestOrigin>([this](int fd) { serve(fd); })) {}

std::string RecordingOrigin::defaultAnswer(const ReceivedRequest& request) {
  const std::string body = "seen " + request.requestLine;
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void RecordingOrigin::serve(int fd) {
  int connection;
  {
    std::lock_guard lock(mutex_);
    connection = ++connections_;
  }
  Wire wire(fd);
  for (;;) {
    ReceivedRequest request;
    request.connection = connection;
    if (!readRequest(wire, request)) break;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    const std::string response = answer_(request);
    if (response.empty()) break;  // the test wants the connection closed without an answer
    if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
  }
  if (!wire.buffer().empty()) {
    std::lock_guard lock(mutex_);
    unparsed_ += wire.buffer();
  }
  ::close(fd);
}

std::vector<ReceivedRequest> RecordingOrigin::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::string RecordingOrigin::unparsed() const {
  std::lock_guard lock(mutex_);
  return unparsed_;
}

void RecordingOrigin::clear() {
  std::lock_guard lock(mutex_);
  requests_.clear();
  unparsed_.clear();
}

}  // namespace sluice::test
