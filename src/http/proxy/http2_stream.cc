#include "http/proxy/http2_stream.h"

#include <algorithm>
#include <cstring>

#include "http/ascii.h"
#include "http/hop_by_hop.h"
#include "http/proxy/http2_proxy_session.h"
#include "tls/host_name.h"
#include "tls/sni_router.h"
#include "tls/tls_server_context.h"
#include "worker/worker_services.h"

namespace sluice {
namespace {

// The request body's window is given back once the server has taken all but this much of
// what was sent its way.
constexpr size_t kGiveBackBelow = 16 * 1024;
// Request body bytes dropped after Sluice answered, before it asks the client to stop.
constexpr uint64_t kMaxDiscarded = 1 << 20;
// Sent bytes at the front of the response buffer that are dropped at once.
constexpr size_t kCompactAfter = 64 * 1024;

ssize_t readBodyCallback(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                         nghttp2_data_source* source, void*) {
  return static_cast<Http2Stream*>(source->ptr)->readBody(buffer, length, flags);
}

void appendHex(std::string& out, uint64_t value) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 15];
    value >>= 4;
  } while (value != 0);
  while (n > 0)
    out.push_back(digits[--n]);
}

}  // namespace

Http2Stream::Http2Stream(Http2ProxySession& connection, int32_t id,
                         std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
                         TimePoint now)
    : connection_(connection),
      exchange_(connection.worker(), connection.http(), *this, connection.peer()) {
  exchange_.setClientTransport(&connection.transport());
  exchange_.setProtocol("HTTP/2");
  begin(id, std::move(config), vip, now);
}

void Http2Stream::reuse(int32_t id, std::shared_ptr<const WorkerConfig> config,
                        const VipConfig& vip, TimePoint now) {
  exchange_.next();
  fields_.clear();
  head_.clear();
  headDone_ = dispatched_ = answered_ = requestEnded_ = headRequest_ = chunkBody_ = false;
  bodyComplete_ = deferred_ = closed_ = bodySentWhole_ = resetSent_ = logged_ = false;
  bodyReceived_ = discarded_ = 0;
  unconsumed_ = 0;
  earlyBody_.clear();
  requestTrailers_.clear();
  trailerBytes_ = trailerFields_ = 0;
  trailersOverLimit_ = false;
  response_.clear();
  trailers_.clear();
  body_.clear();
  bodySent_ = 0;
  begin(id, std::move(config), vip, now);
}

void Http2Stream::begin(int32_t id, std::shared_ptr<const WorkerConfig> config,
                        const VipConfig& vip, TimePoint now) {
  id_ = id;
  config_ = std::move(config);
  vip_ = &vip;
  started_ = lastClientByte_ = now;
  exchange_.useConfig(*config_, vip);
  exchange_.setRequestStart(now);
}

Http2Stream::~Http2Stream() = default;

bool Http2Stream::addField(std::string_view name, std::string_view value) {
  if (!headDone_)
    return fields_.add(name, value, vip_->http2.maxHeaderList, vip_->request.maxHeaders);
  // Trailers: kept apart, since the head's views point into the head's own fields.
  trailerBytes_ += name.size() + value.size() + 32;
  if (trailerBytes_ > vip_->http2.maxHeaderList || ++trailerFields_ > vip_->request.maxHeaders) {
    trailersOverLimit_ = true;
    return false;
  }
  if (mayForwardTrailer(name)) requestTrailers_.add(name, value);
  return true;
}

void Http2Stream::headComplete(bool endStream) {
  headDone_ = true;
  requestEnded_ = endStream;
  if (fields_.overLimit()) {
    connection_.glitch("requests past the header list limit");
    refuse({431, "the header list is past http2.max_header_list or limits.max_headers"});
    return;
  }
  if (MessageError error = fields_.build(head_, vip_->request, options_, endStream)) {
    connection_.glitch("malformed requests");
    refuse(error);
    return;
  }
  headRequest_ = head_.method == "HEAD";
  if (misdirected()) {
    refuse({421, "the request's host is served with another certificate or passed through"});
  }
}

