#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_request_head.h"
#include "http/message_error.h"

namespace sluice {

// Writes a message body with Sluice's own framing while a parser reads the received one: a
// body is never relayed with the framing it arrived in. The parsers call it from their llhttp
// callbacks; what it writes goes to the output the proxy gave them.
//
//   kRaw      the body's data as it is: a Content-Length body, one delimited by the close, or a
//             chunked body for an HTTP/1.0 client (which then ends with the connection)
//   kChunked  re-chunked: each received chunk with its size in canonical hex and no
//             extensions, then `0`, the trailer fields that may be forwarded, and CRLF
//
// Trailer fields are collected whole (their bytes may not stay in the receive buffer) and are
// bounded like a head: more than `maxBytes` or `maxFields` is 431. Those that may be forwarded
// (hop_by_hop.h) are kept in either mode: re-chunking writes them after the last chunk, and an
// HTTP/2 peer gets them from trailers() as a HEADERS frame of their own.
class BodyFramer {
 public:
  enum class Mode { kRaw, kChunked };

  void start(std::string* out, Mode mode, size_t maxTrailerBytes, size_t maxTrailerFields);
  void chunkStart(uint64_t size);
  void data(const char* at, size_t length) {
    if (out_) out_->append(at, length);
  }
  void chunkEnd();
  // Pieces of one trailer field, then its end.
  void trailerName(const char* at, size_t length);
  // `feedStart` and `feedEnd` bound the bytes the parser was given in this call: a value that
  // llhttp reports in two pieces was either cut by the end of a feed (the pieces meet at the
  // feed boundary) or folded over two lines (obs-fold, refused).
  void trailerValue(const char* at, size_t length, const char* feedStart, const char* feedEnd);
  MessageError trailerComplete(int tooLargeStatus);
  // A whole trailer field from a source already checked (an HTTP/2 server's, which nghttp2
  // validated): kept when it may be forwarded.
  void addTrailer(std::string_view name, std::string_view value);
  // The message ended: the last chunk and the trailers, when re-chunking.
  void finish();
  // The trailer fields kept: valid until the next start() or trailer.
  const std::vector<HttpHeader>& trailers();

 private:
  std::string* out_ = nullptr;
  Mode mode_ = Mode::kRaw;
  bool chunkOpen_ = false;  // a chunk's size line was written; its CRLF is owed
  size_t maxTrailerBytes_ = 0;
  size_t maxTrailerFields_ = 0;
  size_t trailerBytes_ = 0;
  size_t trailerFields_ = 0;
  bool inTrailerValue_ = false;
  bool pieceEndedEarly_ = false;  // the last value piece ended before its feed did
  bool folded_ = false;
  std::string name_, value_;  // the trailer field being read
  // The fields to forward, names and values back to back (capacity reused), their lengths, and
  // views of them made when asked for.
  std::string keptBytes_;
  std::vector<std::pair<uint32_t, uint32_t>> keptSpans_;
  std::vector<HttpHeader> keptViews_;
};

}  // namespace sluice
