#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "net/address.h"
#include "net/socket.h"

namespace sluice {

// A small origin server for the demo, so that every printed command has something real behind
// it. It answers an HTTP request with a plain-text page naming itself, and anything else line
// by line ("origin-a: <your line>"), which shows at a glance which server a VIP chose.
// Runs on a loop it is given; not part of the data plane.
class DemoOrigin final : public IoHandler {
 public:
  // Binds `address`; false with `error` set when it cannot.
  bool listen(EventLoop& loop, const std::string& name, const SocketAddress& address,
              std::string& error);
  ~DemoOrigin();
  void onIo(uint32_t events) override;

 private:
  class Connection;
  std::string name_;
  SocketAddress address_;
  EventLoop* loop_ = nullptr;
  UniqueFd fd_;
};

}  // namespace sluice
