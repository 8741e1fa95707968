#include "http/proxy/http2_proxy_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "http/proxy/http2_stream.h"
#include "worker/worker_services.h"

namespace sluice {
namespace {

constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;
constexpr uint32_t kAllEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
// Frames nghttp2 makes are taken while less than this waits for the client: the response
// bodies stay in their streams (bounded by their windows) rather than pile up here.
constexpr size_t kMaxQueuedForClient = 64 * 1024;
constexpr int kMaxRounds = 64;
constexpr Millis kLinger{1000};
// How long an idle connection keeps its spare stream objects for its next streams.
constexpr Millis kSpareLinger{1000};

Http2ProxySession& self(void* user) {
  return *static_cast<Http2ProxySession*>(user);
}

}  // namespace

Http2ProxySession::Http2ProxySession(WorkerServices& worker, HttpWorkerState& http,
                                     std::shared_ptr<const WorkerConfig> config,
                                     const VipConfig& vip, UniqueFd client,
                                     const SocketAddress& peer,
                                     std::unique_ptr<Transport> transport,
                                     BufferPool::Buffer peeked, TimePoint acceptedAt)
    : worker_(worker),
      http_(http),
      config_(std::move(config)),
      vip_(&vip),
      counters_(&config_->vipCounters(vip)),
      client_(std::move(client)),
      peer_(peer),
      transport_(std::move(transport)),
      peeked_(std::move(peeked)),
      glitchesAt_(worker.loop().now()),
      acceptedAt_(acceptedAt),
      lastActivity_(worker.loop().now()),
      timer_(worker.loop().timers(), [this] { onTimer(); }),
      resume_(worker.loop().timers(), [this] { progress(); }),
      trimSpares_(worker.loop().timers(), [this] { freeSparesIfIdle(); }) {}

Http2ProxySession::~Http2ProxySession() {
  streams_.clear();
  ended_.clear();
  spare_.clear();
  if (h2_) nghttp2_session_del(h2_);
  worker_.buffers().release(std::move(peeked_));
}

void Http2ProxySession::start(std::string_view alreadyRead) {
  counters_->http2Connections.add();
  static nghttp2_session_callbacks* const made = callbacks();
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Windows are given back when the server has taken the bytes, not when they arrive.
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_settings(option, 32);
  const Http2Config& limits = vip_->http2;
  nghttp2_option_set_max_send_header_block_length(option, 256 * 1024);
  const int status = nghttp2_session_server_new2(&h2_, made, this, option);
  nghttp2_option_del(option);
  if (status != 0 || !worker_.loop().rebind(client_.get(), kReadEvents, &clientEndpoint_)) {
    finish("internal_error");
    return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.streamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits.maxHeaderList)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(h2_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(h2_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(limits.connectionWindow));
  if (!alreadyRead.empty()) feed(alreadyRead.data(), alreadyRead.size());
  progress();
}

void Http2ProxySession::onClientIo(uint32_t events) {
  const bool readable = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  const bool peerClosed = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if (readable) transport_->socketReadable(peerClosed);
  if (readable || ((events & EPOLLOUT) && transport_->readWaitsForWritable())) {
    clientReadable_ = true;
  }
  progress();
}

void Http2ProxySession::progress() {
  if (closed_ || inProgress_) return;
  if (lingering_) {
    discard();
    return;
  }
  inProgress_ = true;
  bool moved = true;
  for (int round = 0; round < kMaxRounds && moved && !closed_; ++round) {
    moved = readClient();
    if (!closed_) dispatchReady();
    for (auto& [id, stream] : streams_) {
      if (closed_) break;
      moved |= stream->advance();
    }
    if (!closed_) moved |= flush();
    if (!closed_) moved |= writeClient();
  }
  inProgress_ = false;
  sweep();
  if (closed_) return;
  if (!clientWatchesWritable_ && transport_->waitsForWritable()) {
    clientWatchesWritable_ = worker_.loop().rebind(client_.get(), kAllEvents, &clientEndpoint_);
    if (!clientWatchesWritable_) {
      finish("internal_error");
      return;
    }
  }
  if (moved) resume_.armAt(worker_.loop().now());
  // Idle for a second: the connection holds no stream objects until its next request. Not at
  // once: a client between two bursts of streams would have them all made anew.
  if (streams_.empty() && !spare_.empty() && !trimSpares_.armed()) {
    trimSpares_.armAt(worker_.loop().now() + kSpareLinger);
  }
  // Done once everything owed is sent and nghttp2 expects nothing more: the client's GOAWAY,
  // ours after the last open stream, or a connection error.
  const bool flushed =
      toClientSent_ == toClient_.size() && (fatal_ || !nghttp2_session_want_write(h2_));
  if (flushed && (!nghttp2_session_want_read(h2_) || clientEof_ || fatal_ ||
                  (goingAway_ && streams_.empty()))) {
    if (clientEof_) {
      finish(goingAway_ ? goingAwayEnd_ : std::string_view("client_close"));
    } else {
      lingerThenClose();
    }
    return;
  }
  armTimer();
}

// Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
// GOAWAY before the client reads it: half-close, then discard what the client still sends
// until it closes too or kLinger passes.
void Http2ProxySession::lingerThenClose() {
  if (lingering_) return;
  lingering_ = true;
  transport_->shutdown();
  ::shutdown(client_.get(), SHUT_WR);
  lingerUntil_ = worker_.loop().now() + kLinger;
  timer_.armAt(lingerUntil_);
  armedAt_ = lingerUntil_;
  discard();
}

// Reads the socket itself, TLS or not: nothing of it is looked at any more.
void Http2ProxySession::discard() {
  WorkerServices::Scratch scratch = worker_.scratch();
  for (int i = 0; i < kMaxRounds; ++i) {
    const ssize_t n = ::recv(client_.get(), scratch.data, scratch.size, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      clientEof_ = true;
      finish(goingAway_ ? goingAwayEnd_ : std::string_view("client_close"));
      return;
    }
  }
  // Still more: go on after the other connections have had their turn (closing now, with
  // bytes unread, would reset the connection and lose the GOAWAY). The linger timer bounds it.
  resume_.armAt(worker_.loop().now());
}

void Http2ProxySession::freeSparesIfIdle() {
  if (closed_ || !streams_.empty()) return;
  for (auto& stream : spare_)
    worker_.loop().deferDelete(std::move(stream));
  spare_.clear();
}

void Http2ProxySession::progressSoon() {
  if (!closed_ && !resume_.armed()) resume_.armAt(worker_.loop().now());
}

bool Http2ProxySession::readClient() {
  if (clientEof_ || fatal_ || calming_ || !clientReadable_) return false;
  // What nghttp2 takes it copies (fields, DATA into the streams): the worker's scratch space is
  // enough, and an idle connection holds no read buffer.
  WorkerServices::Scratch scratch = worker_.scratch();
  const ssize_t n = transport_->read(scratch.data, scratch.size);
  if (n == Transport::kAgain) {
    clientReadable_ = false;
    return false;
  }
  if (n == Transport::kFailed) {
    finish("client_error");
    return false;
  }
  lastActivity_ = worker_.loop().now();
  if (n == 0) {
    clientEof_ = true;
    return true;
  }
  counters_->bytesIn.add(static_cast<uint64_t>(n));
  feed(scratch.data, static_cast<size_t>(n));
  return true;
}

void Http2ProxySession::feed(const char* data, size_t length) {
  const ssize_t taken =
      nghttp2_session_mem_recv(h2_, reinterpret_cast<const uint8_t*>(data), length);
  if (taken < 0) refuseConnection(static_cast<int>(taken));
}

// nghttp2 gave up on the connection (a fatal error: it sends nothing more). Sluice writes the
// GOAWAY itself, a frame that needs no session state, then closes once it is sent.
void Http2ProxySession::refuseConnection(int error) {
  fatal_ = true;
  const bool flood = error == NGHTTP2_ERR_FLOODED || error == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  if (flood) {
    logWarn("http2: " + std::string(vip_->name) + " " + peer_.toString() +
            ": GOAWAY ENHANCE_YOUR_CALM (" + nghttp2_strerror(error) + ")");
    counters_->http2Calm.add();
  }
  const uint32_t code = flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR;
  const uint32_t last = static_cast<uint32_t>(nghttp2_session_get_last_proc_stream_id(h2_));
  const unsigned char goaway[17] = {0,
                                    0,
                                    8,
                                    NGHTTP2_GOAWAY,
                                    0,
                                    0,
                                    0,
                                    0,
                                    0,
                                    static_cast<unsigned char>(last >> 24 & 0x7f),
                                    static_cast<unsigned char>(last >> 16),
                                    static_cast<unsigned char>(last >> 8),
                                    static_cast<unsigned char>(last),
                                    static_cast<unsigned char>(code >> 24),
                                    static_cast<unsigned char>(code >> 16),
                                    static_cast<unsigned char>(code >> 8),
                                    static_cast<unsigned char>(code)};
  if (!goingAway_) toClient_.append(reinterpret_cast<const char*>(goaway), sizeof goaway);
  goingAway_ = true;
  goingAwayEnd_ = flood ? "http2_flood" : "http2_protocol_error";
}

// Streams whose head is complete start their exchanges, oldest first, while the cap allows.
void Http2ProxySession::dispatchReady() {
  while (!waiting_.empty() && inFlight_ < dispatchCap_ && !goingAway_) {
    const int32_t id = waiting_.front();
    waiting_.pop_front();
    Http2Stream* s = stream(id);
    if (!s || !s->readyToDispatch()) continue;
    ++inFlight_;
    s->dispatch();
  }
}

bool Http2ProxySession::flush() {
  if (fatal_) return false;  // nghttp2 is done with this connection
  bool moved = false;
  while (toClient_.size() - toClientSent_ < kMaxQueuedForClient) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(h2_, &data);
    if (n < 0) {
      finish("internal_error");
      return false;
    }
    if (n == 0) break;
    toClient_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    moved = true;
  }
  return moved;
}

bool Http2ProxySession::writeClient() {
  if (toClientSent_ == toClient_.size()) return false;
  const ssize_t n =
      transport_->write(toClient_.data() + toClientSent_, toClient_.size() - toClientSent_);
  if (n == Transport::kAgain) return false;
  if (n == Transport::kFailed) {
    finish("client_error");
    return false;
  }
  toClientSent_ += static_cast<size_t>(n);
  counters_->bytesOut.add(static_cast<uint64_t>(n));
  lastActivity_ = worker_.loop().now();
  if (toClientSent_ == toClient_.size()) {
    toClient_.clear();
    toClientSent_ = 0;
    // An idle connection keeps no large buffer (a download grew this one).
    if (toClient_.capacity() > kMaxQueuedForClient && streams_.empty())
      std::string().swap(toClient_);
  }
  return true;
}

// Ended streams are freed after the loop's current batch of events: one of them may still name
// a stream's server socket.
void Http2ProxySession::sweep() {
  for (auto& stream : ended_) {
    // Kept only while small: a stream that carried a large body keeps its buffers' capacity.
    if (spare_.size() < kSpareStreams && !closed_ && stream->retainedBytes() <= kSpareBytes) {
      spare_.push_back(std::move(stream));
    } else {
      worker_.loop().deferDelete(std::move(stream));
    }
  }
  ended_.clear();
}

Http2Stream* Http2ProxySession::stream(int32_t id) {
  const auto found = streams_.find(id);
  return found == streams_.end() ? nullptr : found->second.get();
}

// A frame that cost work without carrying a request. The level drains by a tenth of the budget
// per second, so a busy, well-behaved client never reaches it.
void Http2ProxySession::glitch(std::string_view what, unsigned weight) {
  const TimePoint now = worker_.loop().now();
  const double seconds = std::chrono::duration<double>(now - glitchesAt_).count();
  glitchesAt_ = now;
  const double budget = vip_->http2.maxGlitches;
  glitches_ = std::max(0.0, glitches_ - seconds * budget / 10) + weight;
  if (glitches_ > budget) calm(what);
}

void Http2ProxySession::calm(std::string_view why) {
  if (goingAway_) return;
  logWarn("http2: " + std::string(vip_->name) + " " + peer_.toString() +
          ": GOAWAY ENHANCE_YOUR_CALM (" + std::string(why) + ")");
  counters_->http2Calm.add();
  nghttp2_session_terminate_session(h2_, NGHTTP2_ENHANCE_YOUR_CALM);
  calming_ = true;
  goingAway_ = true;
  goingAwayEnd_ = "http2_flood";
}

TimePoint Http2ProxySession::deadline() const {
  if (goingAway_ && streams_.empty()) return lastActivity_ + vip_->clientHeaderTimeout;
  if (streams_.empty()) {
    // No request open: the first is due client_header after accept; later, idle keep-alive.
    const bool anyRequest = nghttp2_session_get_last_proc_stream_id(h2_) > 0;
    return anyRequest ? lastActivity_ + vip_->keepAliveTimeout
                      : acceptedAt_ + vip_->clientHeaderTimeout;
  }
  TimePoint soonest = TimePoint::max();
  for (const auto& [id, s] : streams_)
    soonest = std::min(soonest, s->deadline(lastActivity_));
  return soonest;
}

void Http2ProxySession::armTimer() {
  const TimePoint at = deadline();
  if (!timer_.armed() || at < armedAt_) {
    timer_.armAt(at);
    armedAt_ = at;
  }
}

void Http2ProxySession::onTimer() {
  if (closed_) return;
  if (lingering_) {
    clientEof_ = true;  // no close_notify for a client that would not go
    finish(goingAway_ ? goingAwayEnd_ : std::string_view("client_close"));
    return;
  }
  const TimePoint now = worker_.loop().now();
  const TimePoint at = deadline();
  if (now < at) {
    timer_.armAt(at);
    armedAt_ = at;
    return;
  }
  if (goingAway_ && streams_.empty()) {
    finish(goingAwayEnd_);
    return;
  }
  if (streams_.empty()) {
    const bool anyRequest = nghttp2_session_get_last_proc_stream_id(h2_) > 0;
    nghttp2_session_terminate_session(h2_, NGHTTP2_NO_ERROR);
    goingAway_ = true;
    goingAwayEnd_ = anyRequest ? "keep_alive_timeout" : "client_header_timeout";
  } else {
    std::vector<Http2Stream*> due;
    for (const auto& [id, s] : streams_) {
      if (s->deadline(lastActivity_) <= now) due.push_back(s.get());
    }
    for (Http2Stream* s : due)
      s->onDeadline(now, lastActivity_);
  }
  progress();
}

bool Http2ProxySession::configPublished(const std::shared_ptr<const WorkerConfig>& newest) {
  if (closed_) return false;
  const VipConfig* vip = newest->successorOf(*vip_);
  if (!vip) {
    goAway("vip_removed");
    return !closed_;
  }
  // New streams are served by the new config; open ones keep theirs (each holds it).
  config_ = newest;
  vip_ = vip;
  counters_ = &config_->vipCounters(*vip);
  return false;
}

void Http2ProxySession::drain() {
  if (!closed_) goAway("shutdown");
}

// No new streams (GOAWAY NO_ERROR naming the last one taken); those open finish, then the
// connection closes, logged as `end`.
void Http2ProxySession::goAway(std::string_view end) {
  if (!goingAway_) {
    nghttp2_submit_goaway(h2_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h2_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    goingAway_ = true;
    goingAwayEnd_ = end;
  }
  progress();
}

bool Http2ProxySession::closeIfUsing(const ServerHealth& server) {
  if (closed_) return false;
  bool any = false;
  for (const auto& [id, s] : streams_) {
    any = s->closeIfUsing(server) || any;  // the stream is reset and logged
  }
  if (any) progress();
  return any;
}

void Http2ProxySession::finish(std::string_view end) {
  if (closed_) return;
  closed_ = true;
  counters_->closedAs(end);
  timer_.cancel();
  resume_.cancel();
  trimSpares_.cancel();
  for (auto& [id, s] : streams_)
    s->closed(NGHTTP2_CANCEL, end);
  for (auto& [id, s] : streams_)
    ended_.push_back(std::move(s));
  streams_.clear();
  if (!clientEof_) transport_->shutdown();
  client_.reset();
  worker_.sessionClosed(this);
}

// nghttp2's callbacks.

int Http2ProxySession::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  Http2ProxySession& s = self(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const int32_t id = frame->hd.stream_id;
  const TimePoint now = s.worker_.loop().now();
  if (!s.spare_.empty()) {
    // A stream object of this connection that finished: its buffers are warm.
    s.spare_.back()->reuse(id, s.config_, *s.vip_, now);
    s.streams_[id] = std::move(s.spare_.back());
    s.spare_.pop_back();
  } else {
    s.streams_[id] = std::make_unique<Http2Stream>(s, id, s.config_, *s.vip_, now);
  }
  s.counters_->http2Streams.add();
  return 0;
}

int Http2ProxySession::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                                size_t nameLength, const uint8_t* value, size_t valueLength,
                                uint8_t, void* user) {
  Http2ProxySession& s = self(user);
  Http2Stream* stream = s.stream(frame->hd.stream_id);
  if (!stream) return 0;  // trailers of a stream already answered, or a refused one
  if (stream->addField({reinterpret_cast<const char*>(name), nameLength},
                       {reinterpret_cast<const char*>(value), valueLength})) {
    return 0;
  }
  // Past the limit: the request is refused with 431 once its head is complete. Past twice the
  // limit the fields are no mistake (an HPACK bomb decodes a few bytes into many): the stream
  // is reset and the connection told to calm down.
  if (stream->fieldBytes() > 2 * s.vip_->http2.maxHeaderList) {
    s.calm("a header list past twice http2.max_header_list");
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int Http2ProxySession::onFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  Http2ProxySession& s = self(user);
  const int32_t id = frame->hd.stream_id;
  const bool endStream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (Http2Stream* stream = s.stream(id)) {
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          stream->headComplete(endStream);
          if (stream->readyToDispatch()) s.waiting_.push_back(id);
        } else if (endStream) {
          stream->requestEnded();  // trailers end the request
        }
      }
      break;
    case NGHTTP2_DATA:
      if (endStream) {
        if (Http2Stream* stream = s.stream(id)) stream->requestEnded();
      }
      break;
    case NGHTTP2_RST_STREAM:
      if (Http2Stream* stream = s.stream(id); stream && !stream->responseDone()) {
        s.glitch("streams reset by the client");
      }
      break;
    default:
      break;
  }
  return 0;
}

