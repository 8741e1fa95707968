#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "support/test_origin.h"

namespace sluice::test {

// One request as an origin read it off the wire, with its own strict HTTP/1.1 framing
// (Content-Length or chunked): exactly the bytes of that request, and its parts.
struct ReceivedRequest {
  std::string raw;          // every byte of the request, head and body as framed
  std::string requestLine;  // "POST /x HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> fields;  // in order, as received
  std::string body;                                         // the body's data (chunked: de-chunked)
  std::vector<std::pair<std::string, std::string>> trailers;
  int connection = 0;  // which origin connection carried it (1, 2, ...)

  // The value of the only field named `name` (case-insensitive); "" if none; "<n fields>"
  // when there are several.
  std::string field(const std::string& name) const;
  size_t count(const std::string& name) const;
};

// An HTTP/1.1 origin that records every request it receives, for tests that must know exactly
// what reached the server. Each request is answered, on a kept-alive connection, by
// `answer(request)`: the complete raw response bytes. The default answers 200 with the body
// "seen <request line>", so that a client can tell which request its response belongs to.
// Bytes that do not frame as a request are kept in `unparsed()` and end the connection.
class RecordingOrigin {
 public:
  using Answer = std::function<std::string(const ReceivedRequest&)>;
  explicit RecordingOrigin(Answer answer = nullptr);

  std::string address() const { return origin_->address(); }
  std::vector<ReceivedRequest> requests() const;
  std::string unparsed() const;
  int accepted() const { return origin_->accepted(); }
  void clear();

  static std::string defaultAnswer(const ReceivedRequest& request);

 private:
  void serve(int fd);

  Answer answer_;
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> requests_;
  std::string unparsed_;
  int connections_ = 0;
  std::unique_ptr<TestOrigin> origin_;  // last: stopped first, while the rest still exists
};

}  // namespace sluice::test
