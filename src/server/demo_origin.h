#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "net/address.h"
#include "net/socket.h"

namespace sluice {

// A small origin server for the demo, so that every printed command has something real behind
// it. It answers an HTTP request with a plain-text page naming itself, and anything else line
// by line ("origin-a: <your line>"), which shows at a glance which server a VIP chose. With a
// TLS context it speaks HTTPS with its own certificate, as a passthrough VIP's backends do.
// Runs on a loop it is given; not part of the data plane.
class DemoOrigin final : public IoHandler {
 public:
  // Binds `address`; false with `error` set when it cannot.
  // `tls` (optional, not owned) makes it an HTTPS origin.
  bool listen(EventLoop& loop, const std::string& name, const SocketAddress& address,
              std::string& error, SSL_CTX* tls = nullptr);
  // Serves `content` at `path` (e.g. the demo CA's CRL) instead of the greeting page.
  void serveFile(std::string path, std::string content, std::string contentType);
  ~DemoOrigin();
  void onIo(uint32_t events) override;

 private:
  class Connection;
  std::string name_;
  SocketAddress address_;
  EventLoop* loop_ = nullptr;
  SSL_CTX* tls_ = nullptr;
  std::string filePath_, fileContent_, fileType_;
  UniqueFd fd_;
};

}  // namespace sluice
