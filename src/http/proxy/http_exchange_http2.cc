// The server side of an exchange over HTTP/2 (server_groups[].http2): the request is a stream
// on a connection the worker's exchanges share (http2_upstream.h), not a connection of its own.
// Everything before the connect (rules, pick, the request's fields) and after the response head
// (health, edits, sticky cookie, the client's framing, the log) is the exchange's usual code.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/proxy/http_exchange.h"
#include "http/proxy/http_worker_state.h"
#include "http/reason_phrase.h"

namespace sluice {
namespace {

// A response head's fields from an HTTP/2 server are bounded like an HTTP/1.1 one's.
constexpr size_t kMaxResponseFieldBytes = 64 * 1024;
// Request body bytes kept after they went out, so that a stream the server refuses (one past
// its GOAWAY) can go again with its body: a server ending a connection must not fail uploads.
constexpr uint64_t kReplayableBody = 64 * 1024;

}  // namespace

// A stream to the chosen server: on a connection with room for it, or a new one. False (errno
// set) when a new connection could not even be started.
bool HttpExchange::connectHttp2() {
  http2_ = http_.http2.find(upstreamKey_);
  if (!http2_) {
    const ServerGroupConfig& group = group_->config();
    group_->counters(serverIndex_).connections.add();
    Http2UpstreamTarget target;
    target.key = upstreamKey_;
    target.address = group.servers[serverIndex_].address;
    target.tls = group.tlsContext.get();
    target.sni = upstreamSni_;
    target.verifyName = upstreamVerifyName_;
    target.connectTimeout = group.connectTimeout;
    target.idleTimeout = std::min(group.idleTimeout, Millis(60000));
    http2_ = http_.http2.open(std::move(target));
    if (!http2_) return false;
  }
  connectStarted_ = worker_.loop().now();
  group_->connectionOpened(serverIndex_);
  requestSent_ = worker_.loop().now();
  expectingResponse_ = true;
  h2_->fieldBytes.clear();
  h2_->fieldSpans.clear();
  h2_->fieldCount = 0;
  h2_->trailers.clear();
  h2_->bodySent = 0;
  if (http2_->ready()) {
    upstream_ = Upstream::kConnected;
    submitHttp2();
  } else {
    upstream_ = Upstream::kConnecting;  // the connect deadline runs
    http2_->wait(h2_->endpoint);
  }
  return true;
}

void HttpExchange::submitHttp2() {
  h2_->stream =
      http2_->submit(h2_->endpoint, h2_->request.nv(), h2_->request.size(), requestHasBody_);
  if (h2_->stream != 0) return;
  noteConnectFailure("the HTTP/2 connection took no new stream");
  releaseHttp2();
  connectNext();
}

void HttpExchange::onHttp2Ready() {
  upstream_ = Upstream::kConnected;
  group_->counters().connectDuration.observeMicros(
      microsBetween(connectStarted_, worker_.loop().now()));
  submitHttp2();
  client_.wake();
}

void HttpExchange::onHttp2ConnectFailed(std::string_view why) {
  // The connection has gone and forgotten this exchange: only the group's count is left.
  http2_ = nullptr;
  h2_->stream = 0;
  group_->connectionClosed(serverIndex_);
  upstream_ = Upstream::kNone;
  noteConnectFailure(why);
  connectNext();
  client_.wake();
}

// The request body's bytes for nghttp2's data provider: what the client codec put in
// toServer(), raw; the end once the whole request has arrived.
ssize_t HttpExchange::readHttp2RequestBody(uint8_t* buffer, size_t length, uint32_t* flags) {
  const size_t waiting = toServer_.size() - toServerSent_;
  if (waiting == 0) {
    if (phase_ == Phase::kSendingBody) {
      h2_->bodyDeferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    endHttp2RequestBody(flags);
    return 0;
  }
  const size_t n = std::min(length, waiting);
  std::memcpy(buffer, toServer_.data() + toServerSent_, n);
  toServerSent_ += n;
  h2_->bodySent += n;
  if (toServerSent_ == toServer_.size()) {
    // Kept (from the body's first byte) while it could still be sent again.
    if (h2_->bodySent > kReplayableBody) {
      toServer_.clear();
      toServerSent_ = 0;
    }
    if (phase_ != Phase::kSendingBody) endHttp2RequestBody(flags);
  }
  lastActivity_ = worker_.loop().now();
  // The client codec may read more body now; not from inside nghttp2's send.
  if (!h2_->wakeSoon.armed()) h2_->wakeSoon.armAt(worker_.loop().now());
  return static_cast<ssize_t>(n);
}

// The body's last DATA frame: it ends the stream, or the request's trailers that follow do.
void HttpExchange::endHttp2RequestBody(uint32_t* flags) {
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (h2_->requestTrailers.empty()) return;
  *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  http2_->submitTrailers(h2_->stream, h2_->requestTrailers.nv(), h2_->requestTrailers.size());
}

void HttpExchange::addRequestTrailer(std::string_view name, std::string_view value) {
  if (serverHttp2_ && h2_ && phase_ == Phase::kSendingBody) h2_->requestTrailers.add(name, value);
}

// The codec's turn: more request body for a waiting data provider, and the response's window
// back once the client has taken what waited for it.
bool HttpExchange::advanceHttp2() {
  if (h2_->stream == 0) return false;
  bool moved = false;
  if (h2_->bodyDeferred && (serverBacklog() > 0 || phase_ != Phase::kSendingBody)) {
    h2_->bodyDeferred = false;
    http2_->resumeBody(h2_->stream);
    moved = true;
  }
  if (h2_->unconsumed > 0 && client_.responseBacklog() < kMaxPending) {
    http2_->consume(h2_->stream, h2_->unconsumed);
    h2_->unconsumed = 0;
  }
  return moved;
}

void HttpExchange::onHttp2Field(std::string_view name, std::string_view value) {
  ++h2_->fieldCount;
  if (h2_->fieldBytes.size() + name.size() + value.size() > kMaxResponseFieldBytes ||
      h2_->fieldCount > vip_->request.maxHeaders + 1) {
    return;  // counted: the head is refused when it ends
  }
  h2_->fieldBytes.append(name).append(value);
  h2_->fieldSpans.emplace_back(static_cast<uint32_t>(name.size()),
                               static_cast<uint32_t>(value.size()));
}

// A HEADERS frame's fields are all there: an interim head, the final head, or the trailers.
void HttpExchange::onHttp2FieldsEnd(bool endStream) {
  lastActivity_ = worker_.loop().now();
  const bool tooLarge = h2_->fieldSpans.size() != h2_->fieldCount;
  auto each = [this](auto visit) {
    size_t at = 0;
    for (const auto& [nameLength, valueLength] : h2_->fieldSpans) {
      const std::string_view name(h2_->fieldBytes.data() + at, nameLength);
      const std::string_view value(h2_->fieldBytes.data() + at + nameLength, valueLength);
      at += nameLength + valueLength;
      visit(name, value);
    }
  };
  if (responseHeadSeen_) {
    if (!tooLarge) {
      h2_->trailers.clear();
      each([&](std::string_view name, std::string_view value) {
        if (!name.empty() && name.front() != ':') h2_->trailers.push_back({name, value});
      });
    }
    if (endStream) onHttp2ResponseEnd();
    return;
  }
  if (tooLarge) {
    respondError(502, "response head too large");
    client_.wake();
    return;
  }
  HttpResponseHead& head = h2_->head;
  head.clear();
  head.keepAlive = true;
  each([&](std::string_view name, std::string_view value) {
    if (name == ":status") {
      std::from_chars(value.data(), value.data() + value.size(), head.status);
    } else if (name == "content-length") {
      head.hasContentLength =
          std::from_chars(value.data(), value.data() + value.size(), head.contentLength).ec ==
          std::errc();
    } else if (!name.empty() && name.front() != ':') {
      head.headers.push_back({name, value});
    }
  });
  if (head.status < 100 || head.status > 999 || head.status == 101) {
    respondError(502, "invalid response");
    client_.wake();
    return;
  }
  head.reason = reasonPhrase(static_cast<int>(head.status));
  if (endStream && head.status >= 200 && !head.hasContentLength) {
    // A head that ends the stream has no body: gRPC's trailers-only answer must reach an
    // HTTP/2 client as one HEADERS frame with END_STREAM, its status in it.
    head.hasContentLength = true;
    head.contentLength = 0;
  }
  // Without a length the body ends with the stream: chunked for an HTTP/1.1 client.
  head.chunked = !head.hasContentLength;
  useResponseHead(head);
  h2_->fieldBytes.clear();
  h2_->fieldSpans.clear();
  h2_->fieldCount = 0;
  if (endStream && phase_ != Phase::kAnswered) {
    onHttp2ResponseEnd();
    return;
  }
  client_.wake();
}

void HttpExchange::onHttp2Data(const uint8_t* data, size_t length) {
  lastActivity_ = worker_.loop().now();
  h2_->unconsumed += length;
  if (toClient_ && responseHeadSeen_) {
    const size_t before = toClient_->size();
    h2_->framer.chunkStart(length);
    h2_->framer.data(reinterpret_cast<const char*>(data), length);
    h2_->framer.chunkEnd();
    responseBytes_ += toClient_->size() - before;
  }
  if (client_.responseBacklog() < kMaxPending) {
    http2_->consume(h2_->stream, h2_->unconsumed);
    h2_->unconsumed = 0;
  }
  client_.wake();
}

// The response is whole: its trailers go to the client (HTTP/2), or end a chunked body, and
// the stream is left.
void HttpExchange::onHttp2ResponseEnd() {
  if (!responseHeadSeen_) {
    respondError(502, "invalid response");
    client_.wake();
    return;
  }
  if (!h2_->trailers.empty() && !client_.sendTrailers(h2_->trailers)) {
    for (const HttpHeader& field : h2_->trailers)
      h2_->framer.addTrailer(field.name, field.value);
  }
  h2_->framer.finish();
  logRequest(status_, "ok");
  releaseHttp2();
  h2_->trailers.clear();
  h2_->fieldBytes.clear();
  h2_->fieldSpans.clear();
  h2_->fieldCount = 0;
  expectingResponse_ = false;
  phase_ = Phase::kAnswered;
  client_.responseComplete();
  client_.wake();
}

// The stream ended without its response: as when an HTTP/1.1 server closes early, the request
// goes to another server when nothing reached the client and repeating it is safe. A refused
// stream was never processed: the request goes to the same server again, on another
// connection, with what of its body went out if that is kReplayableBody or less.
void HttpExchange::onHttp2StreamFailed(std::string_view why, bool refused) {
  lastActivity_ = worker_.loop().now();
  releaseHttp2();
  if (responseStarted_) {
    client_.abort("server_error");
    return;
  }
  if (refused && h2_->bodySent <= kReplayableBody && attempts_ <= group_->config().retries) {
    ++attempts_;
    toServerSent_ = 0;  // what went out is all still there
    if (connectHttp2()) {
      client_.wake();
      return;
    }
  }
  noteServerFailure(why);
  if (retryableElsewhere()) {
    lastConnectError_.assign(why);
    connectNext();
  } else {
    respondError(502, why);
  }
  client_.wake();
}

void HttpExchange::releaseHttp2() {
  if (!http2_) return;
  http2_->leave(h2_->endpoint, h2_->stream, h2_->unconsumed);
  http2_ = nullptr;
  h2_->stream = 0;
  h2_->unconsumed = 0;
  h2_->bodyDeferred = false;
  group_->connectionClosed(serverIndex_);
  upstream_ = Upstream::kNone;
}

}  // namespace sluice
