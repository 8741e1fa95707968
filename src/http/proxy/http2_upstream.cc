#include "http/proxy/http2_upstream.h"

#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/proxy/http_exchange.h"
#include "tls/backend_session_cache.h"
#include "tls/tls_client_context.h"
#include "worker/worker_services.h"

namespace sluice {
namespace {

constexpr uint32_t kAllEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
// Until the server's SETTINGS say otherwise (RFC 9113 §6.5.2 recommends at least 100).
constexpr uint32_t kAssumedMaxStreams = 100;
// Each stream's window is what an exchange lets wait for its client; the connection's is
// large enough that slow clients on some streams do not stall the others.
constexpr int32_t kStreamWindow = static_cast<int32_t>(HttpExchange::kMaxPending);
constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;
// Past this a connection takes no new stream (stream ids are 31 bits, odd for the client).
constexpr int32_t kLastStreamId = (1 << 30);

Http2Upstream& self(void* user) {
  return *static_cast<Http2Upstream*>(user);
}

std::string_view text(const uint8_t* bytes, size_t length) {
  return {reinterpret_cast<const char*>(bytes), length};
}

}  // namespace

Http2Upstream::Http2Upstream(WorkerServices& worker, Http2Upstreams& owner,
                             BackendSessionCache& sessions, Http2UpstreamTarget target)
    : worker_(worker),
      owner_(owner),
      sessions_(sessions),
      target_(std::move(target)),
      flush_(worker.loop().timers(), [this] { flush(); }),
      deadline_(worker.loop().timers(), [this] {
        if (state_ != State::kReady) {
          close("connect timed out");
        } else if (streams_.empty() && waiting_.empty()) {
          nghttp2_session_terminate_session(h2_, NGHTTP2_NO_ERROR);
          flush();
          close("idle");
        }
      }) {}

Http2Upstream::~Http2Upstream() {
  if (h2_) nghttp2_session_del(h2_);
}

bool Http2Upstream::open() {
  server_.fd = connectTcp(target_.address);
  if (!server_.fd.valid()) return false;
  server_.events.reset(new UpstreamEvents);
  server_.events->owner = this;
  server_.events->watched = kAllEvents;
  server_.events->loop = &worker_.loop();
  if (!worker_.loop().add(server_.fd.get(), kAllEvents, server_.events.get())) return false;
  deadline_.armAt(worker_.loop().now() + target_.connectTimeout);
  return true;
}

bool Http2Upstream::hasRoom() const {
  if (state_ == State::kClosed || goingAway_) return false;
  const uint32_t limit =
      h2_ ? nghttp2_session_get_remote_settings(h2_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
          : kAssumedMaxStreams;
  return streams_.size() + waiting_.size() < limit;
}

void Http2Upstream::wait(Http2UpstreamUser& user) {
  waiting_.push_back(&user);
}

int32_t Http2Upstream::submit(Http2UpstreamUser& user, const nghttp2_nv* fields, size_t count,
                              bool withBody) {
  if (state_ != State::kReady) return 0;
  nghttp2_data_provider provider;
  provider.source.ptr = nullptr;  // the stream's user is looked up: it may have left
  provider.read_callback = &readRequestBody;
  const int32_t id =
      nghttp2_submit_request(h2_, nullptr, fields, count, withBody ? &provider : nullptr, nullptr);
  if (id <= 0) return 0;
  streams_.emplace(id, Stream{&user, false});
  deadline_.cancel();
  if (id >= kLastStreamId) goingAway_ = true;
  flushSoon();
  return id;
}

void Http2Upstream::leave(Http2UpstreamUser& user, int32_t id, size_t unconsumed) {
  if (state_ == State::kClosed) return;
  std::erase(waiting_, &user);
  if (id > 0) {
    if (auto it = streams_.find(id); it != streams_.end() && it->second.user == &user) {
      streams_.erase(it);
      // Still open (the response cut short, or answered before the whole request was sent):
      // the server stops sending, or waiting for, it.
      if (nghttp2_session_find_stream(h2_, id)) {
        nghttp2_submit_rst_stream(h2_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      }
    }
    if (unconsumed > 0) nghttp2_session_consume(h2_, id, unconsumed);
    flushSoon();
  }
  maybeClose();
}

void Http2Upstream::resumeBody(int32_t id) {
  if (state_ != State::kReady) return;
  nghttp2_session_resume_data(h2_, id);
  flushSoon();
}

void Http2Upstream::submitTrailers(int32_t id, const nghttp2_nv* fields, size_t count) {
  if (state_ == State::kReady) nghttp2_submit_trailer(h2_, id, fields, count);
}

void Http2Upstream::consume(int32_t id, size_t length) {
  if (state_ != State::kReady || length == 0) return;
  nghttp2_session_consume(h2_, id, length);
  flushSoon();
}

Http2UpstreamUser* Http2Upstream::user(int32_t id) const {
  const auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.user;
}

ssize_t Http2Upstream::readRequestBody(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length,
                                       uint32_t* flags, nghttp2_data_source*, void* data) {
  Http2UpstreamUser* u = self(data).user(id);
  if (!u) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // its user left: the stream is reset
  return u->requestBody(buffer, length, flags);
}

void Http2Upstream::onIo(uint32_t events) {
  if (state_ == State::kClosed) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    readable_ = true;
    server_.transport.socketReadable(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
  }
  if (state_ == State::kConnecting && !checkConnected()) return;
  if (state_ == State::kHandshaking && !handshake()) return;
  if (state_ != State::kReady) return;
  if (readable_ && !readServer()) return;
  flush();
}

// Readiness is edge-reported: ask the socket whether the connect finished.
bool Http2Upstream::checkConnected() {
  pollfd p{server_.fd.get(), POLLOUT, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (const int error = connectResult(server_.fd.get()); error != 0) {
    close(std::strerror(error));
    return false;
  }
  if (!target_.tls) {
    server_.transport = Transport(server_.fd.get());
    return startSession();
  }
  SSL* ssl = target_.tls->newSession(target_.sni, target_.verifyName, sessions_.find(target_.key));
  static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
  if (!ssl || SSL_set_alpn_protos(ssl, kAlpnH2, sizeof kAlpnH2) != 0) {
    if (ssl) SSL_free(ssl);
    close("out of memory for a TLS session");
    return false;
  }
  server_.transport = Transport(server_.fd.get(), ssl, Transport::Role::kConnect);
  state_ = State::kHandshaking;
  return true;
}

// The TLS handshake, certificate check included; the server must choose h2.
bool Http2Upstream::handshake() {
  if (!server_.transport.handshake()) {
    if (server_.transport.failed()) close(server_.transport.error());
    return false;
  }
  if (server_.transport.alpn() != "h2") {
    close("the server did not choose h2 in ALPN (http2: true needs an HTTP/2 server)");
    return false;
  }
  return startSession();
}

bool Http2Upstream::startSession() {
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Windows come back as clients take the bytes (consume()), not as nghttp2 receives them.
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_peer_max_concurrent_streams(option, kAssumedMaxStreams);
  const int rv = nghttp2_session_client_new2(&h2_, callbacks(), this, option);
  nghttp2_option_del(option);
  if (rv != 0) {
    close("out of memory for an HTTP/2 session");
    return false;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
  };
  nghttp2_submit_settings(h2_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(h2_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  state_ = State::kReady;
  deadline_.cancel();
  // Each waiting user submits its stream now; one may leave while others are told.
  std::vector<Http2UpstreamUser*> ready;
  ready.swap(waiting_);
  for (Http2UpstreamUser* u : ready)
    u->upstreamReady();
  if (state_ == State::kReady && streams_.empty() && waiting_.empty()) armIdle();
  return state_ == State::kReady;
}

bool Http2Upstream::readServer() {
  while (state_ == State::kReady) {
    WorkerServices::Scratch scratch = worker_.scratch();
    const ssize_t n = server_.transport.read(scratch.data, scratch.size);
    if (n == Transport::kAgain) {
      readable_ = false;
      break;
    }
    if (n == Transport::kFailed || n == 0) {
      close(n == 0 ? "server closed the connection" : "server connection failed");
      return false;
    }
    const ssize_t taken = nghttp2_session_mem_recv(
        h2_, reinterpret_cast<const uint8_t*>(scratch.data), static_cast<size_t>(n));
    if (taken < 0) {
      close(std::string("HTTP/2 error from the server: ") +
            nghttp2_strerror(static_cast<int>(taken)));
      return false;
    }
  }
  if (state_ == State::kReady && server_.transport.tls() && !tlsSessionKept_) {
    // TLS 1.3 tickets come after the handshake: kept once the server has spoken.
    tlsSessionKept_ = true;
    sessions_.store(target_.key, server_.transport.ssl());
  }
  return state_ == State::kReady;
}

void Http2Upstream::flushSoon() {
  if (state_ == State::kReady && !flush_.armed()) flush_.armAt(worker_.loop().now());
}

// Writes what nghttp2 has to send, as far as the socket takes it.
void Http2Upstream::flush() {
  if (state_ != State::kReady) return;
  for (;;) {
    // What the socket did not take last time goes first; then nghttp2's next bytes, written
    // from its own buffer, and only what the socket leaves of them copied.
    const char* data = out_.data() + outSent_;
    size_t length = out_.size() - outSent_;
    const bool fresh = length == 0;
    if (fresh) {
      const uint8_t* next = nullptr;
      const ssize_t produced = nghttp2_session_mem_send(h2_, &next);
      if (produced < 0) {
        close(std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(produced)));
        return;
      }
      if (produced == 0) break;
      data = reinterpret_cast<const char*>(next);
      length = static_cast<size_t>(produced);
    }
    const ssize_t n = server_.transport.write(data, length);
    if (n == Transport::kFailed) {
      close("server connection failed");
      return;
    }
    const size_t written = n == Transport::kAgain ? 0 : static_cast<size_t>(n);
    if (fresh) {
      if (written < length) out_.assign(data + written, length - written);
    } else {
      outSent_ += written;
      if (outSent_ == out_.size()) {
        out_.clear();
        outSent_ = 0;
      }
    }
    // Edge-triggered: stop only at EAGAIN, whose end EPOLLOUT reports (a short write may not
    // be one).
    if (n == Transport::kAgain) return;
  }
  if (!nghttp2_session_want_read(h2_) && !nghttp2_session_want_write(h2_)) {
    close("closed by the server");
  } else if (goingAway_ && streams_.empty() && waiting_.empty() && out_.empty()) {
    close("going away");
  }
}

// Ends the connection: every user still on it is told, and it is freed after the batch.
void Http2Upstream::close(std::string_view why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  flush_.cancel();
  deadline_.cancel();
  if (server_.events) server_.events->owner = nullptr;
  std::vector<Http2UpstreamUser*> waiting;
  waiting.swap(waiting_);
  std::unordered_map<int32_t, Stream> streams;
  streams.swap(streams_);
  if (server_.transport.tls() && !server_.transport.failed()) server_.transport.shutdown();
  server_ = {};
  owner_.closed(this);
  const std::string reason(why);
  for (Http2UpstreamUser* u : waiting)
    u->upstreamFailed(reason);
  // A stream past the last one the server's GOAWAY named was never processed (RFC 9113 §6.8):
  // refused, whether or not nghttp2 got to say so before the connection ended.
  for (const auto& [id, stream] : streams) {
    if (stream.ended) continue;
    if (id > goawayLastStream_) {
      stream.user->streamFailed("the server is going away", true);
    } else {
      stream.user->streamFailed(reason, false);
    }
  }
}

// The last stream left: a connection going away closes once what is queued is written (by
// flush(), never from here: this runs inside nghttp2's callbacks), one in use waits idle.
void Http2Upstream::maybeClose() {
  if (!streams_.empty() || !waiting_.empty()) return;
  if (goingAway_) {
    flushSoon();
    return;
  }
  armIdle();
}

void Http2Upstream::armIdle() {
  deadline_.armAt(worker_.loop().now() + target_.idleTimeout);
}

int Http2Upstream::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                            size_t nameLength, const uint8_t* value, size_t valueLength, uint8_t,
                            void* data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Http2UpstreamUser* u = self(data).user(frame->hd.stream_id)) {
    u->responseField(text(name, nameLength), text(value, valueLength));
  }
  return 0;
}

int Http2Upstream::onFrameReceived(nghttp2_session*, const nghttp2_frame* frame, void* data) {
  Http2Upstream& s = self(data);
  const bool endStream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
      if (auto it = s.streams_.find(frame->hd.stream_id); it != s.streams_.end()) {
        it->second.ended = endStream;  // the response is whole: its user leaves now
        it->second.user->responseFieldsEnd(endStream);
      }
      break;
    case NGHTTP2_DATA:
      if (auto it = s.streams_.find(frame->hd.stream_id); endStream && it != s.streams_.end()) {
        it->second.ended = true;
        it->second.user->responseEnded();
      }
      break;
    case NGHTTP2_GOAWAY:
      // No new streams; nghttp2 closes those past last_stream_id as refused.
      s.goingAway_ = true;
      s.goawayLastStream_ = std::min(s.goawayLastStream_, frame->goaway.last_stream_id);
      break;
    default:
      break;
  }
  return 0;
}

int Http2Upstream::onDataChunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* bytes,
                               size_t length, void* data) {
  if (Http2UpstreamUser* u = self(data).user(id)) {
    u->responseData(bytes, length);
  } else {
    nghttp2_session_consume(session, id, length);  // nobody waits for it: the window comes back
  }
  return 0;
}

int Http2Upstream::onStreamClose(nghttp2_session*, int32_t id, uint32_t errorCode, void* data) {
  Http2Upstream& s = self(data);
  const auto it = s.streams_.find(id);
  if (it != s.streams_.end()) {
    const Stream stream = it->second;
    s.streams_.erase(it);
    if (stream.ended) return 0;  // closed after a whole response its user has not left yet
    Http2UpstreamUser* u = stream.user;
    const bool refused = errorCode == NGHTTP2_REFUSED_STREAM;
    u->streamFailed(refused ? "the server refused the stream" : "the server reset the stream",
                    refused);
  }
  if (s.goingAway_ && s.streams_.empty() && s.waiting_.empty()) s.flushSoon();
  return 0;
}

// A request's HEADERS that nghttp2 could not send: the server's GOAWAY came first (or the
// stream ids ran out), so the stream never opened and no close follows. The request never
// reached the server, which makes it a refused one; other reasons fail it.
int Http2Upstream::onFrameNotSent(nghttp2_session*, const nghttp2_frame* frame, int error,
                                  void* data) {
  Http2Upstream& s = self(data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  const auto it = s.streams_.find(frame->hd.stream_id);
  if (it == s.streams_.end() || it->second.ended) return 0;
  Http2UpstreamUser* u = it->second.user;
  s.streams_.erase(it);
  const bool refused =
      error == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED || error == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE;
  if (refused) s.goingAway_ = true;
  u->streamFailed(refused ? "the server is going away" : nghttp2_strerror(error), refused);
  return 0;
}

nghttp2_session_callbacks* Http2Upstream::callbacks() {
  static nghttp2_session_callbacks* const table = [] {
    nghttp2_session_callbacks* c = nullptr;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_header_callback(c, &onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, &onFrameReceived);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &onDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, &onStreamClose);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(c, &onFrameNotSent);
    return c;
  }();
  return table;
}

Http2Upstreams::~Http2Upstreams() = default;

Http2Upstream* Http2Upstreams::find(std::string_view key) {
  const auto it = byKey_.find(key);
  if (it == byKey_.end()) return nullptr;
  for (const auto& connection : it->second) {
    if (connection->hasRoom()) return connection.get();
  }
  return nullptr;
}

Http2Upstream* Http2Upstreams::open(Http2UpstreamTarget target) {
  auto connection = std::make_unique<Http2Upstream>(worker_, *this, sessions_, std::move(target));
  if (!connection->open()) {
    const int error = errno;  // for the caller, past the connection's destructor
    connection.reset();
    errno = error;
    return nullptr;
  }
  auto& connections = byKey_[connection->target().key];
  connections.push_back(std::move(connection));
  return connections.back().get();
}

void Http2Upstreams::closed(Http2Upstream* connection) {
  const auto it = byKey_.find(connection->target().key);
  if (it == byKey_.end()) return;
  auto& connections = it->second;
  for (auto c = connections.begin(); c != connections.end(); ++c) {
    if (c->get() != connection) continue;
    worker_.loop().deferDelete(std::move(*c));
    connections.erase(c);
    break;
  }
  if (connections.empty()) byKey_.erase(it);
}

void Http2Upstreams::closeTo(const SocketAddress& address) {
  std::vector<Http2Upstream*> doomed;
  for (const auto& [key, connections] : byKey_) {
    for (const auto& c : connections) {
      if (c->target().address == address) doomed.push_back(c.get());
    }
  }
  for (Http2Upstream* c : doomed)
    c->close("closed by an operator");
}

void Http2Upstreams::closeAll() {
  std::vector<Http2Upstream*> doomed;
  for (const auto& [key, connections] : byKey_) {
    for (const auto& c : connections)
      doomed.push_back(c.get());
  }
  for (Http2Upstream* c : doomed)
    c->close("shutdown");
}

}  // namespace sluice
