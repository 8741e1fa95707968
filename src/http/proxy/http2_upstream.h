#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "core/timer_queue.h"
#include "http/proxy/upstream_pool.h"
#include "net/address.h"

namespace sluice {

class BackendSessionCache;
class Http2Upstreams;
class TlsClientContext;
class WorkerServices;

// What one stream of an Http2Upstream tells the exchange it carries, and asks of it. Called on
// the worker's thread from the connection's events; a call may end the exchange, which then
// leaves the connection (Http2Upstream::leave()) before it returns.
class Http2UpstreamUser {
 public:
  // The connection is ready: the user submits its stream now. Or it could not be made.
  virtual void upstreamReady() = 0;
  virtual void upstreamFailed(std::string_view why) = 0;
  // One field of a HEADERS frame (an interim head, the final head, or trailers), then the end
  // of the frame's fields; `endStream`: the response ends with them.
  virtual void responseField(std::string_view name, std::string_view value) = 0;
  virtual void responseFieldsEnd(bool endStream) = 0;
  virtual void responseData(const uint8_t* data, size_t length) = 0;
  virtual void responseEnded() = 0;  // END_STREAM on DATA
  // The stream ended before its response did: reset by the server, or the connection's end.
  // `refused`: the server says it never processed the request (REFUSED_STREAM, or past a
  // GOAWAY's last stream), so it may be sent again anywhere.
  virtual void streamFailed(std::string_view why, bool refused) = 0;
  // nghttp2's data provider asks for request body bytes: NGHTTP2_ERR_DEFERRED while none.
  virtual ssize_t requestBody(uint8_t* buffer, size_t length, uint32_t* flags) = 0;

 protected:
  ~Http2UpstreamUser() = default;
};

// How to reach one server over HTTP/2: its address, and for TLS the group's client context,
// the SNI sent and the name verified. `key` is the pool key (upstreamKey()).
struct Http2UpstreamTarget {
  std::string key;
  SocketAddress address;
  const TlsClientContext* tls = nullptr;
  std::string sni;
  std::string verifyName;
  Millis connectTimeout{3000};
  Millis idleTimeout{60000};
};

// One HTTP/2 connection to a server (server_groups[].http2), shared by the worker's exchanges:
// each request is a stream on it, so a worker holds one connection per server for up to the
// server's SETTINGS_MAX_CONCURRENT_STREAMS requests at once, not one per request.
//
//   open: connect → TLS handshake with ALPN h2 (protocol: https; anything but h2 fails) or
//         prior knowledge (protocol: http) → the preface and SETTINGS
//   ready: users submit streams; the response of each is handed to its user as it arrives;
//         the connection's window and each stream's are given back only as their user's
//         client takes the bytes (consume()), so a slow client holds at most one window
//   going away: a GOAWAY from the server, an idle timeout, or a failure: no new streams;
//         streams past the GOAWAY's last one fail as refused; closed once none is left
//
// Writes are flushed once per loop pass (flushSoon()), after every user had its turn.
class Http2Upstream final : public IoHandler, public Deferrable {
 public:
  Http2Upstream(WorkerServices& worker, Http2Upstreams& owner, BackendSessionCache& sessions,
                Http2UpstreamTarget target);
  ~Http2Upstream() override;
  Http2Upstream(const Http2Upstream&) = delete;
  Http2Upstream& operator=(const Http2Upstream&) = delete;

  // Starts the connect: false (errno set) when it fails at once.
  bool open();
  bool ready() const { return state_ == State::kReady; }
  // Can take one more stream: open or being opened, not going away, below the server's limit.
  bool hasRoom() const;
  const Http2UpstreamTarget& target() const { return target_; }

  // `user` waits for the connection to be ready (upstreamReady(), or upstreamFailed()).
  void wait(Http2UpstreamUser& user);
  // A request on a ready connection: its stream id, or 0 when nghttp2 refused it.
  int32_t submit(Http2UpstreamUser& user, const nghttp2_nv* fields, size_t count, bool withBody);
  // The user is done with its stream (`id`, 0 if none was submitted): a stream still open is
  // reset (CANCEL), and what it received but did not consume is given back.
  void leave(Http2UpstreamUser& user, int32_t id, size_t unconsumed);
  // More request body is there for the stream's deferred data provider.
  void resumeBody(int32_t id);
  // The request's trailers, from the data provider as it ends the body (which then leaves the
  // stream open for them: NGHTTP2_DATA_FLAG_NO_END_STREAM).
  void submitTrailers(int32_t id, const nghttp2_nv* fields, size_t count);
  // The user's client took `length` bytes of the stream's response: their window comes back.
  void consume(int32_t id, size_t length);
  // Ends the connection now (a failure, the server's end, idleness, an operator's close or
  // shutdown): every user still on it is told, and it is freed after the loop's batch.
  void close(std::string_view why);
  size_t streams() const { return streams_.size(); }

 private:
  enum class State { kConnecting, kHandshaking, kReady, kClosed };

  void onIo(uint32_t events) override;
  bool checkConnected();
  bool handshake();
  bool startSession();
  bool readServer();
  void flush();
  void flushSoon();
  void maybeClose();
  void armIdle();
  Http2UpstreamUser* user(int32_t id) const;

  static nghttp2_session_callbacks* callbacks();
  static int onHeader(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                      const uint8_t*, size_t, uint8_t, void*);
  static int onFrameReceived(nghttp2_session*, const nghttp2_frame*, void*);
  static int onDataChunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int onStreamClose(nghttp2_session*, int32_t, uint32_t, void*);
  static int onFrameNotSent(nghttp2_session*, const nghttp2_frame*, int, void*);
  static ssize_t readRequestBody(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                                 nghttp2_data_source*, void*);

  WorkerServices& worker_;
  Http2Upstreams& owner_;
  BackendSessionCache& sessions_;
  Http2UpstreamTarget target_;
  State state_ = State::kConnecting;
  UpstreamConnection server_;
  nghttp2_session* h2_ = nullptr;
  bool readable_ = false;
  bool goingAway_ = false;
  int32_t goawayLastStream_ = INT32_MAX;  // from the server's GOAWAY
  bool tlsSessionKept_ = false;
  std::string out_;  // bytes nghttp2 gave that the socket did not take yet
  size_t outSent_ = 0;
  std::vector<Http2UpstreamUser*> waiting_;
  struct Stream {
    Http2UpstreamUser* user;
    bool ended;  // the whole response arrived
  };
  std::unordered_map<int32_t, Stream> streams_;
  Timer flush_;
  Timer deadline_;  // the connect timeout, then the idle timeout
};

// A worker's HTTP/2 server connections, by pool key: acquire() finds one with room for one
// more stream, or opens one. Connections leave the set when they close.
class Http2Upstreams {
 public:
  Http2Upstreams(WorkerServices& worker, BackendSessionCache& sessions)
      : worker_(worker), sessions_(sessions) {}
  ~Http2Upstreams();

  // A connection under `key` that can take a stream (maybe still being opened), or null.
  Http2Upstream* find(std::string_view key);
  // A new connection to `target`, being opened; null when it could not even start (errno set).
  Http2Upstream* open(Http2UpstreamTarget target);
  // Called by a connection as it closes: it is freed after the loop's batch.
  void closed(Http2Upstream* connection);
  // Ends every connection to `address` (an operator closed the server's connections).
  void closeTo(const SocketAddress& address);
  void closeAll();

 private:
  WorkerServices& worker_;
  BackendSessionCache& sessions_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, std::vector<std::unique_ptr<Http2Upstream>>, Hash,
                     std::equal_to<>>
      byKey_;
};

}  // namespace sluice
