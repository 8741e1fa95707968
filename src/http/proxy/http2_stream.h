#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "http/connection_options.h"
#include "http/http2/http2_field_list.h"
#include "http/http2/http2_request.h"
#include "http/http_request_head.h"
#include "http/proxy/exchange_client.h"
#include "http/proxy/http_exchange.h"
#include "worker/worker_config.h"

namespace sluice {

class Http2ProxySession;

// One HTTP/2 stream: one request and its response, as one HttpExchange, framed by the
// connection's nghttp2 session. The stream collects the request's fields, and once its head is
// complete (and the connection's dispatch cap lets it) starts the exchange; the request body's
// DATA goes to the server framed for HTTP/1.1, and its window is given back only as the server
// takes those bytes. The response body, de-framed, waits in `body_` for nghttp2's data provider,
// which sends what the client's window allows; the exchange stops reading the server while
// HttpExchange::kMaxPending bytes wait.
class Http2Stream final : public Deferrable, private ExchangeClient {
 public:
  Http2Stream(Http2ProxySession& connection, int32_t id, std::shared_ptr<const WorkerConfig> config,
              const VipConfig& vip, TimePoint now);
  ~Http2Stream() override;
  // The object serves another stream of the same connection (its strings and vectors keep
  // their capacity): only once it is closed, and nothing of the old stream is pending.
  void reuse(int32_t id, std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
             TimePoint now);

  int32_t id() const { return id_; }
  // HEADERS, field by field; then the head is complete (END_HEADERS).
  bool addField(std::string_view name, std::string_view value);
  // The bytes of the header block being received (the head's, or the trailers').
  size_t fieldBytes() const { return headDone_ ? trailerBytes_ : fields_.bytes(); }
  void headComplete(bool endStream);
  // Starts the exchange (rules, pick, connect): the connection decides when.
  void dispatch();
  bool dispatched() const { return dispatched_; }
  bool readyToDispatch() const { return headDone_ && !dispatched_ && !answered_; }
  // DATA from the client, and its end.
  void requestData(const uint8_t* data, size_t length);
  void requestEnded();
  // The response's last frame (END_STREAM) went out.
  void responseSent();
  // The stream closed (reset by either side, or done): the exchange ends with it. Returns
  // whether the response was complete.
  // `end`: the connection's reason when it ends them all (else the client's reset or close).
  bool closed(uint32_t errorCode, std::string_view end = {});
  bool responseDone() const { return bodyComplete_; }
  bool requestEnded() const { return requestEnded_; }
  // The capacity its body buffers hold, kept if the object is reused.
  size_t retainedBytes() {
    return body_.capacity() + earlyBody_.capacity() + exchange_.toServer().capacity();
  }

  // The exchange's server-side steps, then windows given back and the data provider resumed.
  bool advance();
  // nghttp2's data provider asks for body bytes.
  ssize_t readBody(uint8_t* buffer, size_t length, uint32_t* flags);
  // The deadline of this stream, and acting on it.
  TimePoint deadline(TimePoint connectionActivity) const;
  void onDeadline(TimePoint now, TimePoint connectionActivity);
  // An operator closes the connections to `server`: a request in flight to it ends at once.
  bool closeIfUsing(const ServerHealth& server) {
    if (!exchange_.closeIfUsing(server)) return false;
    abort("closed_by_operator");
    return true;
  }

 private:
  // ExchangeClient.
  size_t sendInterimHead(const HttpResponseHead& head, std::string_view hsts) override;
  ResponseBodySink sendResponseHead(const HttpResponseHead& head, ClientResponseContext& context,
                                    size_t& written) override;
  void responseComplete() override;
  void sendLocalAnswer(const LocalAnswer& answer) override;
  size_t responseBacklog() const override { return body_.size() - bodySent_; }
  void closeWhenFlushed() override { responseComplete(); }
  bool sendTrailers(const std::vector<HttpHeader>& trailers) override;
  void abort(std::string_view end) override;
  void wake() override;

  void begin(int32_t id, std::shared_ptr<const WorkerConfig> config, const VipConfig& vip,
             TimePoint now);
  void submit(bool withBody);
  void appendBody(const char* bytes, size_t length);
  void endRequestBody();
  void giveBackWindow();
  void endBody(uint32_t* flags);
  void resumeBody();
  void refuse(const MessageError& error);
  bool misdirected() const;

  Http2ProxySession& connection_;
  int32_t id_ = 0;
  std::shared_ptr<const WorkerConfig> config_;  // the config the stream started with
  const VipConfig* vip_ = nullptr;
  Http2RequestFields fields_;
  HttpRequestHead head_;
  ConnectionOptions options_;
  HttpExchange exchange_;
  bool headDone_ = false;
  bool dispatched_ = false;
  bool answered_ = false;  // a response (forwarded or local) was submitted
  bool requestEnded_ = false;
  bool headRequest_ = false;
  bool chunkBody_ = false;  // the body goes to an HTTP/1.1 server chunked
  bool bodyComplete_ = false;
  bool deferred_ = false;  // the data provider waits for body bytes
  bool closed_ = false;
  uint64_t bodyReceived_ = 0;
  uint64_t discarded_ = 0;      // body bytes dropped after the answer
  bool bodySentWhole_ = false;  // the response's END_STREAM went out
  bool resetSent_ = false;
  bool logged_ = false;    // aborted: its access-log record is written
  std::string earlyBody_;  // body bytes that came before the stream was dispatched
  // The request's trailers that a server may see, bounded like a head.
  Http2FieldList requestTrailers_;
  size_t trailerBytes_ = 0;
  size_t trailerFields_ = 0;
  bool trailersOverLimit_ = false;
  size_t unconsumed_ = 0;  // request body bytes received, their window not yet given back
  TimePoint started_;
  TimePoint lastClientByte_;

  // The response: its head's fields, then the body waiting to be sent.
  Http2FieldList response_;
  Http2FieldList trailers_;  // the server's trailers, sent after the body
  std::string length_;
  std::string body_;
  size_t bodySent_ = 0;
};

}  // namespace sluice