// Browsers reuse an HTTP/2 connection for every host its certificate covers. A request whose
// host this VIP serves with a different certificate, or passes through to its own servers,
// must come on a connection of its own: 421 says so (RFC 9110 §15.5.20), and the browser
// retries on a new connection. Requests for the connection's own name never pay for the check.
bool Http2Stream::misdirected() const {
  if (!vip_->tls) return false;  // h2c: no certificate
  std::string_view authority = head_.host;
  if (!authority.empty() && authority.front() == '[') return false;  // an IP literal
  authority = authority.substr(0, authority.find(':'));
  const std::string_view sni = connection_.transport().serverName();
  if (equalsIgnoreCase(authority, sni)) return false;
  Http2ProxySession::AuthorityVerdict& last = connection_.lastAuthority();
  if (last.vip == vip_ && last.authority == authority) return last.misdirected;
  last.config = config_;
  last.vip = vip_;
  last.authority.assign(authority);
  last.misdirected = false;
  std::string host, name;
  if (!normaliseHostName(authority, host)) return false;
  normaliseHostName(sni, name);
  if (host == name) return false;
  last.misdirected = vip_->tls->contextFor(host) != vip_->tls->contextFor(name) ||
                     (vip_->sniRouter && vip_->sniRouter->route(host) != SniRouter::kNoRoute);
  return last.misdirected;
}

// A request refused before any exchange started: Sluice's answer, logged by the exchange.
void Http2Stream::refuse(const MessageError& error) {
  exchange_.respondError(error.status, error.reason);
}

void Http2Stream::dispatch() {
  dispatched_ = true;
  exchange_.start(head_);
  if (exchange_.phase() != HttpExchange::Phase::kSendingBody) {
    // Answered at once (a rule, a redirect): what came of the body is not needed.
    if (unconsumed_ > 0) nghttp2_session_consume(connection_.h2(), id_, unconsumed_);
    unconsumed_ = 0;
    earlyBody_.clear();
    return;
  }
  // An HTTP/1.1 server gets a body without a length chunked; an HTTP/2 one gets it as it is.
  chunkBody_ = head_.chunked && !exchange_.rawRequestBody();
  if (!earlyBody_.empty()) appendBody(earlyBody_.data(), earlyBody_.size());
  earlyBody_.clear();
  if (requestEnded_) endRequestBody();
}

void Http2Stream::appendBody(const char* bytes, size_t length) {
  std::string& out = exchange_.toServer();
  if (chunkBody_) {
    appendHex(out, length);
    out.append("\r\n").append(bytes, length).append("\r\n");
  } else {
    out.append(bytes, length);
  }
}

