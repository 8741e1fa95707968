#pragma once

#include <string_view>

namespace sluice {

// Why a message is refused: the status Sluice answers with (a request: 400, 405, 413, 431,
// 501 or 505; a response: 502) and a constant reason for the access log.
struct MessageError {
  int status = 0;
  std::string_view reason;

  explicit operator bool() const { return status != 0; }
};

}  // namespace sluice