// Every frame's header, before nghttp2 looks at its stream: frames it would ignore (on closed
// streams) cost work too.
int Http2ProxySession::onBeginFrame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
  Http2ProxySession& s = self(user);
  const bool ack = hd->flags & NGHTTP2_FLAG_ACK;
  switch (hd->type) {
    case NGHTTP2_DATA:
      if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM)) s.glitch("empty DATA frames");
      break;
    case NGHTTP2_SETTINGS:
      if (!ack) s.glitch("SETTINGS flood");
      break;
    case NGHTTP2_PING:
      if (!ack) s.glitch("PING flood");
      break;
    case NGHTTP2_PRIORITY:
      s.glitch("PRIORITY flood");
      break;
    case NGHTTP2_WINDOW_UPDATE:
      s.glitch("WINDOW_UPDATE flood");
      break;
    default:
      break;
  }
  return 0;
}

int Http2ProxySession::onDataChunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                                   size_t length, void* user) {
  Http2ProxySession& s = self(user);
  if (Http2Stream* stream = s.stream(id)) {
    stream->requestData(data, length);
  } else {
    nghttp2_session_consume(s.h2_, id, length);  // a stream gone: the bytes are dropped
  }
  return 0;
}

int Http2ProxySession::onStreamClose(nghttp2_session*, int32_t id, uint32_t errorCode, void* user) {
  Http2ProxySession& s = self(user);
  const auto found = s.streams_.find(id);
  if (found == s.streams_.end()) return 0;
  Http2Stream& stream = *found->second;
  const bool wasInFlight = stream.dispatched() && !stream.responseDone();
  const bool clean = stream.closed(errorCode);
  if (stream.dispatched()) {
    if (wasInFlight || !clean) {
      // Reset before its response was whole: the cap shrinks, so resets cannot keep servers
      // busy.
      s.dispatchCap_ = std::max<uint32_t>(1, s.dispatchCap_ / 2);
    } else if (s.dispatchCap_ < s.vip_->http2.maxConcurrentStreams) {
      ++s.dispatchCap_;
    }
    --s.inFlight_;
  }
  s.ended_.push_back(std::move(found->second));
  s.streams_.erase(found);
  return 0;
}

int Http2ProxySession::onInvalidFrame(nghttp2_session*, const nghttp2_frame*, int, void* user) {
  self(user).glitch("frames refused as stream errors");
  return 0;
}

int Http2ProxySession::onFrameSent(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  const bool endStream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  if (endStream && (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
    if (Http2Stream* stream = self(user).stream(frame->hd.stream_id)) stream->responseSent();
  }
  return 0;
}

nghttp2_session_callbacks* Http2ProxySession::callbacks() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &onBeginFrame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &onFrameReceived);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &onStreamClose);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, &onInvalidFrame);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &onFrameSent);
  return callbacks;
}

}  // namespace sluice
