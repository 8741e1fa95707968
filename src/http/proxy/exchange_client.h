#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1/body_framer.h"
#include "http/http_response_head.h"
#include "http/local_answer.h"
#include "http/proxy/client_response.h"

namespace sluice {

// Where a response's body goes and how it is framed there: the client codec's choice. HTTP/1
// gets its own framing written into the connection's output; HTTP/2 takes the de-framed data
// (kRaw) into the stream's buffer and frames it as DATA.
struct ResponseBodySink {
  std::string* out = nullptr;  // null: the body is not sent (HEAD, 204, 304)
  BodyFramer::Mode mode = BodyFramer::Mode::kRaw;
};

// The client side of one HttpExchange: the HTTP/1 connection the request came on (one
// exchange at a time), or an HTTP/2 stream. The exchange calls it on the worker's thread while
// it reads the server's response. Each call returns to the exchange, which does nothing more
// with the request after responseComplete(), sendLocalAnswer() or abort().
class ExchangeClient {
 public:
  // An interim response (1xx other than 101). Returns the bytes queued for the client.
  virtual size_t sendInterimHead(const HttpResponseHead& head, std::string_view hsts) = 0;
  // The final response head (or a 101). The exchange has set the context's HSTS value, rule
  // edits and extra lines; the client sets the framing and whether it closes afterwards, queues
  // the head, counts its bytes in `written`, and says where the body goes.
  virtual ResponseBodySink sendResponseHead(const HttpResponseHead& head,
                                            ClientResponseContext& context, size_t& written) = 0;
  // The response's trailers (an HTTP/2 server's, such as gRPC's grpc-status), before
  // responseComplete(). False when this client cannot carry them apart from the body: the
  // exchange then ends a chunked HTTP/1.1 body with them, or drops them.
  virtual bool sendTrailers(const std::vector<HttpHeader>& trailers) = 0;
  // The whole response has been handed over (the body is in the sink). The exchange has
  // already kept or released its server connection.
  virtual void responseComplete() = 0;
  // Sluice answers the request itself; nothing of a response was sent before.
  virtual void sendLocalAnswer(const LocalAnswer& answer) = 0;
  // Bytes of the response the client has not taken yet: the exchange stops reading the server
  // while there are too many.
  virtual size_t responseBacklog() const = 0;
  // Close once what is queued for the client has been sent (an upgraded relay's server left).
  virtual void closeWhenFlushed() = 0;
  // End the client side at once, logging `end`: a response cut short must not look whole.
  virtual void abort(std::string_view end) = 0;
  // Something happened on the server side, or a wait ended: let the client side progress.
  virtual void wake() = 0;

 protected:
  ~ExchangeClient() = default;
};

}  // namespace sluice