void Http2Stream::requestData(const uint8_t* data, size_t length) {
  lastClientByte_ = connection_.worker().loop().now();
  bodyReceived_ += length;
  const bool waiting = !dispatched_ && !answered_;  // for the dispatch cap
  const bool forwarding = dispatched_ && exchange_.phase() == HttpExchange::Phase::kSendingBody;
  if ((!waiting && !forwarding) || length == 0) {
    // Answered already (or refused): the bytes are dropped and their window given back, up to
    // kMaxDiscarded; past it the client is told to stop (RST_STREAM NO_ERROR once the
    // response is out). Not at once: some clients take that reset for a failed response.
    nghttp2_session_consume(connection_.h2(), id_, length);
    discarded_ += length;
    if (discarded_ > kMaxDiscarded && bodySentWhole_ && !resetSent_) {
      resetSent_ = true;
      nghttp2_submit_rst_stream(connection_.h2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
    }
    return;
  }
  if (bodyReceived_ > vip_->request.maxBody) {
    exchange_.respondError(413, "the body is larger than limits.max_body");
    nghttp2_session_consume(connection_.h2(), id_, length + unconsumed_);
    unconsumed_ = 0;
    return;
  }
  // Before dispatch the bytes wait here, held to the stream's window (none is given back),
  // and are framed once the exchange knows whether its server speaks HTTP/1.1 or HTTP/2.
  const char* bytes = reinterpret_cast<const char*>(data);
  if (waiting) {
    earlyBody_.append(bytes, length);
  } else {
    appendBody(bytes, length);
  }
  exchange_.addRequestBytes(length);
  unconsumed_ += length;
}

void Http2Stream::requestEnded() {
  if (requestEnded_) return;
  requestEnded_ = true;
  if (!dispatched_ || exchange_.phase() != HttpExchange::Phase::kSendingBody) return;
  endRequestBody();
}

// The request's end, with its trailers: after the last chunk for an HTTP/1.1 server that gets
// the body chunked, as trailers of an HTTP/2 server's stream, and dropped when a length frames
// the body for an HTTP/1.1 server (RFC 9110 §6.5.1 lets a recipient discard them).
void Http2Stream::endRequestBody() {
  if (trailersOverLimit_) {
    connection_.glitch("requests past the header list limit");
    exchange_.respondError(431,
                           "the trailers are past http2.max_header_list or limits.max_headers");
    return;
  }
  if (chunkBody_) {
    std::string& out = exchange_.toServer();
    out.append("0\r\n");
    requestTrailers_.forEach([&out](std::string_view name, std::string_view value) {
      out.append(name).append(": ").append(value).append("\r\n");
    });
    out.append("\r\n");
  } else if (exchange_.rawRequestBody()) {
    requestTrailers_.forEach([this](std::string_view name, std::string_view value) {
      exchange_.addRequestTrailer(name, value);
    });
  }
  exchange_.requestComplete();
}

void Http2Stream::responseSent() {
  bodySentWhole_ = true;
  // A large request body still coming is no longer needed: RST_STREAM NO_ERROR after the whole
  // response tells the client to stop sending it (RFC 9113 §8.1).
  if (!requestEnded_ && discarded_ > kMaxDiscarded && !resetSent_) {
    resetSent_ = true;
    nghttp2_submit_rst_stream(connection_.h2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
  }
}

bool Http2Stream::closed(uint32_t errorCode, std::string_view end) {
  if (closed_) return bodyComplete_;
  closed_ = true;
  giveBackWindow();  // or a reset upload would keep its bytes of the connection's window
  if (exchange_.inFlight() && !logged_) {
    // Why the request ended unanswered: the connection's end, or the client's reset.
    if (end.empty()) end = errorCode == NGHTTP2_NO_ERROR ? "client_close" : "client_reset";
    exchange_.logRequest(exchange_.status(), end);
  }
  exchange_.close();
  return bodyComplete_ && errorCode == NGHTTP2_NO_ERROR;
}

bool Http2Stream::advance() {
  if (closed_ || !dispatched_) return false;
  const bool moved = exchange_.advance();
  if (!exchange_.watchWritableWhenWaiting()) {
    abort("internal_error");
    return true;
  }
  // The window comes back only for bytes the server has taken: a slow server slows the upload.
  if (unconsumed_ > 0 && exchange_.serverBacklog() <= kGiveBackBelow) {
    nghttp2_session_consume(connection_.h2(), id_, unconsumed_);
    unconsumed_ = 0;
  }
  resumeBody();
  return moved;
}

void Http2Stream::resumeBody() {
  if (deferred_ && (body_.size() > bodySent_ || bodyComplete_)) {
    deferred_ = false;
    nghttp2_session_resume_data(connection_.h2(), id_);
  }
}

ssize_t Http2Stream::readBody(uint8_t* buffer, size_t length, uint32_t* flags) {
  const size_t waiting = body_.size() - bodySent_;
  if (waiting == 0) {
    if (bodyComplete_) {
      endBody(flags);
      return 0;
    }
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(length, waiting);
  std::memcpy(buffer, body_.data() + bodySent_, n);
  bodySent_ += n;
  if (bodySent_ == body_.size()) {
    body_.clear();
    bodySent_ = 0;
    if (bodyComplete_) endBody(flags);
  } else if (bodySent_ >= kCompactAfter) {
    // The server's bytes keep coming behind what is sent: drop the sent front, or the buffer
    // would grow with the whole download while only its tail waits.
    body_.erase(0, bodySent_);
    bodySent_ = 0;
  }
  return static_cast<ssize_t>(n);
}

// The body's last DATA frame: it ends the stream, or the trailers that follow do.
void Http2Stream::endBody(uint32_t* flags) {
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (trailers_.empty()) return;
  *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  nghttp2_submit_trailer(connection_.h2(), id_, trailers_.nv(), trailers_.size());
  trailers_.clear();
}

bool Http2Stream::sendTrailers(const std::vector<HttpHeader>& trailers) {
  for (const HttpHeader& field : trailers)
    trailers_.add(field.name, field.value);
  return true;
}

TimePoint Http2Stream::deadline(TimePoint connectionActivity) const {
  if (!headDone_) return started_ + vip_->clientHeaderTimeout;  // a head sent in slow pieces
  if (!dispatched_) return TimePoint::max();  // waiting for the cap: the connection's business
  if (bodyComplete_ || closed_) return TimePoint::max();
  return exchange_.deadline(lastClientByte_, connectionActivity).first;
}

void Http2Stream::onDeadline(TimePoint now, TimePoint connectionActivity) {
  if (!headDone_) {
    nghttp2_submit_rst_stream(connection_.h2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_CANCEL);
    return;
  }
  const auto [at, what] = exchange_.deadline(lastClientByte_, connectionActivity);
  if (now >= at) exchange_.onDeadline(what);
}

// Submits the response head from the fields collected, with the body's data provider when a
// body follows.
void Http2Stream::submit(bool withBody) {
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = &readBodyCallback;
  nghttp2_submit_response(connection_.h2(), id_, response_.nv(), response_.size(),
                          withBody ? &provider : nullptr);
  response_.clear();
  answered_ = true;
}

size_t Http2Stream::sendInterimHead(const HttpResponseHead& head, std::string_view) {
  if (head.status == 101) return 0;
  response_.clear();
  response_.add(":status", std::to_string(head.status));
  nghttp2_submit_headers(connection_.h2(), NGHTTP2_FLAG_NONE, id_, nullptr, response_.nv(),
                         response_.size(), nullptr);
  response_.clear();
  return 0;
}

ResponseBodySink Http2Stream::sendResponseHead(const HttpResponseHead& head,
                                               ClientResponseContext& context, size_t& written) {
  const ResponseFraming framing = clientFraming(head, headRequest_, false);
  // Without a length the body ends with END_STREAM: kChunked adds no field here.
  context.framing = framing == ResponseFraming::kClose ? ResponseFraming::kChunked : framing;
  response_.clear();
  const std::string status = std::to_string(head.status);
  response_.add(":status", status);
  forEachClientResponseField(
      head, context, length_,
      [this](std::string_view name, std::string_view value) { response_.add(name, value); });
  written = 0;
  // An empty body needs no DATA frame: the head ends the stream.
  const bool withBody = framing != ResponseFraming::kNone &&
                        !(framing == ResponseFraming::kContentLength && head.contentLength == 0);
  if (!withBody) bodyComplete_ = true;
  submit(withBody);
  return {withBody ? &body_ : nullptr, BodyFramer::Mode::kRaw};
}

void Http2Stream::responseComplete() {
  bodyComplete_ = true;
  // The server answered before the whole request came: what of the body waited for it is not
  // needed, and its window goes back to the client now (the rest is dropped as it arrives).
  if (!requestEnded_) giveBackWindow();
  resumeBody();
}

// Request body bytes taken from the client's windows and not given back yet: the stream's and
// the connection's (which nghttp2 counts even for a closed stream) come back.
void Http2Stream::giveBackWindow() {
  if (unconsumed_ > 0) nghttp2_session_consume(connection_.h2(), id_, unconsumed_);
  unconsumed_ = 0;
}

void Http2Stream::sendLocalAnswer(const LocalAnswer& answer) {
  response_.clear();
  const std::string status = std::to_string(answer.status);
  response_.add(":status", status);
  LocalAnswerNumbers numbers;
  forEachLocalAnswerField(answer, numbers, [this](std::string_view name, std::string_view value) {
    response_.add(name, value);
  });
  const std::string_view content = answer.content();  // none for HEAD (LocalAnswer::toHead)
  body_.assign(content.data(), content.size());
  bodySent_ = 0;
  bodyComplete_ = true;
  submit(!body_.empty());
}

void Http2Stream::abort(std::string_view end) {
  // The response cannot be completed: the client must not take what it got as whole.
  if (exchange_.inFlight() && !logged_) exchange_.logRequest(exchange_.status(), end);
  logged_ = true;  // the stream's close, when nghttp2 reports it, logs nothing more
  exchange_.close();
  nghttp2_submit_rst_stream(connection_.h2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
}

void Http2Stream::wake() {
  connection_.progressSoon();
}

}  // namespace sluice
